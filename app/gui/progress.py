"""A progress dialog bound to a background Task, with a working cancel button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.gui.tasks import Task


class TaskProgressDialog(QProgressDialog):
    """Shows a task's progress; « Annuler » asks the task to stop."""

    def __init__(self, task: Task, title: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(label, self.tr("Annuler"), 0, 0, parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(300)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self._task = task
        self.canceled.connect(self._cancel)
        task.progress.connect(self._on_progress)
        task.done.connect(lambda *_: self.close())

    def _cancel(self) -> None:
        self.setLabelText(self.tr("Annulation en cours…"))
        self._task.cancel()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            # QProgressDialog takes ints; scale large byte counts down.
            scale = max(1, total // 1_000_000)
            self.setMaximum(total // scale)
            self.setValue(min(done // scale, total // scale))
        else:
            self.setMaximum(0)
        if text and not self.wasCanceled():
            self.setLabelText(text)
