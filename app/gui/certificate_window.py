"""« Gérer le certificat pour NetSynchro » for one establishment.

The window opened by both menu commands (« Avec NetSynchro » and « SIECLE »),
one per UAI, non-modal: the secretary can keep it beside the main window.
Reading the stored certificate, importing, deleting and the connection test
all run off the GUI thread (``app.gui.tasks``): opening a PKCS#12 derives its
key (tens of milliseconds, more on old PCs) and a test can wait for a server.

The password typed here is handed to the import and forgotten: it is never
logged, never shown back, and the field is emptied after an import and when
the window closes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase, QHideEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.models import Establishment
from app.errors import PasserelleError, UserCancelled
from app.gui.dialogs import dialogs
from app.gui.hub import CERTIFICATES, ESTABLISHMENTS, JOURNAL, NETSYNCHRO, hub
from app.gui.tasks import Task, TaskControl, run_task
from app.netsynchro.client import ConnectionDiagnosis
from app.paths import logs_dir
from app.security.certificates import CertificateInfo, CertificateStore
from app.security.errors import CertificateNeedsConfirmation
from app.services import base_admin, certificates, netsynchro_access, netsynchro_settings
from app.services.netsynchro_settings import NetSynchroSettings
from app.services.shared import CERTIFICATE_PER_PC_NOTICE, is_shared_base
from app.store.database import Database

log = logging.getLogger(__name__)

# Badge colours: text always says the state too, colour only reinforces it.
_STYLE_EXPIRED = "background: #fde7e9; color: #b00020; border: 1px solid #b00020;"
_STYLE_SOON = "background: #fff4ce; color: #7a4700; border: 1px solid #e0a000;"
_STYLE_VALID = "background: #e6f4ea; color: #1e6b34; border: 1px solid #1e6b34;"
_STYLE_NONE = "background: #f0f0f0; color: #404040; border: 1px solid #a0a0a0;"
_BADGE = "QLabel#etat_certificat {{ {0} padding: 4px 8px; border-radius: 3px; }}"
_ERROR_COLOUR = "#b00020"
_OK_COLOUR = "#1e6b34"


def window_name(uai: str) -> str:
    """Object name of the window of ``uai`` (one window per establishment)."""
    return f"certificat:{uai}"


def _french_datetime(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%d/%m/%Y à %H:%M")


@dataclass(frozen=True)
class _Snapshot:
    """What the window shows, read off the GUI thread."""

    info: CertificateInfo | None
    info_error: PasserelleError | None
    netsynchro: NetSynchroSettings


class CertificateWindow(QDialog):
    """Show, import, delete and test the NetSynchro certificate of one establishment."""

    def __init__(
        self,
        db: Database,
        establishment: Establishment,
        parent: QWidget | None = None,
        *,
        store: CertificateStore | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._uai = establishment.uai
        self._establishment = establishment
        # None: the services use this PC's store on the checked OS keyring.
        self._store = store
        self._task: Task | None = None
        self._loading: Task | None = None
        self._reload_pending = False
        self._pending_import: tuple[Path, str] | None = None
        self.info: CertificateInfo | None = None
        self._info_error: PasserelleError | None = None

        self.setObjectName(window_name(self._uai))
        self.setModal(False)
        self.setMinimumWidth(640)
        self._set_title()

        layout = self._layout = QVBoxLayout(self)
        if is_shared_base(db):
            self.shared_note: QLabel | None = QLabel(CERTIFICATE_PER_PC_NOTICE)
            self.shared_note.setObjectName("note_poste")
            self.shared_note.setWordWrap(True)
            self.shared_note.setStyleSheet(
                "QLabel#note_poste { background: #fff4ce; border: 1px solid #e0c060; "
                "padding: 8px; }"
            )
            layout.addWidget(self.shared_note)
        else:
            self.shared_note = None
        layout.addWidget(self._build_current_group())
        layout.addWidget(self._build_import_group())
        layout.addWidget(self._build_test_group())
        layout.addLayout(self._build_busy_row())

        layout.addStretch(1)
        buttons = QDialogButtonBox()
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setText(self.tr("Fermer"))
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

        hub.data_changed.connect(self._on_data_changed)
        self._update_buttons()
        self.refresh()

    # -- layout ----------------------------------------------------------------

    def _build_current_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Certificat enregistré sur ce poste"))
        box = QVBoxLayout(group)
        self.state_label = QLabel(self.tr("Lecture du certificat…"))
        self.state_label.setObjectName("etat_certificat")
        self.state_label.setWordWrap(True)
        self._set_badge(_STYLE_NONE)
        box.addWidget(self.state_label)

        self.details = QWidget()
        form = QFormLayout(self.details)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.holder = self._value_label()
        self.issuer = self._value_label()
        self.serial = self._value_label()
        self.valid_from = self._value_label()
        self.valid_to = self._value_label()
        self.days_left = self._value_label()
        self.uai_found = self._value_label()
        self.fingerprint = self._value_label()
        self.fingerprint.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        form.addRow(self.tr("Titulaire :"), self.holder)
        form.addRow(self.tr("Émis par :"), self.issuer)
        form.addRow(self.tr("Numéro de série :"), self.serial)
        form.addRow(self.tr("Valable du :"), self.valid_from)
        form.addRow(self.tr("Valable jusqu'au :"), self.valid_to)
        form.addRow(self.tr("Jours restants :"), self.days_left)
        form.addRow(self.tr("UAI lu dans le certificat :"), self.uai_found)
        form.addRow(self.tr("Empreinte SHA-256 :"), self.fingerprint)
        self.details.hide()
        box.addWidget(self.details)

        self.warnings = QLabel()
        self.warnings.setObjectName("avertissements")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("QLabel#avertissements { color: #7a4700; }")
        self.warnings.hide()
        box.addWidget(self.warnings)
        # Beside what it deletes, not beside « Fermer »: no slip of the mouse.
        self.delete_button = QPushButton(self.tr("Supprimer le certificat"))
        self.delete_button.clicked.connect(self.delete_certificate)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.delete_button)
        box.addLayout(row)
        return group

    def _build_import_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Importer un certificat (fichier .p12 ou .pfx)"))
        form = QFormLayout(group)
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText(self.tr("Fichier reçu de « Gestion Identité Numérique »"))
        self.file_edit.textChanged.connect(self._update_buttons)
        self.browse_button = QPushButton(self.tr("Parcourir…"))
        self.browse_button.clicked.connect(self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse_button)
        form.addRow(self.tr("Fichier :"), file_row)

        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        # No autocompletion or input-method history may keep the secret.
        self.password_edit.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
            | Qt.InputMethodHint.ImhNoPredictiveText
        )  # fmt: skip
        self.password_edit.textChanged.connect(self._update_buttons)
        self.password_edit.returnPressed.connect(self.import_certificate)
        self.show_password = QCheckBox(self.tr("Afficher"))
        self.show_password.toggled.connect(self._toggle_password)
        password_row = QHBoxLayout()
        password_row.addWidget(self.password_edit, 1)
        password_row.addWidget(self.show_password)
        form.addRow(self.tr("Mot de passe :"), password_row)
        hint = QLabel(self.tr("Le mot de passe sert seulement à ouvrir le fichier : Passerelle "
                              "ne le conserve pas."))
        hint.setWordWrap(True)
        form.addRow(hint)

        self.import_button = QPushButton(self.tr("Importer le certificat"))
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.import_certificate)
        self.import_message = QLabel()
        self.import_message.setWordWrap(True)
        self.import_message.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.import_message.hide()
        button_row = QHBoxLayout()
        button_row.addWidget(self.import_message, 1)
        button_row.addWidget(
            self.import_button, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        )
        form.addRow(button_row)
        return group

    def _build_test_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Connexion à NetSynchro"))
        box = QVBoxLayout(group)
        self.netsynchro_label = QLabel()
        self.netsynchro_label.setWordWrap(True)
        self.netsynchro_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.test_button = QPushButton(self.tr("Tester la connexion"))
        self.test_button.clicked.connect(self.start_connection_test)
        row = QHBoxLayout()
        row.addWidget(self.netsynchro_label, 1, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(row)
        self.test_header = QLabel()
        self.test_header.hide()
        self.test_result = QPlainTextEdit()
        self.test_result.setReadOnly(True)
        self.test_result.setMaximumHeight(140)
        self.test_result.hide()
        box.addWidget(self.test_header)
        box.addWidget(self.test_result)
        return group

    def _build_busy_row(self) -> QHBoxLayout:
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # neither step reports a measurable progress
        self.busy_bar.setMaximumWidth(160)
        self.busy_label = QLabel()
        # Only the connection test can be left: an import cannot be stopped
        # half-way once the key derivation has started, so it is not offered.
        self.abandon_button = QPushButton(self.tr("Ne plus attendre"))
        self.abandon_button.clicked.connect(self.abandon_test)
        row = QHBoxLayout()
        row.addWidget(self.busy_bar)
        row.addWidget(self.busy_label, 1)
        row.addWidget(self.abandon_button)
        for widget in (self.busy_bar, self.busy_label, self.abandon_button):
            widget.hide()
        return row

    @staticmethod
    def _value_label() -> QLabel:
        # No word wrap: wrapped labels in a form layout get one line's height
        # before the window is resized, and short values lose their end.
        label = QLabel()
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _set_title(self) -> None:
        self.setWindowTitle(
            self.tr("Certificat NetSynchro – {0} {1}").format(self._uai, self._establishment.nom)
        )

    def _set_badge(self, style: str) -> None:
        self.state_label.setStyleSheet(_BADGE.format(style))

    # -- state -------------------------------------------------------------------

    @property
    def uai(self) -> str:
        return self._uai

    @property
    def busy(self) -> bool:
        """An import, a deletion or a connection test is running."""
        return self._task is not None

    @property
    def idle(self) -> bool:
        """Nothing running, details read: what tests wait for."""
        return self._task is None and self._loading is None

    def _update_buttons(self) -> None:
        idle = not self.busy
        ready = bool(self.file_edit.text().strip()) and bool(self.password_edit.text())
        self.import_button.setEnabled(idle and ready)
        self.browse_button.setEnabled(idle)
        self.file_edit.setEnabled(idle)
        self.password_edit.setEnabled(idle)
        # An unreadable stored certificate can (and should) still be deleted.
        self.delete_button.setEnabled(
            idle and (self.info is not None or self._info_error is not None)
        )
        self.test_button.setEnabled(idle and self.info is not None)

    def _toggle_password(self, shown: bool) -> None:
        self.password_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        )

    def reopen(self, establishment: Establishment) -> None:
        """Bring the window back (menu chosen again), with fresh details."""
        self._establishment = establishment
        self._set_title()
        self.refresh()
        self.show()
        self.raise_()
        self.activateWindow()

    # -- reading the stored certificate -----------------------------------------

    def refresh(self) -> None:
        if self._loading is not None:
            self._reload_pending = True  # read again once the current read answers
            return
        self._loading = run_task(self._load, self._on_loaded, parent=self)

    def _load(self, _control: TaskControl) -> _Snapshot:
        # Worker thread: services only, no widget.
        info: CertificateInfo | None = None
        info_error: PasserelleError | None = None
        try:
            info = certificates.certificate_info(self._uai, store=self._store)
        except PasserelleError as exc:
            info_error = exc
        return _Snapshot(info, info_error, netsynchro_settings.load(self._db))

    def _on_loaded(self, result: object, error: BaseException | None) -> None:
        self._loading = None
        if self._reload_pending:
            self._reload_pending = False
            self.refresh()
            return
        if error is not None or not isinstance(result, _Snapshot):
            self.info, self._info_error = None, None
            self._show_unreadable(self._error_text(error))
            self._update_buttons()
            self._request_fit()
            return
        self.info, self._info_error = result.info, result.info_error
        if result.info is not None:
            self._show_info(result.info)
        elif result.info_error is not None:
            self._show_unreadable(result.info_error.message)
        else:
            self._show_absent()
        self._show_netsynchro(result.netsynchro)
        self._update_buttons()
        self._request_fit()

    def _show_info(self, info: CertificateInfo) -> None:
        if info.expire:
            self.state_label.setText(
                self.tr("EXPIRÉ depuis le {0} : ce certificat ne permet plus aucun échange. "
                        "Importez le nouveau certificat de l'établissement.")
                .format(_french_datetime(info.valide_au))
            )
            self._set_badge(_STYLE_EXPIRED)
        elif info.pas_encore_valide:
            self.state_label.setText(
                self.tr("Pas encore valable : il le sera à partir du {0}.")
                .format(_french_datetime(info.valide_du))
            )
            self._set_badge(_STYLE_SOON)
        elif info.expire_bientot:
            self.state_label.setText(
                self.tr("Expire bientôt : dans {0} jour(s), le {1}. Demandez son "
                        "renouvellement.")
                .format(max(info.jours_restants, 0), _french_datetime(info.valide_au))
            )
            self._set_badge(_STYLE_SOON)
        else:
            self.state_label.setText(
                self.tr("Valable jusqu'au {0}.").format(_french_datetime(info.valide_au))
            )
            self._set_badge(_STYLE_VALID)
        self.holder.setText(info.titulaire)
        self.issuer.setText(info.emetteur)
        self.serial.setText(info.numero_serie)
        self.valid_from.setText(_french_datetime(info.valide_du))
        self.valid_to.setText(_french_datetime(info.valide_au))
        self.days_left.setText(
            self.tr("aucun (expiré)") if info.expire else str(max(info.jours_restants, 0))
        )
        self.uai_found.setText(
            info.uai_certificat
            or self.tr("aucun (rattaché à {0} sur confirmation)").format(self._uai)
        )
        # 32 bytes in two lines of 16: readable aloud, and fits the window.
        octets = info.empreinte_sha256.split(":")
        self.fingerprint.setText(":".join(octets[:16]) + ":\n" + ":".join(octets[16:]))
        self.fingerprint.setToolTip(info.empreinte_sha256)
        self.details.show()
        if info.avertissements:
            self.warnings.setText("\n".join(f"⚠ {w}" for w in info.avertissements))
            self.warnings.show()
        else:
            self.warnings.hide()

    def _show_absent(self) -> None:
        self.state_label.setText(
            self.tr("Aucun certificat NetSynchro n'est enregistré sur ce poste pour cet "
                    "établissement. Choisissez le fichier reçu, tapez son mot de passe, puis "
                    "cliquez sur « Importer le certificat ».")
        )
        self._set_badge(_STYLE_NONE)
        self.details.hide()
        self.warnings.hide()

    def _show_unreadable(self, message: str) -> None:
        self.state_label.setText(message)
        self._set_badge(_STYLE_EXPIRED)
        self.details.hide()
        self.warnings.hide()

    def _show_netsynchro(self, settings: NetSynchroSettings) -> None:
        if settings.configured:
            self.netsynchro_label.setText(
                self.tr("Plateforme : {0}").format(settings.url or "")
            )
        else:
            self.netsynchro_label.setText(
                self.tr("NetSynchro n'est pas configuré : renseignez l'adresse de la plateforme "
                        "dans « Fichier > Paramètres de la base… » avant de tester la "
                        "connexion.")
            )

    # -- import ------------------------------------------------------------------

    def browse(self) -> None:
        start = str(Path(self.file_edit.text()).parent) if self.file_edit.text() else ""
        path = dialogs.open_file(
            self,
            self.tr("Choisir le certificat de l'établissement {0}").format(self._uai),
            self.tr("Certificats (*.p12 *.pfx);;Tous les fichiers (*)"),
            start,
        )
        if path:
            self.file_edit.setText(path)
            self.password_edit.setFocus()

    def import_certificate(self) -> None:
        path = self.file_edit.text().strip()
        password = self.password_edit.text()
        if self.busy or not path or not password:
            return
        self._start_import(Path(path), password, confirm_without_uai=False)

    def _start_import(self, path: Path, password: str, *, confirm_without_uai: bool) -> None:
        db, uai, store = self._db, self._uai, self._store
        # Kept until the answer, for the retry after a confirmation; cleared then.
        self._pending_import = (path, password)

        def work(_control: TaskControl) -> CertificateInfo:
            return certificates.import_certificate_file(
                db, uai, path, password, confirm_without_uai=confirm_without_uai, store=store
            )

        self._clear_message()
        self._begin(work, self._on_import_done, self.tr("Import du certificat en cours…"))

    def _on_import_done(self, result: object, error: BaseException | None) -> None:
        pending, self._pending_import = self._pending_import, None
        self._end_busy()
        if isinstance(error, CertificateNeedsConfirmation):
            # Closed meanwhile: nothing was stored, and nobody is there to answer.
            if pending is not None and self.isVisible():
                self._ask_without_uai(error, *pending)
            return
        if isinstance(error, UserCancelled):
            return
        if error is not None:
            # The service journals refusals: the journal view must show them.
            hub.data_changed.emit(JOURNAL)
            message = self._error_text(error)
            self._show_message(message, ok=False)
            if isinstance(error, PasserelleError) and error.code == "CERTIFICAT_MOT_DE_PASSE":
                self.password_edit.selectAll()
                self.password_edit.setFocus()
            dialogs.warning(self, self.tr("Certificat refusé"), message)
            return
        self.password_edit.clear()
        self.file_edit.clear()
        if isinstance(result, CertificateInfo):
            self._show_message(
                self.tr("Certificat enregistré sur ce poste, valable jusqu'au {0}.")
                .format(_french_datetime(result.valide_au)),
                ok=True,
            )
        hub.data_changed.emit(CERTIFICATES)  # refreshes this window, the status bar, the journal

    def _ask_without_uai(
        self, question: CertificateNeedsConfirmation, path: Path, password: str
    ) -> None:
        info = question.info
        text = self.tr(
            "{0}\n\nTitulaire : {1}\nÉmis par : {2}\nValable du {3} au {4}\n"
            "Empreinte SHA-256 : {5}\n\nEnregistrer ce certificat pour l'établissement "
            "{6} – {7} ?"
        ).format(
            question.message, info.titulaire, info.emetteur, _french_datetime(info.valide_du),
            _french_datetime(info.valide_au), info.empreinte_sha256, self._uai,
            self._establishment.nom,
        )  # fmt: skip
        if dialogs.confirm(self, self.tr("Certificat sans code UAI"), text):
            self._start_import(path, password, confirm_without_uai=True)
        else:
            self._show_message(self.tr("Certificat non enregistré."), ok=False)

    # -- delete ------------------------------------------------------------------

    def delete_certificate(self) -> None:
        if self.busy:
            return
        question = self.tr(
            "Supprimer de ce poste le certificat NetSynchro de l'établissement {0} – {1} ?\n\n"
            "Les échanges NetSynchro de cet établissement ne seront plus possibles depuis ce "
            "poste tant qu'un certificat n'aura pas été importé de nouveau."
        ).format(self._uai, self._establishment.nom)
        if not dialogs.confirm(self, self.tr("Supprimer le certificat"), question):
            return
        db, uai, store = self._db, self._uai, self._store

        def work(_control: TaskControl) -> bool:
            return certificates.delete_certificate(db, uai, store=store)

        self._clear_message()
        self._begin(work, self._on_delete_done, self.tr("Suppression du certificat…"))

    def _on_delete_done(self, result: object, error: BaseException | None) -> None:
        self._end_busy()
        if error is not None:
            message = self._error_text(error)
            self._show_message(message, ok=False)
            dialogs.warning(self, self.tr("Suppression impossible"), message)
            hub.data_changed.emit(CERTIFICATES)  # show what is really left
            return
        self._show_message(
            self.tr("Certificat supprimé de ce poste.")
            if result
            else self.tr("Aucun certificat n'était enregistré sur ce poste."),
            ok=True,
        )
        hub.data_changed.emit(CERTIFICATES)

    # -- connection test ---------------------------------------------------------

    def start_connection_test(self) -> None:
        if self.busy or self.info is None:
            return
        db, uai, store = self._db, self._uai, self._store

        def work(_control: TaskControl) -> ConnectionDiagnosis:
            return netsynchro_access.diagnose_connection(db, uai, store=store)

        self.test_header.hide()
        self.test_result.hide()
        self._begin(work, self._on_test_done, self.tr("Test de la connexion en cours…"),
                    abandon=True)  # fmt: skip

    def abandon_test(self) -> None:
        """Stop waiting: the request ends on its own (timeout); its answer is ignored."""
        if self._task is None:
            return
        self._task.done.disconnect(self._on_test_done)
        self._end_busy()
        self._show_test(
            False, self.tr("Test abandonné"),
            self.tr("La réponse du serveur n'a pas été attendue. Recommencez le test plus tard."),
        )  # fmt: skip

    def _on_test_done(self, result: object, error: BaseException | None) -> None:
        self._end_busy()
        hub.data_changed.emit(JOURNAL)  # the test is journaled, failed or not
        if isinstance(error, UserCancelled):
            return
        if error is not None:
            self._show_test(False, self.tr("Test impossible"), self._error_text(error))
            return
        assert isinstance(result, ConnectionDiagnosis)
        if result.ok:
            self._show_test(True, self.tr("Connexion réussie"), result.text_fr())
        else:
            self._show_test(False, self.tr("Connexion impossible"), result.text_fr())

    def _show_test(self, ok: bool, header: str, text: str) -> None:
        colour = _OK_COLOUR if ok else _ERROR_COLOUR
        self.test_header.setText(f"<b style='color:{colour}'>{header}</b>")
        self.test_result.setPlainText(text)
        self.test_header.show()
        self.test_result.show()
        self._request_fit()

    # -- plumbing ----------------------------------------------------------------

    def _begin(
        self,
        work: Callable[[TaskControl], object],
        done: Callable[[object, BaseException | None], None],
        text: str,
        *,
        abandon: bool = False,
    ) -> None:
        # ``done`` is a bound method: Qt drops the connection if the window goes.
        self._task = run_task(work, done, parent=self)
        self.busy_label.setText(text)
        self.busy_bar.show()
        self.busy_label.show()
        self.abandon_button.setVisible(abandon)
        self._update_buttons()

    def _request_fit(self) -> None:
        """Grow the window when its content grew (details shown, a message, a result).

        The wrapped labels give the layout a height-for-width, which Qt does
        not turn into a minimum height for a top-level window: without this
        the rows would be squeezed and clipped instead. Deferred, so the
        widgets just shown have laid themselves out first.
        """
        QTimer.singleShot(0, self._fit_height)

    def _fit_height(self) -> None:
        layout = self._layout
        layout.activate()
        needed = (
            layout.heightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.sizeHint().height()
        )
        if needed > self.height():
            self.resize(self.width(), needed)

    def _end_busy(self) -> None:
        self._task = None
        for widget in (self.busy_bar, self.busy_label, self.abandon_button):
            widget.hide()
        self._update_buttons()

    def _show_message(self, text: str, *, ok: bool) -> None:
        self.import_message.setText(text)
        self.import_message.setStyleSheet(f"color: {_OK_COLOUR if ok else _ERROR_COLOUR};")
        self.import_message.show()
        self._request_fit()

    def _clear_message(self) -> None:
        self.import_message.clear()
        self.import_message.hide()

    def _error_text(self, error: BaseException | None) -> str:
        if isinstance(error, PasserelleError):
            return error.message
        # A bug, not a refusal: the trace goes to the application log only.
        log.error("certificate window task failed for UAI %s", self._uai, exc_info=error)
        return self.tr(
            "Erreur inattendue : l'opération n'a pas abouti. Le détail technique est dans le "
            "journal de l'application ({0})."
        ).format(logs_dir())

    def _on_data_changed(self, topic: str) -> None:
        if topic in (CERTIFICATES, NETSYNCHRO) and self.isVisible():
            self.refresh()
        elif topic == ESTABLISHMENTS:
            try:
                self._establishment = base_admin.require_establishment(self._db, self._uai)
            except PasserelleError:
                return
            self._set_title()

    def hideEvent(self, event: QHideEvent) -> None:
        # Closing only hides the window (a task still running reports to a live
        # object, the next opening reuses it): forget what was typed in it.
        # A spontaneous hide is the window being minimised: keep everything.
        if not event.spontaneous():
            self.password_edit.clear()
            self.show_password.setChecked(False)
            self._clear_message()
            self.test_header.hide()
            self.test_result.hide()
        super().hideEvent(event)
