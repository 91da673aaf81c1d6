"""The timetable in the base: one snapshot read, resource upserts, bulk course writes.

:class:`TimetableData` is what compliance, correspondances and the file
builder work on: every resource by id and the courses with their teacher ids,
read in a handful of queries (2,500 courses load in a few tens of ms).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.timetable import Horaire, school_mondays
from app.store.tables.sts import (
    edt_alternance_semaines,
    edt_alternances,
    edt_cours,
    edt_cours_enseignants,
    edt_enseignants,
    edt_horaires,
    edt_matieres,
    edt_modalites,
    edt_salles,
    edt_structures,
)

WEEKLY = "H"
WEEK_A = "SA"
WEEK_B = "SB"


@dataclass(frozen=True, slots=True)
class Teacher:
    id: int
    code: str
    nom: str
    prenom: str
    date_naissance: dt.date | None = None
    sts_code: str | None = None
    origine: str | None = None

    @property
    def label(self) -> str:
        return f"{self.nom} {self.prenom}".strip()


@dataclass(frozen=True, slots=True)
class Subject:
    id: int
    code: str
    libelle: str
    sts_code: str | None = None
    origine: str | None = None

    @property
    def label(self) -> str:
        return self.libelle or self.code


@dataclass(frozen=True, slots=True)
class Structure:
    id: int
    code: str
    nature: str  # division | groupe
    libelle: str | None = None
    sts_nature: str | None = None
    sts_code: str | None = None
    origine: str | None = None

    @property
    def label(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Modality:
    id: int
    code: str
    libelle: str | None = None
    sts_code: str | None = None
    origine: str | None = None

    @property
    def label(self) -> str:
        return self.libelle or self.code


@dataclass(frozen=True, slots=True)
class Room:
    id: int
    code: str
    groupe_salle: str | None = None
    localisation: str | None = None


@dataclass(frozen=True, slots=True)
class AlternanceRow:
    id: int
    code: str
    libelle_court: str
    libelle_long: str
    weeks: tuple[dt.date, ...]


@dataclass(frozen=True, slots=True)
class CourseRow:
    id: int
    matiere_id: int
    structure_id: int
    alternance_id: int
    day: int
    start: int
    duration: int
    teacher_ids: tuple[int, ...] = ()
    modalite_id: int | None = None
    salle_id: int | None = None

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass
class TimetableData:
    uai: str
    annee: int
    teachers: dict[int, Teacher] = field(default_factory=dict)
    subjects: dict[int, Subject] = field(default_factory=dict)
    structures: dict[int, Structure] = field(default_factory=dict)
    modalities: dict[int, Modality] = field(default_factory=dict)
    rooms: dict[int, Room] = field(default_factory=dict)
    alternances: dict[int, AlternanceRow] = field(default_factory=dict)
    horaires: dict[int, Horaire] = field(default_factory=dict)
    courses: list[CourseRow] = field(default_factory=list)


def _where(table: sa.Table, uai: str, annee: int) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.uai == uai, table.c.annee == annee)


def load(conn: Connection, uai: str, annee: int) -> TimetableData:
    data = TimetableData(uai, annee)

    def rows(table: sa.Table) -> Iterable[Any]:
        return conn.execute(sa.select(table).where(_where(table, uai, annee)))

    data.teachers = {r.id: Teacher(r.id, r.code, r.nom, r.prenom, r.date_naissance, r.sts_code,
                                   r.origine) for r in rows(edt_enseignants)}  # fmt: skip
    data.subjects = {r.id: Subject(r.id, r.code, r.libelle, r.sts_code, r.origine)
                     for r in rows(edt_matieres)}  # fmt: skip
    data.structures = {r.id: Structure(r.id, r.code, r.nature, r.libelle, r.sts_nature,
                                       r.sts_code, r.origine)
                       for r in rows(edt_structures)}  # fmt: skip
    data.modalities = {r.id: Modality(r.id, r.code, r.libelle, r.sts_code, r.origine)
                       for r in rows(edt_modalites)}  # fmt: skip
    data.rooms = {r.id: Room(r.id, r.code, r.groupe_salle, r.localisation)
                  for r in rows(edt_salles)}  # fmt: skip
    weeks: dict[int, list[dt.date]] = defaultdict(list)
    for alternance_id, lundi in conn.execute(
        sa.select(edt_alternance_semaines.c.alternance_id, edt_alternance_semaines.c.lundi)
        .join(edt_alternances, edt_alternances.c.id == edt_alternance_semaines.c.alternance_id)
        .where(_where(edt_alternances, uai, annee))
        .order_by(edt_alternance_semaines.c.lundi)
    ):  # fmt: skip
        weeks[alternance_id].append(lundi)
    data.alternances = {r.id: AlternanceRow(r.id, r.code, r.libelle_court, r.libelle_long,
                                            tuple(weeks[r.id]))
                        for r in rows(edt_alternances)}  # fmt: skip
    data.horaires = {r.jour: Horaire(r.jour, r.debut, r.fin) for r in rows(edt_horaires)}
    teachers: dict[int, list[int]] = defaultdict(list)
    for cours_id, enseignant_id in conn.execute(
        sa.select(edt_cours_enseignants.c.cours_id, edt_cours_enseignants.c.enseignant_id)
        .join(edt_cours, edt_cours.c.id == edt_cours_enseignants.c.cours_id)
        .where(_where(edt_cours, uai, annee))
    ):  # fmt: skip
        teachers[cours_id].append(enseignant_id)
    data.courses = [
        CourseRow(r.id, r.matiere_id, r.structure_id, r.alternance_id, r.jour, r.debut, r.duree,
                  tuple(sorted(teachers[r.id])), r.modalite_id, r.salle_id)
        for r in conn.execute(
            sa.select(edt_cours).where(_where(edt_cours, uai, annee))
            .order_by(edt_cours.c.jour, edt_cours.c.debut, edt_cours.c.id)
        )
    ]  # fmt: skip
    return data


# ------------------------------------------------------------------ writes


def upsert(
    conn: Connection,
    table: sa.Table,
    uai: str,
    annee: int,
    rows: Mapping[str, Mapping[str, Any]],
) -> dict[str, int]:
    """Ids by code; missing codes are inserted with their values, existing rows kept as
    they are (their correspondance included: a manual match is never overwritten)."""
    existing = {
        r.code: r.id
        for r in conn.execute(sa.select(table.c.id, table.c.code).where(_where(table, uai, annee)))
    }
    new = [{"uai": uai, "annee": annee, "code": code, **values}
           for code, values in rows.items() if code not in existing]  # fmt: skip
    if new:
        # Same key set for every row: executemany needs homogeneous parameters.
        keys = set().union(*(r.keys() for r in new))
        new = [{k: r.get(k) for k in keys} for r in new]
        for row in conn.execute(
            sa.insert(table).returning(table.c.id, table.c.code, sort_by_parameter_order=True),
            new,
        ):
            existing[row.code] = row.id
    return existing


def ensure_default_alternances(conn: Connection, uai: str, annee: int) -> dict[str, int]:
    """« Toutes les semaines », « Semaine A », « Semaine B » over the school year."""
    mondays = school_mondays(annee)
    return save_alternances(conn, uai, annee, {
        WEEKLY: ("Hebdo", "Toutes les semaines", mondays),
        WEEK_A: ("Sem. A", "Semaine A", mondays[0::2]),
        WEEK_B: ("Sem. B", "Semaine B", mondays[1::2]),
    }, replace_weeks=False)  # fmt: skip


def save_alternances(
    conn: Connection,
    uai: str,
    annee: int,
    alternances: Mapping[str, tuple[str, str, Sequence[dt.date]]],
    *,
    replace_weeks: bool,
) -> dict[str, int]:
    """Create missing alternances (code → (libellé court, long, Mondays)); with
    ``replace_weeks`` existing ones take the given weeks too."""
    before = {
        r.code
        for r in conn.execute(
            sa.select(edt_alternances.c.code).where(_where(edt_alternances, uai, annee))
        )
    }
    ids = upsert(conn, edt_alternances, uai, annee, {
        code: {"libelle_court": court[:40], "libelle_long": long[:200]}
        for code, (court, long, _) in alternances.items()
    })  # fmt: skip
    refresh = [code for code in alternances if replace_weeks or code not in before]
    if refresh:
        conn.execute(sa.delete(edt_alternance_semaines).where(
            edt_alternance_semaines.c.alternance_id.in_([ids[c] for c in refresh])))  # fmt: skip
        weeks = [{"alternance_id": ids[c], "lundi": d}
                 for c in refresh for d in sorted(set(alternances[c][2]))]  # fmt: skip
        if weeks:
            conn.execute(sa.insert(edt_alternance_semaines), weeks)
    return ids


def replace_horaires(conn: Connection, uai: str, annee: int, horaires: Iterable[Horaire]) -> None:
    conn.execute(sa.delete(edt_horaires).where(_where(edt_horaires, uai, annee)))
    rows = [{"uai": uai, "annee": annee, "jour": h.day, "debut": h.debut, "fin": h.fin}
            for h in horaires]  # fmt: skip
    if rows:
        conn.execute(sa.insert(edt_horaires), rows)


@dataclass(frozen=True, slots=True)
class NewCourse:
    matiere_id: int
    structure_id: int
    alternance_id: int
    day: int
    start: int
    duration: int
    teacher_ids: tuple[int, ...] = ()
    modalite_id: int | None = None
    salle_id: int | None = None


def _course_values(uai: str, annee: int, c: NewCourse) -> dict[str, Any]:
    return {"uai": uai, "annee": annee, "matiere_id": c.matiere_id,
            "structure_id": c.structure_id, "modalite_id": c.modalite_id,
            "alternance_id": c.alternance_id, "salle_id": c.salle_id, "jour": c.day,
            "debut": c.start, "duree": c.duration}  # fmt: skip


def replace_courses(conn: Connection, uai: str, annee: int, courses: Sequence[NewCourse]) -> int:
    """Delete the year's courses and insert ``courses`` (two executemany statements)."""
    conn.execute(sa.delete(edt_cours).where(_where(edt_cours, uai, annee)))
    if not courses:
        return 0
    ids = [
        row.id
        for row in conn.execute(
            sa.insert(edt_cours).returning(edt_cours.c.id, sort_by_parameter_order=True),
            [_course_values(uai, annee, c) for c in courses],
        )
    ]
    links = [{"cours_id": cid, "enseignant_id": t}
             for cid, c in zip(ids, courses, strict=True) for t in dict.fromkeys(c.teacher_ids)]
    if links:
        conn.execute(sa.insert(edt_cours_enseignants), links)
    return len(ids)


def insert_course(conn: Connection, uai: str, annee: int, course: NewCourse) -> int:
    new_id = int(conn.execute(
        sa.insert(edt_cours).values(**_course_values(uai, annee, course))
        .returning(edt_cours.c.id)
    ).scalar_one())  # fmt: skip
    _set_teachers(conn, new_id, course.teacher_ids)
    return new_id


def update_course(conn: Connection, course_id: int, course: NewCourse) -> None:
    values = _course_values("", 0, course)
    del values["uai"], values["annee"]
    conn.execute(sa.update(edt_cours).where(edt_cours.c.id == course_id).values(**values))
    conn.execute(sa.delete(edt_cours_enseignants).where(
        edt_cours_enseignants.c.cours_id == course_id))  # fmt: skip
    _set_teachers(conn, course_id, course.teacher_ids)


def _set_teachers(conn: Connection, course_id: int, teacher_ids: Iterable[int]) -> None:
    links = [{"cours_id": course_id, "enseignant_id": t} for t in dict.fromkeys(teacher_ids)]
    if links:
        conn.execute(sa.insert(edt_cours_enseignants), links)


def delete_course(conn: Connection, course_id: int) -> int:
    return int(conn.execute(sa.delete(edt_cours).where(edt_cours.c.id == course_id)).rowcount)


def course_owner(conn: Connection, course_id: int) -> tuple[str, int] | None:
    row = conn.execute(
        sa.select(edt_cours.c.uai, edt_cours.c.annee).where(edt_cours.c.id == course_id)
    ).first()
    return None if row is None else (row.uai, row.annee)


RESOURCE_TABLES: dict[str, sa.Table] = {
    "enseignant": edt_enseignants,
    "matiere": edt_matieres,
    "structure": edt_structures,
    "modalite": edt_modalites,
}


def set_match(
    conn: Connection,
    kind: str,
    local_id: int,
    sts_code: str | None,
    origine: str | None,
    sts_nature: str | None = None,
) -> int:
    table = RESOURCE_TABLES[kind]
    values: dict[str, Any] = {"sts_code": sts_code, "origine": origine}
    if kind == "structure":
        values["sts_nature"] = sts_nature
    return int(conn.execute(sa.update(table).where(table.c.id == local_id).values(**values))
               .rowcount)  # fmt: skip


def set_matches(conn: Connection, kind: str, matches: Sequence[dict[str, Any]]) -> None:
    """Automatic matches in one executemany (``id``, ``sts_code``[, ``sts_nature``])."""
    if not matches:
        return
    table = RESOURCE_TABLES[kind]
    values: dict[str, Any] = {"sts_code": sa.bindparam("m_code"), "origine": "auto"}
    if kind == "structure":
        values["sts_nature"] = sa.bindparam("m_nature")
    conn.execute(
        sa.update(table).where(table.c.id == sa.bindparam("m_id")).values(**values),
        [{"m_id": m["id"], "m_code": m["sts_code"], "m_nature": m.get("sts_nature")}
         for m in matches],
    )  # fmt: skip
