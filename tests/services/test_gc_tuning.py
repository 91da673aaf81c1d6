"""The import's garbage-collector thresholds are raised while it runs and restored after."""

from __future__ import annotations

import gc
import threading

from app.services.gc_tuning import THRESHOLDS, fewer_collections


def test_thresholds_are_raised_then_restored_even_on_error() -> None:
    before = gc.get_threshold()
    try:
        with fewer_collections():
            assert gc.get_threshold() == THRESHOLDS
            raise RuntimeError("import failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_overlapping_imports_restore_when_the_last_one_ends() -> None:
    before = gc.get_threshold()
    first_in = threading.Event()
    second_in = threading.Event()
    first_out = threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with fewer_collections():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with fewer_collections():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.get_threshold())  # the first import has ended meanwhile

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [THRESHOLDS]
    assert gc.get_threshold() == before
