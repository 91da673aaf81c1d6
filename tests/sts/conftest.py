"""Bases with an establishment and the school year of the tests, on both engines."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest

from app.security.memory_keyring import MemoryKeyring
from app.services import base_admin
from app.store.database import Database

from .helpers import UAI, YEAR


def _prepare(url: str) -> Iterator[Database]:
    from app.services.context import open_context

    ctx = open_context(url)
    base_admin.set_school_year(ctx.db, YEAR)
    base_admin.add_establishment(ctx.db, UAI, "Collège de test")
    try:
        yield ctx.db
    finally:
        ctx.close()


@pytest.fixture
def db(base_url: str) -> Iterator[Database]:
    """A migrated base (SQLite, and PostgreSQL when a server is given) holding UAI."""
    yield from _prepare(base_url)


@pytest.fixture
def lite_db(sqlite_url: str) -> Iterator[Database]:
    """SQLite only, for tests whose engine does not matter."""
    yield from _prepare(sqlite_url)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
