"""The « Emplois du temps » tab: the course list with its STSWEB status, and week grids.

Everything is read off the GUI thread in one snapshot (courses, resources, STS
data, compliance report), then shown; edits go through the course dialog and
the services, and the hub's TIMETABLE/STS/ESTABLISHMENTS/YEAR topics reload
the tab. The STSWEB column marks each course that cannot be sent and its
tooltip gives the reason, as EDT does in its STSWEB column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QStyle,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.timetable import DAY_NAMES, format_clock
from app.errors import UserCancelled
from app.gui.course_dialog import CourseDialog
from app.gui.dialogs import dialogs
from app.gui.hub import ESTABLISHMENTS, JOURNAL, STS, TIMETABLE, YEAR, hub
from app.gui.progress import TaskProgressDialog
from app.gui.table_model import Index, RecordTableModel
from app.gui.tasks import Task, TaskControl, run_task
from app.gui.views.empty_state import EmptyState
from app.gui.views.week_grid import WEEK_A, WEEK_ALL, WEEK_B, GridBlock, WeekGrid
from app.services import base_admin
from app.services.sts import courses, edt, retrieval, timetable_import
from app.services.sts.compliance import CourseStatus
from app.services.sts.edt import EdtSnapshot
from app.services.sts.timetable_store import WEEK_A as ALT_A
from app.services.sts.timetable_store import WEEK_B as ALT_B
from app.services.sts.timetable_store import CourseRow, TimetableData
from app.services.sts_gui_support import failure_text, is_demo
from app.store.database import Database

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
COURSE_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class CourseLine:
    """One course as the table shows it."""

    course: CourseRow
    texts: tuple[str, ...]
    exportable: bool
    reason: str
    warning: str

    @property
    def id(self) -> int:
        return self.course.id


def course_lines(data: TimetableData, statuses: list[CourseStatus]) -> list[CourseLine]:
    by_id = {s.course.id: s for s in statuses}
    lines = []
    for c in data.courses:
        status = by_id.get(c.id)
        lines.append(CourseLine(
            c,
            (DAY_NAMES[c.day].capitalize(), format_clock(c.start), format_clock(c.duration),
             data.subjects[c.matiere_id].label,
             ", ".join(data.teachers[t].label for t in c.teacher_ids),
             data.structures[c.structure_id].code,
             data.rooms[c.salle_id].code if c.salle_id is not None else "",
             data.alternances[c.alternance_id].libelle_long),
            status.exportable if status else True,
            status.reason_text if status else "",
            " ; ".join(w.message for w in status.warnings) if status else "",
        ))  # fmt: skip
    return lines


class CourseModel(RecordTableModel):
    HEADERS = ("Jour", "Début", "Durée", "Matière", "Professeurs", "Classe/Groupe", "Salle",
               "Alternance", "STSWEB")  # fmt: skip

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: list[CourseLine] = []
        style = parent.style() if parent is not None else None
        self._ok_icon = style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton) \
            if style else None
        self._ko_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning) \
            if style else None

    def set_lines(self, lines: list[CourseLine]) -> None:
        self.beginResetModel()
        self.lines = lines
        self.endResetModel()

    def record_count(self) -> int:
        return len(self.lines)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self.lines[index.row()]
        column = index.column()
        status_column = column == len(self.HEADERS) - 1
        if role == Qt.ItemDataRole.DisplayRole:
            if status_column:
                return self.tr("Exportable") if line.exportable else self.tr("Non exportable")
            return line.texts[column]
        if role == Qt.ItemDataRole.DecorationRole and status_column:
            return self._ok_icon if line.exportable else self._ko_icon
        if role == Qt.ItemDataRole.ToolTipRole and status_column:
            parts = []
            if line.reason:
                parts.append(self.tr("Non exportable : {0}").format(line.reason))
            if line.warning:
                parts.append(self.tr("Attention : {0}").format(line.warning))
            return "\n".join(parts) or self.tr("Ce cours sera envoyé à STSWEB.")
        if role == SORT_ROLE:
            c = line.course
            keys: list[Any] = [c.day * 10_000 + c.start, c.start, c.duration, *line.texts[3:8],
                               int(line.exportable)]
            return keys[column]
        if role == COURSE_ROLE:
            return line.id
        return None


class CourseFilter(QSortFilterProxyModel):
    """Filters by structure, teacher, room and day ids, and by free text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.structure_id: int | None = None
        self.teacher_id: int | None = None
        self.room_id: int | None = None
        self.day: int | None = None
        self.text = ""

    def set_filters(self, *, structure_id: int | None, teacher_id: int | None,
                    room_id: int | None, day: int | None, text: str) -> None:  # fmt: skip
        self.beginFilterChange()
        self.structure_id, self.teacher_id, self.room_id, self.day = (structure_id, teacher_id,
                                                                      room_id, day)
        self.text = text.casefold().strip()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, CourseModel)
        line = model.lines[source_row]
        c = line.course
        if self.structure_id is not None and c.structure_id != self.structure_id:
            return False
        if self.teacher_id is not None and self.teacher_id not in c.teacher_ids:
            return False
        if self.room_id is not None and c.salle_id != self.room_id:
            return False
        if self.day is not None and c.day != self.day:
            return False
        if self.text:
            haystack = " ".join((*line.texts, line.reason)).casefold()
            return self.text in haystack
        return True


@dataclass(frozen=True)
class Loaded:
    snapshot: EdtSnapshot | None
    demo: bool


class TimetableView(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("vue_edt")
        self.snapshot: EdtSnapshot | None = None
        self.demo = False
        self.loading: Task | None = None
        self.busy: Task | None = None
        self._reload_again = False
        self._dialog: CourseDialog | None = None
        self._progress: TaskProgressDialog | None = None

        self.establishment = QComboBox()
        self.establishment.setObjectName("etablissement")
        self.establishment.currentIndexChanged.connect(lambda _i: self.reload())
        self.add_button = QPushButton(self.tr("Ajouter un cours…"))
        self.edit_button = QPushButton(self.tr("Modifier…"))
        self.delete_button = QPushButton(self.tr("Supprimer"))
        self.import_button = QPushButton(self.tr("Importer un emploi du temps…"))
        self.demo_button = QPushButton(self.tr("Charger l'emploi du temps de démonstration"))
        self.add_button.clicked.connect(self.add_course)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.import_button.clicked.connect(self.import_timetable)
        self.demo_button.clicked.connect(self.load_demo)
        top = QHBoxLayout()
        self.establishment_label = QLabel(self.tr("Établissement :"))
        top.addWidget(self.establishment_label)
        top.addWidget(self.establishment, 1)
        top.addStretch(1)
        for button in (self.add_button, self.edit_button, self.delete_button,
                       self.import_button, self.demo_button):  # fmt: skip
            top.addWidget(button)

        # Filters.
        self.f_structure = QComboBox()
        self.f_teacher = QComboBox()
        self.f_room = QComboBox()
        self.f_day = QComboBox()
        self.f_text = QLineEdit()
        self.f_text.setPlaceholderText(self.tr("Rechercher…"))
        self.f_text.setClearButtonEnabled(True)
        filters = QHBoxLayout()
        for label, widget in ((self.tr("Classe/Groupe :"), self.f_structure),
                              (self.tr("Professeur :"), self.f_teacher),
                              (self.tr("Salle :"), self.f_room), (self.tr("Jour :"), self.f_day)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget, 1)
            widget.currentIndexChanged.connect(lambda _i: self._apply_filters())
        filters.addWidget(self.f_text, 2)
        self.f_text.textChanged.connect(lambda _t: self._apply_filters())

        self.model = CourseModel(self)
        self.proxy = CourseFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("cours")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setResizeContentsPrecision(300)
        self._columns_fitted = False
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.count_label = QLabel()
        list_page = QWidget()
        list_layout = QVBoxLayout(list_page)
        list_layout.addLayout(filters)
        list_layout.addWidget(self.table, 1)
        list_layout.addWidget(self.count_label)

        # Week grid.
        self.grid_kind = QComboBox()
        self.grid_kind.addItem(self.tr("Classe ou groupe"), "structure")
        self.grid_kind.addItem(self.tr("Professeur"), "teacher")
        self.grid_kind.addItem(self.tr("Salle"), "room")
        self.grid_resource = QComboBox()
        self.grid_resource.setObjectName("ressource_grille")
        self.grid_week = QComboBox()
        self.grid_week.addItem(self.tr("Toutes"), WEEK_ALL)
        self.grid_week.addItem(self.tr("Semaine A"), WEEK_A)
        self.grid_week.addItem(self.tr("Semaine B"), WEEK_B)
        self.grid = WeekGrid()
        self.grid.course_activated.connect(self.edit_course)
        self.grid_kind.currentIndexChanged.connect(lambda _i: self._fill_grid_resources())
        self.grid_resource.currentIndexChanged.connect(lambda _i: self._fill_grid())
        self.grid_week.currentIndexChanged.connect(
            lambda _i: self.grid.set_week(str(self.grid_week.currentData())))
        grid_bar = QHBoxLayout()
        grid_bar.addWidget(QLabel(self.tr("Afficher :")))
        grid_bar.addWidget(self.grid_kind)
        grid_bar.addWidget(self.grid_resource, 1)
        grid_bar.addWidget(QLabel(self.tr("Semaines :")))
        grid_bar.addWidget(self.grid_week)
        grid_page = QWidget()
        grid_layout = QVBoxLayout(grid_page)
        grid_layout.addLayout(grid_bar)
        grid_layout.addWidget(self.grid, 1)

        self.pages = QTabWidget()
        self.pages.addTab(list_page, self.tr("Liste des cours"))
        self.pages.addTab(grid_page, self.tr("Semaine type"))

        self.empty = EmptyState(
            self.tr("Aucun emploi du temps"),
            self.tr("Récupérez d'abord les données de STSWEB (« Fichier &gt; IMPORTS/EXPORTS "
                    "&gt; STSWEB &gt; Récupérer les données de STSWEB »), puis importez ou "
                    "saisissez les cours de l'emploi du temps annuel."),
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.pages)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

        hub.data_changed.connect(self._on_data_changed)
        self._fill_establishments()

    # -- loading ----------------------------------------------------------------------

    def uai(self) -> str | None:
        value = self.establishment.currentData()
        return None if value is None else str(value)

    def _fill_establishments(self) -> None:
        current = self.uai()
        self.establishment.blockSignals(True)
        self.establishment.clear()
        for e in base_admin.establishments(self.db):
            self.establishment.addItem(e.label, e.uai)
        if current is not None and (index := self.establishment.findData(current)) >= 0:
            self.establishment.setCurrentIndex(index)
        self.establishment.blockSignals(False)
        several = self.establishment.count() > 1
        self.establishment.setVisible(several)
        self.establishment_label.setVisible(several)
        self.reload()

    def _on_data_changed(self, topic: str) -> None:
        if topic in (ESTABLISHMENTS, YEAR):
            self._fill_establishments()
        elif topic in (TIMETABLE, STS):
            self.reload()

    def reload(self) -> None:
        """Read the snapshot off the GUI thread (a reload asked meanwhile runs after it)."""
        if self.loading is not None:
            self._reload_again = True
            return
        uai, db = self.uai(), self.db

        def work(_control: TaskControl) -> Loaded:
            demo = is_demo(db)
            return Loaded(edt.snapshot(db, uai) if uai is not None else None, demo)

        self.loading = run_task(work, self._loaded, parent=self)

    def _loaded(self, result: Any, error: BaseException | None) -> None:
        self.loading = None
        if self._reload_again:
            self._reload_again = False
            self.reload()
            return
        if error is not None:
            self.empty.body.setText(failure_text(error, self.tr("Lecture de l'emploi du temps")))
            self.stack.setCurrentWidget(self.empty)
            return
        assert isinstance(result, Loaded)
        self.snapshot, self.demo = result.snapshot, result.demo
        snap = self.snapshot
        lines = course_lines(snap.data, snap.report.statuses) if snap else []
        self.model.set_lines(lines)
        if lines and not self._columns_fitted:
            # Once, on the first load: later reloads keep the user's widths.
            self.table.resizeColumnsToContents()
            self._columns_fitted = True
        self._fill_filters()
        self._fill_grid_resources()
        self.stack.setCurrentWidget(self.pages if lines else self.empty)
        self._update_buttons()
        self._apply_filters()

    @property
    def data(self) -> TimetableData | None:
        return self.snapshot.data if self.snapshot else None

    # -- filters and grid -----------------------------------------------------------------

    def _fill_combo(self, combo: QComboBox, items: list[tuple[str, Any]], everything: str) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for label, value in items:
            combo.addItem(label, value)
        index = combo.findData(current)
        combo.setCurrentIndex(max(0, index))
        combo.blockSignals(False)

    def _resources(self, kind: str) -> list[tuple[str, int]]:
        data = self.data
        if data is None:
            return []
        if kind == "structure":
            return sorted((s.code, s.id) for s in data.structures.values())
        if kind == "teacher":
            return sorted(((t.label, t.id) for t in data.teachers.values()),
                          key=lambda p: p[0].casefold())  # fmt: skip
        return sorted((r.code, r.id) for r in data.rooms.values())

    def _fill_filters(self) -> None:
        self._fill_combo(self.f_structure, self._resources("structure"), self.tr("Toutes"))
        self._fill_combo(self.f_teacher, self._resources("teacher"), self.tr("Tous"))
        self._fill_combo(self.f_room, self._resources("room"), self.tr("Toutes"))
        days = sorted({c.day for c in self.data.courses}) if self.data else []
        self._fill_combo(self.f_day, [(DAY_NAMES[d].capitalize(), d) for d in days],
                         self.tr("Tous"))  # fmt: skip

    def _apply_filters(self) -> None:
        def pick(combo: QComboBox) -> int | None:
            value = combo.currentData()
            return None if value is None else int(value)

        self.proxy.set_filters(structure_id=pick(self.f_structure), teacher_id=pick(self.f_teacher),
                               room_id=pick(self.f_room), day=pick(self.f_day),
                               text=self.f_text.text())  # fmt: skip
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        blocked = sum(1 for line in self.model.lines if not line.exportable)
        text = self.tr("{0} cours affichés sur {1}").format(shown, total)
        if blocked:
            text += self.tr(" — {0} non exportables vers STSWEB").format(blocked)
        self.count_label.setText(text)

    def _fill_grid_resources(self) -> None:
        kind = str(self.grid_kind.currentData())
        current = self.grid_resource.currentData()
        self.grid_resource.blockSignals(True)
        self.grid_resource.clear()
        for label, value in self._resources(kind):
            self.grid_resource.addItem(label, value)
        index = self.grid_resource.findData(current)
        self.grid_resource.setCurrentIndex(max(0, index))
        self.grid_resource.blockSignals(False)
        self._fill_grid()

    def _fill_grid(self) -> None:
        data = self.data
        value = self.grid_resource.currentData()
        if data is None or value is None:
            self.grid.set_blocks([])
            return
        kind, rid = str(self.grid_kind.currentData()), int(value)
        by_id = {line.id: line for line in self.model.lines}
        blocks = []
        for c in data.courses:
            if (kind == "structure" and c.structure_id != rid) or \
                    (kind == "teacher" and rid not in c.teacher_ids) or \
                    (kind == "room" and c.salle_id != rid):  # fmt: skip
                continue
            alternance = data.alternances[c.alternance_id]
            week = {ALT_A: WEEK_A, ALT_B: WEEK_B}.get(alternance.code)
            details = []
            if kind != "structure":
                details.append(data.structures[c.structure_id].code)
            if kind != "teacher":
                details.append(", ".join(data.teachers[t].label for t in c.teacher_ids))
            if kind != "room" and c.salle_id is not None:
                details.append(data.rooms[c.salle_id].code)
            line = by_id.get(c.id)
            tooltip = f"{data.subjects[c.matiere_id].label} — {alternance.libelle_long}"
            if line is not None and not line.exportable:
                tooltip += "\n" + self.tr("Non exportable : {0}").format(line.reason)
            blocks.append(GridBlock(
                c.id, c.day, c.start, c.duration, data.subjects[c.matiere_id].label,
                " · ".join(d for d in details if d),
                week, alternance.libelle_court if alternance.code != "H" else "",
                line.exportable if line else True, tooltip,
            ))  # fmt: skip
        self.grid.set_blocks(blocks)

    # -- buttons ---------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [int(self.proxy.index(row, 0).data(COURSE_ROLE)) for row in sorted(rows)]

    def _update_buttons(self) -> None:
        has_base = self.uai() is not None and self.data is not None
        idle = self.busy is None
        selection = bool(self.selected_ids()) if has_base else False
        self.add_button.setEnabled(has_base and idle and bool(self.data and self.data.subjects))
        self.edit_button.setEnabled(idle and len(self.selected_ids()) == 1)
        self.delete_button.setEnabled(idle and selection)
        self.import_button.setEnabled(self.uai() is not None and idle)
        self.demo_button.setVisible(self.demo)
        self.demo_button.setEnabled(self.uai() is not None and idle)

    def add_course(self) -> None:
        self._open_dialog(None)

    def edit_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.edit_course(ids[0])

    def edit_course(self, course_id: int) -> None:
        data = self.data
        course = next((c for c in data.courses if c.id == course_id), None) if data else None
        if course is not None:
            self._open_dialog(course)

    def _open_dialog(self, course: CourseRow | None) -> None:
        uai, data = self.uai(), self.data
        if uai is None or data is None:
            return
        self._dialog = CourseDialog(self.db, uai, data, course, self)
        self._dialog.open()

    def delete_selected(self) -> None:
        uai, ids = self.uai(), self.selected_ids()
        if uai is None or not ids:
            return
        question = (self.tr("Supprimer ce cours de l'emploi du temps ?") if len(ids) == 1 else
                    self.tr("Supprimer ces {0} cours de l'emploi du temps ?").format(len(ids)))
        if not dialogs.confirm(self, self.tr("Supprimer"), question):
            return
        db = self.db
        self._run(lambda _c: courses.delete_courses(db, uai, ids), self.tr("Suppression"),
                  lambda n: self.tr("{0} cours supprimé(s).").format(n),
                  announce=False)  # fmt: skip

    def import_timetable(self) -> None:
        uai = self.uai()
        if uai is None:
            return
        path = dialogs.open_file(
            self, self.tr("Importer un emploi du temps"),
            self.tr("Emploi du temps (*.xml *.zip *.csv);;Fichier EDT_STS (*.xml *.zip);;"
                    "Cours au format CSV (*.csv)"),
        )  # fmt: skip
        if not path:
            return
        if self.data is not None and self.data.courses and not dialogs.confirm(
            self, self.tr("Importer un emploi du temps"),
            self.tr("L'import remplace les {0} cours de l'année (une copie de la base est faite "
                    "avant). Continuer ?").format(len(self.data.courses)),
        ):  # fmt: skip
            return
        db = self.db

        def work(control: TaskControl) -> timetable_import.TimetableImport:
            return timetable_import.import_file(db, uai, path, cancel=control.cancel_event)

        self._run(work, self.tr("Import de l'emploi du temps"), self._import_text, progress=True)

    def load_demo(self) -> None:
        uai = self.uai()
        if uai is None:
            return
        db = self.db

        def work(_control: TaskControl) -> tuple[bool, timetable_import.TimetableImport]:
            # The demo timetable is built on the STS data: bring the demo's in first.
            fetched = edt.snapshot(db, uai).sts is None
            if fetched:
                retrieval.retrieve_demo(db, uai)
            return fetched, timetable_import.import_demo(db, uai)

        def text(result: tuple[bool, timetable_import.TimetableImport]) -> str:
            fetched, done = result
            prefix = self.tr("Données STSWEB de démonstration récupérées. ") if fetched else ""
            return prefix + self._import_text(done)

        self._run(work, self.tr("Emploi du temps de démonstration"), text, progress=True)

    def _import_text(self, done: timetable_import.TimetableImport) -> str:
        matched = sum(done.auto_matched.values())
        return self.tr("{0} cours importés ({1}) ; {2} correspondance(s) STSWEB établie(s) "
                       "automatiquement.").format(done.courses, done.source, matched)

    def _run(self, work: Any, title: str, success: Any, *, progress: bool = False,
             announce: bool = True) -> None:
        """One write at a time, off the GUI thread; the result is said, errors in French."""
        if self.busy is not None:
            return

        def done(result: Any, error: BaseException | None) -> None:
            self.busy = None
            self._update_buttons()
            hub.data_changed.emit(JOURNAL)
            if isinstance(error, UserCancelled):
                return
            if error is not None:
                dialogs.warning(self, title, failure_text(error, title))
                return
            hub.data_changed.emit(TIMETABLE)
            hub.data_changed.emit(STS)
            if announce:
                dialogs.information(self, title, success(result))

        self.busy = run_task(work, done, parent=self)
        if progress:
            self._progress = TaskProgressDialog(self.busy, title, self.tr("Veuillez patienter…"),
                                                self)  # fmt: skip
        self._update_buttons()
