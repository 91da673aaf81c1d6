"""« Fichier > IMPORTS/EXPORTS > STSWEB > Récupérer les données de STSWEB ».

Establishment, school year (the base's), how fresh the STS data already is,
then the method at the bottom as in EDT/PRONOTE: by NetSynchro (disabled with
the reason when this PC cannot use it) or from the file exported by STSWEB.
The retrieval runs off the GUI thread with a cancel button; the result shows
the counts, and refusals arrive in French through the dialogs seam.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.school_year import year_label
from app.errors import UserCancelled
from app.gui.dialogs import dialogs
from app.gui.hub import JOURNAL, STS, TIMETABLE, hub
from app.gui.tasks import Task, TaskControl, run_task
from app.services import base_admin
from app.services.sts import retrieval
from app.services.sts.retrieval import StsRetrieval
from app.services.sts_gui_support import (
    failure_text,
    freshness_text,
    netsynchro_blocker,
    sts_freshness,
)
from app.store.database import Database


class StsRetrievalWindow(QDialog):
    """``retrieved(StsRetrieval)`` fires after a successful retrieval."""

    retrieved = Signal(object)

    def __init__(self, db: Database, uai: str | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.db = db
        self.setObjectName("recuperer_sts")
        self.setWindowTitle(self.tr("Récupérer les données de STSWEB"))
        self.setMinimumWidth(560)
        self.task: Task | None = None
        self.last_result: StsRetrieval | None = None
        self.annee = base_admin.school_year(db)

        self.establishment = QComboBox()
        for e in base_admin.establishments(db):
            self.establishment.addItem(e.label, e.uai)
        if uai is not None and (index := self.establishment.findData(uai)) >= 0:
            self.establishment.setCurrentIndex(index)
        self.year = QLabel(year_label(self.annee))
        self.freshness = QLabel()
        self.freshness.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Établissement :"), self.establishment)
        form.addRow(self.tr("Année scolaire :"), self.year)
        form.addRow(self.tr("Données actuelles :"), self.freshness)

        method = QGroupBox(self.tr("Méthode de récupération"))
        self.by_netsynchro = QRadioButton(
            self.tr("Depuis NetSynchro pour l'année {0}").format(year_label(self.annee))
        )
        self.netsynchro_reason = QLabel()
        self.netsynchro_reason.setWordWrap(True)
        self.netsynchro_reason.setStyleSheet("color: palette(dark);")
        self.by_file = QRadioButton(self.tr("Depuis un fichier"))
        self.methods = QButtonGroup(self)
        self.methods.addButton(self.by_netsynchro)
        self.methods.addButton(self.by_file)
        self.path = QLineEdit()
        self.path.setPlaceholderText(
            self.tr("sts_emp_{0}_{1}.xml ou .zip").format("<UAI>", self.annee)
        )
        browse = QPushButton(self.tr("Parcourir…"))
        browse.clicked.connect(self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        hint = QLabel(self.tr("Dans STSWEB : « Exports > Emploi du temps », puis choisissez le "
                              "fichier téléchargé (inutile de le décompresser)."))
        hint.setWordWrap(True)
        method_layout = QVBoxLayout(method)
        method_layout.addWidget(self.by_netsynchro)
        method_layout.addWidget(self.netsynchro_reason)
        method_layout.addWidget(self.by_file)
        method_layout.addLayout(file_row)
        method_layout.addWidget(hint)

        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("resultat")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton(self.tr("Récupérer"),
                                                   QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(self.tr("Annuler"),
                                                    QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setText(self.tr("Fermer"))
        self.cancel_button.hide()
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(method)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.establishment.currentIndexChanged.connect(self._refresh_state)
        self.path.textChanged.connect(lambda _text: self._update_buttons())
        self.methods.buttonToggled.connect(lambda *_: self._update_buttons())
        self._refresh_state()

    # -- state ------------------------------------------------------------------

    def uai(self) -> str | None:
        value = self.establishment.currentData()
        return None if value is None else str(value)

    def _refresh_state(self) -> None:
        uai = self.uai()
        if uai is None:
            self.freshness.setText(self.tr("Aucun établissement : ajoutez-en un dans « Fichier > "
                                           "Paramètres de la base… »."))
            self.by_netsynchro.setEnabled(False)
            self.by_file.setEnabled(False)
            self._update_buttons()
            return
        self.freshness.setText(freshness_text(sts_freshness(self.db, uai), self.annee))
        blocker = netsynchro_blocker(self.db, uai)
        self.by_netsynchro.setEnabled(blocker is None)
        self.netsynchro_reason.setText(blocker or "")
        self.netsynchro_reason.setVisible(blocker is not None)
        self.by_file.setEnabled(True)
        if blocker is None and not self.by_file.isChecked():
            self.by_netsynchro.setChecked(True)
        elif blocker is not None:
            self.by_file.setChecked(True)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.task is not None
        ready = self.uai() is not None and (
            (self.by_netsynchro.isChecked() and self.by_netsynchro.isEnabled())
            or (self.by_file.isChecked() and bool(self.path.text().strip()))
        )
        self.start_button.setEnabled(ready and not running)
        self.cancel_button.setVisible(running)
        self.close_button.setEnabled(not running)

    def browse(self) -> None:
        path = dialogs.open_file(
            self, self.tr("Fichier exporté de STSWEB"),
            self.tr("Export STSWEB (sts_emp_*.xml sts_emp_*.zip *.xml *.zip)"),
        )  # fmt: skip
        if path:
            self.path.setText(path)
            self.by_file.setChecked(True)

    # -- retrieval ------------------------------------------------------------------

    def start(self) -> None:
        uai = self.uai()
        if uai is None or self.task is not None:
            return
        db = self.db
        if self.by_file.isChecked():
            path = Path(self.path.text().strip())

            def work(control: TaskControl) -> StsRetrieval:
                control.progress(0, None, "Lecture du fichier…")
                return retrieval.retrieve_from_file(db, uai, path, cancel=control.cancel_event)

            label = self.tr("Lecture et enregistrement du fichier…")
        else:

            def work(control: TaskControl) -> StsRetrieval:
                def progress(done: int, total: int | None) -> None:
                    control.progress(done, total, "Téléchargement depuis NetSynchro…")

                return retrieval.retrieve_by_netsynchro(db, uai, progress=progress,
                                                        cancel=control.cancel_event)  # fmt: skip

            label = self.tr("Téléchargement depuis NetSynchro…")
        self.status.setText(label)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.task = run_task(work, self._done, on_progress=self._on_progress, parent=self)
        self._update_buttons()

    def cancel(self) -> None:
        if self.task is not None:
            self.status.setText(self.tr("Annulation en cours…"))
            self.task.cancel()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            scale = max(1, total // 1_000_000)
            self.progress.setRange(0, total // scale)
            self.progress.setValue(min(done, total) // scale)
        else:
            self.progress.setRange(0, 0)

    def _done(self, result: Any, error: BaseException | None) -> None:
        self.task = None
        self.progress.hide()
        self._update_buttons()
        # The journal row exists even for a refusal: the journal view must show it.
        hub.data_changed.emit(JOURNAL)
        if isinstance(error, UserCancelled):
            self.status.setText(self.tr("Récupération annulée : rien n'a été modifié."))
            return
        if error is not None:
            self.status.setText(self.tr("Récupération refusée : rien n'a été modifié."))
            dialogs.warning(self, self.windowTitle(),
                            failure_text(error, self.tr("Récupération des données STSWEB")))
            return
        assert isinstance(result, StsRetrieval)
        self.last_result = result
        c = result.counts
        text = self.tr(
            "Données récupérées : {0} personnels, {1} matières, {2} modalités, {3} MEF, "
            "{4} divisions, {5} groupes, {6} services."
        ).format(c["individus"], c["matieres"], c["modalites"], c["mefs"], c["divisions"],
                 c["groupes"], c["services"])  # fmt: skip
        if not result.changed:
            text += " " + self.tr("Elles sont identiques aux précédentes : rien n'a changé.")
        self.status.setText(text)
        self._refresh_state()
        if result.changed:
            hub.data_changed.emit(STS)
            # Correspondances and compliance of the courses depend on the STS data.
            hub.data_changed.emit(TIMETABLE)
        self.retrieved.emit(result)

    def reject(self) -> None:
        if self.task is not None:
            # Closing while working would hide a retrieval that still goes on.
            self.cancel()
            return
        super().reject()
