"""Refresh the views when another PC changes the shared base.

Every ~2 s a background task (app.gui.tasks) asks the ChangeWatcher which
topics changed; the answer comes back on the GUI thread and becomes
``hub.data_changed(topic)``, which the views already listen to. The database
read never runs on the GUI thread, and a slow server never stacks polls: the
next one starts only after the previous answer.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from app.errors import PasserelleError
from app.gui.hub import hub
from app.gui.tasks import Task, TaskControl, run_task
from app.services.changes import SHARED_TOPICS, ChangeWatcher
from app.store.database import Database

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_MS = 2000


class ChangePoller(QObject):
    def __init__(
        self, db: Database, parent: QObject | None = None, *,
        interval_ms: int = DEFAULT_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._watcher = ChangeWatcher(db)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._task: Task | None = None
        self._stopped = True
        self._lost = False
        self._failing = False
        self._primed = False

    def start(self) -> None:
        self._stopped = False
        self._timer.start()
        self._tick()  # take the reference state now, not one interval later

    def stop(self) -> None:
        """Stop polling; an answer still on its way is ignored."""
        self._stopped = True
        self._timer.stop()

    @property
    def running(self) -> bool:
        return not self._stopped

    @property
    def ready(self) -> bool:
        """True once the reference state is taken: later commits will be reported."""
        return self._primed

    def _tick(self) -> None:
        if self._stopped or self._task is not None:
            return
        self._task = run_task(self._poll, self._on_done)

    def _poll(self, _control: TaskControl) -> set[str] | None:
        # First run: take the reference state the views have just loaded.
        if not self._primed:
            self._watcher.prime()
            self._primed = True
            return set()
        return self._watcher.poll()

    def _on_done(self, result: object, error: BaseException | None) -> None:
        self._task = None
        if self._stopped:
            return
        if isinstance(error, PasserelleError):
            # Server unreachable: say it once; the counters survive the outage.
            if not self._lost:
                self._lost = True
                hub.status_message.emit(error.message)
            return
        if error is not None:
            if not self._failing:
                # A bug, not a network fault: log it once, not every 2 s.
                self._failing = True
                log.error("change poll failed: %s", type(error).__name__)
            return
        self._failing = False
        if self._lost:
            self._lost = False
            hub.status_message.emit(self.tr("Connexion à la base rétablie."))
        topics = set(SHARED_TOPICS) if result is None else result
        assert isinstance(topics, set)
        for topic in sorted(topics):
            hub.data_changed.emit(topic)
