"""Every modal dialog behind one seam, so tests replace them without exec().

Tests monkeypatch the functions of the module-level ``dialogs`` object (or the
object itself) to answer instead of the user.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget


def _tr(text: str) -> str:
    return QCoreApplication.translate("Dialogues", text)


class DialogService:
    def open_file(
        self, parent: QWidget | None, title: str, filters: str, directory: str = ""
    ) -> str:
        path, _ = QFileDialog.getOpenFileName(parent, title, directory, filters)
        return path

    def open_files(
        self, parent: QWidget | None, title: str, filters: str, directory: str = ""
    ) -> list[str]:
        paths, _ = QFileDialog.getOpenFileNames(parent, title, directory, filters)
        return list(paths)

    def save_file(
        self, parent: QWidget | None, title: str, filters: str, suggested: str = ""
    ) -> str:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
        return path

    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        answer = QMessageBox.question(
            parent,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def information(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def warning(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.warning(parent, title, text)

    def error(self, parent: QWidget | None, title: str, text: str, details: str = "") -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok,
                          parent)
        if details:
            box.setDetailedText(details)
        box.exec()

    def ask_text(
        self, parent: QWidget | None, title: str, label: str, *, secret: bool = False
    ) -> str | None:
        mode = QLineEdit.EchoMode.Password if secret else QLineEdit.EchoMode.Normal
        text, ok = QInputDialog.getText(parent, title, label, mode)
        return text if ok else None


dialogs = DialogService()
