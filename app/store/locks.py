"""Low-level exclusive locks on one establishment's data, one per engine.

Both kinds are released by the operating system or the server when their
holder dies, so a crashed or killed import never blocks the others:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held by
  a dedicated connection. The server drops it as soon as that connection ends,
  including when the PC crashes or loses the network (TCP keepalive).
* SQLite: an OS lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on a
  small file next to the base, ``<base>.verrou-<UAI>``. The OS releases it when
  the process exits, even on SIGKILL. This replaces an "O_EXCL lock file with a
  pid inside": no stale-lock guessing, no race between two processes taking a
  stale file over, and no lock left behind by a crash. The file itself is left
  in place on purpose (deleting it while held would let a second holder lock a
  new file).

Who holds the lock (poste, pid, operation, since when) lives in the ``verrous``
table, written by :mod:`app.services.exclusive`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.errors import StoreError
from app.store.database import Database
from app.store.errors import translate_db_errors

log = logging.getLogger(__name__)

# First key of the two-int advisory lock form: "PSRL", so Passerelle's locks
# cannot collide with another application's on the same server.
_PG_NAMESPACE = 0x5053524C


class HeldLock(Protocol):
    def still_held(self) -> bool:
        """False when the lock was lost (PostgreSQL connection gone)."""

    def release(self) -> None: ...


def pg_lock_keys(uai: str) -> tuple[int, int]:
    """(namespace, key) for pg_try_advisory_lock(int, int), stable across PCs and runs."""
    digest = hashlib.blake2b(uai.encode("ascii"), digest_size=4).digest()
    return _PG_NAMESPACE, int.from_bytes(digest, "big", signed=True)


@dataclass
class PgAdvisoryLock:
    conn: Connection
    keys: tuple[int, int]

    def still_held(self) -> bool:
        try:
            with translate_db_errors():
                # A live session keeps its session-level locks; SELECT 1 proves it is alive.
                self.conn.exec_driver_sql("SELECT 1")
        except StoreError:
            return False
        return True

    def release(self) -> None:
        try:
            if not self.conn.invalidated:
                self.conn.execute(
                    sa.text("SELECT pg_advisory_unlock(:a, :b)"),
                    {"a": self.keys[0], "b": self.keys[1]},
                )
        except sa.exc.SQLAlchemyError:
            log.info("advisory unlock failed: the session is gone, so is the lock")
        finally:
            # Never hand this connection back to the pool: if the unlock above did
            # not run, a pooled session would keep the lock for ever.
            self.conn.invalidate()
            self.conn.close()


def try_pg_lock(db: Database, uai: str) -> PgAdvisoryLock | None:
    keys = pg_lock_keys(uai)
    with translate_db_errors(db.describe()):
        # AUTOCOMMIT: the lock connection must not sit "idle in transaction" for
        # the whole import (that holds a snapshot and meets idle timeouts).
        conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(
                sa.text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": keys[0], "b": keys[1]}
            ).scalar_one()
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
    if not got:
        conn.close()
        return None
    return PgAdvisoryLock(conn, keys)


def lock_file_path(base: Path, uai: str) -> Path:
    return base.with_name(f"{base.name}.verrou-{uai}")


_FILE_NOTE = b"Verrou Passerelle : ne pas supprimer pendant un import ou un envoi.\n"


@dataclass
class FileLock:
    path: Path
    handle: IO[bytes]

    def still_held(self) -> bool:
        return not self.handle.closed

    def release(self) -> None:
        if self.handle.closed:
            return
        try:
            _unlock(self.handle)
        finally:
            self.handle.close()


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[bytes]) -> bool:
        try:
            # One byte past the note: Windows locks are mandatory, the note stays readable.
            handle.seek(len(_FILE_NOTE) + 1)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(len(_FILE_NOTE) + 1)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> bool:
        # flock (not lockf): owned by this open file, so two attempts from the
        # same process conflict too, as they do on PostgreSQL.
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def try_file_lock(base: Path, uai: str) -> FileLock | None:
    path = lock_file_path(base, uai)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        handle = os.fdopen(fd, "r+b", buffering=0)
    except OSError as exc:
        raise StoreError(
            f"Le verrou de la base n'a pas pu être créé à côté de la base ({path}) : {exc}.",
            code="BASE_VERROU",
        ) from exc
    if not _lock(handle):
        handle.close()
        return None
    try:
        if os.fstat(handle.fileno()).st_size == 0:
            handle.write(_FILE_NOTE)
    except OSError:
        log.debug("lock file note not written", exc_info=True)
    return FileLock(path, handle)


def try_lock(db: Database, uai: str) -> HeldLock | None:
    """Take the exclusive lock on ``uai`` now, or return None if someone holds it."""
    if db.is_postgresql:
        return try_pg_lock(db, uai)
    base = db.sqlite_path
    if base is None:
        raise StoreError(
            "Une base en mémoire ne peut pas être réservée pour un import.", code="BASE_VERROU"
        )
    return try_file_lock(base, uai)
