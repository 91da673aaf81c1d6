"""CSV export of courses: formats, encodings, numbered errors, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import PasserelleError
from app.services.sts import courses, retrieval, timetable_import
from app.services.sts.csv_courses import (
    CsvTeacher,
    parse_day,
    parse_duration,
    parse_teacher,
    parse_time,
    read_csv,
)
from app.store.database import Database

from .helpers import UAI, csv_bytes, dump, journal_kinds, small_sts

CSV = Path(__file__).parent.parent / "fixtures" / "csv"
NAMES = timetable_import.alternance_names({})


@pytest.mark.parametrize(("text", "day"), [("lundi", 1), ("Mercredi", 3), ("7", 7),
                                           (" DIMANCHE ", 7)])  # fmt: skip
def test_days(text: str, day: int) -> None:
    assert parse_day(text) == day


@pytest.mark.parametrize(("text", "minutes"), [("08h30", 510), ("8:30", 510), ("8h", 480),
                                               ("14H05", 845)])  # fmt: skip
def test_start_times(text: str, minutes: int) -> None:
    assert parse_time(text) == minutes


@pytest.mark.parametrize(("text", "minutes"), [("1h30", 90), ("90", 90), ("01:30", 90),
                                               ("2h", 120), ("55", 55)])  # fmt: skip
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(("text", "teacher"), [
    ("DUPONT Jean", CsvTeacher("DUPONT", "Jean")),
    ("LE GALL Anne-Sophie", CsvTeacher("LE GALL", "Anne-Sophie")),
    ("M. DURAND Pierre", CsvTeacher("DURAND", "Pierre")),
    ("dupont jean", CsvTeacher("dupont", "jean")),
])  # fmt: skip
def test_teacher_names(text: str, teacher: CsvTeacher) -> None:
    assert parse_teacher(text) == teacher


@pytest.mark.parametrize("name", ["cours_utf8.csv", "cours_bom.csv", "cours_windows1252.csv"])
def test_every_encoding_reads_the_same(name: str) -> None:
    rows = read_csv(CSV / name, NAMES)
    assert [r.line for r in rows] == [2, 3, 4, 5, 7]
    assert rows[1].teachers == (CsvTeacher("MARTIN", "Élodie"),)
    assert rows[1].matiere == "Français"
    assert rows[2].teachers == (CsvTeacher("dupont", "jean"), CsvTeacher("MARTIN", "Elodie"))
    assert rows[2].alternance == "SA" and rows[3].alternance == "SB"
    assert (rows[2].day, rows[2].start, rows[2].duration) == (2, 630, 90)


def test_bad_lines_are_listed_with_their_numbers() -> None:
    with pytest.raises(PasserelleError) as refused:
        read_csv(CSV / "cours_erreurs.csv", NAMES)
    text = refused.value.message
    for line in (3, 4, 5, 6, 7, 8, 9, 10):
        assert f"ligne {line} :" in text
    assert "ligne 2 :" not in text
    assert "lundy" in text and "Semaine C" in text and "minuit" in text
    assert "8 lignes incorrectes" in text


def test_wrong_headers_refused() -> None:
    with pytest.raises(PasserelleError, match="exactement"):
        read_csv(b"Jour,Debut\n1,08h00\n", NAMES)


def test_import_creates_resources_and_matches(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    done = timetable_import.import_csv(lite_db, UAI, CSV / "cours_windows1252.csv")
    assert done.courses == 5
    # DUPONT Jean and « dupont jean » are one person; Élodie and Elodie too.
    assert done.created["enseignant"] == 4
    data = courses.resources(lite_db, UAI)
    by_code = {s.code: s for s in data.subjects.values()}
    # MATHEMATIQUES, MATHS and 020700 are STS subjects: local codes are their codes gestion.
    assert {"MATHS", "FRANC", "Latin"} <= set(by_code)
    assert by_code["MATHS"].sts_code == "061300" and by_code["Latin"].sts_code is None
    structures = {s.code: s for s in data.structures.values()}
    assert structures["6GR1"].nature == "groupe" and structures["6A"].nature == "division"
    assert journal_kinds(lite_db)[-1] == ("import_edt", "succes")


def test_one_bad_line_imports_nothing(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    timetable_import.import_csv(lite_db, UAI, CSV / "cours_utf8.csv")
    before = dump(lite_db)
    bad = csv_bytes("lundi;08h00;1h;MATHS;DUPONT Jean;6A;;", "mardi;8h;0;MATHS;DUPONT Jean;6A;;")
    with pytest.raises(PasserelleError, match="ligne 3 : durée « 0 » nulle"):
        timetable_import.import_csv(lite_db, UAI, bad)
    assert dump(lite_db) == before
    assert journal_kinds(lite_db)[-1] == ("import_edt", "echec")


def test_import_file_detects_csv_and_xml(lite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "cours.txt"
    path.write_bytes(csv_bytes("lundi;08h00;1h;MATHS;DUPONT Jean;6A;;", bom=True))
    assert timetable_import.import_file(lite_db, UAI, path).source == "CSV"
    assert not timetable_import.looks_like_xml(path)
    xml = tmp_path / "x.xml"
    xml.write_bytes(b"\xef\xbb\xbf  <?xml version='1.0'?><EDT_STS/>")
    assert timetable_import.looks_like_xml(xml)
