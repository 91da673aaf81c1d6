"""Cheap change detection, so every PC sharing a base sees the others' work.

Writers call :func:`bump_revision` inside their write transaction: the counter
row ``revision:<topic>`` in ``parametres`` becomes visible to the other PCs in
the same commit as the data, never before. :class:`ChangeWatcher` reads those
counters (plus a few fingerprints of small tables that older code writes
without bumping: journal, establishments, settings) in one snapshot, every ~2 s
from the GUI (app/gui/change_poller.py), and says which topics changed.

Topic names are the same strings as ``app.gui.hub``'s (checked by a test);
they are repeated here because services do not import Qt.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.errors import PasserelleError
from app.store import settings as settings_store
from app.store.database import Database
from app.store.errors import translate_db_errors
from app.store.tables.foundation import etablissements, journal, parametres

log = logging.getLogger(__name__)

STUDENTS = "eleves"
TIMETABLE = "edt"
STS = "sts"
JOURNAL = "journal"
ESTABLISHMENTS = "etablissements"
YEAR = "annee"
SETTINGS = "parametres"

# Topics another PC can change (certificates are per PC, so not here).
SHARED_TOPICS: frozenset[str] = frozenset(
    {STUDENTS, TIMETABLE, STS, JOURNAL, ESTABLISHMENTS, YEAR, SETTINGS}
)

REVISION_PREFIX = "revision:"
_TOPIC_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _check_topic(topic: str) -> None:
    if not _TOPIC_RE.match(topic):
        # A programming error, but it must still reach the user in French.
        raise PasserelleError(f"Sujet de changement invalide : « {topic} ».", code="SUJET")


def bump_revision(conn: Connection, topic: str) -> None:
    """Mark ``topic`` as changed, inside the caller's write transaction.

    Call it at the end of the work, just before commit: on PostgreSQL the
    counter row stays locked until commit, so a concurrent writer bumping the
    same topic waits from that moment only. Bump several topics in sorted
    order (``bump_revisions`` does) so two writers cannot deadlock.
    """
    _check_topic(topic)
    key = REVISION_PREFIX + topic
    next_value = sa.cast(sa.cast(parametres.c.valeur, sa.BigInteger) + 1, sa.Text)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg_stmt = pg_insert(parametres).values(cle=key, valeur="1")
        conn.execute(pg_stmt.on_conflict_do_update(index_elements=[parametres.c.cle],
                                                   set_={"valeur": next_value}))
        return
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite_stmt = sqlite_insert(parametres).values(cle=key, valeur="1")
        conn.execute(lite_stmt.on_conflict_do_update(index_elements=[parametres.c.cle],
                                                     set_={"valeur": next_value}))
        return
    # Other engines are not supported by Passerelle; keep a portable fallback.
    updated = conn.execute(
        sa.update(parametres).where(parametres.c.cle == key).values(valeur=next_value)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(parametres).values(cle=key, valeur="1"))


def bump_revisions(conn: Connection, topics: Iterable[str]) -> None:
    for topic in sorted(set(topics)):
        bump_revision(conn, topic)


# One source of change -> (topic, comparable value). Counters are ints so a
# value going backwards (base restored from an older copy) can be recognised.
_State = dict[str, tuple[str, int | str]]


def _digest(rows: Iterable[Sequence[object]]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for row in rows:
        h.update(repr(tuple(row)).encode("utf-8"))
    return h.hexdigest()


def read_state(conn: Connection) -> _State:
    state: _State = {}
    settings_rows: list[Sequence[object]] = []
    for cle, valeur in conn.execute(
        sa.select(parametres.c.cle, parametres.c.valeur).order_by(parametres.c.cle)
    ):
        if cle.startswith(REVISION_PREFIX):
            topic = cle[len(REVISION_PREFIX):]
            try:
                state["rev:" + topic] = (topic, int(valeur))
            except ValueError:
                state["rev:" + topic] = (topic, str(valeur))
        elif cle == settings_store.SCHOOL_YEAR:
            state["year"] = (YEAR, str(valeur))
        else:
            settings_rows.append((cle, valeur))
    state["settings"] = (SETTINGS, _digest(settings_rows))
    last_entry = conn.execute(sa.select(sa.func.max(journal.c.id))).scalar()
    state["journal"] = (JOURNAL, int(last_entry or 0))
    state["establishments"] = (
        ESTABLISHMENTS,
        _digest(
            conn.execute(
                sa.select(etablissements.c.uai, etablissements.c.nom).order_by(
                    etablissements.c.uai
                )
            )
        ),
    )
    return state


def _went_backwards(old: _State, new: _State) -> bool:
    for key, (_topic, value) in old.items():
        if key.startswith("rev:") and key not in new:
            return True
        if key == "journal" or key.startswith("rev:"):
            newer = new.get(key, ("", 0))[1]
            if isinstance(value, int) and isinstance(newer, int) and newer < value:
                return True
    return False


class ChangeWatcher:
    """Polls one base; not thread-safe, one poll at a time (the poller ensures it)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._state: _State | None = None

    def _read(self) -> _State:
        with translate_db_errors(self.db.describe()), self.db.read() as conn:
            return read_state(conn)

    def prime(self) -> None:
        """Take the reference state (what the views have just loaded)."""
        self._state = self._read()

    def poll(self) -> set[str] | None:
        """Topics changed since the last poll; None means "the base was replaced".

        None happens when counters went backwards (a copy was restored): every
        view should reload. The first call only takes the reference state and
        returns an empty set. Raises ConnectionLostError when the server is
        unreachable; the counters survive the outage, so the next successful
        poll still reports what changed meanwhile.
        """
        new = self._read()
        old, self._state = self._state, new
        if old is None:
            return set()
        if _went_backwards(old, new):
            log.info("base revision went backwards: full refresh")
            return None
        changed = {
            topic
            for key in old.keys() | new.keys()
            for topic in ((new.get(key) or old[key])[0],)
            if old.get(key) != new.get(key)
        }
        if changed:
            log.debug("changed topics: %s", sorted(changed))
        return changed
