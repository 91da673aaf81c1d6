"""A real base (SQLite file or PostgreSQL) with one establishment, and base dumps to compare."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import app.store.tables  # noqa: F401
from app.services import base_admin
from app.services.context import AppContext, open_context
from app.store.database import Database
from app.store.metadata import metadata

from .builders import UAI


@pytest.fixture
def ctx(base_url: str) -> Iterator[AppContext]:
    context = open_context(base_url)
    base_admin.add_establishment(context.db, UAI, "Collège Victor Hugo")
    yield context
    context.close()


@pytest.fixture
def year(ctx: AppContext) -> int:
    return base_admin.school_year(ctx.db)


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: a logical dump that works on both engines."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.read() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def data_dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """The dump without the bookkeeping an import always touches (journal, locks, counters)."""
    full = dump(db)
    for name in ("journal", "verrous", "parametres"):
        full.pop(name, None)
    return full
