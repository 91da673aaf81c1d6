"""« Récupérer les données de STSWEB » from a file: refusals leave the base as it was."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from app.demo.sts import generate_sts_data, generate_timetable, sts_edt_bytes
from app.errors import PasserelleError
from app.formats.sts import write_edt_sts
from app.services.sts import retrieval, sts_store
from app.store.database import Database

from .helpers import UAI, YEAR, dump, journal_kinds, small_sts


def _sts_file(tmp_path: Path, uai: str = UAI, year: int = YEAR, seed: int = 4) -> Path:
    data = generate_sts_data(uai, year, seed, n_teachers=12, n_divisions=3, n_groups=2)
    path = tmp_path / f"sts_emp_{uai}_{year}.xml"
    path.write_bytes(sts_edt_bytes(data))
    return path


def _edt_sts(tmp_path: Path) -> Path:
    sts = generate_sts_data(UAI, YEAR, 4, n_teachers=12, n_divisions=3, n_groups=2)
    path = tmp_path / "emp_sts.xml"
    path.write_bytes(write_edt_sts(generate_timetable(sts, 1)))
    return path


def _zip(tmp_path: Path, inner: Path) -> Path:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(inner, inner.name)
    return path


REFUSALS = {
    "edt_sts": (lambda p: _edt_sts(p), "STS_EST_EDT_STS"),
    "autre_uai": (lambda p: _sts_file(p, uai="0750654D"), "STS_MAUVAIS_UAI"),
    "autre_annee": (lambda p: _sts_file(p, year=YEAR - 1), "STS_MAUVAISE_ANNEE"),
    "pas_xml": (lambda p: _write(p / "notes.xml", b"Bonjour, ceci n'est pas du XML"), None),
    "siecle": (lambda p: _write(p / "e.xml", b"<?xml version='1.0'?><BEE_ELEVES/>"),
               "STS_EST_SIECLE"),
    "autre_racine": (lambda p: _write(p / "r.xml", b"<?xml version='1.0'?><AUTRE/>"),
                     "STS_RACINE"),
    "entites": (lambda p: _write(p / "bombe.xml", b'<?xml version="1.0"?><!DOCTYPE STS_EDT '
                                 b'[<!ENTITY a "aaaa">]><STS_EDT>&a;</STS_EDT>'), None),
    "zip_casse": (lambda p: _write(p / "casse.zip", b"PK\x03\x04" + b"\x00" * 40), None),
}  # fmt: skip


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_file_changes_nothing_and_is_journaled(
    lite_db: Database, tmp_path: Path, case: str
) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    before = dump(lite_db)
    make, code = REFUSALS[case]
    with pytest.raises(PasserelleError) as refused:
        retrieval.retrieve_from_file(lite_db, UAI, make(tmp_path))
    if code is not None:
        assert refused.value.code == code
    assert refused.value.message and "Traceback" not in refused.value.message
    assert dump(lite_db) == before
    assert journal_kinds(lite_db)[-1] == ("import_sts", "echec")


def test_wrong_uai_refused_on_both_engines(db: Database, tmp_path: Path) -> None:
    before = dump(db)
    with pytest.raises(PasserelleError, match="0750654D"):
        retrieval.retrieve_from_file(db, UAI, _sts_file(tmp_path, uai="0750654D"))
    assert dump(db) == before


def test_zip_accepted_and_reimport_is_idempotent(db: Database, tmp_path: Path) -> None:
    archive = _zip(tmp_path, _sts_file(tmp_path))
    first = retrieval.retrieve_from_file(db, UAI, archive)
    assert first.changed
    before = dump(db, skip=("sts_donnees",))
    again = retrieval.retrieve_from_file(db, UAI, archive)
    assert not again.changed
    assert dump(db, skip=("sts_donnees",)) == before
    entries = journal_kinds(db)
    assert entries[-2:] == [("import_sts", "succes"), ("import_sts", "succes")]


def test_new_data_replaces_the_old(lite_db: Database, tmp_path: Path) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    retrieval.retrieve_from_file(lite_db, UAI, _sts_file(tmp_path, seed=8))
    with lite_db.read() as conn:
        stored = sts_store.load(conn, UAI, YEAR)
    assert stored is not None
    assert "T1" not in {i.id for i in stored.individus}
    assert len(stored.divisions) == 3


def test_unknown_establishment_refused(lite_db: Database, tmp_path: Path) -> None:
    with pytest.raises(PasserelleError, match="n'est pas dans cette base"):
        retrieval.retrieve_from_file(lite_db, "0750654D", _sts_file(tmp_path, uai="0750654D"))


def test_demo_data(lite_db: Database) -> None:
    done = retrieval.retrieve_demo(lite_db, UAI)
    assert done.source == "demo" and done.counts["services"] > 50
