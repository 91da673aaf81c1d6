"""Exclusive use of an establishment's data during an import or a send.

Only one PC at a time may import into (or send from) one establishment's data;
the others keep reading the last committed state and are told who is busy:
« Import SIECLE en cours sur le poste SECRETARIAT-1 depuis 14:05 … ». They can
wait (``wait`` seconds, polling, cancellable) or give up.

The lock itself (app/store/locks.py) dies with its holder; the ``verrous``
row only says who holds it and is overwritten by the next holder, so a crashed
PC never blocks the others.

:func:`run_import` is the one way imports run: lock, automatic copy of the
base, ``work(conn)`` in one write transaction with its success journal row and
change counters, and a FAILURE (or CANCELLED) journal row in a new transaction
when anything goes wrong.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.models import KIND_LABELS, JournalKind, JournalResult
from app.errors import PasserelleError, UserCancelled
from app.services.changes import JOURNAL, bump_revisions
from app.store import backup, locks
from app.store import journal as journal_store
from app.store.database import Database
from app.store.errors import ConnectionLostError, translate_db_errors
from app.store.tables.foundation import verrous

log = logging.getLogger(__name__)

T = TypeVar("T")

POLL_INTERVAL = 0.5


def this_poste() -> str:
    return socket.gethostname()[:120] or "poste inconnu"


@dataclass(frozen=True)
class Holder:
    """Who holds an establishment's data, as recorded in ``verrous``."""

    uai: str
    operation: str
    poste: str
    pid: int
    depuis: dt.datetime


class ExclusiveUseError(PasserelleError):
    """Another PC (or this one) is importing into or sending this establishment's data."""

    code = "USAGE_EXCLUSIF"

    def __init__(self, uai: str, holder: Holder | None) -> None:
        self.uai = uai
        self.holder = holder
        super().__init__(_busy_message(uai, holder))


def _busy_message(uai: str, holder: Holder | None) -> str:
    if holder is None:
        # Lock taken a moment ago, its row not written yet.
        return (
            f"Une opération est en cours sur un autre poste pour l'établissement {uai}. "
            "Attendez qu'elle se termine, puis recommencez."
        )
    since = holder.depuis if holder.depuis.tzinfo else holder.depuis.replace(tzinfo=dt.UTC)
    local = since.astimezone()
    when = (
        local.strftime("%H:%M")
        if local.date() == dt.datetime.now().astimezone().date()
        else local.strftime("le %d/%m/%Y à %H:%M")
    )
    where = f"le poste {holder.poste}" + (" (celui-ci)" if holder.poste == this_poste() else "")
    return (
        f"{holder.operation} en cours sur {where} depuis {when} (établissement {uai}). "
        "Attendez la fin de cette opération, puis recommencez."
    )


def current_holder(db: Database, uai: str) -> Holder | None:
    with translate_db_errors(db.describe()), db.read() as conn:
        row = conn.execute(sa.select(verrous).where(verrous.c.uai == uai)).first()
    if row is None:
        return None
    return Holder(row.uai, row.operation, row.poste, row.pid, row.depuis)


@dataclass
class ExclusiveUse:
    """Handle yielded by :func:`exclusive_use`."""

    uai: str
    operation: str
    lock: locks.HeldLock

    def verify(self) -> None:
        """Raise ConnectionLostError if the lock was lost (call it before committing)."""
        if not self.lock.still_held():
            raise ConnectionLostError(
                "La connexion au serveur de la base a été perdue pendant l'opération : "
                "l'usage exclusif n'était plus garanti, rien n'a été enregistré. Recommencez.",
            )


def _record_holder(db: Database, uai: str, operation: str) -> None:
    with db.write() as conn:
        # Overwrites a row left by a holder that crashed: the lock being ours
        # proves that holder is gone.
        conn.execute(sa.delete(verrous).where(verrous.c.uai == uai))
        conn.execute(
            sa.insert(verrous).values(
                uai=uai,
                operation=operation[:80],
                poste=this_poste(),
                pid=os.getpid(),
                depuis=dt.datetime.now(dt.UTC),
            )
        )


def _forget_holder(db: Database, uai: str) -> None:
    try:
        with db.write() as conn:
            conn.execute(
                sa.delete(verrous).where(
                    verrous.c.uai == uai,
                    verrous.c.poste == this_poste(),
                    verrous.c.pid == os.getpid(),
                )
            )
    except Exception:
        # The next holder overwrites a stale row; never mask the real outcome.
        log.warning("lock row for uai=%s not removed (overwritten next time)", uai)


@contextmanager
def exclusive_use(
    db: Database,
    uai: str,
    *,
    operation: str,
    wait: float = 0.0,
    cancel: threading.Event | None = None,
    on_wait: Callable[[ExclusiveUseError], None] | None = None,
) -> Iterator[ExclusiveUse]:
    """Hold the establishment's data for ``operation`` (a French label) until the block ends.

    Busy: wait up to ``wait`` seconds, calling ``on_wait`` (from this thread)
    with the French reason each time it is still busy, so a progress dialog can
    show it; then raise :class:`ExclusiveUseError`. Setting ``cancel`` stops
    the wait with :class:`UserCancelled`.
    """
    deadline = time.monotonic() + max(0.0, wait)
    where = db.describe()
    while True:
        if cancel is not None and cancel.is_set():
            raise UserCancelled()
        with translate_db_errors(where):
            held = locks.try_lock(db, uai)
        if held is not None:
            break
        refusal = ExclusiveUseError(uai, current_holder(db, uai))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            log.info("exclusive use of uai=%s refused (held elsewhere)", uai)
            raise refusal
        if on_wait is not None:
            on_wait(refusal)
        pause = min(POLL_INTERVAL, remaining)
        if cancel is not None:
            cancel.wait(pause)
        else:
            time.sleep(pause)
    try:
        with translate_db_errors(where):
            _record_holder(db, uai, operation)
    except BaseException:
        held.release()
        raise
    log.info("exclusive use of uai=%s taken", uai)
    try:
        yield ExclusiveUse(uai, operation, held)
    finally:
        _forget_holder(db, uai)
        held.release()
        log.info("exclusive use of uai=%s released", uai)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What an import's ``work`` returns: its value and the journal summary (French)."""

    value: T
    resume: str
    details: Mapping[str, Any] = field(default_factory=dict)
    resultat: JournalResult = JournalResult.SUCCESS
    topics: Iterable[str] = ()


@dataclass(frozen=True)
class ImportRun(Generic[T]):
    value: T
    journal_id: int
    copy: Path | None


def _failure_summary(label: str, exc: BaseException) -> tuple[JournalResult, str, dict[str, Any]]:
    if isinstance(exc, UserCancelled):
        return JournalResult.CANCELLED, f"{label} annulé : rien n'a été modifié.", {}
    if isinstance(exc, PasserelleError):
        return (
            JournalResult.FAILURE,
            f"{label} interrompu : rien n'a été modifié. {exc.message}",
            {"code": exc.code},
        )
    # Unexpected errors: their text may quote data (names…), so only the type is kept.
    return (
        JournalResult.FAILURE,
        f"{label} interrompu par une erreur inattendue : rien n'a été modifié.",
        {"erreur": type(exc).__name__},
    )


def _journal_failure(
    db: Database, kind: JournalKind, uai: str, exc: BaseException, label: str,
    copy: Path | None,
) -> None:
    resultat, resume, details = _failure_summary(label, exc)
    if copy is not None:
        details["copie"] = str(copy)
    try:
        # A new transaction (and, after a connection loss, a new connection:
        # pool_pre_ping replaces the dead one).
        with translate_db_errors(db.describe()), db.write() as conn:
            journal_store.append(
                conn, nature=kind, resultat=resultat, resume=resume, uai=uai, details=details
            )
            bump_revisions(conn, [JOURNAL])
    except Exception:
        log.error("failure of %s for uai=%s could not be journaled", kind, uai)


def run_import(
    db: Database,
    uai: str,
    kind: JournalKind,
    work: Callable[[Connection], Outcome[T]],
    *,
    operation: str | None = None,
    wait: float = 0.0,
    cancel: threading.Event | None = None,
    on_wait: Callable[[ExclusiveUseError], None] | None = None,
    copy: bool = True,
) -> ImportRun[T]:
    """Run an all-or-nothing import of ``uai``'s data and journal it.

    Order: exclusive use (refusal raised as is, nothing journaled since nothing
    started) → automatic copy of the base (SQLite) → ``work(conn)`` in one
    write transaction → lock still held? → success journal row and change
    counters (``Outcome.topics`` plus ``journal``) in that same transaction →
    commit. Any failure rolls everything back and is journaled in a new
    transaction, then re-raised (connection losses as ConnectionLostError).
    ``work`` may raise UserCancelled (journaled as cancelled) and should not
    call bump_revision itself: list topics in its Outcome instead, so they are
    bumped last and in a fixed order.
    """
    label = operation or KIND_LABELS.get(kind, str(kind))
    where = db.describe()
    with exclusive_use(db, uai, operation=label, wait=wait, cancel=cancel,
                       on_wait=on_wait) as held:
        copy_path: Path | None = None
        try:
            if copy:
                copy_path = backup.automatic_copy(db, reason=f"avant-{kind}-{uai}")
            with translate_db_errors(where), db.write() as conn:
                outcome = work(conn)
                held.verify()
                entry_id = journal_store.append(
                    conn,
                    nature=kind,
                    resultat=outcome.resultat,
                    resume=outcome.resume,
                    uai=uai,
                    details={**outcome.details, **({"copie": str(copy_path)} if copy_path else {})},
                )
                bump_revisions(conn, [*outcome.topics, JOURNAL])
        except Exception as exc:
            code = exc.code if isinstance(exc, PasserelleError) else type(exc).__name__
            log.warning("%s for uai=%s failed (%s), rolled back", kind, uai, code)
            _journal_failure(db, kind, uai, exc, label, copy_path)
            raise
    log.info("%s for uai=%s committed (journal #%s)", kind, uai, entry_id)
    return ImportRun(outcome.value, entry_id, copy_path)


__all__ = [
    "ExclusiveUse",
    "ExclusiveUseError",
    "Holder",
    "ImportRun",
    "Outcome",
    "current_holder",
    "exclusive_use",
    "run_import",
]
