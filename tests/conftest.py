"""Shared fixtures: a private data directory per test, bases on both engines."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PASSERELLE_NO_CRASH_DIALOG"] = "1"

PG_ENV = "PASSERELLE_TEST_PG_URL"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory; the user's is never touched."""
    directory = tmp_path / "donnees"
    monkeypatch.setenv("PASSERELLE_DATA_DIR", str(directory))
    monkeypatch.delenv("PASSERELLE_BASE", raising=False)
    return directory


def _pg_database() -> Iterator[str]:
    import sqlalchemy as sa

    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        pytest.skip(f"PostgreSQL : aucun serveur de test ({PG_ENV} non défini)")
    name = f"passerelle_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def base_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty base URL on each engine (PostgreSQL when a server is given)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'base.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _pg_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'base.db'}"
