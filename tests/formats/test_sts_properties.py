"""Property tests: writer → reader keeps every course; readers only ever raise FormatError."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.demo.sts import generate_sts_data, generate_sts_edt, generate_timetable
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
from app.formats.sts import detect_kind, read_edt_sts, read_sts_edt, read_sts_file, write_edt_sts

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sts"
UAI = "0771991W"

# Codes mix ASCII, Latin-9 (œ, €) and characters outside it (–, 漢) written as references.
_CHARS = st.sampled_from(list("AB3 /-_éèàçœŒ€–漢xyz09"))
_codes = st.text(_CHARS, min_size=1, max_size=8).map(str.strip).filter(bool)
_matieres = st.from_regex(r"\A[0-9]{6}\Z")
_teachers = st.lists(st.sampled_from(["101", "102", "103", "L7", "8000"]), min_size=1, max_size=3)


@st.composite
def timetables(draw: st.DrawFn) -> tuple[Timetable, list[Course]]:
    annee = draw(st.integers(2020, 2030))
    weeks = school_mondays(annee)
    alt_codes = draw(st.lists(_codes, min_size=1, max_size=3, unique=True))
    alternances = [
        Alternance(
            code,
            draw(_codes),
            draw(_codes),
            tuple(sorted(draw(st.sets(st.sampled_from(weeks), min_size=1, max_size=6)))),
        )
        for code in alt_codes
    ]
    rooms = draw(st.lists(_codes, max_size=3, unique=True))
    with_hours = draw(st.booleans())
    horaires = [Horaire(d, 420, 1140) for d in range(1, 7)] if with_hours else []

    @st.composite
    def course(d: st.DrawFn) -> Course:
        day = d(st.integers(1, 6))
        start = d(st.integers(420, 1080))
        duration = d(st.integers(1, 1140 - start))
        return Course(
            code_matiere=d(_matieres),
            code_mod_cours=d(st.none() | st.sampled_from(["CG", "AI", "TP"])),
            teacher_ids=tuple(sorted(set(d(_teachers)))),
            structure_code=d(_codes),
            structure_kind=d(st.sampled_from(list(StructureKind))),
            day=day,
            start=start,
            duration=duration,
            alternance=d(st.sampled_from(alt_codes)),
            room=d(st.none() | st.sampled_from(rooms)) if rooms else None,
        )

    # Two courses on the same slot of the same service would merge (co-teaching).
    courses = draw(
        st.lists(
            course(),
            max_size=25,
            unique_by=lambda c: c.sort_key()[:-1],
        )
    )
    tt = assemble_timetable(
        UAI,
        annee,
        courses,
        horaires=horaires,
        alternances=alternances,
        salles=[Salle(r) for r in rooms],
    )
    return tt, courses


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timetables())
def test_writer_reader_round_trip_keeps_every_course(case: tuple[Timetable, list[Course]]) -> None:
    tt, courses = case
    data = write_edt_sts(tt)
    back = read_edt_sts(data, expected_uai=UAI, expected_year=tt.annee)
    assert back.courses() == tuple(sorted(courses, key=Course.sort_key))
    assert back == tt
    assert write_edt_sts(back) == data  # identical input, identical bytes


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_demo_timetables_round_trip(seed: int) -> None:
    sts = generate_sts_data(UAI, 2025, seed, n_teachers=12, n_divisions=4, n_groups=3)
    tt = generate_timetable(sts, seed)
    back = read_edt_sts(write_edt_sts(tt))
    assert back.courses() == tt.courses()
    assert len(back.courses()) == len(tt.courses()) > 0


def _samples() -> list[bytes]:
    small = generate_sts_data(UAI, 2025, 1, n_teachers=6, n_divisions=2, n_groups=1)
    return [
        (FIXTURES / "sts_emp_0771991W_2025.xml").read_bytes(),
        (FIXTURES / "emp_sts_0771991W_2025.xml").read_bytes(),
        generate_sts_edt(UAI, 2025, 2, n_teachers=6, n_divisions=2, n_groups=1),
        write_edt_sts(generate_timetable(small, 1)),
    ]


SAMPLES = _samples()


def _zip(data: bytes) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sts_emp.xml", data)
    return buffer.getvalue()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    if draw(st.booleans()):
        data = bytearray(_zip(bytes(data)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "swap_text"]))
        position = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "truncate":
            del data[position:]
        elif kind == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[position:position] = draw(
                st.sampled_from(
                    [
                        b"<",
                        b">",
                        b"&",
                        b"&amp;",
                        b"\x00",
                        b"</DONNEES>",
                        b"<X>",
                        b"\xbd",
                        b"\xff\xfe",
                        b"]]>",
                        b"<!DOCTYPE a>",
                        b"0000",
                        b"9999",
                        b'"',
                        b"-",
                        b" ",
                        b"\n",
                    ]
                )
            )
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 40))]
        elif kind == "swap_text":
            data = bytearray(
                bytes(data).replace(
                    draw(st.sampled_from([b"0800", b"H<", b"2025", b"epp", b"true", b"4.50"])),
                    draw(st.sampled_from([b"2460", b"", b"-1", b"x", b"1e9", b"NaN"])),
                    1,
                )
            )
    return bytes(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_readers_raise_only_format_error(data: bytes) -> None:
    for reader in (read_sts_edt, read_edt_sts, read_sts_file, detect_kind):
        try:
            reader(data)
        except FormatError as exc:
            assert exc.message and exc.code
