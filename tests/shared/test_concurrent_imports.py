"""Several processes (standing for several PCs) importing into one base, on both engines."""

from __future__ import annotations

import signal
import socket
import threading

import pytest

from app.domain.models import JournalKind, JournalResult
from app.services import journal
from app.services.context import AppContext
from app.services.exclusive import ExclusiveUseError, current_holder, exclusive_use

from .conftest import UAI, Worker, tagged_rows

ROWS = 40


def _imports(ctx: AppContext) -> list[str]:
    return [e.resultat for e in journal.entries(ctx.db) if e.nature == JournalKind.SIECLE_IMPORT]


def test_two_imports_at_once_one_is_refused_one_waits(
    ctx: AppContext, workers: list[Worker]
) -> None:
    first = Worker(ctx.db.url, rows=ROWS, wait=0, tag="a", pause=True)
    workers.append(first)
    first.expect("HALF")

    refused = Worker(ctx.db.url, rows=ROWS, wait=0, tag="b", pause=False)
    workers.append(refused)
    answer = refused.result()
    assert answer["ok"] is False
    assert answer["code"] == "USAGE_EXCLUSIF"
    assert answer["message"].startswith(
        f"Import SIECLE en cours sur le poste {socket.gethostname()[:120]}"
    )
    assert " depuis " in answer["message"]

    patient = Worker(ctx.db.url, rows=ROWS, wait=120, tag="c", pause=False)
    workers.append(patient)
    patient.expect("WAITING")  # it really found the data held
    first.go()
    assert first.result() == {"ok": True}
    assert patient.result() == {"ok": True}

    assert (tagged_rows(ctx.db, "a"), tagged_rows(ctx.db, "b"), tagged_rows(ctx.db, "c")) == (
        ROWS, 0, ROWS)
    assert _imports(ctx) == [JournalResult.SUCCESS, JournalResult.SUCCESS]
    assert current_holder(ctx.db, UAI) is None


def test_reader_sees_before_or_after_never_half(ctx: AppContext, workers: list[Worker]) -> None:
    seen: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.append(tagged_rows(ctx.db, "r"))

    writer = Worker(ctx.db.url, rows=ROWS, wait=0, tag="r", pause=True)
    workers.append(writer)
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        writer.expect("HALF")
        # Half the rows are written but not committed: the other PC sees none.
        assert tagged_rows(ctx.db, "r") == 0
        assert [e.nature for e in journal.entries(ctx.db)] == []
        writer.go()
        assert writer.result() == {"ok": True}
    finally:
        stop.set()
        thread.join(60)
    assert seen, "the reader never ran"
    assert set(seen) <= {0, ROWS}
    assert tagged_rows(ctx.db, "r") == ROWS
    assert _imports(ctx) == [JournalResult.SUCCESS]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_killed_holder_releases_the_lock(ctx: AppContext, workers: list[Worker]) -> None:
    victim = Worker(ctx.db.url, rows=ROWS, wait=0, tag="k", pause=True)
    workers.append(victim)
    victim.expect("HALF")
    holder = current_holder(ctx.db, UAI)
    assert holder is not None and holder.pid == victim.proc.pid
    with pytest.raises(ExclusiveUseError), exclusive_use(ctx.db, UAI, operation="Import STSWEB"):
        pass

    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(timeout=30)

    # PostgreSQL ends the dead client's session (and its advisory lock); the OS
    # drops the dead process's file lock. The wait only covers that delay.
    with exclusive_use(ctx.db, UAI, operation="Import STSWEB", wait=60):
        holder = current_holder(ctx.db, UAI)
        assert holder is not None and holder.operation == "Import STSWEB"
    assert tagged_rows(ctx.db, "k") == 0  # the killed import left nothing
