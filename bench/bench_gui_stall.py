"""Event-loop stalls while 5,000 students are imported through the window.

The import window's own code path (add the files, « Importer », « Valider
l'import ») runs against a real SQLite base while a QTimer ticks every 10 ms;
the longest gap between two ticks is how long the GUI could not repaint or
react. Target: ≤ 100 ms. The « Élèves » tab is open too, since it reloads
after the import. Run with ``QT_QPA_PLATFORM=offscreen .venv/bin/python -m
bench gui_stall``; the table is printed, nothing is asserted.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

N_STUDENTS = 5_000
UAI = "0750654D"
YEAR = 2026
TARGET_MS = 100.0


class _Ticker:
    """Records the gaps between the ticks of a 10 ms timer, phase by phase."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def start(self) -> None:
        self.gaps = []
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> list[float]:
        self._timer.stop()
        # The time from the last tick to the end counts as a gap too.
        self.gaps.append(time.perf_counter() - self._last)
        return self.gaps


def _wait_for(
    signals: list[SignalInstance], action: Callable[[], None], timeout_s: float = 600
) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    for signal in signals:
        signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    QTimer.singleShot(0, action)
    loop.exec()
    for signal in signals:
        signal.disconnect(loop.quit)


def main() -> None:
    """Two fresh interpreters: as the application starts today, and with the
    start-up objects frozen out of the garbage collector (``gc.freeze()``).

    The long stalls are full (generation 2) collections: they stop every
    thread, and the application's ~100,000 start-up objects (Qt bindings,
    SQLAlchemy, the modules) make each one cost 100-250 ms here.
    """
    for freeze in (False, True):
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        code = f"from bench.bench_gui_stall import run; run(freeze={freeze})"
        subprocess.run([sys.executable, "-c", code], env=env, check=True)


def run(*, freeze: bool) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="passerelle-bench-") as tmp:
        os.environ["PASSERELLE_DATA_DIR"] = str(Path(tmp) / "donnees")
        _run(Path(tmp), freeze)


def _run(tmp: Path, freeze: bool) -> None:
    from PySide6.QtWidgets import QApplication

    from app.demo.siecle import write_siecle
    from app.gui.dialogs import dialogs
    from app.gui.students_import_window import StudentsImportWindow
    from app.gui.views.students_view import StudentsView
    from app.services import base_admin
    from app.services.context import open_context

    app = QApplication.instance() or QApplication([])
    ctx = open_context(f"sqlite:///{tmp / 'bench.db'}")
    base_admin.set_school_year(ctx.db, YEAR)
    base_admin.add_establishment(ctx.db, UAI, "Collège du banc d'essai")
    files = [Path(p) for p in write_siecle(tmp / "siecle", UAI, YEAR, N_STUDENTS, 3,
                                           zipped=True).values()]  # fmt: skip
    failures: list[str] = []
    # No modal box may open during a benchmark: record instead.
    setattr(dialogs, "error", lambda _p, _t, text, details="": failures.append(text))  # noqa: B010

    view = StudentsView(ctx.db)
    view.resize(1000, 700)
    view.show()
    window = StudentsImportWindow(ctx.db)
    window.show()
    _wait_for([window.files_checked], lambda: window.add_files(files))
    if freeze:
        # What the application would do once its main window is shown.
        gc.collect()
        gc.freeze()

    ticker = _Ticker()
    rows: list[tuple[str, float, list[float]]] = []

    def phase(label: str, signals: list[SignalInstance], action: Callable[[], None]) -> None:
        ticker.start()
        started = time.perf_counter()
        _wait_for(signals, action)
        elapsed = time.perf_counter() - started
        rows.append((label, elapsed, ticker.stop()))
        if failures:
            raise SystemExit(f"Échec de l'import : {failures[-1]}")

    for run in ("1er import", "2e import (inchangé)"):
        phase(f"{run} : préparation", [window.preview_ready, window.back_to_choice],
              window.import_button.click)  # fmt: skip
        phase(f"{run} : enregistrement", [window.import_done, window.back_to_choice],
              window.validate_button.click)  # fmt: skip
        if view.is_loading:
            phase(f"{run} : rechargement de l'onglet", [view.loaded], lambda: None)
        window.new_import_button.click()

    assert view.model.total == N_STUDENTS, view.model.total
    mode = "avec gc.freeze() après le démarrage" if freeze else "démarrage actuel"
    print(f"{N_STUDENTS} élèves, fenêtre d'import + onglet Élèves, minuterie de 10 ms ({mode})")
    print(f"{'phase':<44} {'durée':>8} {'tops':>6} {'écart max':>10} {'p99':>8}")
    worst = 0.0
    for label, elapsed, gaps in rows:
        ordered = sorted(gaps)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        worst = max(worst, ordered[-1])
        print(f"{label:<44} {elapsed:>7.2f}s {len(gaps):>6} "
              f"{ordered[-1] * 1000:>8.0f}ms {p99 * 1000:>6.0f}ms")  # fmt: skip
    verdict = "atteint" if worst * 1000 <= TARGET_MS else "NON atteint"
    print(f"écart maximal : {worst * 1000:.0f} ms (objectif ≤ {TARGET_MS:.0f} ms : {verdict})")
    window.close()
    view.close()
    ctx.close()
    del app
