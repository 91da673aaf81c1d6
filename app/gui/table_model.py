"""The base of the flat, read-only tables (import changes and anomalies, students, journal,
courses): row and column counts and the French column titles, written once."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()


class RecordTableModel(QAbstractTableModel):
    """One row per record, one column per entry of ``HEADERS`` (French, through ``tr``).

    Subclasses give :meth:`record_count` and ``data``.
    """

    HEADERS: tuple[str, ...] = ()

    def record_count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else self.record_count()

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.HEADERS[section])
        return None
