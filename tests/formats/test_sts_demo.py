"""The demo STS-Web export and its timetable: realistic, deterministic, consistent, exportable."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import pytest

from app.demo.sts import generate_sts_data, generate_sts_edt, generate_timetable
from app.domain.sts import IndividuType, StsData
from app.domain.timetable import Course, StructureKind, Timetable
from app.formats.sts import read_edt_sts, read_sts_edt, write_edt_sts

UAI = "0771991W"


def test_same_seed_same_bytes() -> None:
    assert generate_sts_edt(UAI, 2025, 5) == generate_sts_edt(UAI, 2025, 5)
    assert generate_sts_edt(UAI, 2025, 5) != generate_sts_edt(UAI, 2025, 6)
    sts = read_sts_edt(generate_sts_edt(UAI, 2025, 5))
    assert write_edt_sts(generate_timetable(sts, 1)) == write_edt_sts(generate_timetable(sts, 1))


def test_demo_export_looks_like_sts_web() -> None:
    data = read_sts_edt(generate_sts_edt(UAI, 2026, 11), expected_uai=UAI, expected_year=2026)
    matieres = {m.code: m for m in data.matieres}
    assert matieres["020700"].code_gestion == "FRANC"
    assert {m.code_gestion for m in data.matieres} >= {"MATHS", "AGL1", "EPS"}
    assert all(len(code) == 6 and code.isdigit() for code in matieres)
    mods = {m.code: m.co_ens for m in data.mods_cours}
    assert mods["CG"] is False and mods["AI"] is True and "TP" in mods
    assert all(len(m.code) == 11 for m in data.mefs)
    types = {i.type for i in data.individus}
    assert types == {IndividuType.EPP, IndividuType.LOCAL}
    teachers = [i for i in data.individus if i.fonction == "ENS"]
    assert len(teachers) == 45
    assert all(i.disciplines and i.disciplines[0].code[0] == "L" for i in teachers)
    assert any(i.fonction in ("DIR", "EDU") for i in data.individus)
    assert all(d.mefs for d in data.divisions)
    assert all(g.divisions_appartenance for g in data.groupes)
    division_codes = {d.code for d in data.divisions}
    assert all(set(g.divisions_appartenance) <= division_codes for g in data.groupes)
    people = {i.id for i in data.individus}
    codes = set(matieres)
    for _, service in data.services():
        assert service.code_matiere in codes and service.code_mod_cours in mods
        assert service.enseignants and {e.id for e in service.enseignants} <= people
        assert service.heures_structure and service.heures_structure > 0
        if service.code_mod_cours == "AI":
            assert service.co_ens is True and len(service.enseignants) == 2


def _expected_courses(hours: Decimal) -> int:
    return int(hours) + (1 if hours % 1 else 0)


def _clashes(courses: Iterable[Course], key: str) -> list[tuple[str, int]]:
    parities = {"H": "AB", "SA": "A", "SB": "B"}
    busy: dict[tuple[str, int, str], list[tuple[int, int]]] = defaultdict(list)
    for course in courses:
        if key == "teacher":
            owners_of = list(course.teacher_ids)
        elif key == "structure":
            owners_of = [f"{course.structure_kind}:{course.structure_code}"]
        else:
            owners_of = [course.room] if course.room else []
        for owner in owners_of:
            for parity in parities[course.alternance]:
                busy[(owner, course.day, parity)].append((course.start, course.end))
    clashes = []
    for (owner, day, _), spans in busy.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            if start < end:
                clashes.append((owner, day))
    return clashes


def _check_timetable(sts: StsData, tt: Timetable) -> None:
    courses = tt.courses()
    assert courses
    for kind in ("teacher", "structure", "room"):
        assert _clashes(courses, kind) == [], kind
    for course in courses:
        assert 1 <= course.day <= 5
        assert course.start >= 8 * 60 and course.end <= 18 * 60
    per_service: dict[tuple[str, str, str | None], int] = defaultdict(int)
    for course in courses:
        per_service[(course.structure_code, course.code_matiere, course.code_mod_cours)] += 1
    for structure, service in sts.services():
        key = (structure.code, service.code_matiere, service.code_mod_cours)
        assert service.heures_structure is not None
        assert per_service[key] == _expected_courses(service.heures_structure), key
    teachers = {i.id for i in sts.individus}
    assert {t for c in courses for t in c.teacher_ids} <= teachers
    codes = {a.code: a for a in tt.alternances}
    assert set(codes) == {"H", "SA", "SB"}
    assert set(codes["SA"].week_starts).isdisjoint(codes["SB"].week_starts)
    assert set(codes["SA"].week_starts) | set(codes["SB"].week_starts) == set(
        codes["H"].week_starts
    )
    assert all(d.weekday() == 0 for d in codes["H"].week_starts)
    assert [(h.day, h.debut, h.fin) for h in tt.horaires] == [(d, 480, 1080) for d in range(1, 6)]
    assert {c.structure_kind for c in courses} == {StructureKind.DIVISION, StructureKind.GROUPE}
    assert any(len(c.teacher_ids) == 2 for c in courses)  # co-taught AI hours
    assert {c.alternance for c in courses} & {"SA", "SB"}  # half hours become A/B weeks
    # Exportable as is, and nothing is lost on the way back.
    assert read_edt_sts(write_edt_sts(tt)).courses() == courses


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_demo_timetable_is_consistent_and_exportable(seed: int) -> None:
    sts = read_sts_edt(generate_sts_edt(UAI, 2025, seed))
    tt = generate_timetable(sts, seed)
    _check_timetable(sts, tt)
    pp = [i for i in tt.individus if i.indemnites]
    assert len(pp) == len(sts.divisions)  # one professeur principal per division


def test_benchmark_size() -> None:
    sts = generate_sts_data(
        UAI, 2025, 7, n_teachers=150, n_divisions=40, n_groups=60, target_courses=2500
    )
    assert len([i for i in sts.individus if i.fonction == "ENS"]) == 150
    assert (len(sts.divisions), len(sts.groupes)) == (40, 60)
    tt = generate_timetable(sts, 7)
    assert len(tt.courses()) == 2500
    _check_timetable(sts, tt)


def test_too_few_teachers_is_refused() -> None:
    with pytest.raises(ValueError, match="ne suffisent pas"):
        generate_sts_data(UAI, 2025, 1, n_teachers=2, n_divisions=10, n_groups=0)


def test_clash_detector_sees_a_planted_clash() -> None:
    a = Course("020700", ("1",), "3A", StructureKind.DIVISION, 1, 480, 60, "H", "S1")
    b = Course("061300", ("1",), "3B", StructureKind.DIVISION, 1, 510, 60, "SA", "S1")
    c = Course("061300", ("2",), "3B", StructureKind.DIVISION, 1, 480, 60, "SB")
    assert _clashes([a, b], "teacher") and _clashes([a, b], "room")
    assert _clashes([b, c], "structure") == []  # week A and week B do not meet
