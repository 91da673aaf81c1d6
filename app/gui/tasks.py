"""The one background-task helper: run a function off the GUI thread.

The function receives a :class:`TaskControl` to report progress and to check
for cancellation; its result or exception comes back on the GUI thread through
queued signals. Workers never touch widgets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from app.errors import UserCancelled

log = logging.getLogger(__name__)


class TaskControl:
    """Handed to the background function: progress out, cancellation in."""

    def __init__(self, signals: _TaskSignals) -> None:
        self._signals = signals
        self.cancel_event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise UserCancelled()

    def progress(self, done: int, total: int | None = None, text: str = "") -> None:
        self._signals.progress.emit(int(done), -1 if total is None else int(total), text)


class _TaskSignals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object, object)  # (result, error)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[TaskControl], Any], control: TaskControl,
                 signals: _TaskSignals) -> None:
        super().__init__()
        self._fn = fn
        self._control = control
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._fn(self._control)
        except BaseException as exc:  # delivered to the GUI thread, never lost
            if not isinstance(exc, UserCancelled):
                log.debug("background task failed", exc_info=True)
            self._signals.finished.emit(None, exc)
        else:
            self._signals.finished.emit(result, None)


class Task(QObject):
    """A running background job; keep a reference until ``done`` fires."""

    progress = Signal(int, int, str)
    done = Signal(object, object)  # (result, error) on the GUI thread

    def __init__(self, fn: Callable[[TaskControl], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._signals = _TaskSignals()
        self.control = TaskControl(self._signals)
        self._signals.progress.connect(self.progress)
        self._signals.finished.connect(self._on_finished)
        self._runnable = _Runnable(fn, self.control, self._signals)
        self._runnable.setAutoDelete(False)
        self.running = False

    def start(self, pool: QThreadPool | None = None) -> Task:
        self.running = True
        _active.add(self)
        (pool or QThreadPool.globalInstance()).start(self._runnable)
        return self

    def cancel(self) -> None:
        self.control.cancel_event.set()

    @Slot(object, object)
    def _on_finished(self, result: object, error: object) -> None:
        self.running = False
        _active.discard(self)
        self.done.emit(result, error)


# Tasks stay alive while they run even if the caller drops its reference.
_active: set[Task] = set()


def run_task(
    fn: Callable[[TaskControl], Any],
    on_done: Callable[[Any, BaseException | None], None],
    *,
    on_progress: Callable[[int, int, str], None] | None = None,
    parent: QObject | None = None,
) -> Task:
    task = Task(fn, parent)
    task.done.connect(on_done)
    if on_progress is not None:
        task.progress.connect(on_progress)
    return task.start()
