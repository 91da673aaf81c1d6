"""« Fichier > IMPORTS/EXPORTS > SIECLE > Récupérer les données des élèves ».

PRONOTE's window (netsynchro.md §3.3): the data to retrieve are ticked as for a
direct SIECLE import and the import method is chosen at the bottom, with the
school year of the base in its label. Three pages in one window:

1. the choice (establishment, data, options, method, files);
2. the preview returned by ``prepare()`` — nothing is written yet;
3. the report of ``apply()``.

``prepare()`` and ``apply()`` run off the GUI thread (app.gui.tasks) behind a
progress dialog whose « Annuler » really stops them; the base is never left
half-imported (the service works in one transaction).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

from PySide6.QtCore import (
    Qt,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QColor, QDragEnterEvent, QDropEvent, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import paths
from app.domain.school_year import year_label
from app.domain.siecle import Anomaly
from app.errors import PasserelleError, UserCancelled
from app.gui.dialogs import dialogs
from app.gui.hub import CERTIFICATES, ESTABLISHMENTS, JOURNAL, NETSYNCHRO, STUDENTS, YEAR, hub
from app.gui.progress import TaskProgressDialog
from app.gui.table_model import Index, RecordTableModel
from app.gui.tasks import Task, TaskControl, run_task
from app.services import base_admin
from app.services.students_import import (
    DATA_LABELS,
    DataChoice,
    FromFiles,
    FromNetSynchro,
    ImportOptions,
    ImportPreview,
    ImportResult,
    Source,
    StudentChange,
    apply,
    missing_files,
    netsynchro_available,
    prepare,
    write_report,
)
from app.store.database import Database

log = logging.getLogger(__name__)


SIECLE_SUFFIXES = (".xml", ".zip")
CANCELLED_MESSAGE = "Import annulé : la base n'a pas été modifiée."

_ERROR_COLOUR = QColor("#b00020")
_WARNING_COLOUR = QColor("#a86200")


# --- models of the preview --------------------------------------------------------------------


class ChangesModel(RecordTableModel):
    """One row per changed field (old → new); the student is named on its first row.

    Flat on purpose: a QTreeView lays out every top-level row up front, which
    for a first import of thousands of students costs a visible freeze of
    Python calls; a QTableView asks only for the rows on screen.
    """

    HEADERS = ("Élève", "Changement", "Donnée", "Avant", "Après")
    KIND_LABELS: ClassVar[dict[str, str]] = {
        "creation": "Création",
        "mise_a_jour": "Mise à jour",
        "sortie": "Sortie",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[StudentChange] = []
        self.changes: list[StudentChange] = []  # the students shown, after the kind filter
        self._lines: list[tuple[int, int]] = []  # (student, field or -1)

    def set_changes(self, changes: list[StudentChange], kind: str | None = None) -> None:
        self.beginResetModel()
        self._all = changes
        self.changes = changes if kind is None else [c for c in changes if c.kind == kind]
        self._lines = [
            (i, f)
            for i, change in enumerate(self.changes)
            for f in (range(len(change.changes)) if change.changes else (-1,))
        ]
        self.endResetModel()

    def show_kind(self, kind: str | None) -> None:
        self.set_changes(self._all, kind)

    def student_at(self, row: int) -> StudentChange:
        return self.changes[self._lines[row][0]]

    def record_count(self) -> int:
        return len(self._lines)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        student, field_index = self._lines[index.row()]
        change = self.changes[student]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            first = field_index <= 0
            if column == 0:
                # Repeated in the tooltip so a continuation row still says whose it is.
                return change.label if first or role == Qt.ItemDataRole.ToolTipRole else ""
            if column == 1:
                return self.tr(self.KIND_LABELS.get(change.kind, change.kind)) if first else ""
            if field_index < 0:
                return ""
            field = change.changes[field_index]
            return (field.field, field.old, field.new)[column - 2]
        if role == Qt.ItemDataRole.ForegroundRole and change.kind == "sortie" and column <= 1:
            return _WARNING_COLOUR
        return None


class AnomaliesModel(RecordTableModel):
    HEADERS = ("Gravité", "Élève (identifiant SIECLE)", "Code", "Message")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.anomalies: list[Anomaly] = []

    def set_anomalies(self, anomalies: list[Anomaly]) -> None:
        self.beginResetModel()
        # Errors (records left out) first: they are the ones to fix in SIECLE.
        self.anomalies = sorted(anomalies, key=lambda a: a.severity != "erreur")
        self.endResetModel()

    def record_count(self) -> int:
        return len(self.anomalies)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        anomaly = self.anomalies[index.row()]
        is_error = anomaly.severity == "erreur"
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            severity = self.tr("Erreur") if is_error else self.tr("Avertissement")
            return (severity, anomaly.eleve_id or "—", anomaly.code, anomaly.message_fr)[
                index.column()
            ]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            return _ERROR_COLOUR if is_error else _WARNING_COLOUR
        return None


def _anomalies_table(model: AnomaliesModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    for column, width in enumerate((110, 170, 150)):
        table.setColumnWidth(column, width)
    return table


def _count_box(title: str) -> tuple[QGroupBox, QLabel]:
    box = QGroupBox(title)
    number = QLabel("0")
    font = QFont()
    font.setPointSize(font.pointSize() + 8)
    font.setBold(True)
    number.setFont(font)
    number.setAlignment(Qt.AlignmentFlag.AlignCenter)
    layout = QVBoxLayout(box)
    layout.addWidget(number)
    return box, number


class _Counts(QWidget):
    """Four boxes: créations, mises à jour, sorties, inchangés."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.labels: dict[str, QLabel] = {}
        for key, title in (
            ("crees", self.tr("Créations")),
            ("mis_a_jour", self.tr("Mises à jour")),
            ("sortis", self.tr("Sorties")),
            ("inchanges", self.tr("Inchangés")),
        ):
            box, number = _count_box(title)
            number.setObjectName(f"compte_{key}")
            self.labels[key] = number
            layout.addWidget(box)

    def show_counts(self, counts: ImportPreview | ImportResult) -> None:
        for key, label in self.labels.items():
            label.setText(f"{getattr(counts, key):n}")


# The service counts with identifiers; these are the words the secretary reads.
COUNT_LABELS: dict[str, str] = {
    "eleves": "élèves",
    "eleves_sortis": "sortis",
    "sans_ine": "sans INE",
    "divisions": "classes",
    "groupes": "groupes",
    "personnes": "responsables",
    "liens": "liens élève-responsable",
    "mefs": "MEF",
    "matieres": "matières",
    "programmes": "programmes",
    "modalites": "modalités",
    "eleves_non_crees": "nouveaux élèves non créés",
    "responsables_crees": "responsables créés",
    "responsables_modifies": "responsables modifiés",
    "liens_ajoutes": "liens élève-responsable ajoutés",
    "liens_modifies": "liens élève-responsable modifiés",
    "liens_supprimes": "liens élève-responsable supprimés",
}


def count_label(key: str) -> str:
    return COUNT_LABELS.get(key, key.replace("_", " "))


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count:n} {count_label(key)}" for key, count in counts.items() if count)


# --- the window --------------------------------------------------------------------------------


class StudentsImportWindow(QWidget):
    """Non-modal window; the feature keeps one instance (app.gui.features_students)."""

    # Emitted once each page has been filled, so callers (and tests) can follow the flow.
    preview_ready = Signal()
    import_done = Signal()
    back_to_choice = Signal()
    files_checked = Signal()
    netsynchro_checked = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None,
                 uai: str | None = None) -> None:  # fmt: skip
        super().__init__(parent, Qt.WindowType.Window)
        self._db = db
        self._paths: list[Path] = []
        self._preview: ImportPreview | None = None
        self._result: ImportResult | None = None
        self.task: Task | None = None
        self._progress: TaskProgressDialog | None = None
        self._files_task: Task | None = None
        self._files_generation = 0
        self._netsynchro_task: Task | None = None
        self._netsynchro_generation = 0
        self._year = base_admin.school_year(db)

        self.setWindowTitle(self.tr("Récupérer les données des élèves"))
        self.setMinimumSize(760, 600)
        self.resize(900, 720)
        self.setAcceptDrops(True)

        self.pages = QStackedWidget()
        self.choice_page = self._build_choice_page()
        self.preview_page = self._build_preview_page()
        self.report_page = self._build_report_page()
        for page in (self.choice_page, self.preview_page, self.report_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        self._fill_establishments(uai)
        self.establishment.currentIndexChanged.connect(self._establishment_changed)
        self._update_state()
        hub.data_changed.connect(self._on_data_changed)

    # Choice page ---------------------------------------------------------------------------

    def _build_choice_page(self) -> QWidget:
        page = QWidget()

        self.notice = QLabel()
        self.notice.setObjectName("avis")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(
            "QLabel#avis { background: #eef4ff; border: 1px solid #9ab; padding: 6px; }"
        )
        self.notice.hide()

        self.establishment = QComboBox()
        self.establishment.setMinimumContentsLength(30)
        self.no_establishment = QLabel(
            self.tr("Aucun établissement dans la base : ajoutez-le d'abord dans « Fichier > "
                    "Paramètres de la base… ».")
        )
        self.no_establishment.setTextFormat(Qt.TextFormat.PlainText)
        self.no_establishment.setWordWrap(True)
        self.no_establishment.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow(self.tr("Établissement :"), self.establishment)
        form.addRow(self.no_establishment)

        data_group = QGroupBox(self.tr("Données à récupérer"))
        data_layout = QVBoxLayout(data_group)
        self.data_boxes: dict[DataChoice, QCheckBox] = {}
        for choice in DataChoice:
            box = QCheckBox(self.tr(DATA_LABELS[choice]))
            box.setChecked(True)
            box.toggled.connect(self._data_changed)
            self.data_boxes[choice] = box
            data_layout.addWidget(box)
        data_layout.addStretch(1)

        options_group = QGroupBox(self.tr("Options"))
        options_layout = QVBoxLayout(options_group)
        self.create_box = QCheckBox(self.tr("Créer les nouveaux élèves"))
        self.update_box = QCheckBox(self.tr("Mettre à jour les élèves existants"))
        self.leavers_box = QCheckBox(self.tr("Marquer comme sortis les élèves absents du fichier"))
        for box in (self.create_box, self.update_box, self.leavers_box):
            box.setChecked(True)
            box.toggled.connect(self._update_state)
            options_layout.addWidget(box)
        leavers_hint = QLabel(
            self.tr("Les élèves ne sont jamais supprimés : un élève absent de SIECLE est marqué "
                    "sorti et reste consultable.")
        )
        leavers_hint.setWordWrap(True)
        leavers_hint.setStyleSheet("color: #555")
        options_layout.addWidget(leavers_hint)
        options_layout.addStretch(1)

        top = QHBoxLayout()
        top.addWidget(data_group, 1)
        top.addWidget(options_group, 1)

        method_group = QGroupBox(self.tr("Méthode d'import"))
        method_layout = QVBoxLayout(method_group)
        self.netsynchro_radio = QRadioButton()
        self.netsynchro_reason = QLabel()
        self.netsynchro_reason.setObjectName("raison_netsynchro")
        self.netsynchro_reason.setWordWrap(True)
        self.netsynchro_reason.setStyleSheet("color: #555")
        ns_row = QHBoxLayout()
        ns_row.addWidget(self.netsynchro_radio)
        ns_row.addWidget(self.netsynchro_reason, 1)
        self.files_radio = QRadioButton(self.tr("Depuis des fichiers SIECLE"))
        self.method = QButtonGroup(self)
        self.method.addButton(self.netsynchro_radio)
        self.method.addButton(self.files_radio)
        self.files_radio.setChecked(True)
        self.method.buttonToggled.connect(self._update_state)

        self.file_list = QListWidget()
        self.file_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.file_list.setMinimumHeight(90)
        self.file_list.setMaximumHeight(160)
        self.file_list.itemSelectionChanged.connect(self._update_state)
        self.add_files_button = QPushButton(self.tr("Ajouter des fichiers…"))
        self.add_files_button.clicked.connect(self._choose_files)
        self.remove_files_button = QPushButton(self.tr("Retirer"))
        self.remove_files_button.clicked.connect(self._remove_selected)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.remove_files_button)
        buttons.addStretch(1)
        files_row = QHBoxLayout()
        files_row.addWidget(self.file_list, 1)
        files_row.addLayout(buttons)
        self.files_hint = QLabel(
            self.tr("Dans SIECLE (Base élèves établissement), menu « Exportations > En XML », "
                    "exportez ExportXML_ElevesAvecAdresses.zip, "
                    "ExportXML_ResponsablesAvecAdresses.zip, ExportXML_Structures.zip et "
                    "ExportXML_Nomenclature.zip, puis ajoutez-les ici ou faites-les glisser "
                    "sur cette fenêtre. Les fichiers XML extraits sont acceptés aussi.")
        )
        self.files_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.files_hint.setWordWrap(True)
        self.files_hint.setStyleSheet("color: #555")
        self.files_warning = QLabel()
        self.files_warning.setObjectName("fichiers_manquants")
        self.files_warning.setWordWrap(True)
        self.files_warning.setStyleSheet("color: #a86200")
        self.files_warning.hide()
        files_box = QWidget()
        files_layout = QVBoxLayout(files_box)
        files_layout.setContentsMargins(24, 0, 0, 0)
        files_layout.addLayout(files_row)
        files_layout.addWidget(self.files_hint)
        files_layout.addWidget(self.files_warning)
        self.files_box = files_box

        method_layout.addLayout(ns_row)
        method_layout.addWidget(self.files_radio)
        method_layout.addWidget(files_box)

        self.import_button = QPushButton(self.tr("Importer"))
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.choice_close = QPushButton(self.tr("Fermer"))
        self.choice_close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.choice_close)

        layout = QVBoxLayout(page)
        layout.addWidget(self.notice)
        layout.addLayout(form)
        layout.addLayout(top)
        layout.addWidget(method_group)
        layout.addStretch(1)
        layout.addLayout(bottom)
        return page

    def _fill_establishments(self, preferred: str | None = None) -> None:
        current = preferred or self.establishment.currentData()
        establishments = base_admin.establishments(self._db)
        self.establishment.blockSignals(True)
        self.establishment.clear()
        for establishment in establishments:
            self.establishment.addItem(establishment.label, establishment.uai)
        index = self.establishment.findData(current) if current else -1
        # A single establishment is preselected; in a cité scolaire the user
        # chooses, unless the menu command named one.
        if index < 0 and len(establishments) == 1:
            index = 0
        self.establishment.setCurrentIndex(index)
        self.establishment.blockSignals(False)
        self.no_establishment.setVisible(not establishments)
        self._check_netsynchro()

    def _on_data_changed(self, topic: str) -> None:
        if topic in (ESTABLISHMENTS, YEAR):
            self._year = base_admin.school_year(self._db)
            self._fill_establishments()
            self._update_state()
        elif topic in (CERTIFICATES, NETSYNCHRO):
            self._check_netsynchro()

    def _establishment_changed(self) -> None:
        self._check_netsynchro()
        self._update_state()

    @property
    def uai(self) -> str | None:
        value = self.establishment.currentData()
        return value if isinstance(value, str) else None

    def options(self) -> ImportOptions:
        return ImportOptions(
            donnees=frozenset(c for c, box in self.data_boxes.items() if box.isChecked()),
            creer=self.create_box.isChecked(),
            mettre_a_jour=self.update_box.isChecked(),
            marquer_sortis=self.leavers_box.isChecked(),
        )

    # NetSynchro availability: it reads the base's settings and the certificate
    # store (the keyring), so it runs off the GUI thread like any I/O.
    def _check_netsynchro(self) -> None:
        self._netsynchro_generation += 1
        generation = self._netsynchro_generation
        self.netsynchro_radio.setText(
            self.tr("Depuis NetSynchro pour l'année {0}").format(year_label(self._year))
        )
        uai = self.uai
        if uai is None:
            self._set_netsynchro(False, self.tr("Choisissez d'abord l'établissement."))
            self.netsynchro_checked.emit()
            return
        self._set_netsynchro(False, self.tr("Vérification du certificat…"))
        db = self._db

        def done(result: object, error: BaseException | None) -> None:
            if generation != self._netsynchro_generation:
                return
            self._netsynchro_task = None
            if isinstance(error, PasserelleError):
                self._set_netsynchro(False, error.message)
            elif error is not None:
                sys.excepthook(type(error), error, error.__traceback__)
                return
            else:
                assert isinstance(result, tuple)
                ok, reason = result
                self._set_netsynchro(bool(ok), str(reason))
            self.netsynchro_checked.emit()

        self._netsynchro_task = run_task(lambda _c: netsynchro_available(db, uai), done,
                                         parent=self)  # fmt: skip

    def _set_netsynchro(self, available: bool, reason: str) -> None:
        was_enabled = self.netsynchro_radio.isEnabled()
        self.netsynchro_radio.setEnabled(available)
        self.netsynchro_reason.setText(reason if not available else "")
        if not available and self.netsynchro_radio.isChecked():
            self.files_radio.setChecked(True)
        elif available and not was_enabled and not self._paths:
            # PRONOTE's usual path once a certificate is installed.
            self.netsynchro_radio.setChecked(True)
        self._update_state()

    # Files -------------------------------------------------------------------------------------

    def _choose_files(self) -> None:
        chosen = dialogs.open_files(
            self,
            self.tr("Ajouter des exports SIECLE"),
            self.tr("Exports SIECLE (*.xml *.zip)"),
            str(self._paths[-1].parent) if self._paths else str(Path.home()),
        )
        self.add_files([Path(p) for p in chosen])

    def add_files(self, files: list[Path]) -> None:
        added = False
        for path in files:
            if path.suffix.lower() not in SIECLE_SUFFIXES or not path.is_file():
                continue
            resolved = path.resolve()
            if resolved in self._paths:
                continue
            self._paths.append(resolved)
            item = QListWidgetItem(resolved.name)
            item.setToolTip(str(resolved))
            item.setData(Qt.ItemDataRole.UserRole, str(resolved))
            self.file_list.addItem(item)
            added = True
        if added:
            self.files_radio.setChecked(True)
            self._check_files()
        self._update_state()

    def _remove_selected(self) -> None:
        for item in self.file_list.selectedItems():
            self._paths.remove(Path(item.data(Qt.ItemDataRole.UserRole)))
            self.file_list.takeItem(self.file_list.row(item))
        self._check_files()
        self._update_state()

    @property
    def paths(self) -> list[Path]:
        return list(self._paths)

    def _check_files(self) -> None:
        # missing_files() opens every file (ZIPs included) to read its header:
        # file I/O, possibly on a network share, so off the GUI thread.
        self._files_generation += 1
        generation = self._files_generation
        paths = tuple(self._paths)
        options = self.options()
        if not paths:
            self._show_missing([])
            self.files_checked.emit()
            return

        def done(result: object, error: BaseException | None) -> None:
            if generation != self._files_generation:
                return
            self._files_task = None
            if isinstance(error, PasserelleError):
                self._show_missing([error.message])
            elif error is not None:
                sys.excepthook(type(error), error, error.__traceback__)
                return
            else:
                assert isinstance(result, list)
                self._show_missing([str(m) for m in result])
            self.files_checked.emit()

        self._files_task = run_task(lambda _c: missing_files(paths, options), done, parent=self)

    def _show_missing(self, messages: list[str]) -> None:
        self.files_warning.setText("\n".join(f"⚠ {m}" for m in messages))
        self.files_warning.setVisible(bool(messages))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts_drop() and self._dropped_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        files = self._dropped_paths(event.mimeData().urls())
        if not self._accepts_drop() or not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_files(files)

    def _accepts_drop(self) -> bool:
        return self.pages.currentWidget() is self.choice_page and self.task is None

    @staticmethod
    def _dropped_paths(urls: list[Any]) -> list[Path]:
        return [
            Path(url.toLocalFile())
            for url in urls
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in SIECLE_SUFFIXES
        ]

    def _update_state(self) -> None:
        options = self.options()
        files_mode = self.files_radio.isChecked()
        self.files_box.setEnabled(files_mode)
        self.remove_files_button.setEnabled(bool(self.file_list.selectedItems()))
        ready = (
            self.uai is not None
            and bool(options.donnees)
            and (options.creer or options.mettre_a_jour or options.marquer_sortis)
            and (bool(self._paths) if files_mode else self.netsynchro_radio.isEnabled())
        )
        self.import_button.setEnabled(ready and self.task is None)

    def _data_changed(self) -> None:
        # The exports needed depend on the data ticked.
        self._check_files()
        self._update_state()

    # Running a service off the GUI thread ------------------------------------------------------

    def _run(
        self,
        work: Callable[[TaskControl], object],
        on_done: Callable[[object, BaseException | None], None],
        label: str,
    ) -> None:
        def finished(result: object, error: BaseException | None) -> None:
            self.task = None
            if self._progress is not None:
                # Close it before any message box, which would appear over it.
                self._progress.close()
                self._progress.deleteLater()
                self._progress = None
            self.pages.setEnabled(True)
            on_done(result, error)
            self._update_state()

        # Until the progress dialog appears (after 300 ms) nothing else blocks
        # input: the pages are disabled so nothing is clicked twice.
        self.pages.setEnabled(False)
        self.task = run_task(work, finished, parent=self)
        self._progress = TaskProgressDialog(self.task, self.windowTitle(), label, self)

    def _failed(self, error: BaseException) -> None:
        """Back to the choice page, everything the user chose kept."""
        self._close_preview()
        self.pages.setCurrentWidget(self.choice_page)
        if isinstance(error, UserCancelled):
            self.show_notice(self._cancelled_text())
        elif isinstance(error, PasserelleError):
            self.notice.hide()
            dialogs.error(self, self.windowTitle(), error.message, error.details)
        else:
            sys.excepthook(type(error), error, error.__traceback__)
        self.back_to_choice.emit()

    def _cancelled_text(self) -> str:
        # Literal here so the translation tools see it; CANCELLED_MESSAGE is for tests.
        return self.tr("Import annulé : la base n'a pas été modifiée.")

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

    # Step 1: prepare ---------------------------------------------------------------------------

    def start_import(self) -> None:
        uai = self.uai
        if uai is None or self.task is not None:
            return
        options = self.options()
        source: Source
        if self.netsynchro_radio.isChecked():
            source = FromNetSynchro()
            label = self.tr("Téléchargement des données depuis NetSynchro…")
        else:
            source = FromFiles(tuple(self._paths))
            label = self.tr("Lecture des fichiers SIECLE…")
        self.notice.hide()
        db = self._db

        def work(control: TaskControl) -> ImportPreview:
            return prepare(db, uai, source, options, progress=control.progress,
                           cancel=control.cancel_event)  # fmt: skip

        self._run(work, self._prepared, label)

    def _prepared(self, result: object, error: BaseException | None) -> None:
        if error is not None:
            self._failed(error)
            return
        assert isinstance(result, ImportPreview)
        self._preview = result
        self._show_preview(result)
        self.pages.setCurrentWidget(self.preview_page)
        self.preview_ready.emit()

    # Preview page ------------------------------------------------------------------------------

    def _build_preview_page(self) -> QWidget:
        page = QWidget()
        self.preview_title = QLabel()
        self.preview_title.setWordWrap(True)
        self.preview_files = QLabel()
        self.preview_files.setWordWrap(True)
        self.preview_files.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_counts = _Counts()
        self.preview_other = QLabel()
        self.preview_other.setWordWrap(True)
        self.preview_nothing = QLabel(self.tr("Aucun changement : la base est déjà à jour."))
        self.preview_nothing.setStyleSheet("color: #2e7d32; font-weight: bold")
        self.blocking = QLabel()
        self.blocking.setObjectName("blocages")
        self.blocking.setWordWrap(True)
        self.blocking.setStyleSheet(
            "QLabel#blocages { color: #b00020; border: 1px solid #b00020; padding: 6px; }"
        )

        self.changes_model = ChangesModel(self)
        self.changes_view = QTableView()
        self.changes_view.setModel(self.changes_model)
        self.changes_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.changes_view.verticalHeader().hide()
        self.changes_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.changes_view.verticalHeader().setDefaultSectionSize(
            self.changes_view.fontMetrics().height() + 8
        )
        self.changes_view.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((250, 100, 150, 170)):
            self.changes_view.setColumnWidth(column, width)
        self.kind_filter = QComboBox()
        for text, kind in (
            (self.tr("Tous les changements"), None),
            (self.tr("Créations"), "creation"),
            (self.tr("Mises à jour"), "mise_a_jour"),
            (self.tr("Sorties"), "sortie"),
        ):
            self.kind_filter.addItem(text, kind)
        self.kind_filter.currentIndexChanged.connect(
            lambda _i: self.changes_model.show_kind(self.kind_filter.currentData())
        )
        changes_tab = QWidget()
        changes_layout = QVBoxLayout(changes_tab)
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel(self.tr("Afficher :")))
        filter_row.addWidget(self.kind_filter)
        filter_row.addStretch(1)
        changes_layout.addLayout(filter_row)
        changes_layout.addWidget(self.changes_view)
        self.changes_truncated = QLabel()
        self.changes_truncated.setWordWrap(True)
        self.changes_truncated.setStyleSheet("color: #555")
        changes_layout.addWidget(self.changes_truncated)

        self.preview_anomalies = AnomaliesModel(self)
        self.preview_tabs = QTabWidget()
        self.preview_tabs.addTab(changes_tab, self.tr("Changements par élève"))
        self.preview_tabs.addTab(_anomalies_table(self.preview_anomalies), self.tr("Anomalies"))

        self.validate_button = QPushButton(self.tr("Valider l'import"))
        self.validate_button.clicked.connect(self.validate)
        self.preview_cancel = QPushButton(self.tr("Annuler"))
        self.preview_cancel.clicked.connect(self.cancel_preview)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.validate_button)
        bottom.addWidget(self.preview_cancel)

        layout = QVBoxLayout(page)
        layout.addWidget(self.preview_title)
        layout.addWidget(self.preview_files)
        layout.addWidget(self.preview_counts)
        layout.addWidget(self.preview_other)
        layout.addWidget(self.preview_nothing)
        layout.addWidget(self.blocking)
        layout.addWidget(self.preview_tabs, 1)
        layout.addWidget(QLabel(
            self.tr("Rien n'est encore enregistré. « Valider l'import » fait d'abord une copie "
                    "de la base, puis enregistre tout en une fois.")
        ))
        layout.addLayout(bottom)
        return page

    def _describe_source(self, uai: str, annee: int, source: str) -> str:
        name = self.establishment.currentText() or uai
        return self.tr("<b>{0}</b> — année {1} — {2}").format(name, year_label(annee), source)

    def _show_preview(self, preview: ImportPreview) -> None:
        self.preview_title.setText(
            self._describe_source(preview.uai, preview.annee, preview.source_label)
        )
        lines = []
        for info in preview.files:
            counts = _counts_text(info.counts)
            lines.append(f"{info.kind} : {info.name}" + (f" ({counts})" if counts else ""))
        self.preview_files.setText("\n".join(lines))
        self.preview_files.setVisible(bool(lines))
        self.preview_counts.show_counts(preview)
        other = _counts_text(preview.other_changes)
        self.preview_other.setText(self.tr("Autres changements : {0}").format(other))
        self.preview_other.setVisible(bool(other))
        self.preview_nothing.setVisible(not preview.has_changes)
        if preview.blocking:
            reasons = "".join(f"<li>{r}</li>" for r in preview.blocking)
            self.blocking.setText(
                self.tr("<b>L'import ne peut pas être validé :</b><ul>{0}</ul>").format(reasons)
            )
        self.blocking.setVisible(bool(preview.blocking))
        self.validate_button.setEnabled(preview.can_apply)
        self.kind_filter.setCurrentIndex(0)
        self.changes_model.set_changes(preview.changes)
        # The service keeps only the first few thousand detailed changes in
        # memory; the saved report lists them all.
        total = preview.crees + preview.mis_a_jour + preview.sortis
        self.changes_truncated.setText(
            self.tr("Seuls les {0} premiers élèves sont détaillés ici ; le rapport enregistré "
                    "les contient tous ({1}).").format(len(preview.changes), total)
        )
        self.changes_truncated.setVisible(len(preview.changes) < total)
        self.preview_anomalies.set_anomalies(preview.anomalies)
        self.preview_tabs.setTabText(
            0, self.tr("Changements par élève ({0})").format(len(preview.changes))
        )
        errors = sum(1 for a in preview.anomalies if a.severity == "erreur")
        self.preview_tabs.setTabText(
            1, self.tr("Anomalies ({0}, dont {1} erreurs)").format(len(preview.anomalies), errors)
        )
        self.preview_tabs.setCurrentIndex(0)

    def cancel_preview(self) -> None:
        self._close_preview()
        self.pages.setCurrentWidget(self.choice_page)
        self.show_notice(self._cancelled_text())
        self.back_to_choice.emit()

    def _close_preview(self) -> None:
        if self._preview is not None:
            self._preview.close()
            self._preview = None
        self._result = None
        self.changes_model.set_changes([])
        self.preview_anomalies.set_anomalies([])
        self.report_anomalies.set_anomalies([])

    # Step 2: apply -----------------------------------------------------------------------------

    def validate(self) -> None:
        preview = self._preview
        if preview is None or not preview.can_apply or self.task is not None:
            return
        db = self._db

        def work(control: TaskControl) -> ImportResult:
            return apply(db, preview, progress=control.progress, cancel=control.cancel_event)

        self._run(work, self._applied, self.tr("Enregistrement dans la base…"))

    def _applied(self, result: object, error: BaseException | None) -> None:
        # Success, failure and cancel are all journaled by the service.
        hub.data_changed.emit(JOURNAL)
        if error is not None:
            self._failed(error)
            return
        assert isinstance(result, ImportResult) and self._preview is not None
        self._result = result
        hub.data_changed.emit(STUDENTS)
        self._show_report(self._preview, result)
        self.pages.setCurrentWidget(self.report_page)
        self.import_done.emit()

    # Report page -------------------------------------------------------------------------------

    def _build_report_page(self) -> QWidget:
        page = QWidget()
        heading = QLabel(self.tr("<h3>Import terminé</h3>"))
        self.report_title = QLabel()
        self.report_title.setWordWrap(True)
        self.report_counts = _Counts()
        self.report_other = QLabel()
        self.report_other.setWordWrap(True)
        self.report_copy = QLabel()
        self.report_copy.setObjectName("copie_base")
        self.report_copy.setWordWrap(True)
        self.report_copy.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_journal = QLabel()
        self.report_saved = QLabel()
        self.report_saved.setObjectName("rapport_enregistre")
        self.report_saved.setWordWrap(True)
        self.report_saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_saved.hide()
        self.report_anomalies = AnomaliesModel(self)
        anomalies_group = QGroupBox(self.tr("Anomalies"))
        self.report_anomalies_group = anomalies_group
        group_layout = QVBoxLayout(anomalies_group)
        group_layout.addWidget(_anomalies_table(self.report_anomalies))

        self.save_report_button = QPushButton(self.tr("Enregistrer le rapport…"))
        self.save_report_button.clicked.connect(self.save_report)
        self.new_import_button = QPushButton(self.tr("Nouvel import"))
        self.new_import_button.clicked.connect(self.new_import)
        self.report_close = QPushButton(self.tr("Fermer"))
        self.report_close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.save_report_button)
        bottom.addStretch(1)
        bottom.addWidget(self.new_import_button)
        bottom.addWidget(self.report_close)

        grid = QGridLayout()
        grid.addWidget(self.report_copy, 0, 0)
        grid.addWidget(self.report_journal, 1, 0)
        grid.addWidget(self.report_saved, 2, 0)

        layout = QVBoxLayout(page)
        layout.addWidget(heading)
        layout.addWidget(self.report_title)
        layout.addWidget(self.report_counts)
        layout.addWidget(self.report_other)
        layout.addLayout(grid)
        layout.addWidget(anomalies_group, 1)
        layout.addLayout(bottom)
        return page

    def _show_report(self, preview: ImportPreview, result: ImportResult) -> None:
        self.report_title.setText(
            self._describe_source(preview.uai, preview.annee, preview.source_label)
        )
        self.report_counts.show_counts(result)
        other = _counts_text(result.other_changes)
        self.report_other.setText(self.tr("Autres changements : {0}").format(other))
        self.report_other.setVisible(bool(other))
        if result.copy_path is not None:
            self.report_copy.setText(
                self.tr("Copie de la base faite avant l'import : {0}").format(result.copy_path)
            )
        else:
            self.report_copy.setText(
                self.tr("Pas de copie automatique (base sur un serveur) : l'import a été "
                        "enregistré en une seule transaction.")
            )
        self.report_journal.setText(
            self.tr("Import enregistré dans le journal des échanges.")
            if result.journal_id is not None
            else ""
        )
        self.report_saved.hide()
        self.report_anomalies.set_anomalies(preview.anomalies)
        self.report_anomalies_group.setTitle(
            self.tr("Anomalies ({0})").format(len(preview.anomalies))
        )

    def save_report(self) -> None:
        preview, result = self._preview, self._result
        if preview is None:
            return
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
        suggested = paths.reports_dir() / f"import-eleves-{preview.uai}-{stamp}.html"
        target = dialogs.save_file(
            self,
            self.tr("Enregistrer le rapport d'import"),
            self.tr("Rapport HTML (*.html);;Tableau CSV (*.csv)"),
            str(suggested),
        )
        if not target:
            return
        path = Path(target)
        fmt: Literal["html", "csv"] = "csv" if path.suffix.lower() == ".csv" else "html"
        if path.suffix.lower() not in (".csv", ".html", ".htm"):
            path = path.with_name(path.name + ".html")
        try:
            written = write_report(preview, result, path, fmt)
        except PasserelleError as exc:
            dialogs.error(self, self.windowTitle(), exc.message, exc.details)
            return
        except OSError as exc:
            dialogs.error(
                self,
                self.windowTitle(),
                self.tr("Le rapport n'a pas pu être enregistré dans {0} : {1}").format(
                    path, exc.strerror or exc
                ),
            )
            return
        self.report_saved.setText(self.tr("Rapport enregistré : {0}").format(written))
        self.report_saved.show()

    def new_import(self) -> None:
        self._close_preview()
        self.notice.hide()
        self.pages.setCurrentWidget(self.choice_page)
        self.back_to_choice.emit()

    # Window ------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.task is not None:
            # Stop the work first; the window stays until it has really
            # stopped, so nothing is left half-way behind a closed window.
            self.task.cancel()
            event.ignore()
            return
        self._close_preview()
        self.pages.setCurrentWidget(self.choice_page)
        self.notice.hide()
        super().closeEvent(event)
