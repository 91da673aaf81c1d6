"""The « Élèves » tab: every student of the base, searchable, with a detail pane.

The list is read off the GUI thread (a cité scolaire can hold several thousand
students, and on PostgreSQL the base is across the network); filtering and
sorting then happen in memory on plain tuples, because a Python
``QSortFilterProxyModel`` calling ``data()`` per row and per comparison would
cost far more than one list comprehension or one ``sorted``.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.models import Establishment
from app.errors import PasserelleError
from app.gui.hub import ESTABLISHMENTS, STUDENTS, YEAR, hub
from app.gui.table_model import Index, RecordTableModel
from app.gui.tasks import Task, TaskControl, run_task
from app.gui.views.empty_state import EmptyState
from app.services import base_admin
from app.services.students_import import (
    StudentDetail,
    StudentRow,
    divisions,
    list_students,
    student_detail,
)
from app.store.database import Database

log = logging.getLogger(__name__)


_LEFT_COLOUR = QColor("#8a8a8a")


def fold(text: str) -> str:
    """Case- and accent-insensitive form, so « helene » finds « Hélène »."""
    if text.isascii():  # most names: skip the (slow) per-character pass
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _natural(text: str | None) -> tuple[Any, ...]:
    """« 6A » < « 6B » < « 10A »: digits compare as numbers (division names)."""
    if not text:
        return ((1, ""),)  # empty last
    return tuple((0, int(p)) if p.isdigit() else (0, p) for p in re.split(r"(\d+)", fold(text)))


@dataclass(frozen=True, slots=True)
class _Keys:
    """Sort and search keys of one row, computed once per load, never per comparison."""

    search: str
    nom: str
    prenom: str
    division: tuple[Any, ...]
    regime: str


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def index_rows(rows: list[StudentRow]) -> dict[int, _Keys]:
    divisions: dict[str | None, tuple[Any, ...]] = {}
    folded: dict[str, str] = {}  # first names and surnames repeat a lot

    def f(text: str) -> str:
        value = folded.get(text)
        if value is None:
            value = folded[text] = fold(text)
        return value

    keys: dict[int, _Keys] = {}
    for r in rows:
        nom, prenom = f(r.nom), f(r.prenom)
        division = divisions.get(r.division)
        if division is None:
            division = divisions[r.division] = _natural(r.division)
        keys[r.id] = _Keys(f"{nom} {prenom} {(r.ine or '').casefold()}", nom, prenom, division,
                           f(r.regime or "\uffff"))  # fmt: skip
    return keys


@dataclass(frozen=True)
class StudentFilter:
    uai: str | None = None
    division: str | None = None
    search: str = ""  # already folded
    show_left: bool = True


@dataclass(frozen=True)
class _Snapshot:
    rows: list[StudentRow]
    keys: dict[int, _Keys]
    divisions: dict[str | None, list[str]]  # None: every establishment
    establishments: list[Establishment]


class StudentsModel(RecordTableModel):
    HEADERS = ("Nom", "Prénom", "Né(e) le", "INE", "Classe", "Régime", "Sorti(e) le")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[StudentRow] = []
        self._keys: dict[int, _Keys] = {}
        self._column_keys: dict[int, dict[int, Any]] = {}
        self._texts: dict[int, tuple[str, ...]] = {}
        self.rows: list[StudentRow] = []
        self.filter = StudentFilter()
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)
        # Totals under the current filter, left students included (for the count label).
        self.matching = 0
        self.matching_left = 0

    @property
    def total(self) -> int:
        return len(self._all)

    def set_rows(self, rows: list[StudentRow], keys: dict[int, _Keys] | None = None) -> None:
        """``keys`` from :func:`index_rows`, computed off the GUI thread when given."""
        self._all = rows
        self._keys = keys if keys is not None else index_rows(rows)
        self._column_keys = {}
        self._texts = {}
        self._refilter()

    def set_filter(self, student_filter: StudentFilter) -> None:
        if student_filter != self.filter:
            self.filter = student_filter
            self._refilter()

    def _refilter(self) -> None:
        f = self.filter
        words = f.search.split()
        keys = self._keys
        matching = [
            row
            for row in self._all
            if (f.uai is None or row.uai == f.uai)
            and (f.division is None or row.division == f.division)
            and all(w in keys[row.id].search for w in words)
        ]
        self.matching = len(matching)
        self.matching_left = sum(1 for r in matching if r.sorti_le is not None)
        visible = matching if f.show_left else [r for r in matching if r.sorti_le is None]
        self.beginResetModel()
        self.rows = self._sorted(visible)
        self.endResetModel()

    def _column_key(self, column: int) -> dict[int, Any]:
        """Sort key of every row for ``column``, built on first use after a load."""
        cached = self._column_keys.get(column)
        if cached is not None:
            return cached
        k = self._keys
        key: Callable[[StudentRow], Any]
        if column == 0:
            key = lambda r: (k[r.id].nom, k[r.id].prenom)  # noqa: E731
        elif column == 1:
            key = lambda r: (k[r.id].prenom, k[r.id].nom)  # noqa: E731
        elif column == 2:
            key = lambda r: (r.date_naissance or dt.date.max, k[r.id].nom)  # noqa: E731
        elif column == 3:
            key = lambda r: (r.ine or "\uffff", k[r.id].nom)  # noqa: E731
        elif column == 4:
            key = lambda r: (k[r.id].division, k[r.id].nom, k[r.id].prenom)  # noqa: E731
        elif column == 5:
            key = lambda r: (k[r.id].regime, k[r.id].nom)  # noqa: E731
        else:
            key = lambda r: (r.sorti_le or dt.date.max, k[r.id].nom)  # noqa: E731
        keys = self._column_keys[column] = {r.id: key(r) for r in self._all}
        return keys

    def _sorted(self, rows: list[StudentRow]) -> list[StudentRow]:
        column, order = self._sort
        keys = self._column_key(column)
        return sorted(rows, key=lambda r: keys[r.id],
                      reverse=order == Qt.SortOrder.DescendingOrder)  # fmt: skip

    # Qt model API --------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if (column, order) == self._sort:
            return  # QTableView.sortByColumn asks twice; the rows are kept sorted
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        self.rows = self._sorted(self.rows)
        self.layoutChanged.emit()

    def record_count(self) -> int:
        return len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            # data() runs for every visible cell and role at each repaint:
            # format a row once, not once per cell.
            texts = self._texts.get(row.id)
            if texts is None:
                texts = self._texts[row.id] = (
                    row.nom,
                    row.prenom,
                    _date(row.date_naissance),
                    row.ine or "",
                    row.division or "",
                    row.regime or "",
                    _date(row.sorti_le),
                )
            return texts[index.column()]
        if row.sorti_le is not None:
            if role == Qt.ItemDataRole.ForegroundRole:
                return _LEFT_COLOUR
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.tr("Sorti(e) de l'établissement le {0}").format(_date(row.sorti_le))
        return None

    def row_of(self, student_id: int) -> int:
        for i, row in enumerate(self.rows):
            if row.id == student_id:
                return i
        return -1


def _load(db: Database) -> _Snapshot:
    establishments = base_admin.establishments(db)
    by_uai: dict[str | None, list[str]] = {None: divisions(db)}
    for establishment in establishments:
        by_uai[establishment.uai] = divisions(db, establishment.uai)
    rows = list_students(db)
    return _Snapshot(rows, index_rows(rows), by_uai, establishments)


class StudentsView(QWidget):
    """The tab. ``loaded`` fires after each (re)load has reached the widgets."""

    loaded = Signal()
    detail_shown = Signal(int)

    def __init__(
        self,
        db: Database,
        parent: QWidget | None = None,
        *,
        on_import: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._load_task: Task | None = None
        self._reload_pending = False
        self._detail_task: Task | None = None
        self._detail_id: int | None = None
        self._divisions: dict[str | None, list[str]] = {None: []}
        self.snapshot: _Snapshot | None = None

        self.model = StudentsModel(self)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Nom, prénom ou INE"))
        self.search.setToolTip(self.tr("Rechercher un nom, un prénom ou un INE"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.establishment = QComboBox()
        self.establishment.setMinimumContentsLength(18)
        self.establishment_label = QLabel(self.tr("Établissement :"))
        self.division = QComboBox()
        self.division.setMinimumContentsLength(8)
        self.show_left = QCheckBox(self.tr("Afficher les élèves sortis"))
        self.show_left.setChecked(True)
        self.count = QLabel()
        self.count.setObjectName("compte_eleves")

        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.establishment_label)
        filters.addWidget(self.establishment)
        filters.addWidget(QLabel(self.tr("Classe :")))
        filters.addWidget(self.division)
        filters.addWidget(self.show_left)
        filters.addStretch(1)
        filters.addWidget(self.count)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        # Fixed row heights: Qt then never measures rows, which keeps a
        # several-thousand-row reset well under a frame.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((160, 140, 90, 110, 70, 150, 90)):
            self.table.setColumnWidth(column, width)

        self.detail = QTextBrowser()
        self.detail.setObjectName("fiche_eleve")
        self.detail.setOpenLinks(False)
        self.detail.setMinimumWidth(300)
        self.detail.setPlaceholderText(self.tr("Sélectionnez un élève pour voir sa fiche."))

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        list_page = QWidget()
        list_layout = QVBoxLayout(list_page)
        list_layout.addLayout(filters)
        list_layout.addWidget(splitter, 1)

        self.empty = EmptyState(
            self.tr("Aucun élève dans la base"),
            self.tr("Récupérez les élèves depuis SIECLE : « Fichier &gt; IMPORTS/EXPORTS &gt; "
                    "SIECLE &gt; Récupérer les données des élèves », par NetSynchro ou à partir "
                    "des fichiers exportés de SIECLE."),
        )
        empty_page = QWidget()
        empty_layout = QVBoxLayout(empty_page)
        empty_layout.addWidget(self.empty, 1)
        self.import_button = QPushButton(self.tr("Récupérer les données des élèves…"))
        self.import_button.setVisible(on_import is not None)
        if on_import is not None:
            self.import_button.clicked.connect(lambda: on_import())
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.import_button)
        button_row.addStretch(1)
        empty_layout.addLayout(button_row)
        empty_layout.addStretch(1)

        self.loading = QLabel(self.tr("Chargement des élèves…"))
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.loading)  # 0
        self.stack.addWidget(empty_page)  # 1
        self.stack.addWidget(list_page)  # 2
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.search.textChanged.connect(self._apply_filter)
        self.establishment.currentIndexChanged.connect(self._establishment_changed)
        self.division.currentIndexChanged.connect(self._apply_filter)
        self.show_left.toggled.connect(self._apply_filter)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        hub.data_changed.connect(self._on_data_changed)
        self.reload()

    # Loading ---------------------------------------------------------------------

    @property
    def is_loading(self) -> bool:
        return self._load_task is not None

    def _on_data_changed(self, topic: str) -> None:
        if topic in (STUDENTS, ESTABLISHMENTS, YEAR):
            self.reload()

    def reload(self) -> None:
        if self._load_task is not None:
            # One read at a time; the latest state is read once this one ends.
            self._reload_pending = True
            return
        db = self._db
        self._load_task = run_task(lambda _control: _load(db), self._loaded, parent=self)

    def _loaded(self, result: object, error: BaseException | None) -> None:
        self._load_task = None
        if self._reload_pending:
            self._reload_pending = False
            self.reload()
            return
        if error is not None:
            if isinstance(error, PasserelleError):
                # The base may be unreachable for a moment (shared PostgreSQL):
                # say so in place of the list; the next change retries.
                self.loading.setText(error.message)
                self.stack.setCurrentIndex(0)
                self.loaded.emit()
                return
            sys.excepthook(type(error), error, error.__traceback__)
            return
        assert isinstance(result, _Snapshot)
        self._show_snapshot(result)
        self.loaded.emit()

    def _show_snapshot(self, snapshot: _Snapshot) -> None:
        self.snapshot = snapshot
        self._divisions = snapshot.divisions
        # Forget the shown student so its detail is read again: an import may
        # have just changed it.
        selected, self._detail_id = self._detail_id, None
        self._fill_establishments(snapshot.establishments)
        self._fill_divisions()
        self.model.set_rows(snapshot.rows, snapshot.keys)
        self._apply_filter()
        self.stack.setCurrentIndex(2 if snapshot.rows else 1)
        if selected is None or not self.select_student(selected):
            self._show_detail(None)

    def _fill_establishments(self, establishments: list[Establishment]) -> None:
        current = self.establishment.currentData()
        self.establishment.blockSignals(True)
        self.establishment.clear()
        self.establishment.addItem(self.tr("Tous les établissements"), None)
        for establishment in establishments:
            self.establishment.addItem(establishment.label, establishment.uai)
        index = self.establishment.findData(current) if current is not None else 0
        self.establishment.setCurrentIndex(max(index, 0))
        self.establishment.blockSignals(False)
        # Only a cité scolaire needs the choice.
        several = len(establishments) > 1
        self.establishment.setVisible(several)
        self.establishment_label.setVisible(several)

    def _fill_divisions(self) -> None:
        current = self.division.currentData()
        names = self._divisions.get(self.establishment.currentData(), [])
        self.division.blockSignals(True)
        self.division.clear()
        self.division.addItem(self.tr("Toutes"), None)
        for name in names:
            self.division.addItem(name, name)
        index = self.division.findData(current) if current is not None else 0
        self.division.setCurrentIndex(max(index, 0))
        self.division.blockSignals(False)

    # Filtering -------------------------------------------------------------------

    def _establishment_changed(self) -> None:
        self._fill_divisions()
        self._apply_filter()

    def _apply_filter(self) -> None:
        selected = self._selected_id()
        self.model.set_filter(
            StudentFilter(
                uai=self.establishment.currentData(),
                division=self.division.currentData(),
                search=fold(self.search.text().strip()),
                show_left=self.show_left.isChecked(),
            )
        )
        self._update_count()
        if selected is not None and not self.select_student(selected):
            self._show_detail(None)

    def _update_count(self) -> None:
        total, left = self.model.matching, self.model.matching_left
        if self.model.total and not total:
            self.count.setText(self.tr("Aucun élève ne correspond"))
            return
        students = (self.tr("1 élève") if total == 1
                    else self.tr("{0} élèves").format(total))  # fmt: skip
        if not left:
            self.count.setText(students)
        elif self.show_left.isChecked():
            lefts = self.tr("1 sorti") if left == 1 else self.tr("{0} sortis").format(left)
            self.count.setText(self.tr("{0} ({1})").format(students, lefts))
        else:
            shown = total - left
            students = (self.tr("1 élève affiché") if shown == 1
                        else self.tr("{0} élèves affichés").format(shown))  # fmt: skip
            lefts = (self.tr("1 sorti masqué") if left == 1
                     else self.tr("{0} sortis masqués").format(left))  # fmt: skip
            self.count.setText(self.tr("{0} ({1})").format(students, lefts))

    # Selection and detail ----------------------------------------------------------

    def _selected_id(self) -> int | None:
        return self._detail_id

    def select_student(self, student_id: int) -> bool:
        row = self.model.row_of(student_id)
        if row < 0:
            return False
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        if self._detail_id != student_id:
            self._show_detail(student_id)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            student_id = self.model.rows[current.row()].id
            if student_id != self._detail_id:
                self._show_detail(student_id)

    def _show_detail(self, student_id: int | None) -> None:
        self._detail_id = student_id
        if self._detail_task is not None:
            self._detail_task.cancel()
            self._detail_task = None
        if student_id is None:
            self.detail.clear()
            return
        db = self._db

        def work(_control: TaskControl) -> StudentDetail:
            return student_detail(db, student_id)

        def done(result: object, error: BaseException | None) -> None:
            if self._detail_id != student_id:
                return  # the user moved on; a newer request is on its way
            self._detail_task = None
            if isinstance(error, PasserelleError):
                self.detail.setPlainText(error.message)
            elif error is not None:
                sys.excepthook(type(error), error, error.__traceback__)
            else:
                assert isinstance(result, StudentDetail)
                self.detail.setHtml(self._detail_html(result))
                self.detail_shown.emit(student_id)

        self._detail_task = run_task(work, done, parent=self)

    def _detail_html(self, d: StudentDetail) -> str:
        def e(value: object) -> str:
            return html.escape(str(value))

        def line(label: str, value: object | None) -> str:
            if value in (None, ""):
                return ""
            return (f"<tr><td style='color:#555;padding-right:12px'>{e(label)}</td>"
                    f"<td>{e(value)}</td></tr>")  # fmt: skip

        def items(values: list[str], none: str) -> str:
            if not values:
                return f"<p style='color:#777'>{e(none)}</p>"
            listed = "".join(f"<li>{e(v)}</li>" for v in values)
            return f"<ul style='margin-top:0'>{listed}</ul>"

        row = d.row
        parts = [f"<h3>{e(row.nom)} {e(row.prenom)}</h3>"]
        if row.sorti_le is not None:
            motif = f" ({d.motif_sortie})" if d.motif_sortie else ""
            left = self.tr("Sorti(e) le {0}").format(_date(row.sorti_le)) + motif
            parts.append(f"<p style='color:#a86200'><b>{e(left)}</b></p>")
        parts.append("<table>")
        parts += [
            line(self.tr("Né(e) le"), _date(row.date_naissance)),
            line(self.tr("Sexe"), d.sexe),
            line(self.tr("INE"), row.ine),
            line(self.tr("Identifiant SIECLE"), row.eleve_id),
            line(self.tr("Établissement"), row.uai),
            line(self.tr("Classe"), row.division),
            line(self.tr("MEF"), d.mef),
            line(self.tr("Régime"), row.regime),
            line(self.tr("Statut"), d.statut),
            line(self.tr("Entré(e) le"), _date(d.date_entree)),
            line(self.tr("Adresse"), d.adresse),
        ]
        parts.append("</table>")
        parts.append(f"<h4>{e(self.tr('Responsables'))}</h4>")
        if not d.responsables:
            parts.append(f"<p style='color:#777'>{e(self.tr('Aucun responsable connu.'))}</p>")
        for r in d.responsables:
            name = " ".join(x for x in (r.civilite, r.nom, r.prenom) if x)
            role = ", ".join(x for x in (r.lien, r.niveau) if x)
            parts.append(f"<p style='margin-bottom:0'><b>{e(name)}</b>"
                         + (f" — {e(role)}" if role else "") + "</p><table>")  # fmt: skip
            parts += [
                line(self.tr("Téléphone"), r.telephone),
                line(self.tr("Mél"), r.mel),
                line(self.tr("Adresse"), r.adresse),
                line(self.tr("Paie les frais scolaires"), self._yes_no(r.paie_frais)),
            ]
            parts.append("</table>")
        parts.append(f"<h4>{e(self.tr('Options'))}</h4>")
        parts.append(items(d.options, self.tr("Aucune option.")))
        parts.append(f"<h4>{e(self.tr('Groupes'))}</h4>")
        parts.append(items(d.groupes, self.tr("Aucun groupe.")))
        parts.append(f"<h4>{e(self.tr('Historique des classes'))}</h4>")
        parts.append(items(d.historique, self.tr("Aucun historique.")))
        return "".join(parts)

    def _yes_no(self, value: bool | None) -> str | None:
        if value is None:
            return None
        return self.tr("oui") if value else self.tr("non")
