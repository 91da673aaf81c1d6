"""Each reason a course cannot be sent, the annual rule, clashes and hours."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from app.domain.timetable import Horaire, school_mondays
from app.services.sts import compliance as c
from app.services.sts import courses, edt, retrieval, timetable_import
from app.services.sts import timetable_store as tts
from app.services.sts.compliance import annual_problem
from app.store.database import Database
from app.store.tables.sts import edt_modalites

from .helpers import UAI, YEAR, csv_bytes, small_sts


def _load(db: Database, *lines: str) -> None:
    retrieval.store_sts_data(db, small_sts(), source="demo")
    timetable_import.import_csv(db, UAI, csv_bytes(*lines))


def _reasons(db: Database) -> dict[str, set[str]]:
    report = edt.verify(db, UAI)
    return {s.description: {r.code for r in s.reasons} for s in report.statuses}


def test_clean_course_is_exportable_and_described(lite_db: Database) -> None:
    _load(lite_db, "lundi;08h00;1h;MATHS;DUPONT Jean;6A;S1;")
    [status] = edt.verify(lite_db, UAI).statuses
    assert status.exportable
    assert status.description == "lundi 08h00–09h00 MATHS 6A (M. DUPONT)"


@pytest.mark.parametrize(("line", "code"), [
    ("lundi;08h00;1h;MATHS;;6A;;", c.NO_TEACHER),
    ("lundi;08h00;1h;MATHS;INCONNU Paul;6A;;", c.TEACHER_UNMATCHED),
    ("lundi;08h00;1h;Latin;DUPONT Jean;6A;;", c.SUBJECT_UNMATCHED),
    ("lundi;08h00;1h;MATHS;DUPONT Jean;5Z;;", c.STRUCTURE_UNMATCHED),
    ("lundi;08h00;1h;MATHS;DUPONT Jean, MARTIN Élodie;6A;;", c.CO_TEACHING),
])  # fmt: skip
def test_each_reason(lite_db: Database, line: str, code: str) -> None:
    _load(lite_db, line)
    [status] = edt.verify(lite_db, UAI).statuses
    assert not status.exportable
    assert [r.code for r in status.reasons] == [code]
    assert status.reason_text and status.reason_text[0].islower()


def test_co_teaching_allowed_on_a_co_ens_modality(lite_db: Database) -> None:
    _load(lite_db, "lundi;08h00;1h;MATHS;DUPONT Jean, MARTIN Élodie;6A;;")
    with lite_db.write() as conn:
        conn.execute(edt_modalites.insert().values(uai=UAI, annee=YEAR, code="AI"))
    edt.run_auto_match(lite_db, UAI)
    data = courses.resources(lite_db, UAI)
    [course] = data.courses
    ai = next(m.id for m in data.modalities.values() if m.code == "AI")
    draft = courses.CourseDraft(course.matiere_id, course.structure_id, course.day, course.start,
                                course.duration, course.alternance_id, course.teacher_ids,
                                modalite_id=ai)  # fmt: skip
    courses.update_course(lite_db, UAI, course.id, draft)
    [status] = edt.verify(lite_db, UAI).statuses
    assert status.exportable


def test_no_modality(lite_db: Database) -> None:
    sts = small_sts()
    without_cg = dataclasses.replace(sts, mods_cours=sts.mods_cours[1:])
    retrieval.store_sts_data(lite_db, without_cg, source="demo")
    timetable_import.import_csv(lite_db, UAI, csv_bytes("lundi;08h00;1h;MATHS;DUPONT Jean;6A;;"))
    [status] = edt.verify(lite_db, UAI).statuses
    assert [r.code for r in status.reasons] == [c.NO_MODALITY]
    assert "CG" in status.reason_text


def test_unmatched_modality(lite_db: Database) -> None:
    _load(lite_db, "lundi;08h00;1h;MATHS;DUPONT Jean;6A;;")
    with lite_db.write() as conn:
        conn.execute(edt_modalites.insert().values(uai=UAI, annee=YEAR, code="XX"))
    data = courses.resources(lite_db, UAI)
    [course] = data.courses
    xx = next(iter(data.modalities))
    courses.update_course(lite_db, UAI, course.id, courses.CourseDraft(
        course.matiere_id, course.structure_id, 1, 480, 60, course.alternance_id,
        course.teacher_ids, modalite_id=xx))  # fmt: skip
    [status] = edt.verify(lite_db, UAI).statuses
    assert [r.code for r in status.reasons] == [c.NO_MODALITY]


def test_course_limited_to_part_of_the_year(lite_db: Database) -> None:
    _load(lite_db, "lundi;08h00;1h;MATHS;DUPONT Jean;6A;;")
    first_term = [d for d in school_mondays(YEAR) if d < dt.date(YEAR, 12, 20)]
    with lite_db.write() as conn:
        ids = tts.save_alternances(conn, UAI, YEAR,
                                   {"TRIM": ("Trim.", "1er trimestre", first_term)},
                                   replace_weeks=True)  # fmt: skip
    course = courses.resources(lite_db, UAI).courses[0]
    courses.update_course(lite_db, UAI, course.id, courses.CourseDraft(
        course.matiere_id, course.structure_id, 1, 480, 60, ids["TRIM"], course.teacher_ids))
    [status] = edt.verify(lite_db, UAI).statuses
    assert [r.code for r in status.reasons] == [c.NOT_ANNUAL]
    assert "annuels" in status.reason_text


def test_start_outside_opening_hours(lite_db: Database) -> None:
    _load(lite_db, "lundi;17h30;1h;MATHS;DUPONT Jean;6A;;", "mardi;08h00;1h;MATHS;DUPONT Jean;6A;;",
          "samedi;08h00;1h;MATHS;DUPONT Jean;6A;;")  # fmt: skip
    edt.save_horaires(lite_db, UAI, [Horaire(1, 480, 1080), Horaire(2, 480, 1080)])
    reasons = _reasons(lite_db)
    assert reasons["lundi 17h30–18h30 MATHS 6A (M. DUPONT)"] == {c.OUTSIDE_HOURS}
    assert reasons["mardi 08h00–09h00 MATHS 6A (M. DUPONT)"] == set()
    assert reasons["samedi 08h00–09h00 MATHS 6A (M. DUPONT)"] == {c.OUTSIDE_HOURS}


def test_teacher_in_two_places_is_a_warning_only(lite_db: Database) -> None:
    _load(lite_db, "lundi;08h00;1h;MATHS;DUPONT Jean;6A;;", "lundi;08h30;1h;MATHS;DUPONT Jean;6B;;",
          "lundi;10h00;1h;MATHS;DUPONT Jean;6A;;Semaine A",
          "lundi;10h00;1h;MATHS;DUPONT Jean;6B;;Semaine B")  # fmt: skip
    report = edt.verify(lite_db, UAI)
    assert all(s.exportable for s in report.statuses)
    warned = {s.description for s in report.warnings}
    assert warned == {"lundi 08h00–09h00 MATHS 6A (M. DUPONT)",
                      "lundi 08h30–09h30 MATHS 6B (M. DUPONT)"}  # fmt: skip
    assert all(w.code == c.TEACHER_CLASH for s in report.warnings for w in s.warnings)


def test_hours_per_teacher_and_division(lite_db: Database) -> None:
    _load(lite_db, "lundi;08h00;1h;MATHS;DUPONT Jean;6A;;",
          "mardi;08h00;1h30;MATHS;DUPONT Jean;6A;;",
          "jeudi;08h00;1h;MATHS;DUPONT Jean;6A;;Semaine A")  # fmt: skip
    report = edt.verify(lite_db, UAI)
    dupont = next(h for h in report.teacher_hours if h.label == "DUPONT Jean")
    assert dupont.timetable == Decimal("3.00") and dupont.sts == Decimal("4.00")
    assert dupont.difference == Decimal("-1.00")
    sixa = next(h for h in report.structure_hours if h.key == "6A")
    assert sixa.timetable == Decimal("3.00") and sixa.sts == Decimal("9.00")


def test_annual_rule() -> None:
    mondays = school_mondays(YEAR)
    assert annual_problem(mondays, YEAR) is None
    assert annual_problem(mondays[0::2], YEAR) is None
    assert annual_problem(mondays[1::2], YEAR) is None
    holidays = {dt.date(YEAR, 10, 20), dt.date(YEAR, 10, 27), dt.date(YEAR, 12, 22),
                dt.date(YEAR, 12, 29)}  # fmt: skip
    assert annual_problem([d for d in mondays if d not in holidays], YEAR) is None
    assert "commence" in str(annual_problem(mondays[8:], YEAR))
    assert "s'arrête" in str(annual_problem(mondays[:20], YEAR))
    assert "semaines dans l'année" in str(annual_problem(mondays[0::4], YEAR))
    gap = mondays[:10] + mondays[16:]
    assert "s'interrompt" in str(annual_problem(gap, YEAR))
    assert "hors de l'année" in str(annual_problem([*mondays, dt.date(YEAR + 1, 9, 7)], YEAR))
    assert "aucune semaine" in str(annual_problem([], YEAR))
