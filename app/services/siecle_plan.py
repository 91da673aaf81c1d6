"""prepare(): read the SIECLE exports, match students, compute every change; write nothing.

Memory stays flat whatever the number of students: the file's students and the
base's matching keys are spilled into a private SQLite « plan file » in a
temporary folder; matching (ELEVE_ID, then INE, then identity + birth date) is
three SQL statements there; the diff then walks the matched students in
batches, reading the base's rows for one batch at a time, and appends the
operations :mod:`app.services.siecle_apply` will replay. The base is read in
ONE snapshot (``db.read()``), and its ``revision:eleves`` counter is recorded
so apply() can refuse a preview made stale by another PC.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import marshal
import shutil
import sqlite3
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.school_year import year_label
from app.domain.siecle import Anomaly, SiecleKind
from app.domain.uai import validate_uai
from app.errors import PasserelleError, UserCancelled
from app.formats.siecle import (
    AnySiecleFile,
    ElevesFile,
    NomenclaturesFile,
    ResponsablesFile,
    StructuresFile,
    codes,
    read_siecle,
)
from app.services import base_admin, netsynchro_settings
from app.services.changes import REVISION_PREFIX, STUDENTS
from app.services.siecle_fields import (
    ADDRESS_FIELDS,
    DATE_COLUMNS,
    IDENTITY_FIELDS,
    LABELS,
    LINK_FIELDS,
    PERSON_COLUMNS,
    PERSON_FIELDS,
    STUDENT_COLUMNS,
    Plain,
    display,
    format_options,
    identity_key,
    plain,
)
from app.services.siecle_stage import (
    RESPONSABLE_SCHEMA,
    HelperFailed,
    ResponsablesInHelper,
    helper_wanted,
    stage_links,
    stage_persons,
    stage_students,
    student_label,
)
from app.services.students_import import (
    ChangeKind,
    DataChoice,
    FieldChange,
    FileInfo,
    FromFiles,
    FromNetSynchro,
    ImportOptions,
    ImportPreview,
    Progress,
    Source,
    StudentChange,
)
from app.store import bulk
from app.store.database import Database
from app.store.tables.foundation import parametres
from app.store.tables.siecle import (
    siecle_divisions,
    siecle_eleves,
    siecle_eleves_divisions,
    siecle_eleves_groupes,
    siecle_eleves_options,
    siecle_groupes,
    siecle_liens,
    siecle_matieres,
    siecle_mefs,
    siecle_modalites,
    siecle_personnes,
    siecle_programmes,
)

if TYPE_CHECKING:  # the TLS stack is imported only when NetSynchro is used
    from app.netsynchro.client import RetryPolicy
    from app.security.certificates import CertificateStore

log = logging.getLogger(__name__)

BATCH = 500
# The preview keeps this many detailed changes in memory (the GUI list); the
# report reads all of them from the plan file. Keeps 50,000 students flat.
CHANGE_LIST_LIMIT = 5000

_STUDENT_DATA = frozenset(
    {DataChoice.ELEVES, DataChoice.ADRESSES_ELEVES, DataChoice.STRUCTURES, DataChoice.OPTIONS}
)
_RESPONSABLE_DATA = frozenset({DataChoice.RESPONSABLES, DataChoice.ADRESSES_RESPONSABLES})

FLUX_FOR_KIND = {
    SiecleKind.ELEVES: "sco-eleves-adr",
    SiecleKind.RESPONSABLES: "sco-responsables-adr",
    SiecleKind.NOMENCLATURES: "sco-nomenclatures",
    SiecleKind.STRUCTURES: "sco-structures",
}
_EXPORT_NAMES = {
    SiecleKind.ELEVES: "Élèves (ExportXML_ElevesAvecAdresses.zip)",
    SiecleKind.RESPONSABLES: "Responsables (ExportXML_ResponsablesAvecAdresses.zip)",
    SiecleKind.NOMENCLATURES: "Nomenclature (ExportXML_Nomenclature.zip)",
    SiecleKind.STRUCTURES: "Structures (ExportXML_Structures.zip)",
}


# --- which files the ticked data need ----------------------------------------------------------


def needed_kinds(options: ImportOptions) -> set[SiecleKind]:
    kinds: set[SiecleKind] = set()
    if options.donnees & _STUDENT_DATA:
        kinds.add(SiecleKind.ELEVES)
    if options.donnees & _RESPONSABLE_DATA:
        kinds.add(SiecleKind.RESPONSABLES)
    if DataChoice.NOMENCLATURES in options.donnees:
        kinds.add(SiecleKind.NOMENCLATURES)
    return kinds


def wanted_kinds(options: ImportOptions) -> set[SiecleKind]:
    """Needed kinds plus the optional Structures export (division and group labels)."""
    kinds = needed_kinds(options)
    if DataChoice.STRUCTURES in options.donnees:
        kinds.add(SiecleKind.STRUCTURES)
    return kinds


def _missing_messages(present: set[SiecleKind], options: ImportOptions) -> list[str]:
    messages = []
    for kind in sorted(needed_kinds(options) - present, key=lambda k: k.value):
        messages.append(
            f"Il manque l'export {_EXPORT_NAMES[kind]} pour les données cochées "
            f"({_ticked_labels(kind, options)})."
        )
    return messages


def _ticked_labels(kind: SiecleKind, options: ImportOptions) -> str:
    from app.services.students_import import DATA_LABELS

    group = {
        SiecleKind.ELEVES: _STUDENT_DATA,
        SiecleKind.RESPONSABLES: _RESPONSABLE_DATA,
        SiecleKind.NOMENCLATURES: frozenset({DataChoice.NOMENCLATURES}),
    }.get(kind, frozenset())
    return ", ".join(DATA_LABELS[c] for c in DataChoice if c in group & options.donnees)


def missing_files(paths: Sequence[Path], options: ImportOptions) -> list[str]:
    present: set[SiecleKind] = set()
    sans_adresses: list[tuple[SiecleKind, str]] = []
    for path in paths:
        try:
            with read_siecle(path) as opened:
                present.add(opened.kind)
                if "sansadresse" in Path(path).name.lower():
                    sans_adresses.append((opened.kind, Path(path).name))
        except PasserelleError:
            continue  # prepare() says why this file is refused
    messages = _missing_messages(present, options)
    for kind, name in sans_adresses:
        messages.extend(_sans_adresses_message(kind, name, options))
    return messages


def _sans_adresses_message(kind: SiecleKind, name: str, options: ImportOptions) -> list[str]:
    if kind is SiecleKind.ELEVES and DataChoice.ADRESSES_ELEVES in options.donnees:
        return [
            f"« {name} » est un export sans adresses : les adresses des élèves demandent "
            "l'export ElevesAvecAdresses (ou décochez « Adresses des élèves »)."
        ]
    if kind is SiecleKind.RESPONSABLES and DataChoice.ADRESSES_RESPONSABLES in options.donnees:
        return [
            f"« {name} » est un export sans adresses : les adresses des responsables demandent "
            "l'export ResponsablesAvecAdresses (ou décochez « Adresses des responsables »)."
        ]
    return []


def netsynchro_available(
    db: Database, uai: str, *, store: CertificateStore | None = None
) -> tuple[bool, str]:
    try:
        code = validate_uai(uai)
        if not netsynchro_settings.load(db).url:
            return False, (
                "L'adresse de la plateforme NetSynchro n'est pas configurée : renseignez-la dans "
                "« Fichier > Paramètres de la base… »."
            )
        from app.security.certificates import CertificateStore

        info = (store or CertificateStore()).info(code)
    except PasserelleError as exc:
        return False, exc.message
    if info is None:
        return False, (
            f"Aucun certificat n'est installé pour l'établissement {code} : importez-le "
            "(« Fichier > Certificats… ») ou utilisez les fichiers exportés de SIECLE."
        )
    if info.expire:
        return False, (
            f"Le certificat de l'établissement {code} a expiré le "
            f"{info.valide_au.astimezone().strftime('%d/%m/%Y')} : importez le nouveau "
            "certificat ou utilisez les fichiers exportés de SIECLE."
        )
    if info.pas_encore_valide:
        return False, (
            f"Le certificat de l'établissement {code} ne sera valable qu'à partir du "
            f"{info.valide_du.astimezone().strftime('%d/%m/%Y')}."
        )
    return True, ""


# --- the plan file ------------------------------------------------------------------------------

_PLAN_SCHEMA = """
CREATE TABLE f (rowid INTEGER PRIMARY KEY, eleve_id TEXT NOT NULL UNIQUE, ine TEXT, cle TEXT,
                dn TEXT, label TEXT NOT NULL, data BLOB NOT NULL, base_id INTEGER, niveau TEXT);
CREATE INDEX f_base ON f(base_id);
CREATE INDEX f_ine ON f(ine);
CREATE INDEX f_cle ON f(cle, dn);
CREATE TABLE b (id INTEGER PRIMARY KEY, eleve_id TEXT NOT NULL, ine TEXT, cle TEXT, dn TEXT,
                sorti_le TEXT, label TEXT NOT NULL);
CREATE INDEX b_eleve ON b(eleve_id);
CREATE INDEX b_ine ON b(ine);
CREATE INDEX b_cle ON b(cle, dn);
CREATE TABLE ops (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, n INTEGER NOT NULL,
                  payloads BLOB NOT NULL);
CREATE INDEX ops_kind ON ops(kind, seq);
CREATE TABLE changes (seq INTEGER PRIMARY KEY, eleve_id TEXT NOT NULL, label TEXT NOT NULL,
                      kind TEXT NOT NULL, changes BLOB NOT NULL);
"""


class PlanFile:
    """The private SQLite file holding the staged students, the matches and the operations."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        # isolation_level=None: we batch with explicit BEGIN/COMMIT below.
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # A scratch file: no journal, no fsync; losing it only loses the preview.
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA temp_store=FILE")
        self.conn.execute("PRAGMA cache_size=-8000")  # 8 MB, whatever the size of the school
        if create:
            self.conn.executescript(_PLAN_SCHEMA + RESPONSABLE_SCHEMA)
        self.conn.execute("BEGIN")
        self._ops: dict[str, list[Any]] = {}
        self._changes: list[tuple[str, str, str, bytes]] = []

    def op(self, kind: str, payload: Any) -> None:
        # Buffered per kind and stored BATCH at a time in one marshal blob: the payloads are
        # plain values (str, int, bool, None, lists, dicts) in a private file; marshal is
        # several times cheaper than JSON, and a blob per batch shares the dict keys.
        pending = self._ops.setdefault(kind, [])
        pending.append(payload)
        if len(pending) >= BATCH:
            self._write_ops(kind)

    def change(self, eleve_id: str, label: str, kind: str, changes: Any) -> None:
        self._changes.append((eleve_id, label, kind, marshal.dumps(changes)))
        if len(self._changes) >= BATCH:
            self.flush()

    def _write_ops(self, kind: str) -> None:
        pending = self._ops.pop(kind, None)
        if pending:
            self.conn.execute(
                "INSERT INTO ops (kind, n, payloads) VALUES (?, ?, ?)",
                (kind, len(pending), marshal.dumps(pending)),
            )

    def flush(self) -> None:
        for kind in list(self._ops):
            self._write_ops(kind)
        if self._changes:
            self.conn.executemany(
                "INSERT INTO changes (eleve_id, label, kind, changes) VALUES (?, ?, ?, ?)",
                self._changes,
            )
            self._changes.clear()

    def copy_staged(self, path: Path, table: str, columns: str) -> None:
        """Append the rows a helper process staged in table ``table`` of ``path``, in order."""
        self.flush()
        self.conn.execute("COMMIT")  # ATTACH and DETACH need no open transaction
        self.conn.execute("ATTACH DATABASE ? AS helper", (str(path),))
        try:
            self.conn.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM helper.{table} "
                "ORDER BY seq"
            )
        finally:
            self.conn.execute("DETACH DATABASE helper")
            self.conn.execute("BEGIN")

    def ops(self, kind: str) -> Iterator[Any]:
        self.flush()
        cursor = self.conn.execute(
            "SELECT payloads FROM ops WHERE kind = ? ORDER BY seq", (kind,)
        )
        while row := cursor.fetchone():
            yield from marshal.loads(row[0])

    def count_ops(self) -> int:
        self.flush()
        return int(self.conn.execute("SELECT coalesce(sum(n), 0) FROM ops").fetchone()[0])

    def commit(self) -> None:
        self.flush()
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # nothing open to commit
            self.flush()
            self.conn.execute("COMMIT")
        self.conn.close()


@dataclass
class Plan:
    """What apply() needs besides the preview's counts; kept in ``ImportPreview._plan``."""

    path: Path
    revision: str | None
    source: str  # fichier | netsynchro
    file_names: list[str]
    anomaly_codes: dict[str, int]
    n_ops: int
    today: str
    matched: dict[str, int] = field(default_factory=dict)  # students per matching level
    # Column order of the values of each create_student / create_person operation.
    student_columns: list[str] = field(default_factory=list)
    person_columns: list[str] = field(default_factory=list)
    closed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def close_preview(preview: ImportPreview) -> None:
    plan = preview._plan
    if isinstance(plan, Plan):
        plan.closed = True
    if preview._tempdir is not None:
        shutil.rmtree(preview._tempdir, ignore_errors=True)
        preview._tempdir = None


def iter_changes(preview: ImportPreview) -> Iterator[StudentChange]:
    """Every change (not only the first CHANGE_LIST_LIMIT), from the plan file."""
    plan = preview._plan
    if not isinstance(plan, Plan) or plan.closed:
        yield from preview.changes
        return
    staged = PlanFile(plan.path)
    try:
        cursor = staged.conn.execute(
            "SELECT eleve_id, label, kind, changes FROM changes ORDER BY seq"
        )
        while rows := cursor.fetchmany(BATCH):
            for eleve_id, label, kind, changes in rows:
                yield StudentChange(
                    eleve_id, label, kind, tuple(FieldChange(*c) for c in marshal.loads(changes))
                )
    finally:
        staged.close()


# --- progress and cancel -------------------------------------------------------------------------


class _Steps:
    def __init__(self, progress: Progress | None, cancel: threading.Event | None) -> None:
        self.progress = progress
        self.cancel = cancel

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise UserCancelled()

    def __call__(self, done: int, total: int, text: str) -> None:
        self.check()
        if self.progress is not None:
            self.progress(done, total, text)


# --- prepare ------------------------------------------------------------------------------------


def prepare(
    db: Database,
    uai: str,
    source: Source,
    options: ImportOptions,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    store: CertificateStore | None = None,
    retry: RetryPolicy | None = None,
) -> ImportPreview:
    steps = _Steps(progress, cancel)
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    if not options.donnees:
        raise PasserelleError(
            "Cochez au moins une donnée à récupérer.", code="SIECLE_AUCUNE_DONNEE"
        )
    tempdir = Path(tempfile.mkdtemp(prefix="passerelle-siecle-"))
    opened: list[AnySiecleFile] = []
    try:
        if isinstance(source, FromNetSynchro):
            paths = _download(db, code, annee, options, tempdir, steps, store, retry)
            source_label = f"NetSynchro ({year_label(annee)})"
            source_kind = "netsynchro"
        elif isinstance(source, FromFiles):
            paths = list(source.paths)
            source_label = "Fichiers : " + ", ".join(Path(p).name for p in paths)
            source_kind = "fichier"
        else:  # pragma: no cover - the type says it cannot happen
            raise TypeError(source)
        steps(0, -1, "Vérification des fichiers…")
        by_kind = _open_files(paths, code, annee, opened)
        staged = PlanFile(tempdir / "plan.sqlite", create=True)
        try:
            preview = _Preparer(db, code, annee, options, by_kind, staged, steps).run()
        finally:
            staged.close()
        preview.source_label = source_label
        preview._tempdir = tempdir
        assert isinstance(preview._plan, Plan)
        preview._plan.source = source_kind
        log.info(
            "siecle preview uai=%s crees=%d mis_a_jour=%d sortis=%d inchanges=%d anomalies=%d",
            code, preview.crees, preview.mis_a_jour, preview.sortis, preview.inchanges,
            len(preview.anomalies),
        )  # fmt: skip
        return preview
    except BaseException:
        shutil.rmtree(tempdir, ignore_errors=True)
        raise
    finally:
        for f in opened:
            f.close()


def _download(
    db: Database,
    uai: str,
    annee: int,
    options: ImportOptions,
    tempdir: Path,
    steps: _Steps,
    store: CertificateStore | None,
    retry: RetryPolicy | None,
) -> list[Path]:
    from app.services.netsynchro_access import client_for

    kinds = sorted(wanted_kinds(options), key=lambda k: k.value)
    paths: list[Path] = []
    with client_for(db, uai, store=store, retry=retry) as client:
        for n, kind in enumerate(kinds, 1):
            text = f"Téléchargement {n}/{len(kinds)} : {kind.label_fr}"
            steps(0, -1, text + "…")

            def on_bytes(done: int, total: int | None, text: str = text) -> None:
                steps(done, total if total is not None else -1, f"{text} ({done // 1024} Ko)")

            paths.append(
                client.export(
                    FLUX_FOR_KIND[kind],
                    uai,
                    annee,
                    zipped=True,
                    destination_dir=tempdir,
                    progress=on_bytes,
                    cancel=steps.cancel,
                )
            )
    return paths


def _open_files(
    paths: Sequence[Path], uai: str, annee: int, opened: list[AnySiecleFile]
) -> dict[SiecleKind, AnySiecleFile]:
    if not paths:
        raise PasserelleError("Aucun fichier n'a été donné.", code="SIECLE_AUCUN_FICHIER")
    by_kind: dict[SiecleKind, AnySiecleFile] = {}
    for path in paths:
        f = read_siecle(path, expected_uai=uai, expected_year=annee, name=Path(path).name)
        opened.append(f)
        if f.kind in by_kind:
            raise PasserelleError(
                f"Deux exports {f.kind.label_fr} ont été donnés (« {by_kind[f.kind].name} » et "
                f"« {f.name} ») : gardez-en un seul.",
                code="SIECLE_FICHIERS_EN_DOUBLE",
            )
        by_kind[f.kind] = f
    return by_kind


def _as_iso(column: Any) -> Any:
    """A date column read without SQLAlchemy's date parsing: SQLite stores ISO text, which
    is the plain form; other drivers give a date, made ISO by :func:`_iso`."""
    return sa.type_coerce(column, sa.String).label(column.name)


_DATE_SORTIE = STUDENT_COLUMNS.index("date_sortie")
_BOOLEAN_COLUMNS = frozenset(
    c.name for c in siecle_eleves.columns if isinstance(c.type, sa.Boolean)
)


def _plain_row(names: list[str], row: list[Any]) -> dict[str, Plain]:
    """A raw base row (dates already plain) as plain values by column: 0/1 become bools."""
    return {
        name: (bool(value) if name in _BOOLEAN_COLUMNS and value is not None else value)
        for name, value in zip(names, row, strict=True)
    }


def _iso(value: Any) -> Plain:
    if value is None or isinstance(value, str):
        return value
    return str(value.isoformat())


@dataclass
class _Counts:
    crees: int = 0
    mis_a_jour: int = 0
    sortis: int = 0
    inchanges: int = 0
    other: Counter[str] = field(default_factory=Counter)


class _Preparer:
    def __init__(
        self,
        db: Database,
        uai: str,
        annee: int,
        options: ImportOptions,
        by_kind: dict[SiecleKind, AnySiecleFile],
        staged: PlanFile,
        steps: _Steps,
    ) -> None:
        self.db = db
        self.uai = uai
        self.annee = annee
        self.options = options
        self.ticked = options.donnees
        self.by_kind = by_kind
        self.staged = staged
        self.sql = staged.conn
        self.steps = steps
        self.today = dt.date.today()
        self.counts = _Counts()
        self.changes: list[StudentChange] = []
        self.n_changes = 0
        self.anomalies: list[Anomaly] = []
        self.blocking: list[str] = []
        self.files: list[FileInfo] = []
        eleves = by_kind.get(SiecleKind.ELEVES)
        self.eleves = eleves if isinstance(eleves, ElevesFile) else None
        responsables = by_kind.get(SiecleKind.RESPONSABLES)
        self.responsables = responsables if isinstance(responsables, ResponsablesFile) else None
        self.use_eleves = self.eleves is not None and bool(self.ticked & _STUDENT_DATA)
        self.use_responsables = self.responsables is not None and bool(
            self.ticked & _RESPONSABLE_DATA
        )
        self.eleves_addresses = False
        self.responsables_addresses = False
        self.matched: dict[str, int] = {}
        # Column order of the create_student and create_person operations.
        self.create_columns: list[str] = []
        self.person_columns: list[str] = []
        # Anomalies of a file read elsewhere than in its own object (the helper process).
        self.file_anomalies: dict[SiecleKind, list[Anomaly]] = {}

    # -- orchestration ------------------------------------------------------------------------

    def run(self) -> ImportPreview:
        self.blocking.extend(_missing_messages(set(self.by_kind), self.options))
        file_counts: dict[SiecleKind, dict[str, int]] = {}
        with contextlib.ExitStack() as stack:
            # A big Responsables export is read by a helper process while this one reads the
            # Élèves export and compares the students with the base: two cores, two reads.
            helper = None
            if (self.use_eleves and self.use_responsables and self.responsables is not None
                    and helper_wanted(self.responsables)):  # fmt: skip
                helper = self._start_helper(stack)
            if self.use_eleves:
                file_counts[SiecleKind.ELEVES] = self._stage_students()
            self.staged.commit()
            with self.db.read() as conn:
                revision = conn.execute(
                    sa.select(parametres.c.valeur).where(
                        parametres.c.cle == REVISION_PREFIX + STUDENTS
                    )
                ).scalar()
                if DataChoice.NOMENCLATURES in self.ticked:
                    nomenclature = self.by_kind.get(SiecleKind.NOMENCLATURES)
                    if isinstance(nomenclature, NomenclaturesFile):
                        file_counts[SiecleKind.NOMENCLATURES] = self._diff_nomenclature(
                            conn, nomenclature
                        )
                if DataChoice.STRUCTURES in self.ticked:
                    structures = self.by_kind.get(SiecleKind.STRUCTURES)
                    if isinstance(structures, StructuresFile):
                        file_counts[SiecleKind.STRUCTURES] = self._diff_structures(
                            conn, structures
                        )
                if self.use_eleves:
                    self._stage_base(conn)
                    self._match()
                    self._diff_matched(conn)
                    self._diff_new()
                    self._diff_absent(conn)
                if self.use_responsables:
                    # The helper writes the links while the persons are compared here.
                    helper = self._stage_persons(helper)
                    self._diff_persons(conn)
                    file_counts[SiecleKind.RESPONSABLES] = self._stage_links(helper)
                    self.staged.commit()
                    if self.eleves is not None:
                        self._check_link_students()
                    self._diff_links(conn)
        self.staged.commit()
        for f in self.by_kind.values():
            self.anomalies.extend(self.file_anomalies.get(f.kind, f.anomalies))
            counts = file_counts.get(f.kind)
            label = f.kind.label_fr if counts is not None else f"{f.kind.label_fr} (non utilisé)"
            self.files.append(FileInfo(f.name, label, counts or {}))
        plan = Plan(
            path=self.staged.path,
            revision=revision,
            source="fichier",
            file_names=[f.name for f in self.by_kind.values()],
            anomaly_codes=dict(Counter(a.code for a in self.anomalies)),
            n_ops=self.staged.count_ops(),
            today=self.today.isoformat(),
            matched=self.matched,
            student_columns=self.create_columns,
            person_columns=self.person_columns,
        )
        c = self.counts
        return ImportPreview(
            uai=self.uai,
            annee=self.annee,
            source_label="",
            files=self.files,
            crees=c.crees,
            mis_a_jour=c.mis_a_jour,
            sortis=c.sortis,
            inchanges=c.inchanges,
            changes=self.changes,
            anomalies=self.anomalies,
            blocking=self.blocking,
            options=self.options,
            other_changes={k: v for k, v in sorted(c.other.items()) if v},
            changes_total=self.n_changes,
            _plan=plan,
        )

    def _record_change(self, change: StudentChange) -> None:
        self.n_changes += 1
        if len(self.changes) < CHANGE_LIST_LIMIT:
            self.changes.append(change)
        self.staged.change(
            change.eleve_id,
            change.label,
            change.kind,
            [[c.field, c.old, c.new] for c in change.changes],
        )

    # -- students: staging ---------------------------------------------------------------------

    def _start_helper(self, stack: contextlib.ExitStack[Any]) -> ResponsablesInHelper | None:
        assert self.responsables is not None
        try:
            return stack.enter_context(
                ResponsablesInHelper(self.responsables, self.staged.path.parent)
            )
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("siecle helper process not started (%s): reading here", type(exc).__name__)
            return None

    def _stage_students(self) -> dict[str, int]:
        assert self.eleves is not None
        staged = stage_students(self.eleves, self.sql, self.steps)
        self.file_anomalies[SiecleKind.ELEVES] = staged.anomalies
        self.eleves_addresses = staged.avec_adresses
        if DataChoice.ADRESSES_ELEVES in self.ticked and not self.eleves_addresses:
            self.blocking.extend(
                _sans_adresses_message(SiecleKind.ELEVES, self.eleves.name, self.options)
            )
        return staged.counts

    def _stage_base(self, conn: Connection) -> None:
        t = siecle_eleves
        stmt = sa.select(
            t.c.id, t.c.eleve_id, t.c.ine, t.c.cle_identite, _as_iso(t.c.date_naissance),
            _as_iso(t.c.sorti_le), t.c.nom, t.c.prenom, t.c.division,
        ).where(t.c.uai == self.uai)  # fmt: skip
        result = conn.execute(stmt.execution_options(yield_per=2000))
        n = 0
        for part in result.partitions():
            self.sql.executemany(
                "INSERT INTO b (id, eleve_id, ine, cle, dn, sorti_le, label) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (id_, eleve_id, ine, cle, _iso(dn), _iso(sorti),
                     student_label(nom, prenom, division))
                    for id_, eleve_id, ine, cle, dn, sorti, nom, prenom, division in part
                ],
            )  # fmt: skip
            n += len(part)
            self.steps(n, -1, f"Lecture de la base : {n} élèves")

    def _match(self) -> None:
        """ELEVE_ID, then INE, then identity + birth date; each level one-to-one only."""
        self.steps(0, -1, "Rapprochement des élèves…")
        sql = self.sql
        sql.execute(
            "UPDATE f SET base_id = (SELECT b.id FROM b WHERE b.eleve_id = f.eleve_id), "
            "niveau = 'eleve_id' WHERE EXISTS (SELECT 1 FROM b WHERE b.eleve_id = f.eleve_id)"
        )
        for level, on in (("ine", "b.ine = f.ine"), ("identite", "b.cle = f.cle AND b.dn = f.dn")):
            self.steps.check()
            sql.execute("DROP TABLE IF EXISTS m")
            sql.execute(
                f"CREATE TEMP TABLE m AS SELECT f.rowid AS fr, b.id AS bid FROM f JOIN b ON {on} "
                "WHERE f.base_id IS NULL AND b.id NOT IN "
                "(SELECT base_id FROM f WHERE base_id IS NOT NULL)"
            )
            # Two candidates on either side: a guess could merge two children; leave them apart.
            sql.execute(
                "DELETE FROM m WHERE fr IN (SELECT fr FROM m GROUP BY fr HAVING count(*) > 1) "
                "OR bid IN (SELECT bid FROM m GROUP BY bid HAVING count(*) > 1)"
            )
            sql.execute("CREATE INDEX m_fr ON m(fr)")
            sql.execute(
                "UPDATE f SET base_id = (SELECT bid FROM m WHERE m.fr = f.rowid), niveau = ? "
                "WHERE rowid IN (SELECT fr FROM m)",
                (level,),
            )
        sql.execute("DROP TABLE IF EXISTS m")
        for niveau, n in sql.execute("SELECT niveau, count(*) FROM f GROUP BY niveau"):
            self.matched[niveau or "nouveaux"] = n

    # -- students: diff ------------------------------------------------------------------------

    def _student_fields(self) -> list[tuple[str, str]]:
        fields_: list[tuple[str, str]] = []
        if DataChoice.ELEVES in self.ticked:
            fields_.extend(IDENTITY_FIELDS)
        if DataChoice.ADRESSES_ELEVES in self.ticked and self.eleves_addresses:
            fields_.extend(ADDRESS_FIELDS)
        if DataChoice.STRUCTURES in self.ticked:
            fields_.append(("division", LABELS["division"]))
        return fields_

    def _diff_matched(self, conn: Connection) -> None:
        total = int(
            self.sql.execute("SELECT count(*) FROM f WHERE base_id IS NOT NULL").fetchone()[0]
        )
        cursor = self.sql.execute(
            "SELECT base_id, eleve_id, label, data FROM f WHERE base_id IS NOT NULL "
            "ORDER BY base_id"
        )
        compared = [c for c, _ in self._student_fields()]
        # The base row is read as (id, sorti_le, date_sortie, motif_sortie, division, *compared)
        # and its tail compared with the file's values in one tuple comparison: on a re-import
        # nearly every student is unchanged, and only the others are looked at field by field.
        head = ["id", "sorti_le", "date_sortie", "motif_sortie", "division"]
        names = [*head, *compared]
        dates = [i for i, c in enumerate(names) if c in DATE_COLUMNS]
        positions = [STUDENT_COLUMNS.index(c) for c in compared]
        sql = (
            f"SELECT {bulk.columns(conn, names)} FROM {bulk.quote(conn, siecle_eleves.name)} "
            "WHERE id IN {in}"
        )
        structures = DataChoice.STRUCTURES in self.ticked
        options_ticked = DataChoice.OPTIONS in self.ticked
        done = 0
        while batch := cursor.fetchmany(BATCH):
            ids = [row[0] for row in batch]
            base: dict[int, list[Any]] = {}
            for r in bulk.select_in(conn, sql, ids):
                row = list(r)
                for i in dates:
                    row[i] = bulk.plain_date(row[i])
                base[row[0]] = row
            history = self._open_history(conn, ids)
            groups = self._groups(conn, ids) if structures else {}
            options = self._options(conn, ids) if options_ticked else {}
            for base_id, eleve_id, label, data in batch:
                values, file_groups, file_options = marshal.loads(data)
                row = base[base_id]
                base_groups = groups.get(base_id, [])
                base_options = options.get(base_id, [])
                open_entry = history.get(base_id)
                if (
                    row[5:] == [values[i] for i in positions]
                    and (not structures or file_groups == base_groups)
                    and (not options_ticked or file_options == base_options)
                    and values[_DATE_SORTIE] is None
                    and row[1] is None
                    and not self._history_change(open_entry, row[4], None)
                ):
                    self.counts.inchanges += 1
                    continue
                self._diff_one(
                    _plain_row(names, row), eleve_id, label,
                    {"v": dict(zip(STUDENT_COLUMNS, values, strict=True)), "g": file_groups,
                     "o": file_options},
                    compared, open_entry, base_groups, base_options,
                )  # fmt: skip
            done += len(batch)
            self.steps(done, total, f"Comparaison avec la base : {done} / {total}")

    @staticmethod
    def _open_history(conn: Connection, ids: list[int]) -> dict[int, tuple[str, str]]:
        h = siecle_eleves_divisions
        rows = bulk.select_in(
            conn,
            f"SELECT eleve, division, du FROM {bulk.quote(conn, h.name)} "
            "WHERE au IS NULL AND eleve IN {in}",
            ids,
        )
        return {eleve: (division, str(bulk.plain_date(du))) for eleve, division, du in rows}

    @staticmethod
    def _groups(conn: Connection, ids: list[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for eleve, groupe in bulk.select_in(
            conn,
            f"SELECT eleve, groupe FROM {bulk.quote(conn, siecle_eleves_groupes.name)} "
            "WHERE eleve IN {in} ORDER BY groupe",
            ids,
        ):
            out.setdefault(eleve, []).append(groupe)
        return out

    @staticmethod
    def _options(conn: Connection, ids: list[int]) -> dict[int, list[list[Plain]]]:
        out: dict[int, list[list[Plain]]] = {}
        for eleve, num, modalite, matiere in bulk.select_in(
            conn,
            "SELECT eleve, num_option, modalite, code_matiere FROM "
            f"{bulk.quote(conn, siecle_eleves_options.name)} WHERE eleve IN {{in}} "
            "ORDER BY eleve, rang",
            ids,
        ):
            out.setdefault(eleve, []).append([num, modalite, matiere])
        return out

    def _diff_one(
        self,
        base: Any,
        eleve_id: str,
        label: str,
        data: dict[str, Any],
        compared: list[str],
        open_entry: tuple[str, str] | None,
        base_groups: list[str],
        base_options: list[list[Plain]],
    ) -> None:
        values: dict[str, Plain] = data["v"]
        update = self.options.mettre_a_jour
        fields_ = [(c, LABELS[c]) for c in compared]
        changed: dict[str, Plain] = {}
        shown: list[FieldChange] = []

        def change(column: str, old: Plain, new: Plain) -> None:
            changed[column] = new
            shown.append(FieldChange(LABELS[column], display(column, old), display(column, new)))

        if update:
            for column, _label_fr in fields_:
                old = base[column]  # already in plain form
                new = values[column]
                if old != new:
                    change(column, old, new)
            if "nom" in changed or "prenom" in changed:
                changed["cle_identite"] = identity_key(str(values["nom"]), str(values["prenom"]))
        leaving = False
        if DataChoice.ELEVES in self.ticked:
            old_left = plain(base["sorti_le"])
            new_left = values["date_sortie"]
            if new_left is not None and old_left is None and self.options.marquer_sortis:
                leaving = True
                change("sorti_le", old_left, new_left)
                for column in ("date_sortie", "motif_sortie"):
                    if column not in changed and plain(base[column]) != values[column]:
                        change(column, plain(base[column]), values[column])
            elif new_left is not None and old_left not in (None, new_left):
                if update and self.options.marquer_sortis:
                    change("sorti_le", old_left, new_left)
            elif new_left is None and old_left is not None and update:
                change("sorti_le", old_left, None)  # back in the establishment
        payload: dict[str, Any] = {"id": base["id"]}
        new_groups: list[str] | None = None
        if update and DataChoice.STRUCTURES in self.ticked and data["g"] != base_groups:
            new_groups = data["g"]
            shown.append(
                FieldChange(LABELS["groupes"], ", ".join(base_groups), ", ".join(data["g"]))
            )
        new_options: list[list[Plain]] | None = None
        if update and DataChoice.OPTIONS in self.ticked and data["o"] != base_options:
            new_options = data["o"]
            shown.append(
                FieldChange(
                    LABELS["options"], format_options(base_options), format_options(data["o"])
                )
            )
        division = changed.get("division", base["division"])
        left = changed.get("sorti_le", plain(base["sorti_le"]))
        history = self._history_change(open_entry, division, left)
        if not (changed or new_groups is not None or new_options is not None or history):
            self.counts.inchanges += 1
            return
        payload.update(set=changed, hist=history, groups=new_groups, options=new_options)
        self.staged.op("update_student", payload)
        if not shown:
            # Only the class history was repaired: not a change the secretary needs to review.
            self.counts.inchanges += 1
            return
        kind: ChangeKind = "sortie" if leaving else "mise_a_jour"
        if leaving:
            self.counts.sortis += 1
        else:
            self.counts.mis_a_jour += 1
        self._record_change(StudentChange(eleve_id, label, kind, tuple(shown)))

    def _history_change(
        self, open_entry: tuple[str, str] | None, division: Any, left: Plain
    ) -> dict[str, Any] | None:
        """Close the open class entry and/or open a new one so history matches the student."""
        wanted = division if division and left is None else None
        current = open_entry[0] if open_entry else None
        if current == wanted:
            return None
        today = self.today.isoformat()
        close = None
        if open_entry is not None:
            # Leaving closes on SIECLE's date; a class change on the import date.
            end = str(left) if (left is not None and wanted is None) else today
            close = max(end, open_entry[1])
        return {"close": close, "open": wanted, "du": today}

    def _diff_new(self) -> None:
        if DataChoice.ELEVES not in self.ticked or not self.options.creer:
            n = int(self.sql.execute("SELECT count(*) FROM f WHERE base_id IS NULL").fetchone()[0])
            self.counts.other["eleves_non_crees"] += n
            return
        # A new student is one row of values in ``create_columns`` order (the columns are
        # stored once, in the Plan, not in every operation).
        compared = [c for c, _ in self._student_fields() if c != "eleve_id"]
        self.create_columns = ["eleve_id", *compared, "cle_identite", "sorti_le"]
        positions = [STUDENT_COLUMNS.index(c) for c in compared]
        division_at = STUDENT_COLUMNS.index("division")
        entree_at = STUDENT_COLUMNS.index("date_entree")
        with_division = "division" in compared
        groups_ticked = DataChoice.STRUCTURES in self.ticked
        options_ticked = DataChoice.OPTIONS in self.ticked
        cursor = self.sql.execute(
            "SELECT eleve_id, label, data, cle FROM f WHERE base_id IS NULL ORDER BY rowid"
        )
        start_of_year = dt.date(self.annee, 8, 1).isoformat()
        today = self.today.isoformat()
        while batch := cursor.fetchmany(BATCH):
            self.steps.check()
            for eleve_id, label, data_text, cle in batch:
                values, groups, options = marshal.loads(data_text)
                left = values[_DATE_SORTIE] if self.options.marquer_sortis else None
                # cle: identity_key(nom, prenom), staged with the student.
                row = [eleve_id, *[values[i] for i in positions], cle, left]
                division = values[division_at] if with_division else None
                history = None
                if division:
                    entree = values[entree_at]
                    # The class is known from the school year's start at best.
                    du = entree if isinstance(entree, str) and entree >= start_of_year else today
                    if left is not None:
                        du = min(du, str(left))
                    history = [division, du, left]
                self.staged.op(
                    "create_student",
                    [row, history, groups if groups_ticked else [],
                     options if options_ticked else []],
                )  # fmt: skip
                self.counts.crees += 1
                self._record_change(StudentChange(eleve_id, label, "creation", ()))

    def _diff_absent(self, conn: Connection) -> None:
        """Students of the base missing from the (complete) Élèves export have left."""
        if DataChoice.ELEVES not in self.ticked or not self.options.marquer_sortis:
            return
        cursor = self.sql.execute(
            "SELECT id, eleve_id, label FROM b WHERE sorti_le IS NULL AND id NOT IN "
            "(SELECT base_id FROM f WHERE base_id IS NOT NULL) ORDER BY id"
        )
        today = self.today.isoformat()
        while batch := cursor.fetchmany(BATCH):
            self.steps.check()
            history = self._open_history(conn, [row[0] for row in batch])
            for base_id, eleve_id, label in batch:
                entry = history.get(base_id)
                close = max(today, entry[1]) if entry else None
                self.staged.op(
                    "update_student",
                    {
                        "id": base_id,
                        "set": {"sorti_le": today},
                        "hist": {"close": close, "open": None, "du": today} if entry else None,
                        "groups": None,
                        "options": None,
                    },
                )
                self.counts.sortis += 1
                self._record_change(
                    StudentChange(
                        eleve_id, label, "sortie",
                        (FieldChange(LABELS["sorti_le"], "", display("sorti_le", today)),
                         FieldChange("Motif", "", "Absent de l'export SIECLE")),
                    )
                )  # fmt: skip

    # -- responsables --------------------------------------------------------------------------

    def _stage_persons(self, helper: ResponsablesInHelper | None) -> ResponsablesInHelper | None:
        """Persons into table ``p``; returns the helper if it is still to be used."""
        assert self.responsables is not None
        if helper is not None:
            try:
                self.responsables_addresses = helper.wait_persons(self.steps, self.steps.check)
                self.staged.copy_staged(helper.persons_path, "p", "personne_id, data")
            except HelperFailed as exc:
                log.warning("siecle helper process failed (%s): reading here", exc)
                self.sql.execute("DELETE FROM p")
                helper = None
        if helper is None:
            stage_persons(self.responsables, self.sql, self.steps)
            self.responsables_addresses = self.responsables.avec_adresses
        if DataChoice.ADRESSES_RESPONSABLES in self.ticked and not self.responsables_addresses:
            name = self.responsables.name
            kind = SiecleKind.RESPONSABLES
            self.blocking.extend(_sans_adresses_message(kind, name, self.options))
        return helper

    def _stage_links(self, helper: ResponsablesInHelper | None) -> dict[str, int]:
        assert self.responsables is not None
        staged = None
        if helper is not None:
            try:
                staged = helper.wait(self.steps, self.steps.check)
                self.staged.copy_staged(helper.links_path, "l", "eleve_id, personne_id, data")
                log.info("siecle responsables read by the helper process (%d persons)",
                         staged.counts["personnes"])  # fmt: skip
            except HelperFailed as exc:
                log.warning("siecle helper process failed (%s): reading here", exc)
                self.sql.execute("DELETE FROM l")
                # The persons came from the helper: read them here too, for their anomalies.
                for _person in self.responsables.persons():
                    pass
                staged = None
        if staged is None:
            staged = stage_links(self.responsables, self.sql, self.steps)
        self.file_anomalies[SiecleKind.RESPONSABLES] = staged.anomalies
        return staged.counts

    def _check_link_students(self) -> None:
        """Links to a student the Élèves export does not have (once both are staged)."""
        for eleve_id, personne_id in self.sql.execute(
            "SELECT l.eleve_id, l.personne_id FROM l LEFT JOIN f ON f.eleve_id = l.eleve_id "
            "WHERE f.eleve_id IS NULL ORDER BY l.eleve_id, l.personne_id"
        ):
            self.anomalies.append(
                Anomaly(
                    codes.LIEN_ELEVE_INCONNU,
                    f"La personne PERSONNE_ID {personne_id} est liée à l'élève ELEVE_ID "
                    f"{eleve_id}, absent du fichier des élèves.",
                    eleve_id,
                )
            )

    def _person_fields(self) -> list[tuple[str, str]]:
        fields_: list[tuple[str, str]] = []
        if DataChoice.RESPONSABLES in self.ticked:
            fields_.extend(PERSON_FIELDS)
        if DataChoice.ADRESSES_RESPONSABLES in self.ticked and self.responsables_addresses:
            fields_.extend(ADDRESS_FIELDS)
        return fields_

    def _diff_persons(self, conn: Connection) -> None:
        columns = [c for c, _ in self._person_fields()]
        self.person_columns = ["personne_id", *columns]
        positions = [PERSON_COLUMNS.index(c) for c in columns]
        every_column = positions == list(range(len(PERSON_COLUMNS)))
        t = siecle_personnes
        sql = (
            f"SELECT {bulk.columns(conn, ['id', 'personne_id', *columns])} FROM "
            f"{bulk.quote(conn, t.name)} WHERE uai = {bulk.placeholder(conn)} "
            "AND personne_id IN {in}"
        )
        total = int(self.sql.execute("SELECT count(*) FROM p").fetchone()[0])
        done = 0
        create = DataChoice.RESPONSABLES in self.ticked
        cursor = self.sql.execute("SELECT personne_id, data FROM p ORDER BY seq")
        while batch := cursor.fetchmany(BATCH):
            ids = [personne_id for personne_id, _data in batch]
            # Only the compared columns, as tuples: most persons are unchanged on a re-import,
            # and one tuple comparison says so.
            base = {r[1]: r for r in bulk.select_in(conn, sql, ids, (self.uai,))}
            for personne_id, data in batch:
                full = marshal.loads(data)  # person_row: a tuple in PERSON_COLUMNS order
                values = full if every_column else tuple([full[i] for i in positions])
                row = base.get(personne_id)
                if row is None:
                    if create:
                        self.staged.op("create_person", [personne_id, *values])
                        self.counts.other["responsables_crees"] += 1
                    continue
                # Persons have no date column: the base's values compare as they are.
                old = row[2:]
                if old == values:
                    continue
                changed = {
                    c: new for c, was, new in zip(columns, old, values, strict=True) if was != new
                }
                if changed:
                    self.staged.op("update_person", {"id": row[0], "set": changed})
                    self.counts.other["responsables_modifies"] += 1
            done += len(batch)
            self.steps(done, total, f"Comparaison des responsables : {done} / {total}")

    def _diff_links(self, conn: Connection) -> None:
        if DataChoice.RESPONSABLES not in self.ticked:
            return
        creating = DataChoice.ELEVES in self.ticked and self.options.creer
        if self.eleves is not None:
            keys = self.sql.execute(
                "SELECT eleve_id FROM f UNION SELECT eleve_id FROM l ORDER BY 1"
            )
        else:
            keys = self.sql.execute("SELECT DISTINCT eleve_id FROM l ORDER BY 1")
        total = -1
        done = 0
        while batch := [k for (k,) in keys.fetchmany(BATCH)]:
            students = self._resolve_students(conn, batch)
            base_links = self._base_links(conn, [sid for sid in students.values() if sid])
            wanted: dict[str, dict[str, tuple[Plain, ...]]] = {}
            marks = ",".join("?" * len(batch))
            for eleve_id, personne_id, data in self.sql.execute(
                f"SELECT l.eleve_id, l.personne_id, l.data FROM l JOIN p ON p.personne_id = "
                f"l.personne_id WHERE l.eleve_id IN ({marks})",
                batch,
            ):
                wanted.setdefault(eleve_id, {})[personne_id] = marshal.loads(data)
            for eleve_id in batch:
                if eleve_id not in students:
                    continue  # unknown student: LIEN_ELEVE_INCONNU already says so
                sid = students[eleve_id]
                if sid is None and not creating:
                    continue
                have = base_links.get(sid, {}) if sid is not None else {}
                want = wanted.get(eleve_id, {})
                delete = sorted(set(have) - set(want))
                upsert = [[pid, v] for pid, v in sorted(want.items()) if have.get(pid) != v]
                if not delete and not upsert:
                    continue
                self.counts.other["liens_supprimes"] += len(delete)
                self.counts.other["liens_ajoutes"] += sum(1 for pid, _ in upsert if pid not in have)
                self.counts.other["liens_modifies"] += sum(1 for pid, _ in upsert if pid in have)
                self.staged.op(
                    "links",
                    {"sid": sid, "eleve_id": eleve_id, "delete": delete, "upsert": upsert},
                )
            done += len(batch)
            self.steps(done, total, f"Comparaison des liens : {done} élèves")

    def _resolve_students(self, conn: Connection, eleve_ids: list[str]) -> dict[str, int | None]:
        """ELEVE_ID → base id (None: created by this import). Absent: unknown student."""
        out: dict[str, int | None] = {}
        if self.eleves is not None:
            marks = ",".join("?" * len(eleve_ids))
            for eleve_id, base_id in self.sql.execute(
                f"SELECT eleve_id, base_id FROM f WHERE eleve_id IN ({marks})", eleve_ids
            ):
                out[eleve_id] = base_id
        rest = [e for e in eleve_ids if e not in out]
        t = siecle_eleves
        for id_, eleve_id in bulk.select_in(
            conn,
            f"SELECT id, eleve_id FROM {bulk.quote(conn, t.name)} "
            f"WHERE uai = {bulk.placeholder(conn)} AND eleve_id IN {{in}}",
            rest,
            (self.uai,),
        ):
            out[eleve_id] = id_
        return out

    @staticmethod
    def _base_links(conn: Connection, ids: list[int]) -> dict[int, dict[str, tuple[Plain, ...]]]:
        li, pe = bulk.quote(conn, siecle_liens.name), bulk.quote(conn, siecle_personnes.name)
        out: dict[int, dict[str, tuple[Plain, ...]]] = {}
        link_columns = ", ".join(f"l.{bulk.quote(conn, c)}" for c in LINK_FIELDS)
        for r in bulk.select_in(
            conn,
            f"SELECT l.eleve, p.personne_id, {link_columns} FROM {li} l "
            f"JOIN {pe} p ON p.id = l.personne WHERE l.eleve IN {{in}}",
            ids,
        ):
            # LINK_FIELDS order, as link_row; booleans raw (0/1 on SQLite) compare equal.
            out.setdefault(r[0], {})[r[1]] = tuple(r[2:])
        return out

    # -- nomenclature and structures: small, whole tables -------------------------------------

    def _diff_table(
        self,
        conn: Connection,
        table: sa.Table,
        keys: tuple[str, ...],
        rows: list[dict[str, Plain]],
        counter: str,
    ) -> None:
        self.steps.check()
        base = {
            tuple(r._mapping[k] for k in keys): {
                c: plain(v) for c, v in r._mapping.items() if c != "uai"
            }
            for r in conn.execute(sa.select(table).where(table.c.uai == self.uai))
        }
        wanted = {tuple(r[k] for k in keys): r for r in rows}
        inserts = [r for k, r in wanted.items() if k not in base]
        updates = [r for k, r in wanted.items() if k in base and base[k] != r]
        deletes = [list(k) for k in base if k not in wanted]
        if inserts or updates or deletes:
            self.staged.op(
                "table",
                {"table": str(table.name), "keys": list(keys), "insert": inserts, "update": updates,
                 "delete": deletes},
            )  # fmt: skip
            self.counts.other[counter] += len(inserts) + len(updates) + len(deletes)

    def _diff_nomenclature(self, conn: Connection, f: NomenclaturesFile) -> dict[str, int]:
        data = f.read()
        self._diff_table(conn, siecle_mefs, ("code",), [
            {"code": m.code, "formation": m.formation, "libelle_long": m.libelle_long,
             "libelle_edition": m.libelle_edition, "mef_rattachement": m.mef_rattachement,
             "code_mefstat": m.code_mefstat, "date_fermeture": plain(m.date_fermeture)}
            for m in data.mefs], "mefs")  # fmt: skip
        self._diff_table(conn, siecle_matieres, ("code",), [
            {"code": m.code, "code_gestion": m.code_gestion, "libelle_court": m.libelle_court,
             "libelle_long": m.libelle_long, "libelle_edition": m.libelle_edition}
            for m in data.matieres], "matieres")  # fmt: skip
        programmes = {
            (p.code_mef, p.code_matiere, p.code_modalite or ""): p.horaire for p in data.programmes
        }
        self._diff_table(conn, siecle_programmes, ("code_mef", "code_matiere", "modalite"), [
            {"code_mef": k[0], "code_matiere": k[1], "modalite": k[2], "horaire": h}
            for k, h in programmes.items()], "programmes")  # fmt: skip
        self._diff_table(conn, siecle_modalites, ("code",), [
            {"code": m.code, "libelle_court": m.libelle_court, "libelle_long": m.libelle_long}
            for m in data.modalites], "modalites")  # fmt: skip
        return {"mefs": len(data.mefs), "matieres": len(data.matieres),
                "programmes": len(programmes)}  # fmt: skip

    def _diff_structures(self, conn: Connection, f: StructuresFile) -> dict[str, int]:
        data = f.read()
        self._diff_table(conn, siecle_divisions, ("code",), [
            {"code": d.code, "libelle": d.libelle, "mefs": " ".join(d.mefs)}
            for d in data.divisions], "divisions")  # fmt: skip
        self._diff_table(conn, siecle_groupes, ("code",), [
            {"code": g.code, "libelle": g.libelle, "mefs": " ".join(g.mefs),
             "divisions": "\n".join(g.divisions)}
            for g in data.groupes], "groupes")  # fmt: skip
        return {"divisions": len(data.divisions), "groupes": len(data.groupes)}
