"""The timetable domain: HHMM at the boundary, Mondays, slots, flat/tree views."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.timetable import (
    Alternance,
    Course,
    Horaire,
    StructureKind,
    assemble_timetable,
    format_hhmm,
    monday_of,
    parse_hhmm,
    school_mondays,
)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("0000", 0), ("0130", 90), ("0100", 60), ("0830", 510), ("1402", 842), ("2359", 1439)],
)
def test_hhmm_round_trip(text: str, minutes: int) -> None:
    assert parse_hhmm(text) == minutes
    assert format_hhmm(minutes) == text


def test_hhmm_is_trimmed() -> None:
    assert parse_hhmm("\n   0830\n  ") == 510


@pytest.mark.parametrize(
    "text", ["0160", "0099", "2400", "830", "08:30", "", "abcd", "08300", "٠٨٣٠"]
)
def test_hhmm_refuses_bad_values(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hhmm(text)


def test_hhmm_minutes_message_is_french() -> None:
    with pytest.raises(ValueError, match="minutes doivent être comprises entre 00 et 59"):
        parse_hhmm("0975")


@pytest.mark.parametrize("minutes", [-1, 1440, 10_000])
def test_format_hhmm_refuses_out_of_day(minutes: int) -> None:
    with pytest.raises(ValueError):
        format_hhmm(minutes)


def test_alternance_weeks_must_be_mondays() -> None:
    with pytest.raises(ValueError, match="n'est pas un lundi"):
        Alternance("SA", "A", "Semaine A", (dt.date(2025, 9, 4),))
    with pytest.raises(ValueError, match="répétée"):
        Alternance("SA", "A", "Semaine A", (dt.date(2025, 9, 1), dt.date(2025, 9, 1)))
    assert Alternance("SA", "A", "Semaine A", (dt.date(2025, 9, 1),)).week_starts


def test_school_mondays_are_mondays_of_the_year() -> None:
    weeks = school_mondays(2026)
    assert all(d.weekday() == 0 for d in weeks)
    assert weeks[0] == dt.date(2026, 8, 31)  # the week holding Tuesday 1 September
    assert weeks[-1] < dt.date(2027, 7, 1)
    assert monday_of(dt.date(2025, 9, 4)) == dt.date(2025, 9, 1)


def test_horaire_and_course_validation() -> None:
    with pytest.raises(ValueError, match="incohérents"):
        Horaire(1, 600, 480)
    with pytest.raises(ValueError):
        Horaire(8, 480, 600)
    base = {
        "code_matiere": "020700",
        "teacher_ids": ("1",),
        "structure_code": "3A",
        "structure_kind": StructureKind.DIVISION,
        "alternance": "H",
    }
    with pytest.raises(ValueError, match="après minuit"):
        Course(day=1, start=23 * 60, duration=120, **base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="au moins une minute"):
        Course(day=1, start=480, duration=0, **base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="enseignant"):
        Course(day=1, start=480, duration=60, **{**base, "teacher_ids": ()})  # type: ignore[arg-type]


def test_assemble_then_flatten_merges_co_teaching() -> None:
    co_taught = Course("061300", ("B", "A"), "3A", StructureKind.DIVISION, 1, 480, 60, "H")
    alone = Course("020700", ("A",), "G1", StructureKind.GROUPE, 2, 600, 90, "H", "S1", "CG")
    tt = assemble_timetable("0771991W", 2025, [alone, co_taught], division_codes=["3B"])
    assert [d.code for d in tt.divisions] == ["3A", "3B"]
    service = tt.divisions[0].services[0]
    assert [e.id for e in service.enseignants] == ["A", "B"]  # one COURS per teacher
    assert tt.cours_count() == 3
    courses = tt.courses()
    assert len(courses) == 2
    assert courses[0].teacher_ids == ("A", "B")
    assert {c.structure_code for c in courses} == {"3A", "G1"}
