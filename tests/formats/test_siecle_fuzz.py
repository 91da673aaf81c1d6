"""Whatever the bytes, the SIECLE readers raise nothing but FormatError.

Random bytes, random mutations of valid files (XML and ZIP), random truncations.
Reading goes all the way through every record, as an import would.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.demo.siecle import SiecleExport, build_siecle_zip, generate_siecle
from app.formats.errors import FormatError
from app.formats.siecle import (
    ElevesFile,
    NomenclaturesFile,
    ResponsablesFile,
    StructuresFile,
    analyse,
    read_siecle,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "siecle"
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@cache
def export() -> SiecleExport:
    return generate_siecle("0750654D", 2025, 4, seed=99)


@cache
def valid_files() -> tuple[bytes, ...]:
    e = export()
    return (
        e.eleves,
        e.responsables,
        e.nomenclatures,
        e.structures,
        (FIXTURES / "eleves_ancien_format.xml").read_bytes(),
        (FIXTURES / "responsables_ancien_format.xml").read_bytes(),
    )


@cache
def valid_zip() -> bytes:
    return build_siecle_zip(export().eleves)


def read_all(data: bytes) -> None:
    """Only FormatError may escape; anything else fails the test."""
    try:
        with read_siecle(data, expected_uai="0750654D") as opened:
            if isinstance(opened, ElevesFile):
                for _ in opened.students():
                    pass
            elif isinstance(opened, ResponsablesFile):
                for _ in opened.persons():
                    pass
                for _ in opened.links():
                    pass
            elif isinstance(opened, NomenclaturesFile | StructuresFile):
                opened.read()
            _ = opened.anomalies
    except FormatError as exc:
        assert exc.code and exc.message  # a stable code and a French message


@FAST
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    read_all(data)


@FAST
@given(st.sampled_from(["<", "<?xml", "<BEE_ELEVES>", "PK\x03\x04", "\ufeff<"]),
       st.binary(max_size=512))  # fmt: skip
def test_random_bytes_behind_plausible_starts(start: str, tail: bytes) -> None:
    read_all(start.encode("utf-8") + tail)


@st.composite
def mutated(draw: st.DrawFn, source: bytes | None = None) -> bytes:
    data = bytearray(source if source is not None else draw(st.sampled_from(valid_files())))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip" and position < len(data):
            data[position] = draw(st.integers(0, 255))
        elif action == "insert":
            chunk = draw(st.sampled_from([b"<", b">", b"&", b"</ELEVE>", b"<!DOCTYPE x>", b"\x00",
                                          b"\xbd", b"<STRUCTURE>", b"]]>", b'"']))  # fmt: skip
            data[position:position] = chunk
        elif position < len(data):
            del data[position : position + draw(st.integers(1, 40))]
    return bytes(data)


@FAST
@given(mutated())
def test_mutations_of_valid_xml(data: bytes) -> None:
    read_all(data)


@FAST
@given(st.data())
def test_mutations_of_valid_zip(data: st.DataObject) -> None:
    read_all(data.draw(mutated(valid_zip())))


@FAST
@given(st.sampled_from(range(6)), st.floats(0, 1, exclude_max=True))
def test_truncated_xml_is_always_refused(which: int, fraction: float) -> None:
    source = valid_files()[which].rstrip()  # trailing whitespace is not content
    cut = source[: int(len(source) * fraction)]
    try:
        read_all_strict(cut)
    except FormatError:
        return
    raise AssertionError("a truncated file was accepted")


@FAST
@given(st.floats(0, 1, exclude_max=True))
def test_truncated_zip_is_always_refused(fraction: float) -> None:
    source = valid_zip()
    try:
        read_all_strict(source[: int(len(source) * fraction)])
    except FormatError:
        return
    raise AssertionError("a truncated archive was accepted")


def read_all_strict(data: bytes) -> None:
    analyse(data)
