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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.models import JournalKind, JournalResult
from app.errors import PasserelleError, UserCancelled
from app.services.changes import REVISION_PREFIX, STUDENTS
from app.services.exclusive import Outcome, run_import
from app.services.siecle_fields import DATE_COLUMNS, LINK_FIELDS, Plain
from app.services.siecle_plan import BATCH, Plan, PlanFile, _Steps
from app.services.students_import import (
    DATA_LABELS,
    DataChoice,
    ImportPreview,
    ImportResult,
    Progress,
)
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
            _Writer(conn, staged, preview.uai, steps, plan.n_ops).run()
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


def _batches(items: Iterator[Any], size: int = BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Writer:
    def __init__(
        self, conn: Connection, staged: PlanFile, uai: str, steps: _Steps, total: int
    ) -> None:
        self.conn = conn
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
        for batch in _batches(self.staged.ops("create_student")):
            rows = [
                {**op["set"], "uai": self.uai} for op in batch
            ]  # fmt: skip
            self._insert(t, rows, {"cree_le": self.now, "modifie_le": self.now})
            created = dict(
                self.conn.execute(
                    sa.select(t.c.eleve_id, t.c.id).where(
                        t.c.uai == self.uai, t.c.eleve_id.in_([r["eleve_id"] for r in rows])
                    )
                ).all()
            )
            ids = [created[r["eleve_id"]] for r in rows]
            history: list[dict[str, Any]] = []
            groups: list[dict[str, Any]] = []
            options: list[dict[str, Any]] = []
            for sid, op in zip(ids, batch, strict=True):
                if op["hist"]:
                    h = op["hist"]
                    history.append({
                        "eleve": sid, "division": h["division"],
                        "du": dt.date.fromisoformat(h["du"]),
                        "au": dt.date.fromisoformat(h["au"]) if h["au"] else None,
                    })  # fmt: skip
                groups.extend({"eleve": sid, "groupe": g} for g in op["groups"])
                options.extend(self._option_rows(sid, op["options"]))
            self._insert(siecle_eleves_divisions, history)
            self._insert(siecle_eleves_groupes, groups)
            self._insert(siecle_eleves_options, options)
            self.tick(len(batch))

    @staticmethod
    def _option_rows(sid: int, options: list[list[Plain]]) -> list[dict[str, Any]]:
        return [
            {"eleve": sid, "rang": rang, "num_option": o[0], "modalite": o[1],
             "code_matiere": o[2]}
            for rang, o in enumerate(options, 1)
        ]  # fmt: skip

    def _insert(
        self, table: sa.Table, rows: list[dict[str, Any]], constants: dict[str, Any] | None = None
    ) -> None:
        """executemany straight to the driver: SQLAlchemy's per-row parameter handling was
        half of the import time. Values go through each column's own bind processor, so
        what is stored is exactly what ``sa.insert`` would store."""
        if not rows:
            return
        columns = list(rows[0])
        constants = constants or {}
        dialect = self.conn.dialect
        quote = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        every = [*columns, *constants]
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in every)}) "
            f"VALUES ({', '.join([mark] * len(every))})"
        )
        # Values shared by every row (timestamps) go through their bind processor once.
        tail = []
        for c, value in constants.items():
            processor = table.c[c].type._cached_bind_processor(dialect)
            tail.append(processor(value) if processor is not None else value)
        # Plain ISO text in a date column becomes a date first (what _db_row does).
        dates = _date_columns(table)
        converters: list[tuple[int, Any, bool]] = []
        for i, c in enumerate(columns):
            processor = table.c[c].type._cached_bind_processor(dialect)
            if processor is not None or c in dates:
                converters.append((i, processor, c in dates))
        params: list[tuple[Any, ...]] = []
        fromiso = dt.date.fromisoformat
        for r in rows:
            values = [r[c] for c in columns]
            for i, processor, is_date in converters:
                value = values[i]
                if is_date and isinstance(value, str):
                    value = fromiso(value)
                values[i] = processor(value) if processor is not None else value
            values.extend(tail)
            params.append(tuple(values))
        self.conn.exec_driver_sql(sql, params)

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
        for batch in _batches(self.staged.ops("update_student")):
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
            self._insert(h, [
                {"eleve": op["id"], "division": op["hist"]["open"],
                 "du": dt.date.fromisoformat(op["hist"]["du"]), "au": None}
                for op in batch if op["hist"] and op["hist"]["open"]
            ])  # fmt: skip
            self._replace(
                siecle_eleves_groupes,
                {op["id"]: [{"eleve": op["id"], "groupe": g} for g in op["groups"]]
                 for op in batch if op["groups"] is not None},
            )  # fmt: skip
            self._replace(
                siecle_eleves_options,
                {op["id"]: self._option_rows(op["id"], op["options"])
                 for op in batch if op["options"] is not None},
            )  # fmt: skip
            self.tick(len(batch))

    def _replace(self, table: sa.Table, rows_by_student: dict[int, list[dict[str, Any]]]) -> None:
        if not rows_by_student:
            return
        self.conn.execute(sa.delete(table).where(table.c.eleve.in_(list(rows_by_student))))
        self._insert(table, [row for rows in rows_by_student.values() for row in rows])

    # -- responsables ------------------------------------------------------------------------

    def _persons(self) -> None:
        t = siecle_personnes
        for batch in _batches(self.staged.ops("create_person")):
            self._insert(t, [
                {**op["set"], "personne_id": op["personne_id"], "uai": self.uai}
                for op in batch
            ], {"modifie_le": self.now})  # fmt: skip
            self.tick(len(batch))
        for batch in _batches(self.staged.ops("update_person")):
            self._update_columns(t, batch)
            self.tick(len(batch))

    def _links(self) -> None:
        li, pe, el = siecle_liens, siecle_personnes, siecle_eleves
        for batch in _batches(self.staged.ops("links")):
            unresolved = [op["eleve_id"] for op in batch if op["sid"] is None]
            students: dict[str, int] = {}
            if unresolved:
                students = dict(
                    self.conn.execute(
                        sa.select(el.c.eleve_id, el.c.id).where(
                            el.c.uai == self.uai, el.c.eleve_id.in_(unresolved)
                        )
                    ).all()
                )
            pids = sorted(
                {pid for op in batch for pid in op["delete"]}
                | {pid for op in batch for pid, _v in op["upsert"]}
            )
            persons = dict(
                self.conn.execute(
                    sa.select(pe.c.personne_id, pe.c.id).where(
                        pe.c.uai == self.uai, pe.c.personne_id.in_(pids)
                    )
                ).all()
            )
            deletes: list[dict[str, Any]] = []
            inserts: list[dict[str, Any]] = []
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
                    inserts.append({
                        "eleve": sid, "personne": persons[pid],
                        **dict(zip(LINK_FIELDS, values, strict=True)),
                    })  # fmt: skip
            if deletes:
                self.conn.execute(
                    sa.delete(li).where(
                        li.c.eleve == sa.bindparam("k_e"), li.c.personne == sa.bindparam("k_p")
                    ),
                    deletes,
                )
            self._insert(li, inserts)
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
