"""``passerelle base migrer-vers``: a SQLite base copied whole into a new base."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.cli import main
from app.domain.models import JournalKind, JournalResult
from app.errors import StoreError
from app.services import base_admin, journal
from app.services.changes import bump_revision
from app.services.context import AppContext, open_context
from app.services.exclusive import ExclusiveUseError, exclusive_use
from app.services.shared import transfer_base
from app.store import settings as settings_store
from app.store import transfer
from app.store.database import Database
from app.store.metadata import metadata
from app.store.tables.foundation import journal as journal_table
from app.store.tables.foundation import parametres

from .conftest import UAI

UNICODE_NAME = "Cité scolaire Zoë-Ørsted – « Les Îles » 𝄞"


@pytest.fixture
def source(tmp_path: Path) -> Iterator[AppContext]:
    """A used SQLite base: establishments, settings, journal rows, enough rows to batch."""
    context = open_context(f"sqlite:///{tmp_path / 'source.db'}")
    db = context.db
    base_admin.add_establishment(db, UAI, "Lycée Élisa-Lemonnier")
    base_admin.add_establishment(db, "0752524L", UNICODE_NAME)
    base_admin.set_school_year(db, 2027)
    with db.write() as conn:
        settings_store.set_value(conn, settings_store.NETSYNCHRO_URL, "https://netsynchro.exemple/")
        for i in range(250):
            conn.execute(
                sa.insert(parametres).values(cle=f"correspondance:{i:04d}", valeur="é" * i)
            )
        bump_revision(conn, "eleves")
    for i in range(30):
        journal.record(db, JournalKind.SIECLE_IMPORT, JournalResult.SUCCESS,
                       f"Import n°{i} : 12 élèves créés — « Zoë »", uai=UAI,
                       details={"fichier": f"ElevesSansAdresses-{i}.zip", "note": "ça marche ✓"})
    yield context
    context.close()


def _rows(db: Database, table: sa.Table) -> list[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    with db.read() as conn:
        out = []
        for row in conn.execute(sa.select(table).order_by(*order)):
            values = dict(row._mapping)
            for key, value in values.items():
                if isinstance(value, dt.datetime):
                    values[key] = (value.replace(tzinfo=dt.UTC) if value.tzinfo is None
                                   else value.astimezone(dt.UTC))
            out.append(values)
        return out


def test_round_trip_copies_every_row(source: AppContext, base_url: str) -> None:
    if base_url.startswith("postgresql"):
        # A session time zone far from UTC: naive timestamps would be shifted by 14 h.
        base_url = sa.engine.make_url(base_url).update_query_dict(
            {"options": "-c timezone=Pacific/Kiritimati"}
        ).render_as_string(hide_password=False)
    # Small batches, so the copy really loops over many of them.
    report = transfer.migrate_to(source.db, base_url, batch_size=7)
    target = Database(base_url)
    try:
        copied = transfer.tables_to_copy()
        assert {t.name for t in copied} == set(metadata.tables) - {"verrous"}
        for table in copied:
            src, dst = _rows(source.db, table), _rows(target, table)
            if table is journal_table:
                # The target's journal says where it came from, after the copied rows.
                assert dst[:-1] == src
                assert dst[-1]["nature"] == JournalKind.BASE_MIGRATE
                assert dst[-1]["id"] == report.journal_id
            else:
                assert dst == src, table.name
            assert report.counts[table.name] == len(src)
        assert report.counts["parametres"] > 250 and report.counts["journal"] > 30
        names = [e.nom for e in base_admin.establishments(target)]
        assert UNICODE_NAME in names
        # Explicit ids were copied; new journal rows still get fresh ids.
        new_id = journal.record(target, JournalKind.SETTINGS, JournalResult.SUCCESS, "après")
        assert new_id == report.journal_id + 1
    finally:
        target.dispose()
    # The new base opens normally (already at the current structure).
    opened = open_context(base_url)
    try:
        assert base_admin.school_year(opened.db) == 2027
    finally:
        opened.close()


def test_transfer_base_journals_in_both_and_refuses_a_second_copy(
    source: AppContext, pg_url: str
) -> None:
    copied_journal = len(journal.entries(source.db))
    report = transfer_base(source.db, pg_url)
    assert "***" in report.target and ":passerelle_test@" not in report.target
    [mark] = [e for e in journal.entries(source.db) if e.nature == JournalKind.BASE_MIGRATE]
    assert mark.details["lignes"] == report.counts

    target = Database(pg_url)
    try:
        before = {t.name: len(_rows(target, t)) for t in transfer.tables_to_copy()}
        with pytest.raises(StoreError) as caught:
            transfer_base(source.db, pg_url)
        assert caught.value.code == "BASE_DESTINATION_NON_VIDE"
        assert "n'est pas vide" in caught.value.message
        assert f"journal : {copied_journal + 1} lignes" in caught.value.message
        after = {t.name: len(_rows(target, t)) for t in transfer.tables_to_copy()}
        assert after == before
    finally:
        target.dispose()


def test_new_base_opened_once_is_still_accepted(source: AppContext, pg_url: str) -> None:
    """The IT service may open the new base with Passerelle before copying into it."""
    open_context(pg_url).close()  # creates the structure and the default school year
    report = transfer.migrate_to(source.db, pg_url)
    target = Database(pg_url)
    try:
        assert base_admin.school_year(target) == 2027
        assert report.counts["etablissements"] == 2
    finally:
        target.dispose()


def test_foreign_tables_are_refused(source: AppContext, pg_url: str) -> None:
    other = sa.create_engine(pg_url)
    with other.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE eleves_autre_logiciel (id int)")
    other.dispose()
    with pytest.raises(StoreError, match="tables qui ne sont pas celles de Passerelle"):
        transfer.migrate_to(source.db, pg_url)


def test_source_data_this_version_cannot_copy_is_refused(source: AppContext, pg_url: str) -> None:
    with source.db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE notes_ajoutees_a_la_main (texte TEXT)")
        conn.exec_driver_sql("INSERT INTO notes_ajoutees_a_la_main VALUES ('à garder')")
    with pytest.raises(StoreError, match="ne sait pas copier"):
        transfer.migrate_to(source.db, pg_url)


def test_count_mismatch_rolls_everything_back(
    source: AppContext, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A row lost between source and target cannot be produced on purpose with a
    # real server; the count reader is made to lie instead (only on the target).
    real_count = transfer._count

    def lying_count(conn: sa.engine.Connection, table: sa.Table) -> int:
        found = real_count(conn, table)
        return found - 1 if conn.dialect.name == "postgresql" and table.name == "journal" else found

    monkeypatch.setattr(transfer, "_count", lying_count)
    with pytest.raises(StoreError, match="ne correspond pas pour « journal »"):
        transfer.migrate_to(source.db, pg_url)
    target = Database(pg_url)
    try:
        assert all(not _rows(target, t) for t in transfer.tables_to_copy())
    finally:
        target.dispose()
    monkeypatch.setattr(transfer, "_count", real_count)
    # The empty structure left behind is accepted by the next attempt.
    assert transfer.migrate_to(source.db, pg_url).counts["etablissements"] == 2


def test_same_base_is_refused(source: AppContext) -> None:
    with pytest.raises(StoreError, match="la base actuelle elle-même"):
        transfer.migrate_to(source.db, source.db.url)


def test_no_import_may_run_during_the_transfer(source: AppContext, pg_url: str) -> None:
    other = Database(source.db.url)
    try:
        with exclusive_use(other, UAI, operation="Import SIECLE"), \
                pytest.raises(ExclusiveUseError):
            transfer_base(source.db, pg_url)
    finally:
        other.dispose()


def test_cli_exit_codes(
    source: AppContext, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = source.db.sqlite_path
    assert path is not None
    source.close()
    assert main(["--base", str(path), "base", "migrer-vers", pg_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Base copiée vers postgresql+psycopg://passerelle_test:***@")
    assert "etablissements" in out and "Total : " in out
    assert ":passerelle_test@" not in out

    assert main(["--base", str(path), "base", "migrer-vers", pg_url]) == 1
    err = capsys.readouterr().err
    assert "La base de destination n'est pas vide" in err

    with pytest.raises(SystemExit) as usage:
        main(["--base", str(path), "base", "migrer-vers"])
    assert usage.value.code == 2
