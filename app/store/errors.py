"""Database faults the secretary can act on, turned into French messages.

A PC sharing a PostgreSQL base can lose the server mid-session (Wi-Fi, server
restart, an administrator ending sessions). SQLAlchemy then raises English
driver errors; services wrap their work in :func:`translate_db_errors` so the
GUI and the CLI show a French :class:`ConnectionLostError` instead. The
transaction that was running is rolled back by the server, so the message can
promise that nothing was half written. The next operation reconnects by itself
(``pool_pre_ping`` on the engine, and SQLAlchemy invalidates broken
connections), so no restart is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from app.errors import StoreError

log = logging.getLogger(__name__)

CONNECTION_LOST_MESSAGE = (
    "La connexion au serveur de la base a été perdue. L'opération en cours a été annulée "
    "par le serveur : rien n'a été enregistré à moitié. Vérifiez le réseau, puis recommencez ; "
    "Passerelle se reconnecte tout seul."
)

BUSY_MESSAGE = (
    "La base est occupée par une autre opération qui ne se termine pas. Rien n'a été modifié ; "
    "réessayez dans un instant."
)

# SQLSTATE classes that mean the session is gone: 08 connection exception,
# 57P01/57P02/57P03 administrator or crash shutdown, cannot connect now.
_DISCONNECT_STATES = ("08", "57P01", "57P02", "57P03")


class ConnectionLostError(StoreError):
    """The PostgreSQL server could not be reached or dropped the session."""

    code = "BASE_CONNEXION_PERDUE"


def unreachable_message(where: str, detail: str) -> str:
    first_line = detail.strip().splitlines()[0] if detail.strip() else ""
    return (
        f"Impossible de se connecter au serveur de la base ({where}). Vérifiez l'adresse, le "
        "réseau, l'identifiant et le mot de passe, et le certificat du serveur (sslrootcert)."
        + (f" Détail technique : {first_line}" if first_line else "")
    )


def _driver_module(exc: BaseException) -> str:
    return type(exc).__module__.split(".", 1)[0]


def _is_disconnect(exc: BaseException) -> bool:
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    if orig is None or _driver_module(orig) != "psycopg":
        return False
    import psycopg

    if not isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    state = getattr(orig, "sqlstate", None)
    # No SQLSTATE: libpq failed on the client side (socket closed, refused, TLS).
    return state is None or str(state).startswith(_DISCONNECT_STATES)


def _is_sqlite_busy(exc: BaseException) -> bool:
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else None
    return (
        orig is not None
        and _driver_module(orig) == "sqlite3"
        and "locked" in str(orig).lower()
    )


def translate(exc: BaseException, *, where: str = "") -> StoreError | None:
    """The French error for a driver fault, or None when it is not one we know."""
    if isinstance(exc, StoreError):
        return exc
    if _is_disconnect(exc):
        orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        # No statement and nothing invalidated: the connection was never opened.
        never_connected = (
            isinstance(exc, sa.exc.DBAPIError)
            and exc.statement is None
            and not exc.connection_invalidated
        )
        if never_connected:
            return ConnectionLostError(
                unreachable_message(where or "serveur PostgreSQL", str(orig)),
                code="BASE_INJOIGNABLE",
                details=str(orig),
            )
        return ConnectionLostError(CONNECTION_LOST_MESSAGE, details=type(orig).__name__)
    if _is_sqlite_busy(exc):
        return StoreError(BUSY_MESSAGE, code="BASE_OCCUPEE")
    return None


@contextmanager
def translate_db_errors(where: str = "") -> Iterator[None]:
    """Re-raise connection losses (and SQLite busy timeouts) as French StoreErrors.

    ``where`` names the base in the "cannot connect" message (use
    ``db.describe()``, which hides the password). Anything else passes through
    untouched: an integrity error is a bug or bad data, not a network fault.
    """
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        # Also catches psycopg errors raised outside SQLAlchemy (raw connections).
        translated = translate(exc, where=where)
        if translated is None:
            raise
        # Type only in the log: driver messages may quote row values.
        log.warning("database fault: %s -> %s", type(exc).__name__, translated.code)
        raise translated from exc
