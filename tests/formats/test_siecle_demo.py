"""The SIECLE demo generator: deterministic, realistic, streamed, readable by our readers."""

from __future__ import annotations

import zipfile
from pathlib import Path

from app.demo.siecle import (
    build_siecle_zip,
    generate_siecle,
    member_name,
    write_siecle,
    zip_name,
)
from app.domain.siecle import SiecleKind
from app.formats.siecle import analyse, read_eleves, read_responsables

UAI = "0750654D"


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a = generate_siecle(UAI, 2025, 30, seed=7)
    b = generate_siecle(UAI, 2025, 30, seed=7)
    c = generate_siecle(UAI, 2025, 30, seed=8)
    assert a == b
    assert a.eleves != c.eleves and a.responsables != c.responsables


def test_streamed_files_equal_in_memory_ones(tmp_path: Path) -> None:
    written = write_siecle(tmp_path, UAI, 2025, 40, seed=3, avec_adresses=False)
    export = generate_siecle(UAI, 2025, 40, seed=3, avec_adresses=False)
    assert written[SiecleKind.ELEVES].name == "ElevesSansAdresses.xml"
    assert written[SiecleKind.ELEVES].read_bytes() == export.eleves
    assert written[SiecleKind.RESPONSABLES].read_bytes() == export.responsables
    assert written[SiecleKind.STRUCTURES].read_bytes() == export.structures
    assert b"<ADRESSES>" not in export.eleves


def test_zipped_like_siecle(tmp_path: Path) -> None:
    written = write_siecle(tmp_path, UAI, 2025, 20, seed=4, zipped=True)
    path = written[SiecleKind.ELEVES]
    assert path.name == "ExportXML_ElevesAvecAdresses.zip" == zip_name(SiecleKind.ELEVES)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["ElevesAvecAdresses.xml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        zip_name(kind) for kind in SiecleKind
    )
    for kind, zpath in written.items():
        assert analyse(zpath, expected_uai=UAI, expected_year=2025).kind is kind
    assert member_name(SiecleKind.NOMENCLATURES) == "Nomenclature.xml"
    assert zipfile.is_zipfile(__import__("io").BytesIO(build_siecle_zip(b"<a/>", "a.xml")))


def test_realistic_content() -> None:
    export = generate_siecle(UAI, 2025, 600, seed=5)
    assert export.eleves.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>')
    assert "Œ".encode("iso-8859-15") in export.eleves  # 0xBC: Latin-9, not Latin-1
    assert "ç".encode("iso-8859-15") in export.responsables
    summary = analyse(export.eleves)
    counts = summary.counts
    assert counts["eleves"] == 600
    assert 5 <= counts["sans_ine"] <= 40  # about 3 %
    assert 3 <= counts["eleves_sortis"] <= 40
    assert counts["divisions"] >= 4 * (600 // 4 // 28)
    assert {a.code for a in summary.anomalies} == {"INE_MANQUANT"}
    # G before D happens, so readers cannot take the first structure as the class.
    text = export.eleves.decode("iso-8859-15")
    blocks = text.split("<STRUCTURES_ELEVE ")[1:]
    assert any(b.index("<TYPE_STRUCTURE>G") < b.index("<TYPE_STRUCTURE>D") for b in blocks)
    with read_eleves(export.eleves) as opened:
        students = list(opened.students())
    assert all(s.division is not None for s in students)
    assert any(s.options and s.options[-1].modalite == "F" for s in students)
    assert all(s.address is not None for s in students)
    ids = {s.eleve_id for s in students}
    with read_responsables(export.responsables) as opened:
        links = list(opened.links())
        assert opened.anomalies == []
    per_student: dict[str, int] = {}
    for link in links:
        assert link.eleve_id in ids
        per_student[link.eleve_id] = per_student.get(link.eleve_id, 0) + 1
    assert set(per_student.values()) == {1, 2, 3} and set(per_student) == ids


def test_old_format_variant() -> None:
    export = generate_siecle(UAI, 2017, 12, seed=6, ancien_format=True)
    assert b"<NOM>" in export.eleves and b"<NOM_DE_FAMILLE>" not in export.eleves
    assert b"<RESP_LEGAL>" in export.responsables
    with read_eleves(export.eleves) as opened:
        assert all(s.nom for s in opened.students())
    with read_responsables(export.responsables) as opened:
        assert {link.rang_legal for link in opened.links()} <= {1, 2, None}
