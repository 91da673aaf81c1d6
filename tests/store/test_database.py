"""The base on both engines: migrations, transactions, the append-only journal."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import app.store.tables  # noqa: F401
from app.domain.models import Establishment
from app.services import base_admin, journal
from app.services.context import open_context
from app.store import establishments as establishments_store
from app.store import migrate
from app.store.database import Database, resolve_base_url
from app.store.metadata import metadata
from app.store.tables.foundation import etablissements


def test_migrations_from_empty_reach_head(base_url: str) -> None:
    ctx = open_context(base_url)
    try:
        assert migrate.current_revision(ctx.db) == migrate.head_revision()
        names = set(sa.inspect(ctx.db.engine).get_table_names())
        assert {"parametres", "etablissements", "journal", "verrous", "alembic_version"} <= names
    finally:
        ctx.close()


def test_migrations_match_the_table_definitions(base_url: str) -> None:
    """Every table module and the migrations describe the same schema."""
    ctx = open_context(base_url)
    try:
        with ctx.db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), metadata
            )
        assert diff == []
    finally:
        ctx.close()


def test_upgrade_keeps_data_from_each_revision(base_url: str) -> None:
    db = Database(base_url)
    try:
        first = migrate.revisions()[0]
        migrate.upgrade_to(db, first)
        with db.write() as conn:
            establishments_store.add(conn, Establishment("0750654D", "Lycée ancien"))
        migrate.upgrade(db, backup=False)
        assert migrate.current_revision(db) == migrate.head_revision()
        assert base_admin.establishments(db) == [Establishment("0750654D", "Lycée ancien")]
        assert migrate.upgrade(db) is None  # nothing left to do, no copy made
    finally:
        db.dispose()


def test_failed_transaction_leaves_nothing(base_url: str) -> None:
    ctx = open_context(base_url)
    try:
        with pytest.raises(sa.exc.IntegrityError), ctx.db.write() as conn:
            establishments_store.add(conn, Establishment("0750654D", "Un"))
            establishments_store.add(conn, Establishment("0752524L", "Deux"))
            conn.execute(sa.insert(etablissements).values(uai="0920131T", nom=None))
        assert base_admin.establishments(ctx.db) == []
    finally:
        ctx.close()


def test_exception_inside_write_rolls_back(base_url: str) -> None:
    ctx = open_context(base_url)
    try:
        with pytest.raises(RuntimeError), ctx.db.write() as conn:
            establishments_store.add(conn, Establishment("0750654D", "Un"))
            raise RuntimeError("coupure")
        assert base_admin.establishments(ctx.db) == []
    finally:
        ctx.close()


def test_journal_is_append_only(base_url: str) -> None:
    ctx = open_context(base_url)
    try:
        journal.record(ctx.db, "import_siecle", "succes", "12 élèves créés", uai="0750654D")
        for statement in (
            sa.text("UPDATE journal SET resume = 'réécrit'"),
            sa.text("DELETE FROM journal"),
        ):
            with pytest.raises(sa.exc.DatabaseError), ctx.db.write() as conn:
                conn.execute(statement)
        [entry] = journal.entries(ctx.db)
        assert entry.resume == "12 élèves créés"
        assert entry.horodatage.tzinfo is not None
    finally:
        ctx.close()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        with db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        db.dispose()


def test_reader_sees_committed_state_during_a_write(sqlite_url: str) -> None:
    """WAL: a reader is never blocked by, nor sees half of, a write."""
    ctx = open_context(sqlite_url)
    try:
        with ctx.db.write() as conn:
            establishments_store.add(conn, Establishment("0750654D", "Un"))
            assert base_admin.establishments(ctx.db) == []
        assert len(base_admin.establishments(ctx.db)) == 1
    finally:
        ctx.close()


def test_resolve_base_url(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PASSERELLE_BASE", str(tmp_path / "x.db"))
    assert resolve_base_url() == f"sqlite:///{tmp_path / 'x.db'}"
    assert resolve_base_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("PASSERELLE_BASE")
    assert resolve_base_url().endswith("passerelle.db")


def test_unknown_url_is_refused() -> None:
    from app.errors import StoreError

    with pytest.raises(StoreError, match="Adresse de base non reconnue"):
        Database("mysql://x/y")


def test_head_constant_matches_the_migration_scripts() -> None:
    assert migrate.HEAD == migrate.head_revision() == migrate.revisions()[-1]
