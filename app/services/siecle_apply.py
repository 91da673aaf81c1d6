"""apply(): replay a preview's operations in ONE transaction through run_import.

run_import takes the exclusive use of the establishment, copies the base
(only when there is something to write), runs :class:`_Writer` in one write
transaction with the journal row and the ``eleves`` counter, and journals a
failure or a cancel after the rollback. The operations come from the plan file
written by :mod:`app.services.siecle_plan`, read in batches and written with
``executemany``: a re-import of the same files has no operation, so it writes
no student row at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.models import JournalKind, JournalResult
from app.errors import PasserelleError, UserCancelled
from app.services.changes import REVISION_PREFIX, STUDENTS
from app.services.exclusive import Outcome, run_import
from app.services.siecle_fields import DATE_COLUMNS, LINK_FIELDS, Plain
from app.services.siecle_plan import Plan, PlanFile, _Steps
from app.services.siecle_stage import batches
from app.services.students_import import (
    DATA_LABELS,
    DataChoice,
    ImportPreview,
    ImportResult,
    Progress,
)
from app.store import bulk
from app.store.database import Database
from app.store.tables.foundation import parametres
from app.store.tables.siecle import (
    SIECLE_TABLES,
    siecle_eleves,
    siecle_eleves_divisions,
    siecle_eleves_groupes,
    siecle_eleves_options,
    siecle_liens,
    siecle_personnes,
)

log = logging.getLogger(__name__)

# Test hook (tests/siecle/test_kill.py): when set to a path, apply() creates that
# file once the students are written, still inside the transaction, then waits
# there so the test can kill the process mid-transaction.
PAUSE_ENV = "PASSERELLE_TEST_PAUSE_APPLY"

_TABLES = {t.name: t for t in SIECLE_TABLES}
# Column order of the rows written with bulk.insert_many.
_HISTORY = ("eleve", "division", "du", "au")
_GROUPS = ("eleve", "groupe")
_OPTIONS = ("eleve", "rang", "num_option", "modalite", "code_matiere")
_LINKS = ("eleve", "personne", *LINK_FIELDS)


def apply(
    db: Database,
    preview: ImportPreview,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ImportResult:
    plan = preview._plan
    if not isinstance(plan, Plan) or plan.closed or not plan.path.exists():
        raise PasserelleError(
            "Cet aperçu n'est plus disponible : refaites l'aperçu avant d'importer.",
            code="APERCU_FERME",
        )
    if preview.blocking:
        raise PasserelleError(
            "L'import ne peut pas être fait : " + " ".join(preview.blocking),
            code="SIECLE_IMPORT_BLOQUE",
        )
    steps = _Steps(progress, cancel)
    has_changes = plan.n_ops > 0
    anomalies = sum(plan.anomaly_codes.values())

    def work(conn: Connection) -> Outcome[None]:
        current = conn.execute(
            sa.select(parametres.c.valeur).where(parametres.c.cle == REVISION_PREFIX + STUDENTS)
        ).scalar()
        if current != plan.revision:
            raise PasserelleError(
                "Les élèves de la base ont changé depuis l'aperçu (un autre import a eu lieu) : "
                "rien n'a été modifié. Refaites l'aperçu, puis importez.",
                code="APERCU_PERIME",
            )
        staged = PlanFile(plan.path)
        try:
            _Writer(conn, staged, plan, preview.uai, steps, plan.n_ops).run()
        finally:
            staged.close()
        steps(plan.n_ops, plan.n_ops, "Enregistrement…")
        return Outcome(
            value=None,
            resume=_summary(preview, plan, anomalies),
            details=_details(preview, plan),
            resultat=JournalResult.WARNING if anomalies else JournalResult.SUCCESS,
            topics=[STUDENTS] if has_changes else [],
        )

    with plan.lock:
        steps(0, plan.n_ops, "Copie de sécurité de la base…" if has_changes else "Import…")
        run = run_import(
            db, preview.uai, JournalKind.SIECLE_IMPORT, work, cancel=cancel, copy=has_changes
        )
    log.info(
        "siecle import uai=%s crees=%d mis_a_jour=%d sortis=%d inchanges=%d journal=%s",
        preview.uai, preview.crees, preview.mis_a_jour, preview.sortis, preview.inchanges,
        run.journal_id,
    )  # fmt: skip
    return ImportResult(
        crees=preview.crees,
        mis_a_jour=preview.mis_a_jour,
        sortis=preview.sortis,
        inchanges=preview.inchanges,
        anomalies=anomalies,
        journal_id=run.journal_id,
        copy_path=run.copy,
        other_changes=dict(preview.other_changes),
    )


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n < 2 else many}"


def _summary(preview: ImportPreview, plan: Plan, anomalies: int) -> str:
    """French one-liner for the journal: counts and where the data came from, no names."""
    source = "NetSynchro" if plan.source == "netsynchro" else "fichiers"
    parts = [
        _plural(preview.crees, "élève créé", "élèves créés"),
        _plural(preview.mis_a_jour, "mis à jour", "mis à jour"),
        _plural(preview.sortis, "sorti", "sortis"),
        _plural(preview.inchanges, "inchangé", "inchangés"),
    ]
    text = f"Import SIECLE ({source}) : " + ", ".join(parts)
    if anomalies:
        text += " ; " + _plural(anomalies, "anomalie", "anomalies")
    return text + "."


def _details(preview: ImportPreview, plan: Plan) -> dict[str, Any]:
    return {
        "source": plan.source,
        "annee": preview.annee,
        "fichiers": plan.file_names,
        "donnees": sorted(str(c) for c in preview.options.donnees),
        "donnees_libelles": [DATA_LABELS[c] for c in DataChoice if c in preview.options.donnees],
        "options": {
            "creer": preview.options.creer,
            "mettre_a_jour": preview.options.mettre_a_jour,
            "marquer_sortis": preview.options.marquer_sortis,
        },
        "crees": preview.crees,
        "mis_a_jour": preview.mis_a_jour,
        "sortis": preview.sortis,
        "inchanges": preview.inchanges,
        "autres": preview.other_changes,
        "rapprochements": plan.matched,
        "anomalies": plan.anomaly_codes,
    }


def _db_value(table: sa.Table, column: str, value: Plain) -> Any:
    if isinstance(value, str) and column in _date_columns(table):
        return dt.date.fromisoformat(value)
    return value


_DATES: dict[str, frozenset[str]] = {}


def _date_columns(table: sa.Table) -> frozenset[str]:
    found = _DATES.get(table.name)
    if found is None:
        found = _DATES[table.name] = frozenset(
            c.name for c in table.columns if isinstance(c.type, sa.Date) or c.name in DATE_COLUMNS
        )
    return found


def _db_row(table: sa.Table, values: dict[str, Plain]) -> dict[str, Any]:
    row: dict[str, Any] = dict(values)
    for column in _date_columns(table) & row.keys():
        value = row[column]
        if isinstance(value, str):
            row[column] = dt.date.fromisoformat(value)
    return row


class _Writer:
    def __init__(
        self, conn: Connection, staged: PlanFile, plan: Plan, uai: str, steps: _Steps, total: int
    ) -> None:
        self.conn = conn
        self.plan = plan
        self.staged = staged
        self.uai = uai
        self.steps = steps
        self.total = total
        self.done = 0
        self.now = dt.datetime.now(dt.UTC)

    def tick(self, n: int) -> None:
        self.done += n
        self.steps(self.done, self.total, f"Enregistrement : {self.done} / {self.total}")

    def run(self) -> None:
        self._tables()
        self._create_students()
        _pause_for_tests()
        self._update_students()
        self._persons()
        self._links()

    # -- nomenclature, structures ------------------------------------------------------------

    def _tables(self) -> None:
        for op in self.staged.ops("table"):
            table = _TABLES[op["table"]]
            keys: list[str] = op["keys"]
            where = [table.c.uai == self.uai] + [table.c[k] == sa.bindparam(f"k_{k}") for k in keys]
            if op["delete"]:
                self.conn.execute(
                    sa.delete(table).where(*where),
                    [{f"k_{k}": v for k, v in zip(keys, key, strict=True)} for key in op["delete"]],
                )
            if op["update"]:
                columns = [c for c in op["update"][0] if c not in keys]
                self.conn.execute(
                    sa.update(table)
                    .where(*where)
                    .values({c: sa.bindparam(f"v_{c}") for c in columns}),
                    [
                        {**{f"k_{k}": row[k] for k in keys},
                         **{f"v_{c}": _db_value(table, c, row[c]) for c in columns}}
                        for row in op["update"]
                    ],
                )  # fmt: skip
            if op["insert"]:
                self.conn.execute(
                    sa.insert(table),
                    [{**_db_row(table, row), "uai": self.uai} for row in op["insert"]],
                )
            self.tick(1)

    # -- students ----------------------------------------------------------------------------

    def _create_students(self) -> None:
        t = siecle_eleves
        columns = self.plan.student_columns
        names = [*columns, "uai", "cree_le", "modifie_le"]
        stamp = self._stamp(t)
        tail = (self.uai, stamp, stamp)
        dates = [i for i, c in enumerate(columns) if c in DATE_COLUMNS]
        date = bulk.date_param(self.conn)
        sql = (
            f"SELECT eleve_id, id FROM {bulk.quote(self.conn, t.name)} "
            f"WHERE uai = {bulk.placeholder(self.conn)} AND eleve_id IN {{in}}"
        )
        for batch in batches(self.staged.ops("create_student")):
            rows = []
            for values, _history, _groups, _options in batch:
                for i in dates:
                    values[i] = date(values[i])
                rows.append((*values, *tail))
            bulk.insert_many(self.conn, t, names, rows)
            created = dict(bulk.select_in(self.conn, sql, [r[0] for r in rows], (self.uai,)))
            history: list[tuple[Any, ...]] = []
            groups: list[tuple[Any, ...]] = []
            options: list[tuple[Any, ...]] = []
            for values, entry, student_groups, student_options in batch:
                sid = created[values[0]]
                if entry:
                    history.append((sid, entry[0], date(entry[1]), date(entry[2])))
                groups.extend((sid, g) for g in student_groups)
                options.extend(self._option_rows(sid, student_options))
            bulk.insert_many(self.conn, siecle_eleves_divisions, _HISTORY, history)
            bulk.insert_many(self.conn, siecle_eleves_groupes, _GROUPS, groups)
            bulk.insert_many(self.conn, siecle_eleves_options, _OPTIONS, options)
            self.tick(len(batch))

    def _stamp(self, table: sa.Table) -> Any:
        """The import's timestamp as the driver takes it for ``table.modifie_le``."""
        processor = table.c.modifie_le.type._cached_bind_processor(self.conn.dialect)
        return processor(self.now) if processor is not None else self.now

    @staticmethod
    def _option_rows(sid: int, options: list[list[Plain]]) -> list[tuple[Any, ...]]:
        return [(sid, rang, *o) for rang, o in enumerate(options, 1)]

    def _update_columns(self, table: sa.Table, ops: list[dict[str, Any]]) -> None:
        """One executemany per set of changed columns (updates of one import share a few)."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for op in ops:
            if op["set"]:
                by_columns[tuple(sorted(op["set"]))].append(op)
        for columns, group in by_columns.items():
            stmt = (
                sa.update(table)
                .where(table.c.id == sa.bindparam("k_id"))
                .values({**{c: sa.bindparam(f"v_{c}") for c in columns}, "modifie_le": self.now})
            )
            self.conn.execute(
                stmt,
                [
                    {"k_id": op["id"],
                     **{f"v_{c}": _db_value(table, c, op["set"][c]) for c in columns}}
                    for op in group
                ],
            )  # fmt: skip

    def _update_students(self) -> None:
        h = siecle_eleves_divisions
        for batch in batches(self.staged.ops("update_student")):
            self._update_columns(siecle_eleves, batch)
            closes = [
                {"k_eleve": op["id"], "v_au": dt.date.fromisoformat(op["hist"]["close"])}
                for op in batch
                if op["hist"] and op["hist"]["close"]
            ]
            if closes:
                self.conn.execute(
                    sa.update(h)
                    .where(h.c.eleve == sa.bindparam("k_eleve"), h.c.au.is_(None))
                    .values(au=sa.bindparam("v_au")),
                    closes,
                )
            date = bulk.date_param(self.conn)
            bulk.insert_many(self.conn, h, _HISTORY, [
                (op["id"], op["hist"]["open"], date(op["hist"]["du"]), None)
                for op in batch if op["hist"] and op["hist"]["open"]
            ])  # fmt: skip
            self._replace(
                siecle_eleves_groupes, _GROUPS,
                {op["id"]: [(op["id"], g) for g in op["groups"]]
                 for op in batch if op["groups"] is not None},
            )  # fmt: skip
            self._replace(
                siecle_eleves_options, _OPTIONS,
                {op["id"]: self._option_rows(op["id"], op["options"])
                 for op in batch if op["options"] is not None},
            )  # fmt: skip
            self.tick(len(batch))

    def _replace(
        self, table: sa.Table, names: tuple[str, ...],
        rows_by_student: dict[int, list[tuple[Any, ...]]],
    ) -> None:  # fmt: skip
        if not rows_by_student:
            return
        self.conn.execute(sa.delete(table).where(table.c.eleve.in_(list(rows_by_student))))
        bulk.insert_many(
            self.conn, table, names, [row for rows in rows_by_student.values() for row in rows]
        )

    # -- responsables ------------------------------------------------------------------------

    def _persons(self) -> None:
        t = siecle_personnes
        names = [*self.plan.person_columns, "uai", "modifie_le"]
        tail = (self.uai, self._stamp(t))
        for batch in batches(self.staged.ops("create_person")):
            bulk.insert_many(self.conn, t, names, [(*values, *tail) for values in batch])
            self.tick(len(batch))
        for batch in batches(self.staged.ops("update_person")):
            self._update_columns(t, batch)
            self.tick(len(batch))

    def _links(self) -> None:
        li = siecle_liens
        mark = bulk.placeholder(self.conn)
        by_id = (
            "SELECT {key}, id FROM {table} WHERE uai = " + mark + " AND {key} IN {{in}}"
        )
        students_sql = by_id.format(key="eleve_id", table=bulk.quote(self.conn, "siecle_eleves"))
        persons_sql = by_id.format(
            key="personne_id", table=bulk.quote(self.conn, "siecle_personnes")
        )
        for batch in batches(self.staged.ops("links")):
            unresolved = [op["eleve_id"] for op in batch if op["sid"] is None]
            students = dict(bulk.select_in(self.conn, students_sql, unresolved, (self.uai,)))
            pids = sorted(
                {pid for op in batch for pid in op["delete"]}
                | {pid for op in batch for pid, _v in op["upsert"]}
            )
            persons = dict(bulk.select_in(self.conn, persons_sql, pids, (self.uai,)))
            deletes: list[dict[str, Any]] = []
            inserts: list[tuple[Any, ...]] = []
            for op in batch:
                sid = op["sid"] if op["sid"] is not None else students.get(op["eleve_id"])
                if sid is None:
                    continue  # the student was not created (creation not asked)
                for pid in op["delete"]:
                    if pid in persons:
                        deletes.append({"k_e": sid, "k_p": persons[pid]})
                for pid, values in op["upsert"]:
                    if pid not in persons:
                        continue
                    if op["sid"] is not None:
                        deletes.append({"k_e": sid, "k_p": persons[pid]})
                    inserts.append((sid, persons[pid], *values))
            if deletes:
                self.conn.execute(
                    sa.delete(li).where(
                        li.c.eleve == sa.bindparam("k_e"), li.c.personne == sa.bindparam("k_p")
                    ),
                    deletes,
                )
            bulk.insert_many(self.conn, li, _LINKS, inserts)
            self.tick(len(batch))


def _pause_for_tests() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if not marker:
        return
    Path(marker).write_text("dans la transaction", encoding="utf-8")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.1)
    raise UserCancelled()  # never reached in the test: the process is killed first
