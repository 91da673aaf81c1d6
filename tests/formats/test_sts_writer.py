"""Writing EDT_STS: exact header, Latin-9, determinism, our XSD and its French errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from app.domain.timetable import (
    Alternance,
    Course,
    Horaire,
    Salle,
    StructureKind,
    Timetable,
    assemble_timetable,
    school_mondays,
)
from app.formats.errors import FormatError
from app.formats.sts import edt_sts_problems, read_edt_sts, validate_edt_sts, write_edt_sts

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sts"
HEADER = b'<?xml version="1.0" encoding="ISO-8859-15"?>\n'
UAI = "0771991W"


def _timetable(courses: list[Course] | None = None, **changes: object) -> Timetable:
    weeks = school_mondays(2025)
    courses = courses or [
        Course("020700", ("4242",), "3 A", StructureKind.DIVISION, 1, 480, 90, "H", "S101", "CG"),
        Course("061300", ("4242", "4243"), "3 A", StructureKind.DIVISION, 2, 600, 60, "SA"),
        Course("081300", ("4244",), "Chœur – €", StructureKind.GROUPE, 5, 960, 60, "H", "Œ 1"),
    ]
    tt = assemble_timetable(
        UAI,
        2025,
        courses,
        horaires=[Horaire(d, 480, 1080) for d in range(1, 6)],
        alternances=[
            Alternance("H", "Hebdo", "Cours hebdomadaire", weeks),
            Alternance("SA", "Sem. A", "Semaine A – œuvre à 5 €", weeks[::2]),
        ],
        salles=[Salle("S101", "BANALISEES", "BAT A"), Salle("Œ 1")],
        division_codes=["3/B"],
    )
    return dataclasses.replace(tt, **changes)  # type: ignore[arg-type]


def test_header_is_byte_exact_and_encoding_latin9() -> None:
    data = write_edt_sts(_timetable())
    assert data.startswith(HEADER)
    assert data.count(b"<?xml") == 1
    assert "Chœur".encode("iso-8859-15") in data  # œ is one Latin-9 byte (0xBD)
    assert "€".encode("iso-8859-15") in data
    assert b"&#8211;" in data  # the en dash is not in Latin-9: a character reference
    data.decode("iso-8859-15")  # nothing else slipped in


def test_layout_follows_the_exchange_format() -> None:
    root: Any = etree.fromstring(write_edt_sts(_timetable()))
    assert [c.tag for c in root] == ["PARAMETRES", "DONNEES"]
    assert [c.tag for c in root.find("PARAMETRES")] == ["UAJ", "ANNEE_SCOLAIRE"]
    assert root.findtext("PARAMETRES/UAJ") == UAI  # text, not an attribute, in EDT_STS
    assert root.findtext("PARAMETRES/ANNEE_SCOLAIRE") == "2025"
    assert [c.tag for c in root.find("DONNEES")] == [
        "HORAIRES",
        "ALTERNANCES",
        "SALLES_COURS",
        "INDIVIDUS",
        "STRUCTURE",
    ]
    assert [c.tag for c in root.find("DONNEES/STRUCTURE")] == ["DIVISIONS", "GROUPES"]
    cours = root.find(".//DIVISION[@CODE='3 A']/SERVICES/SERVICE[@CODE_MATIERE='020700']//COURS")
    assert [(c.tag, c.text) for c in cours] == [
        ("CODE_ALTERNANCE", "H"),
        ("JOUR", "1"),
        ("HEURE_DEBUT", "0800"),
        ("DUREE", "0130"),
        ("CODE_SALLE", "S101"),
    ]
    weeks = root.findall(".//ALTERNANCE[@CODE='SA']/SEMAINES/DATE_DEBUT_SEMAINE")
    assert weeks[0].text == "2025-09-01"
    assert all(dt.date.fromisoformat(w.text).weekday() == 0 for w in weeks)
    co = root.findall(".//SERVICE[@CODE_MATIERE='061300']/ENSEIGNANTS/ENSEIGNANT")
    assert [e.get("ID") for e in co] == ["4242", "4243"]  # a co-taught slot under each teacher


def test_empty_structure_still_has_divisions_and_groupes() -> None:
    tt = Timetable(uai=UAI, annee=2025)
    root: Any = etree.fromstring(write_edt_sts(tt))
    structure = root.find("DONNEES/STRUCTURE")
    assert [c.tag for c in structure] == ["DIVISIONS", "GROUPES"]
    assert len(structure[0]) == 0 and len(structure[1]) == 0


def test_application_source_is_omitted_unless_set() -> None:
    assert b"APPLICATION_SOURCE" not in write_edt_sts(_timetable())
    data = write_edt_sts(_timetable(application_source="EDITEUR_PRIVE"))
    assert b"<APPLICATION_SOURCE>EDITEUR_PRIVE</APPLICATION_SOURCE>" in data


def test_output_is_deterministic_whatever_the_input_order() -> None:
    base = _timetable()
    courses = list(base.courses())
    expected = write_edt_sts(base)
    rng = random.Random(4)
    for _ in range(5):
        rng.shuffle(courses)
        shuffled = assemble_timetable(
            UAI,
            2025,
            courses,
            horaires=reversed(base.horaires),
            alternances=reversed(base.alternances),
            salles=reversed(base.salles),
            division_codes=["3/B"],
        )
        # Shuffle the tree itself too: the writer sorts, so bytes cannot change.
        shuffled = dataclasses.replace(shuffled, divisions=tuple(reversed(shuffled.divisions)))
        assert write_edt_sts(shuffled) == expected


def test_round_trip_through_the_reader() -> None:
    tt = _timetable()
    back = read_edt_sts(write_edt_sts(tt))
    assert back == tt
    assert back.courses() == tt.courses()


def test_foreign_fixture_round_trips_through_our_writer() -> None:
    foreign = read_edt_sts(FIXTURES / "emp_sts_0771991W_2025.xml")
    again = read_edt_sts(write_edt_sts(foreign))
    assert again.courses() == foreign.courses()
    assert again.application_source == "EDITEUR_PRIVE"


def _problems(message: str) -> str:
    return message.split(":", 1)[1]


def test_model_problems_are_listed_in_french() -> None:
    bad = Course("020700", ("1",), "3 A", StructureKind.DIVISION, 6, 480, 60, "ZZ", "S999")
    late = Course("020700", ("1",), "3 A", StructureKind.DIVISION, 1, 1050, 60, "H")
    tt = _timetable([bad, late], annee=None)
    with pytest.raises(FormatError) as info:
        write_edt_sts(tt)
    message = info.value.message
    assert info.value.code == "EDT_STS_INVALIDE"
    assert "l'année scolaire n'est pas renseignée" in message
    assert "alternance « ZZ » inconnue" in message
    assert "salle « S999 » inconnue" in message
    assert "pas d'horaires ce jour-là" in message
    assert "sort des horaires" in message


def test_weeks_outside_the_school_year_are_refused() -> None:
    tt = _timetable(
        alternances=(
            Alternance("H", "H", "Hebdo", (dt.date(2031, 9, 1),)),
            Alternance("SA", "A", "A", (dt.date(2025, 9, 1),)),
        )
    )
    with pytest.raises(FormatError, match="hors de l'année scolaire 2025-2026"):
        write_edt_sts(tt)


def test_control_characters_are_refused_in_french() -> None:
    tt = _timetable(salles=(Salle("S101", "BANAL\x01ISEES"), Salle("Œ 1")))
    with pytest.raises(FormatError) as info:
        write_edt_sts(tt)
    assert info.value.code == "EDT_STS_CARACTERES"


def _valid() -> bytes:
    return write_edt_sts(_timetable())


def test_validator_accepts_our_output_and_rejects_missing_groupes() -> None:
    data = _valid()
    validate_edt_sts(data)
    assert edt_sts_problems(data) == []
    start = data.index(b"<GROUPES>")
    end = data.index(b"</GROUPES>") + len(b"</GROUPES>")
    without = data[:start] + data[end:]
    with pytest.raises(FormatError) as info:
        validate_edt_sts(without)
    assert info.value.code == "EDT_STS_INVALIDE"
    assert "il manque l'élément GROUPES" in info.value.message


def test_validator_checks_mondays() -> None:
    data = _valid().replace(b"2025-09-08", b"2025-09-10", 1)
    problems = edt_sts_problems(data)
    assert len(problems) == 1 and "10/09/2025 n'est pas un lundi" in problems[0]
    with pytest.raises(FormatError, match="n'est pas un lundi"):
        validate_edt_sts(data)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b"<DUREE>0130", b"<DUREE>0160", "valeur « 0160 » refusée pour DUREE"),
        (b"<HEURE_DEBUT>0800", b"<HEURE_DEBUT>8h00", "valeur « 8h00 » refusée pour HEURE_DEBUT"),
        (b"<CODE_ALTERNANCE>SA", b"<CODE_ALTERNANCE>XX", "ne correspond à aucun(e) ALTERNANCE"),
        (b"<CODE_SALLE>S101", b"<CODE_SALLE>S999", "ne correspond à aucun(e) SALLE_COURS"),
        (b"<UAJ>0771991W", b"<UAJ>771991W", "refusée pour UAJ"),
        (b'CODE_MATIERE="020700"', b'CODE_MATIERE="FRANC"', "attribut CODE_MATIERE"),
        (b'<DIVISION CODE="3/B">', b'<DIVISION CODE="3 A">', "apparaît deux fois"),
        (b"<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>", b"", "il manque l'élément ANNEE_SCOLAIRE"),
        (b"<DUREE>0100", b"<DUREE>0000", "durée nulle"),
        (b"<JOUR>5</JOUR>", b"<JOUR>7</JOUR>", "jour sans horaires"),
        (b"<HEURE_DEBUT>1600", b"<HEURE_DEBUT>1730", "sort des horaires"),
    ],
)
def test_validator_messages(old: bytes, new: bytes, expected: str) -> None:
    data = _valid()
    assert old in data
    problems = edt_sts_problems(data.replace(old, new, 1))
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("ligne ") for p in problems)


def test_validator_refuses_other_headers_and_hostile_input() -> None:
    data = _valid()
    single = data.replace(HEADER, b"<?xml version='1.0' encoding='ISO-8859-15'?>\n")
    assert "première ligne" in edt_sts_problems(single)[0]
    hostile = HEADER + b'<!DOCTYPE x [<!ENTITY a "b">]><EDT_STS>&a;</EDT_STS>'
    with pytest.raises(FormatError) as info:
        validate_edt_sts(hostile)
    assert info.value.code == "XML_DOCTYPE"
