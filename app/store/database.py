"""Opening the base: URL resolution, engine set-up, transactions.

SQLite (the default, one PC) runs in WAL mode with foreign keys on; writes use
``BEGIN IMMEDIATE`` so a writer takes the lock up front instead of failing half
way, while readers keep reading the last committed state
(engineering-notes.md §5). PostgreSQL is the engine for a base shared by
several PCs; the same Core code and migrations run on both.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from app import paths
from app.errors import StoreError

log = logging.getLogger(__name__)

_BEGIN_OPTION = "passerelle_begin"


def resolve_base_url(base: str | None = None) -> str:
    """``--base`` value, else ``PASSERELLE_BASE``, else the default SQLite file."""
    value = base or os.environ.get(paths.ENV_BASE) or str(paths.default_base_path())
    if "://" in value:
        return value
    path = Path(value).expanduser().resolve()
    return f"sqlite:///{path}"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 legacy transaction handling would skip BEGIN for DDL and
    # SAVEPOINT; we take control of transactions ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One base (SQLite file or PostgreSQL database) and its engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = self._create_engine(url)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        database = self.engine.url.database
        return Path(database) if database and database != ":memory:" else None

    def describe(self) -> str:
        """Where the base is, without any password, for messages and logs."""
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        return self.engine.url.render_as_string(hide_password=True)

    @staticmethod
    def _create_engine(url: str) -> Engine:
        if url.startswith("sqlite"):
            database = sa.engine.make_url(url).database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, connect_args={"timeout": 5}, hide_parameters=True)
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        if url.startswith("postgresql"):
            # pre_ping: a PC that slept or lost the network reconnects silently.
            return sa.create_engine(
                url,
                pool_pre_ping=True,
                hide_parameters=True,  # row values (names, INE) never reach logs or reports
                connect_args={"connect_timeout": 10},
            )
        raise StoreError(
            f"Adresse de base non reconnue : « {url} ». Donnez un fichier (.db) ou une adresse "
            "postgresql+psycopg://…",
            code="BASE_ADRESSE",
        )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One all-or-nothing write transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A consistent read: one snapshot for every statement inside."""
        with self.engine.connect() as conn:
            if self.is_postgresql:
                # READ COMMITTED would give each statement its own snapshot.
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            else:
                conn.execution_options(**{_BEGIN_OPTION: "DEFERRED"})
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()
