"""Losing the PostgreSQL server mid-session: French message, rollback, journal, reconnection.

The cut is real: the test ends the import's server session with
pg_terminate_backend while the import is paused inside its transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.models import JournalKind, JournalResult
from app.errors import StoreError
from app.services import base_admin, journal
from app.services.context import AppContext
from app.services.exclusive import Outcome, current_holder, run_import
from app.store.database import Database
from app.store.errors import CONNECTION_LOST_MESSAGE, ConnectionLostError, translate_db_errors
from app.store.tables.foundation import parametres

from .conftest import UAI, tagged_rows

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin(pg_url: str) -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _terminate(admin: sa.engine.Engine, pid: int) -> None:
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()


class PausedImport:
    """run_import in a thread; its work writes 10 rows, pauses, then writes 10 more."""

    def __init__(self, db: Database, tag: str) -> None:
        self.halfway = threading.Event()
        self.resume = threading.Event()
        self.backend_pid = 0
        self.error: BaseException | None = None
        self._tag = tag
        self._thread = threading.Thread(target=self._run, args=(db,))
        self._thread.start()

    def _work(self, conn: Connection) -> Outcome[None]:
        self.backend_pid = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        for i in range(20):
            if i == 10:
                self.halfway.set()
                assert self.resume.wait(60)
            conn.execute(sa.insert(parametres).values(cle=f"{self._tag}:{i}", valeur="x"))
        return Outcome(None, "20 lignes")

    def _run(self, db: Database) -> None:
        try:
            run_import(db, UAI, JournalKind.STS_IMPORT, self._work)
        except BaseException as exc:
            self.error = exc

    def finish(self) -> BaseException | None:
        self.resume.set()
        self._thread.join(120)
        return self.error


def _lock_backend(admin: sa.engine.Engine, import_pid: int) -> int:
    with admin.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND pid <> :p"
        ), {"p": import_pid}).scalar_one())


@pytest.mark.parametrize("cut", ["import", "verrou"])
def test_cut_mid_import_rolls_back_and_is_journaled(
    pg_ctx: AppContext, admin: sa.engine.Engine, cut: str
) -> None:
    db = pg_ctx.db
    before = (base_admin.establishments(db), tagged_rows(db, "t"))
    running = PausedImport(db, "t")
    assert running.halfway.wait(60)
    pid = running.backend_pid
    _terminate(admin, pid if cut == "import" else _lock_backend(admin, pid))
    error = running.finish()

    assert isinstance(error, ConnectionLostError)
    assert error.message.startswith("La connexion au serveur de la base a été perdue")
    assert (base_admin.establishments(db), tagged_rows(db, "t")) == before
    [entry] = [e for e in journal.entries(db) if e.nature == JournalKind.STS_IMPORT]
    assert entry.resultat == JournalResult.FAILURE
    assert "rien n'a été modifié" in entry.resume
    assert entry.details["code"] == "BASE_CONNEXION_PERDUE"
    assert current_holder(db, UAI) is None

    # Next operation on the same Database reconnects by itself and succeeds.
    def work(conn: Connection) -> Outcome[int]:
        conn.execute(sa.insert(parametres).values(cle="u:1", valeur="x"))
        return Outcome(1, "1 ligne")

    done = run_import(db, UAI, JournalKind.STS_IMPORT, work)
    assert done.value == 1 and tagged_rows(db, "u") == 1


def test_idle_connections_killed_by_the_server_are_replaced(
    pg_ctx: AppContext, admin: sa.engine.Engine
) -> None:
    db = pg_ctx.db
    with db.read() as conn:
        pid = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    _terminate(admin, pid)  # the pooled connection is now dead
    assert [e.uai for e in base_admin.establishments(db)] == [UAI]


def test_unreachable_server_gives_a_french_message(pg_url: str) -> None:
    url = sa.engine.make_url(pg_url).set(port=1)  # nothing listens on port 1
    db = Database(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(ConnectionLostError) as caught:
            current_holder(db, UAI)
        assert caught.value.code == "BASE_INJOIGNABLE"
        assert caught.value.message.startswith("Impossible de se connecter au serveur de la base")
        assert "passerelle_test@" in caught.value.message or "127.0.0.1" in caught.value.message
        assert ":passerelle_test@" not in caught.value.message  # no password shown
    finally:
        db.dispose()


def _raise_integrity(db: Database) -> Callable[[], None]:
    def go() -> None:
        with translate_db_errors(), db.write() as conn:
            conn.execute(sa.insert(parametres).values(cle="x", valeur="1"))
            conn.execute(sa.insert(parametres).values(cle="x", valeur="2"))

    return go


def test_other_database_errors_pass_through(pg_ctx: AppContext) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        _raise_integrity(pg_ctx.db)()


def test_connection_lost_message_is_french() -> None:
    error = ConnectionLostError(CONNECTION_LOST_MESSAGE)
    assert isinstance(error, StoreError)
    assert error.code == "BASE_CONNEXION_PERDUE"
    assert "rien n'a été enregistré à moitié" in str(error)
