"""ChangeWatcher: what another PC committed, by topic, and nothing uncommitted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.errors import PasserelleError
from app.services import base_admin, journal
from app.services.changes import (
    ESTABLISHMENTS,
    JOURNAL,
    REVISION_PREFIX,
    SETTINGS,
    STUDENTS,
    TIMETABLE,
    YEAR,
    ChangeWatcher,
    bump_revision,
    bump_revisions,
)
from app.services.context import AppContext
from app.store import settings as settings_store
from app.store.database import Database
from app.store.tables.foundation import parametres


@pytest.fixture
def other(ctx: AppContext) -> Iterator[Database]:
    """Another PC: its own engine and connections on the same base."""
    db = Database(ctx.db.url)
    yield db
    db.dispose()


def test_topics_committed_elsewhere_are_reported_once(ctx: AppContext, other: Database) -> None:
    watcher = ChangeWatcher(ctx.db)
    assert watcher.poll() == set()  # reference state
    with other.write() as conn:
        bump_revision(conn, STUDENTS)
    assert watcher.poll() == {STUDENTS}
    assert watcher.poll() == set()
    with other.write() as conn:
        bump_revisions(conn, [TIMETABLE, STUDENTS, TIMETABLE])
    assert watcher.poll() == {STUDENTS, TIMETABLE}
    with other.write() as conn:
        assert conn.execute(
            sa.select(parametres.c.valeur).where(parametres.c.cle == REVISION_PREFIX + STUDENTS)
        ).scalar() == "2"


def test_uncommitted_changes_are_not_seen(ctx: AppContext, other: Database) -> None:
    watcher = ChangeWatcher(ctx.db)
    watcher.prime()
    with other.write() as conn:
        bump_revision(conn, STUDENTS)
        assert watcher.poll() == set()
    assert watcher.poll() == {STUDENTS}


def test_rolled_back_changes_are_never_seen(ctx: AppContext, other: Database) -> None:
    watcher = ChangeWatcher(ctx.db)
    watcher.prime()
    with pytest.raises(RuntimeError), other.write() as conn:
        bump_revision(conn, STUDENTS)
        raise RuntimeError("import interrompu")
    assert watcher.poll() == set()


def test_foundation_writes_are_detected_without_counters(
    ctx: AppContext, other: Database
) -> None:
    """Code that does not bump (establishments, year, journal, settings) is still seen."""
    watcher = ChangeWatcher(ctx.db)
    watcher.prime()
    base_admin.add_establishment(other, "0752524L", "Collège Zoë")
    assert watcher.poll() == {ESTABLISHMENTS}
    base_admin.set_school_year(other, 2031)
    assert watcher.poll() == {YEAR, JOURNAL}
    journal.record(other, "test_connexion", "succes", "ok")
    assert watcher.poll() == {JOURNAL}
    with other.write() as conn:
        settings_store.set_value(conn, settings_store.NETSYNCHRO_URL, "https://autre.exemple/")
    assert watcher.poll() == {SETTINGS}


def test_counters_going_back_mean_full_refresh(ctx: AppContext, other: Database) -> None:
    """A restored copy has older counters: every view must reload (None)."""
    with other.write() as conn:
        bump_revision(conn, STUDENTS)
    watcher = ChangeWatcher(ctx.db)
    watcher.prime()
    with other.write() as conn:
        conn.execute(sa.delete(parametres).where(parametres.c.cle.startswith(REVISION_PREFIX)))
    assert watcher.poll() is None
    assert watcher.poll() == set()


def test_invalid_topic_is_refused(ctx: AppContext) -> None:
    with pytest.raises(PasserelleError), ctx.db.write() as conn:
        bump_revision(conn, "Élèves; DROP")
