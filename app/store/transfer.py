"""Copy a whole base into a new, empty one (``passerelle base migrer-vers URL``).

The usual case is a school moving its one-PC SQLite base to a PostgreSQL
server shared by several PCs. The target gets the current schema through the
normal migrations, then every table of the metadata is copied in foreign-key
order, in one transaction on the target and from one snapshot of the source.
Row counts are checked before commit; any difference rolls everything back.

Tables added later by other features are copied too: the list comes from
``metadata.sorted_tables``, not from a hand-written list.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

import app.store.tables  # noqa: F401 - registers every table on the metadata
from app.domain.models import JournalKind, JournalResult
from app.errors import StoreError
from app.store import journal as journal_store
from app.store import migrate
from app.store import settings as settings_store
from app.store.database import Database, resolve_base_url
from app.store.errors import translate_db_errors
from app.store.metadata import metadata

log = logging.getLogger(__name__)

BATCH_SIZE = 1000

# Not data: lock bookkeeping of the source's running operations (including
# this transfer's own locks), meaningless on another base.
SKIPPED_TABLES = frozenset({"alembic_version", "verrous"})

# Rows Passerelle writes by itself when it opens a new base; a target holding
# only these is still "never used" and may receive the copy.
_AUTOMATIC_SETTINGS = frozenset({settings_store.SCHOOL_YEAR})
_REVISION_PREFIX = "revision:"


@dataclass(frozen=True)
class TransferReport:
    source: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)
    journal_id: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def tables_to_copy() -> list[sa.Table]:
    return [t for t in metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def _plural(n: int) -> str:
    return f"{n} ligne" if n == 1 else f"{n} lignes"


def _same_base(source: Database, target_url: str) -> bool:
    target = sa.engine.make_url(target_url)
    if target.get_backend_name() == "sqlite":
        return (
            source.sqlite_path is not None
            and target.database not in (None, "", ":memory:")
            and Path(str(target.database)).resolve() == source.sqlite_path.resolve()
        )
    src = source.engine.url
    return (
        src.get_backend_name() == target.get_backend_name()
        and (src.host or "") == (target.host or "")
        and (src.port or 5432) == (target.port or 5432)
        and src.database == target.database
    )


def _leftovers(conn: Connection, structure: set[str]) -> list[str]:
    """What makes the target non-empty, in French; [] when it may receive the copy.

    ``structure``: every table Passerelle's migrations create (the source's).
    """
    names = set(sa.inspect(conn).get_table_names())
    if not names:
        return []
    known = structure | set(metadata.tables) | {"alembic_version"}
    foreign = sorted(names - known)
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        return [f"des tables qui ne sont pas celles de Passerelle ({shown})"]
    from alembic.runtime.migration import MigrationContext  # only when transferring

    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is not None and revision not in migrate.revisions():
        return [f"une structure Passerelle plus récente que ce programme ({revision})"]
    problems: list[str] = []
    for name in sorted(names - {"alembic_version", "verrous"}):
        table = metadata.tables.get(name)
        query = sa.select(sa.func.count()).select_from(
            table if table is not None else sa.table(name)
        )
        if table is not None and name == "parametres":
            cle = table.c.cle
            query = query.where(
                cle.not_in(sorted(_AUTOMATIC_SETTINGS)), ~cle.startswith(_REVISION_PREFIX)
            )
        count = int(conn.execute(query).scalar_one())
        if count:
            problems.append(f"{name} : {_plural(count)}")
    return problems


def _check_target(target: Database, structure: set[str]) -> None:
    with target.engine.connect() as conn:
        if target.is_postgresql:
            encoding = conn.exec_driver_sql("SHOW server_encoding").scalar()
            if str(encoding).upper() not in ("UTF8", "UTF-8"):
                raise StoreError(
                    f"La base de destination est en codage {encoding} : les noms accentués ne "
                    "pourraient pas y être enregistrés. Créez-la en UTF8 (CREATE DATABASE … "
                    "ENCODING 'UTF8' TEMPLATE template0), voir docs/deploiement-reseau.md.",
                    code="BASE_DESTINATION",
                )
        problems = _leftovers(conn, structure)
    if problems:
        raise StoreError(
            "La base de destination n'est pas vide (" + " ; ".join(problems) + "). "
            "Pour ne rien écraser, Passerelle ne copie une base que vers une base neuve : "
            "créez une base vide sur le serveur (voir docs/deploiement-reseau.md), puis "
            "recommencez.",
            code="BASE_DESTINATION_NON_VIDE",
        )


def _source_structure(source: Database) -> set[str]:
    """The source's tables; refuse if some hold data this version would not copy."""
    with source.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        unknown = sorted(
            name
            for name in names - set(metadata.tables) - SKIPPED_TABLES
            if conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar()
        )
    if unknown:
        raise StoreError(
            "La base contient des données que cette version de Passerelle ne sait pas copier "
            f"({', '.join(unknown[:5])}). Mettez Passerelle à jour, puis recommencez.",
            code="BASE_TRANSFERT",
        )
    return names


def _utc(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # SQLite gives naive datetimes that Passerelle always stores in UTC;
        # PostgreSQL would read naive values in the server's time zone.
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


def _copy_table(sconn: Connection, tconn: Connection, table: sa.Table, batch_size: int) -> int:
    tz_columns = [
        c.name for c in table.columns if isinstance(c.type, sa.DateTime) and c.type.timezone
    ]
    order = list(table.primary_key.columns) or list(table.columns)
    result = sconn.execution_options(yield_per=batch_size).execute(
        sa.select(table).order_by(*order)
    )
    copied = 0
    for part in result.partitions():
        batch = [dict(row._mapping) for row in part]
        for row in batch:
            for name in tz_columns:
                row[name] = _utc(row[name])
        tconn.execute(table.insert(), batch)
        copied += len(batch)
    return copied


def _count(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _reset_sequences(tconn: Connection, tables: list[sa.Table]) -> None:
    """Explicit ids were copied: move each PostgreSQL sequence past the largest one."""
    preparer = tconn.dialect.identifier_preparer
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        qualified = preparer.format_table(table)
        sequence = tconn.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": qualified, "c": pk[0].name}
        ).scalar()
        if not sequence:
            continue
        column = preparer.quote(pk[0].name)
        tconn.execute(
            sa.text(
                f"SELECT setval(:s, COALESCE((SELECT MAX({column}) FROM {qualified}), 1), "
                f"(SELECT MAX({column}) FROM {qualified}) IS NOT NULL)"
            ),
            {"s": sequence},
        )


@contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """One consistent view of the whole source while its tables are read one by one.

    Database.read() runs in PostgreSQL's default READ COMMITTED, where each
    statement sees its own snapshot; a PostgreSQL source needs REPEATABLE READ
    so a write committed mid-copy cannot appear in some tables only. SQLite
    (WAL) already keeps one snapshot per read transaction.
    """
    options: dict[str, Any] = {"passerelle_begin": "DEFERRED"}
    if db.is_postgresql:
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with db.engine.connect() as conn:
        conn = conn.execution_options(**options)
        with conn.begin():
            yield conn


def migrate_to(
    source: Database, target_url: str, *, batch_size: int = BATCH_SIZE
) -> TransferReport:
    """Copy ``source`` into the empty base at ``target_url``; return the counts.

    The caller keeps imports away from the source meanwhile
    (app.services.shared.transfer_base holds every establishment) and journals
    the transfer in the source; the target's journal row is written here, in
    the copy's own transaction.
    """
    target_url = resolve_base_url(target_url)
    target = Database(target_url)  # refuses unknown addresses in French
    if _same_base(source, target_url):
        target.dispose()
        raise StoreError(
            "La base de destination est la base actuelle elle-même.", code="BASE_DESTINATION"
        )
    if migrate.current_revision(source) != migrate.head_revision():
        target.dispose()
        raise StoreError(
            "La base actuelle n'est pas à jour : ouvrez-la d'abord avec cette version de "
            "Passerelle, puis recommencez.",
            code="BASE_DESTINATION",
        )
    where = target.describe()
    try:
        with translate_db_errors(where):
            _check_target(target, _source_structure(source))
            migrate.upgrade(target, backup=False)
        tables = tables_to_copy()
        counts: dict[str, int] = {}
        with translate_db_errors(where), _snapshot(source) as sconn, target.write() as tconn:
            # Only automatic rows can be here (checked above); the copy replaces them.
            for name in ("verrous", "parametres"):
                if name in metadata.tables:
                    tconn.execute(sa.delete(metadata.tables[name]))
            for table in tables:
                expected = _count(sconn, table)
                copied = _copy_table(sconn, tconn, table, batch_size)
                found = _count(tconn, table)
                if not expected == copied == found:
                    log.error("transfer count mismatch on %s: %s/%s/%s",
                              table.name, expected, copied, found)
                    raise StoreError(
                        f"Le nombre de lignes copiées ne correspond pas pour « {table.name} » "
                        f"({expected} dans la base d'origine, {found} dans la destination). "
                        "Rien n'a été copié ; la base d'origine est intacte.",
                        code="BASE_TRANSFERT",
                    )
                counts[table.name] = copied
                log.info("transfer: %s rows of %s copied", copied, table.name)
            if target.is_postgresql:
                _reset_sequences(tconn, tables)
            journal_id = journal_store.append(
                tconn,
                nature=JournalKind.BASE_MIGRATE,
                resultat=JournalResult.SUCCESS,
                resume=f"Base reçue depuis {source.describe()} "
                       f"({_plural(sum(counts.values()))} copiées et vérifiées)",
                details={"origine": source.describe(), "lignes": counts},
            )
    finally:
        target.dispose()
    return TransferReport(source.describe(), where, counts, journal_id)
