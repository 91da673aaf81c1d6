"""The background-task helper: results, errors and cancellation on the GUI thread."""

from __future__ import annotations

import threading
import time

from pytestqt.qtbot import QtBot

from app.errors import UserCancelled
from app.gui.tasks import TaskControl, run_task


def test_result_and_progress_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    gui_thread = threading.current_thread()
    seen: list[tuple[object, object, threading.Thread]] = []
    progress: list[tuple[int, int, str]] = []
    worker_threads: list[threading.Thread] = []

    def work(control: TaskControl) -> int:
        worker_threads.append(threading.current_thread())
        for i in range(3):
            control.progress(i + 1, 3, f"étape {i + 1}")
        return 42

    task = run_task(work, lambda r, e: seen.append((r, e, threading.current_thread())),
                    on_progress=lambda d, t, s: progress.append((d, t, s)))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen[0][:2] == (42, None)
    assert seen[0][2] is gui_thread
    assert worker_threads[0] is not gui_thread
    assert progress[-1] == (3, 3, "étape 3")
    assert not task.running


def test_errors_come_back_as_values(qtbot: QtBot) -> None:
    seen: list[tuple[object, object]] = []

    def work(_control: TaskControl) -> None:
        raise ValueError("boom")

    run_task(work, lambda r, e: seen.append((r, e)))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert isinstance(seen[0][1], ValueError)


def test_cancel_stops_the_work(qtbot: QtBot) -> None:
    seen: list[tuple[object, object]] = []
    started = threading.Event()

    def work(control: TaskControl) -> str:
        started.set()
        for _ in range(500):
            control.check()
            time.sleep(0.01)
        return "fini"

    task = run_task(work, lambda r, e: seen.append((r, e)))
    assert started.wait(5)
    task.cancel()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert isinstance(seen[0][1], UserCancelled)
