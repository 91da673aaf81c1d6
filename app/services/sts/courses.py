"""Course editing for the GUI: list with filters, add, update, delete — each validated,
with French refusals. Writes bump the ``edt`` revision so other PCs refresh."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from app.domain.timetable import DAY_NAMES, MINUTES_PER_DAY, format_clock
from app.errors import PasserelleError
from app.services import base_admin
from app.services.changes import TIMETABLE, bump_revision
from app.services.sts import timetable_store as tts
from app.services.sts.timetable_store import CourseRow, NewCourse, TimetableData
from app.store.database import Database
from app.store.errors import translate_db_errors

log = logging.getLogger(__name__)


class CourseRefused(PasserelleError):
    code = "COURS_REFUSE"


@dataclass(frozen=True, slots=True)
class CourseDraft:
    """What the course dialog edits (ids from :func:`resources`); start/duration in minutes."""

    matiere_id: int
    structure_id: int
    day: int
    start: int
    duration: int
    alternance_id: int
    teacher_ids: tuple[int, ...] = ()
    salle_id: int | None = None
    modalite_id: int | None = None


@dataclass(frozen=True, slots=True)
class CourseView:
    id: int
    day: int
    day_label: str
    start: int
    duration: int
    horaire: str  # « 08h00–09h00 »
    matiere: str
    structure: str
    teachers: tuple[str, ...]
    salle: str | None
    alternance: str
    modalite: str | None
    row: CourseRow


def resources(db: Database, uai: str) -> TimetableData:
    """Every resource (for pickers) and course of the school year, by id."""
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    with translate_db_errors(db.describe()), db.read() as conn:
        return tts.load(conn, code, annee)


def list_courses(
    db: Database,
    uai: str,
    *,
    structure_id: int | None = None,
    teacher_id: int | None = None,
    salle_id: int | None = None,
    day: int | None = None,
) -> list[CourseView]:
    data = resources(db, uai)
    return [
        _view(data, c) for c in data.courses
        if (structure_id is None or c.structure_id == structure_id)
        and (teacher_id is None or teacher_id in c.teacher_ids)
        and (salle_id is None or c.salle_id == salle_id)
        and (day is None or c.day == day)
    ]  # fmt: skip


def _view(data: TimetableData, c: CourseRow) -> CourseView:
    return CourseView(
        id=c.id, day=c.day, day_label=DAY_NAMES[c.day], start=c.start, duration=c.duration,
        horaire=f"{format_clock(c.start)}–{format_clock(c.end)}",
        matiere=data.subjects[c.matiere_id].label, structure=data.structures[c.structure_id].code,
        teachers=tuple(data.teachers[t].label for t in c.teacher_ids),
        salle=data.rooms[c.salle_id].code if c.salle_id is not None else None,
        alternance=data.alternances[c.alternance_id].libelle_long,
        modalite=data.modalities[c.modalite_id].code if c.modalite_id is not None else None,
        row=c,
    )  # fmt: skip


def validate(data: TimetableData, draft: CourseDraft) -> NewCourse:
    """The draft as a row to write, or :class:`CourseRefused` listing every problem."""
    problems: list[str] = []
    if not 1 <= draft.day <= 7:
        problems.append(f"le jour {draft.day} n'existe pas (1 = lundi … 7 = dimanche)")
    if not 0 <= draft.start < MINUTES_PER_DAY:
        problems.append("l'heure de début doit être comprise entre 00h00 et 23h59")
    if draft.duration <= 0:
        problems.append("la durée doit être d'au moins une minute")
    elif draft.start >= 0 and draft.start + draft.duration > MINUTES_PER_DAY - 1:
        problems.append("le cours finirait après minuit")
    if draft.matiere_id not in data.subjects:
        problems.append("choisissez une matière de la liste")
    if draft.structure_id not in data.structures:
        problems.append("choisissez une classe ou un groupe de la liste")
    if draft.alternance_id not in data.alternances:
        problems.append("choisissez une alternance existante (par exemple « Toutes les "
                        "semaines »)")  # fmt: skip
    unknown = [t for t in draft.teacher_ids if t not in data.teachers]
    if unknown:
        problems.append("un des professeurs choisis n'existe plus")
    if len(set(draft.teacher_ids)) != len(draft.teacher_ids):
        problems.append("un professeur est choisi deux fois")
    if draft.salle_id is not None and draft.salle_id not in data.rooms:
        problems.append("choisissez une salle de la liste")
    if draft.modalite_id is not None and draft.modalite_id not in data.modalities:
        problems.append("choisissez une modalité de la liste")
    if problems:
        raise CourseRefused("Le cours ne peut pas être enregistré : " + " ; ".join(problems)
                            + ".")  # fmt: skip
    return NewCourse(draft.matiere_id, draft.structure_id, draft.alternance_id, draft.day,
                     draft.start, draft.duration, tuple(draft.teacher_ids), draft.modalite_id,
                     draft.salle_id)  # fmt: skip


def _context(db: Database, uai: str, conn: Connection) -> tuple[str, int, TimetableData]:
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    return code, annee, tts.load(conn, code, annee)


def _owned(conn: Connection, course_id: int, uai: str, annee: int) -> None:
    if tts.course_owner(conn, course_id) != (uai, annee):
        raise CourseRefused("Ce cours n'existe plus (un autre poste l'a peut-être supprimé) : "
                            "rafraîchissez la liste.", code="COURS_INCONNU")  # fmt: skip


def add_course(db: Database, uai: str, draft: CourseDraft) -> int:
    """Writes one course; returns its id."""
    with translate_db_errors(db.describe()), db.write() as conn:
        code, annee, data = _context(db, uai, conn)
        new_id = tts.insert_course(conn, code, annee, validate(data, draft))
        bump_revision(conn, TIMETABLE)
    log.info("course added uai=%s id=%s", code, new_id)
    return new_id


def update_course(db: Database, uai: str, course_id: int, draft: CourseDraft) -> None:
    with translate_db_errors(db.describe()), db.write() as conn:
        code, annee, data = _context(db, uai, conn)
        _owned(conn, course_id, code, annee)
        tts.update_course(conn, course_id, validate(data, draft))
        bump_revision(conn, TIMETABLE)
    log.info("course updated uai=%s id=%s", code, course_id)


def delete_courses(db: Database, uai: str, course_ids: Sequence[int]) -> int:
    """Writes: deletes the courses; returns how many were deleted."""
    with translate_db_errors(db.describe()), db.write() as conn:
        code, annee, _ = _context(db, uai, conn)
        for course_id in course_ids:
            _owned(conn, course_id, code, annee)
        deleted = sum(tts.delete_course(conn, course_id) for course_id in course_ids)
        bump_revision(conn, TIMETABLE)
    log.info("courses deleted uai=%s count=%d", code, deleted)
    return deleted


def delete_course(db: Database, uai: str, course_id: int) -> None:
    delete_courses(db, uai, [course_id])
