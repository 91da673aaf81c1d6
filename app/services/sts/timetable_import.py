"""Timetable sources: an ``EDT_STS`` file, a CSV export of courses, the demo timetable.

Each import replaces the year's *courses* of the establishment and keeps the
resources (teachers, subjects, classes, rooms…) with their correspondances,
adding the missing ones; it runs through ``run_import`` (exclusive use, copy of
the base, one transaction, journal). After the import, automatic matching
runs against the stored STS data, so the wizard opens on what is really left.

An ``EDT_STS`` file already speaks STS-Web: its teachers are STS ids, its
subjects STS codes, so its resources are created *pre-matched* and the file
written back from the base gives the same courses (round trip).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.demo.sts import generate_timetable
from app.domain.models import JournalKind, JournalResult
from app.domain.school_year import year_label
from app.domain.sts import StsData
from app.domain.timetable import Timetable
from app.errors import PasserelleError
from app.formats.archive import ZIP_MAGIC
from app.formats.sts.reader import read_edt_sts
from app.services import base_admin, journal
from app.services.changes import TIMETABLE
from app.services.exclusive import Outcome, run_import
from app.services.sts import correspondances, sts_store
from app.services.sts import timetable_store as tts
from app.services.sts.csv_courses import CsvCourse, read_csv
from app.services.sts.text import norm
from app.store.database import Database
from app.store.tables.sts import (
    edt_alternances,
    edt_enseignants,
    edt_matieres,
    edt_modalites,
    edt_salles,
    edt_structures,
)

log = logging.getLogger(__name__)

SOURCE_EDT_STS = "EDT_STS"
SOURCE_CSV = "CSV"
SOURCE_DEMO = "démonstration"


@dataclass(frozen=True, slots=True)
class TimetableImport:
    source: str
    courses: int
    created: dict[str, int]  # new local resources per type
    auto_matched: dict[str, int]
    journal_id: int


def looks_like_xml(path: Path) -> bool:
    """EDT_STS (XML, or a ZIP holding it) rather than CSV."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(ZIP_MAGIC) or stripped.startswith(b"<")


def import_file(db: Database, uai: str, path: str | Path,
                *, cancel: threading.Event | None = None) -> TimetableImport:  # fmt: skip
    """EDT_STS or CSV, detected from the content."""
    if looks_like_xml(Path(path)):
        return import_edt_sts(db, uai, path, cancel=cancel)
    return import_csv(db, uai, path, cancel=cancel)


def _refused(db: Database, uai: str, source: str, exc: PasserelleError) -> None:
    journal.record(
        db, JournalKind.EDT_IMPORT, JournalResult.FAILURE,
        f"Import de l'emploi du temps ({source}) refusé : rien n'a été modifié. {exc.message}",
        uai=uai, details={"code": exc.code, "source": source},
    )  # fmt: skip


# ------------------------------------------------------------------- EDT_STS


def import_edt_sts(db: Database, uai: str, path: str | Path,
                   *, cancel: threading.Event | None = None) -> TimetableImport:  # fmt: skip
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    try:
        timetable = read_edt_sts(path, expected_uai=code, expected_year=annee)
    except PasserelleError as exc:
        _refused(db, code, SOURCE_EDT_STS, exc)
        raise
    return load_timetable(db, code, annee, timetable, source=SOURCE_EDT_STS, cancel=cancel)


def import_demo(db: Database, uai: str, *, seed: int = 3) -> TimetableImport:
    """The demo timetable for the stored STS data (retrieve STS data first)."""
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    with db.read() as conn:
        sts = sts_store.load(conn, code, annee)
    if sts is None:
        raise PasserelleError(
            f"Les données STSWEB {year_label(annee)} de {code} ne sont pas dans la base : "
            "récupérez-les d'abord (l'emploi du temps de démonstration est construit sur "
            "elles).", code="STS_ABSENT",
        )  # fmt: skip
    return load_timetable(db, code, annee, generate_timetable(sts, seed), source=SOURCE_DEMO)


def load_timetable(
    db: Database,
    uai: str,
    annee: int,
    timetable: Timetable,
    *,
    source: str,
    cancel: threading.Event | None = None,
) -> TimetableImport:
    """Store a domain Timetable (its ids are STS ids) as the year's courses."""
    courses = timetable.courses()

    def work(conn: Connection) -> Outcome[tuple[int, dict[str, int], dict[str, int]]]:
        sts = sts_store.load(conn, uai, annee)
        individus = {i.id: i for i in sts.individus} if sts else {}
        matieres = {m.code: m for m in sts.matieres} if sts else {}
        created: dict[str, int] = {}

        teacher_ids = sorted({t for c in courses for t in c.teacher_ids})
        teachers = _upsert(conn, edt_enseignants, uai, annee, created, "enseignant", {
            t: {"nom": individus[t].nom_usage if t in individus else t,
                "prenom": individus[t].prenom if t in individus else "",
                "date_naissance": individus[t].date_naissance if t in individus else None,
                "sts_code": t, "origine": correspondances.AUTO}
            for t in teacher_ids
        })  # fmt: skip
        subject_codes = sorted({c.code_matiere for c in courses})
        local_subject = {s: _subject_code(s, matieres) for s in subject_codes}
        subjects = _upsert(conn, edt_matieres, uai, annee, created, "matiere", {
            local_subject[s]: {"libelle": matieres[s].libelle_long if s in matieres else s,
                               "sts_code": s, "origine": correspondances.AUTO}
            for s in subject_codes
        })  # fmt: skip
        structures = _upsert(conn, edt_structures, uai, annee, created, "structure", {
            c.structure_code: {"nature": c.structure_kind.value, "sts_nature":
                               c.structure_kind.value, "sts_code": c.structure_code,
                               "origine": correspondances.AUTO}
            for c in courses
        })  # fmt: skip
        modalities = _upsert(conn, edt_modalites, uai, annee, created, "modalite", {
            c.code_mod_cours: {"libelle": None, "sts_code": c.code_mod_cours,
                               "origine": correspondances.AUTO}
            for c in courses if c.code_mod_cours
        })  # fmt: skip
        rooms = _upsert(conn, edt_salles, uai, annee, created, "salle", {
            s.code: {"groupe_salle": s.groupe_salle, "localisation": s.localisation}
            for s in timetable.salles
        } | {c.room: {} for c in courses if c.room and c.room not in
             {s.code for s in timetable.salles}})  # fmt: skip
        alternances = tts.save_alternances(conn, uai, annee, {
            a.code: (a.libelle_court, a.libelle_long, a.week_starts)
            for a in timetable.alternances
        }, replace_weeks=True)  # fmt: skip
        missing = sorted({c.alternance for c in courses} - set(alternances))
        if missing:
            raise PasserelleError(
                f"Le fichier utilise l'alternance « {missing[0]} » sans la déclarer : "
                "rien n'a été importé.", code="EDT_ALTERNANCE_INCONNUE",
            )  # fmt: skip
        if timetable.horaires:
            tts.replace_horaires(conn, uai, annee, timetable.horaires)
        new = [
            tts.NewCourse(
                matiere_id=subjects[local_subject[c.code_matiere]],
                structure_id=structures[c.structure_code],
                alternance_id=alternances[c.alternance], day=c.day, start=c.start,
                duration=c.duration, teacher_ids=tuple(teachers[t] for t in c.teacher_ids),
                modalite_id=modalities[c.code_mod_cours] if c.code_mod_cours else None,
                salle_id=rooms[c.room] if c.room else None,
            )
            for c in courses
        ]  # fmt: skip
        return _finish(conn, uai, annee, new, created, source, sts, cancel)

    return _run(db, uai, source, work)


def _subject_code(code: str, matieres: dict[str, Any]) -> str:
    """Local code of an STS subject: its code gestion (« MATHS ») when known, so a CSV
    that says « MATHS » lands on the same local subject."""
    matiere = matieres.get(code)
    return matiere.code_gestion if matiere is not None and matiere.code_gestion else code


# ----------------------------------------------------------------------- CSV


def import_csv(db: Database, uai: str, path: str | Path | bytes,
               *, cancel: threading.Event | None = None) -> TimetableImport:  # fmt: skip
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    with db.read() as conn:
        existing = {r.code: (r.libelle_court, r.libelle_long) for r in conn.execute(
            sa.select(edt_alternances).where(edt_alternances.c.uai == code,
                                             edt_alternances.c.annee == annee))}  # fmt: skip
    try:
        rows = read_csv(path, alternance_names(existing))
    except PasserelleError as exc:
        _refused(db, code, SOURCE_CSV, exc)
        raise

    def work(conn: Connection) -> Outcome[tuple[int, dict[str, int], dict[str, int]]]:
        sts = sts_store.load(conn, code, annee)
        alternances = tts.ensure_default_alternances(conn, code, annee)
        created: dict[str, int] = {}
        new = _csv_courses(conn, code, annee, rows, sts, alternances, created)
        return _finish(conn, code, annee, new, created, SOURCE_CSV, sts, cancel)

    return _run(db, code, SOURCE_CSV, work)


def alternance_names(existing: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Normalised names accepted in the Alternance column → alternance code."""
    names = {
        "": tts.WEEKLY, "h": tts.WEEKLY, "toutes les semaines": tts.WEEKLY,
        "hebdomadaire": tts.WEEKLY, "hebdo": tts.WEEKLY, "chaque semaine": tts.WEEKLY,
        "a": tts.WEEK_A, "sa": tts.WEEK_A, "semaine a": tts.WEEK_A, "sem a": tts.WEEK_A,
        "b": tts.WEEK_B, "sb": tts.WEEK_B, "semaine b": tts.WEEK_B, "sem b": tts.WEEK_B,
    }  # fmt: skip
    for code, (court, long) in existing.items():
        for name in (code, court, long):
            names.setdefault(norm(name), code)
    return names


def _csv_courses(
    conn: Connection,
    uai: str,
    annee: int,
    rows: list[CsvCourse],
    sts: StsData | None,
    alternances: dict[str, int],
    created: dict[str, int],
) -> list[tts.NewCourse]:
    data = tts.load(conn, uai, annee)
    # Teachers: the same person whatever the accents or case of the file.
    teacher_by_name = {(norm(t.nom), norm(t.prenom)): t.code for t in data.teachers.values()}
    teacher_code: dict[tuple[str, str], str] = {}
    teacher_rows: dict[str, dict[str, Any]] = {}
    for row in rows:
        for t in row.teachers:
            key = (norm(t.nom), norm(t.prenom))
            if key not in teacher_code:
                teacher_code[key] = teacher_by_name.get(key, t.code)
                teacher_rows.setdefault(teacher_code[key], {"nom": t.nom, "prenom": t.prenom})
    teachers = _upsert(conn, edt_enseignants, uai, annee, created, "enseignant", teacher_rows)

    subject_by_name: dict[str, str] = {}
    for s in data.subjects.values():
        subject_by_name.setdefault(norm(s.code), s.code)
        subject_by_name.setdefault(norm(s.libelle), s.code)
    sts_subjects: dict[str, tuple[str, str]] = {}
    for m in sts.matieres if sts else ():
        local = (m.code_gestion or m.code, m.libelle_long)
        for name in (m.code, m.code_gestion, m.libelle_court, m.libelle_long):
            if name:
                sts_subjects.setdefault(norm(name), local)
    subject_code: dict[str, str] = {}
    subject_rows: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = norm(row.matiere)
        if name in subject_code:
            continue
        if name in subject_by_name:
            subject_code[name] = subject_by_name[name]
        elif name in sts_subjects:
            subject_code[name], libelle = sts_subjects[name]
            subject_rows.setdefault(subject_code[name], {"libelle": libelle})
        else:
            subject_code[name] = row.matiere.strip()[:120]
            subject_rows.setdefault(subject_code[name], {"libelle": row.matiere.strip()[:200]})
    subjects = _upsert(conn, edt_matieres, uai, annee, created, "matiere", subject_rows)

    sts_groupes = {g.code for g in sts.groupes} if sts else set()
    sts_divisions = {d.code for d in sts.divisions} if sts else set()
    structure_by_name = {norm(s.code): s.code for s in data.structures.values()}
    structure_code: dict[str, str] = {}
    structure_rows: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = norm(row.structure)
        if name not in structure_code:
            structure_code[name] = structure_by_name.get(name, row.structure)
            nature = ("groupe" if row.structure in sts_groupes
                      and row.structure not in sts_divisions else "division")  # fmt: skip
            structure_rows.setdefault(structure_code[name], {"nature": nature})
    structures = _upsert(conn, edt_structures, uai, annee, created, "structure", structure_rows)

    room_by_name = {norm(r.code): r.code for r in data.rooms.values()}
    room_code = {norm(r.salle): room_by_name.get(norm(r.salle), r.salle)
                 for r in rows if r.salle}  # fmt: skip
    rooms = _upsert(conn, edt_salles, uai, annee, created, "salle",
                    {code: {} for code in room_code.values()})  # fmt: skip
    return [
        tts.NewCourse(
            matiere_id=subjects[subject_code[norm(r.matiere)]],
            structure_id=structures[structure_code[norm(r.structure)]],
            alternance_id=alternances[r.alternance], day=r.day, start=r.start,
            duration=r.duration,
            teacher_ids=tuple(teachers[teacher_code[(norm(t.nom), norm(t.prenom))]]
                              for t in r.teachers),
            salle_id=rooms[room_code[norm(r.salle)]] if r.salle else None,
        )
        for r in rows
    ]  # fmt: skip


# ------------------------------------------------------------------- shared


def _upsert(
    conn: Connection,
    table: sa.Table,
    uai: str,
    annee: int,
    created: dict[str, int],
    kind: str,
    rows: dict[str, dict[str, Any]],
) -> dict[str, int]:
    before = conn.execute(sa.select(sa.func.count()).select_from(table).where(
        table.c.uai == uai, table.c.annee == annee)).scalar_one()  # fmt: skip
    ids = tts.upsert(conn, table, uai, annee, rows)
    created[kind] = len(ids) - int(before)
    return ids


def _finish(
    conn: Connection,
    uai: str,
    annee: int,
    new: list[tts.NewCourse],
    created: dict[str, int],
    source: str,
    sts: StsData | None,
    cancel: threading.Event | None,
) -> Outcome[tuple[int, dict[str, int], dict[str, int]]]:
    if cancel is not None and cancel.is_set():
        from app.errors import UserCancelled

        raise UserCancelled()
    count = tts.replace_courses(conn, uai, annee, new)
    matched = (correspondances.auto_match(conn, tts.load(conn, uai, annee), sts)
               if sts is not None else {})  # fmt: skip
    resume = (f"Emploi du temps {year_label(annee)} importé ({source}) : {count} cours"
              + "".join(f", {n} {label} créé(s)" for label, n in _labels(created) if n) + ".")
    return Outcome((count, created, matched), resume,
                   details={"source": source, "cours": count, "crees": created,
                            "correspondances_auto": matched},
                   topics=(TIMETABLE,))  # fmt: skip


def _labels(created: dict[str, int]) -> Iterable[tuple[str, int]]:
    names = {"enseignant": "professeur(s)", "matiere": "matière(s)",
             "structure": "classe(s)/groupe(s)", "modalite": "modalité(s)", "salle": "salle(s)"}
    for kind, n in created.items():
        yield names.get(kind, kind).replace("(s)", ""), n


def _run(db: Database, uai: str, source: str, work: Any) -> TimetableImport:
    run = run_import(db, uai, JournalKind.EDT_IMPORT, work,
                     operation="Import de l'emploi du temps")  # fmt: skip
    count, created, matched = run.value
    log.info("timetable imported uai=%s source=%s courses=%d", uai, source, count)
    return TimetableImport(source, count, created, matched, run.journal_id)
