"""« Journal des échanges »: every exchange, newest first, read-only."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.models import JournalEntry, JournalResult
from app.gui.hub import hub
from app.gui.table_model import Index, RecordTableModel
from app.gui.views.empty_state import EmptyState
from app.services import journal
from app.store.database import Database


class JournalModel(RecordTableModel):
    HEADERS = ("Date", "Établissement", "Échange", "Résultat", "Résumé", "Poste")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[JournalEntry] = []

    def set_entries(self, entries: list[JournalEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def record_count(self) -> int:
        return len(self.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                entry.horodatage.astimezone().strftime("%d/%m/%Y %H:%M:%S"),
                entry.uai or "—",
                entry.nature_label,
                entry.resultat_label,
                entry.resume,
                entry.poste,
            )[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 3:
            if entry.resultat == JournalResult.FAILURE:
                return QColor("#b00020")
            if entry.resultat == JournalResult.WARNING:
                return QColor("#a86200")
        return None


class JournalView(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.model = JournalModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setResizeContentsPrecision(200)
        self._columns_fitted = False
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText(self.tr("Sélectionnez un échange pour voir son détail."))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        table_page = QWidget()
        page_layout = QVBoxLayout(table_page)
        page_layout.addWidget(QLabel(self.tr("Chaque échange est enregistré ici ; le journal ne "
                                             "se modifie pas.")))
        page_layout.addWidget(splitter)
        self.empty = EmptyState(
            self.tr("Aucun échange pour l'instant"),
            self.tr("Les imports SIECLE et STSWEB, les envois vers STSWEB, les certificats et "
                    "les copies de la base apparaîtront ici, avec leur résultat."),
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(table_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.table.selectionModel().currentRowChanged.connect(self._show_details)
        hub.data_changed.connect(self._on_data_changed)
        self.refresh()

    def _on_data_changed(self, topic: str) -> None:
        self.refresh()

    def refresh(self) -> None:
        # The journal is small and indexed; reading it is well under a frame.
        self.model.set_entries(journal.entries(self._db, limit=2000))
        self.stack.setCurrentIndex(1 if self.model.entries else 0)
        if self.model.entries and not self._columns_fitted:
            self.table.resizeColumnsToContents()
            self._columns_fitted = True

    def _show_details(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.details.clear()
            return
        entry = self.model.entries[current.row()]
        lines = [
            entry.resume,
            "",
            self.tr("Date : {0}").format(
                entry.horodatage.astimezone().strftime("%d/%m/%Y %H:%M:%S")
            ),
            self.tr("Poste : {0}").format(entry.poste or "—"),
            self.tr("Résultat : {0}").format(entry.resultat_label),
        ]
        if entry.details:
            lines.append("")
            lines.extend(readable_details(entry.details))
        self.details.setPlainText("\n".join(lines))


def _label(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def readable_details(details: Any, depth: int = 0) -> list[str]:
    """The journal's details as indented « Clé : valeur » lines, not raw JSON."""
    indent = "    " * depth
    lines: list[str] = []
    if isinstance(details, dict):
        for key, value in details.items():
            if isinstance(value, dict | list) and value:
                lines.append(f"{indent}{_label(str(key))} :")
                lines.extend(readable_details(value, depth + 1))
            else:
                shown = "—" if value == [] else _value(value)
                lines.append(f"{indent}{_label(str(key))} : {shown}")
    elif isinstance(details, list):
        for item in details:
            if isinstance(item, dict | list):
                lines.extend(readable_details(item, depth))
                lines.append("")
            else:
                lines.append(f"{indent}• {_value(item)}")
    else:
        lines.append(f"{indent}{_value(details)}")
    return lines

