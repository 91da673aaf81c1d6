"""Bulk reads and writes straight to the driver, for the few loops that move whole schools.

SQLAlchemy's per-statement work (rendering an ``IN`` list of 500 bound
parameters, a result processor per column and row) was a third of the time of
comparing 5,000 students with the base. These helpers send plain SQL with the
driver's own placeholders, in the caller's transaction: reads on the driver's
cursor (plain tuples), writes through :meth:`Connection.exec_driver_sql` (so
SQLAlchemy's events still see every write). Values come back raw: ISO text for dates and 0/1
for booleans on SQLite, ``date`` and ``bool`` on PostgreSQL; callers compare
them in the plain form of :func:`plain_date`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def columns(conn: Connection, names: Iterable[str]) -> str:
    return ", ".join(quote(conn, n) for n in names)


def select_in(
    conn: Connection, sql: str, values: Sequence[Any], params: Sequence[Any] = ()
) -> list[Any]:
    """Rows of ``sql`` whose ``{in}`` is replaced by a placeholder list for ``values``.

    ``params`` are bound before ``values`` (placeholders that come earlier in ``sql``).
    """
    if not values:
        return []
    mark = placeholder(conn)
    text = sql.replace("{in}", "(" + ", ".join([mark] * len(values)) + ")")
    # The driver's own cursor, in the same transaction: plain tuples, no Row per result.
    cursor = conn.connection.cursor()
    try:
        cursor.execute(text, (*params, *values))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def insert_many(
    conn: Connection, table: sa.Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """One executemany of ``rows`` (values in ``names`` order, already in driver form)."""
    if not rows:
        return
    mark = placeholder(conn)
    sql = (
        f"INSERT INTO {quote(conn, table.name)} ({columns(conn, names)}) "
        f"VALUES ({', '.join([mark] * len(names))})"
    )
    conn.exec_driver_sql(sql, list(rows))


def plain_date(value: Any) -> Any:
    """A raw date column value in plain ISO form (SQLite already stores it so)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def date_param(conn: Connection) -> Any:
    """How a plain ISO date is sent to this driver: as is for SQLite (its Date type stores
    exactly that text), as a ``date`` elsewhere."""
    if conn.dialect.name == "sqlite":
        return _same
    return _from_iso


def _same(value: Any) -> Any:
    return value


def _from_iso(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
