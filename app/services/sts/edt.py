"""Timetable use cases for the GUI and the CLI: check, correspondances, file export,
readiness to send (« sans l'assistant »). No Qt; every function opens its own
transaction; the ones that write say so in their name and return what changed.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.models import JournalKind, JournalResult
from app.domain.school_year import year_label
from app.domain.sts import StsData
from app.domain.timetable import Horaire
from app.errors import PasserelleError
from app.services import base_admin, journal
from app.services.changes import TIMETABLE, bump_revision
from app.services.sts import correspondances as corr
from app.services.sts import sts_store
from app.services.sts import timetable_store as tts
from app.services.sts.compliance import ComplianceReport, CourseStatus, HoursLine, check
from app.services.sts.correspondances import Correspondances, LocalItem
from app.services.sts.edt_file import EdtFile, build_file, suggested_name
from app.services.sts.sts_store import StsFreshness
from app.services.sts.timetable_store import TimetableData
from app.store.database import Database
from app.store.errors import translate_db_errors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EdtSnapshot:
    """Everything the checks need, read in one consistent transaction."""

    uai: str
    annee: int
    data: TimetableData
    sts: StsData | None
    freshness: StsFreshness | None
    report: ComplianceReport
    correspondances: Correspondances


def snapshot(db: Database, uai: str) -> EdtSnapshot:
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    with translate_db_errors(db.describe()), db.read() as conn:
        data = tts.load(conn, code, annee)
        sts = sts_store.load(conn, code, annee)
        fresh = sts_store.freshness(conn, code, annee)
    return EdtSnapshot(code, annee, data, sts, fresh, check(data, sts), corr.view(data, sts))


def verify(db: Database, uai: str) -> ComplianceReport:
    """Every course with its exportability and reasons; hours per teacher and structure."""
    return snapshot(db, uai).report


def correspondances(db: Database, uai: str) -> Correspondances:
    return snapshot(db, uai).correspondances


def run_auto_match(db: Database, uai: str) -> dict[str, int]:
    """Writes: automatic matches for resources nobody matched by hand; count per type."""
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    with translate_db_errors(db.describe()), db.write() as conn:
        sts = sts_store.load(conn, code, annee)
        if sts is None:
            raise _no_sts(code, annee)
        added = corr.auto_match(conn, tts.load(conn, code, annee), sts)
        bump_revision(conn, TIMETABLE)
    return added


def set_correspondance(
    db: Database, uai: str, kind: str, local_id: int, sts_key: str | None
) -> LocalItem:
    """Writes: match a local resource by hand (``sts_key`` from :class:`StsItem.key`), or
    record "no match" with None (automatic matching will then leave it alone)."""
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    with translate_db_errors(db.describe()), db.write() as conn:
        sts = sts_store.load(conn, code, annee)
        data = tts.load(conn, code, annee)
        if kind not in corr.KINDS or local_id not in corr.resources_of(data, kind):
            raise PasserelleError("Cet élément n'existe plus dans l'emploi du temps : "
                                  "rafraîchissez la liste.", code="EDT_RESSOURCE_INCONNUE")
        if sts_key is None:
            tts.set_match(conn, kind, local_id, None, corr.MANUAL)
        else:
            item = corr.check_manual_target(kind, sts_key, sts)
            tts.set_match(conn, kind, local_id, item.code, corr.MANUAL, item.nature)
        bump_revision(conn, TIMETABLE)
        updated = corr.view(tts.load(conn, code, annee), sts)
    return next(i for i in updated.kinds[kind].local_items if i.id == local_id)


def reset_correspondance(db: Database, uai: str, kind: str, local_id: int) -> None:
    """Writes: forget a manual choice; automatic matching may match it again."""
    code = base_admin.require_establishment(db, uai).uai
    with translate_db_errors(db.describe()), db.write() as conn:
        tts.set_match(conn, kind, local_id, None, None)
        bump_revision(conn, TIMETABLE)
    log.info("correspondance reset uai=%s kind=%s id=%s", code, kind, local_id)


def save_horaires(db: Database, uai: str, horaires: list[Horaire]) -> None:
    """Writes: the establishment's daily hours (replaces them)."""
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    with translate_db_errors(db.describe()), db.write() as conn:
        tts.replace_horaires(conn, code, annee, horaires)
        bump_revision(conn, TIMETABLE)


def _no_sts(uai: str, annee: int) -> PasserelleError:
    return PasserelleError(
        f"Les données STSWEB {year_label(annee)} de l'établissement {uai} ne sont pas dans la "
        "base : récupérez-les d'abord (« Récupérer les données de STSWEB »).",
        code="STS_ABSENT",
    )


# ------------------------------------------------------------ readiness


@dataclass(frozen=True)
class SendSummary:
    """What will be sent: counts and hours (the wizard's récapitulatif)."""

    courses: int
    services: int
    teachers: int
    divisions: int
    groupes: int
    teacher_hours: list[HoursLine] = field(default_factory=list)
    structure_hours: list[HoursLine] = field(default_factory=list)
    warnings: int = 0


@dataclass(frozen=True)
class Readiness:
    """« Sans l'assistant »: either ``ready`` with a summary, or the blocking list."""

    ready: bool
    problems: list[str]  # establishment-wide blockers (no STS data, no course…)
    blocked: list[CourseStatus]
    summary: SendSummary | None
    snapshot: EdtSnapshot


def _summary(snap: EdtSnapshot, edt: EdtFile) -> SendSummary:
    tt = edt.timetable
    teachers = {e.id for _, _, services in tt.structures() for s in services
                for e in s.enseignants}  # fmt: skip
    return SendSummary(
        courses=edt.courses, services=tt.service_count(), teachers=len(teachers),
        divisions=sum(1 for d in tt.divisions if d.services),
        groupes=sum(1 for g in tt.groupes if g.services),
        teacher_hours=snap.report.teacher_hours, structure_hours=snap.report.structure_hours,
        warnings=len(snap.report.warnings),
    )  # fmt: skip


def global_problems(snap: EdtSnapshot) -> list[str]:
    problems = []
    if snap.sts is None:
        problems.append(str(_no_sts(snap.uai, snap.annee)))
    if not snap.data.courses:
        problems.append(f"L'emploi du temps {year_label(snap.annee)} ne contient aucun cours : "
                        "importez-le d'abord.")  # fmt: skip
    return problems


def readiness(db: Database, uai: str) -> tuple[Readiness, EdtFile | None]:
    """Run every check silently; the file is built (and validated) only when ready."""
    snap = snapshot(db, uai)
    problems = global_problems(snap)
    blocked = snap.report.blocked
    if problems or blocked:
        return Readiness(False, problems, blocked, None, snap), None
    edt = build_file(snap.data, snap.sts, snap.report)
    return Readiness(True, [], [], _summary(snap, edt), snap), edt


def check_before_send(db: Database, uai: str) -> Readiness:
    """The GUI's « sans l'assistant »: ready → confirm then :func:`send_timetable`."""
    return readiness(db, uai)[0]


# --------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportResult:
    path: Path
    courses: int
    left_out: int
    journal_id: int


def export_to_file(db: Database, uai: str, destination: Path) -> ExportResult:
    """Write the exportable courses as an EDT_STS file (« Exporter … vers un fichier
    STSWEB… »). Non-exportable courses are left out and counted; a directory as
    ``destination`` gets :func:`suggested_name`. The file is replaced atomically."""
    snap = snapshot(db, uai)
    problems = global_problems(snap)
    if problems:
        raise PasserelleError(problems[0], code="EDT_EXPORT_IMPOSSIBLE")
    if not snap.report.exportable:
        raise PasserelleError(
            "Aucun cours n'est exportable : établissez les correspondances et mettez les cours "
            "en conformité d'abord.", code="EDT_RIEN_A_EXPORTER",
        )  # fmt: skip
    edt = build_file(snap.data, snap.sts, snap.report)
    path = destination / suggested_name(snap.uai, snap.annee) if destination.is_dir() \
        else destination
    _atomic_write(path, edt.data)
    resume = (f"Emplois du temps {year_label(snap.annee)} exportés dans {path.name} : "
              f"{edt.courses} cours"
              + (f" ({edt.left_out} non exportables laissés de côté)." if edt.left_out else "."))
    entry = journal.record(
        db, JournalKind.EDT_EXPORT,
        JournalResult.WARNING if edt.left_out else JournalResult.SUCCESS, resume,
        uai=snap.uai, details={"fichier": str(path), "cours": edt.courses,
                               "non_exportables": edt.left_out,
                               "services": edt.timetable.service_count()},
    )  # fmt: skip
    return ExportResult(path, edt.courses, edt.left_out, entry)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".edt-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
