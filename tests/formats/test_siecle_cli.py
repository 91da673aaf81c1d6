"""``passerelle siecle analyser``: JSON and French output, refusals on stderr with exit 1."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from app.cli.siecle import handler, register
from app.demo.siecle import write_siecle
from app.domain.siecle import SiecleKind

UAI = "0750654D"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="passerelle")
    register(parser.add_subparsers(dest="commande"))
    return parser.parse_args(["siecle", "analyser", *argv])


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    written = write_siecle(tmp_path, UAI, 2025, 50, seed=31, zipped=True)
    return {kind.value: path for kind, path in written.items()}


def test_json_output(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(*(str(p) for p in files.values()), "--json")
    assert args.handler is handler
    assert handler(args) == 0
    out = json.loads(capsys.readouterr().out)
    by_type = {f["type"]: f for f in out["fichiers"]}
    eleves = by_type["BEE_ELEVES"]
    assert eleves["fichier"] == "ExportXML_ElevesAvecAdresses.zip"
    assert eleves["uai"] == UAI and eleves["annee"] == 2025
    assert eleves["eleves"] == 50
    assert set(eleves) == {"fichier", "type", "uai", "annee", "eleves", "eleves_sortis",
                           "sans_ine", "divisions", "groupes"}  # fmt: skip
    assert set(by_type["BEE_RESPONSABLES"]) >= {"personnes", "liens"}
    assert "eleves" not in by_type["BEE_RESPONSABLES"]
    assert set(by_type["BEE_NOMENCLATURES"]) >= {"mefs", "matieres"}
    assert set(by_type["BEE_STRUCTURES"]) >= {"divisions", "groupes"}
    for anomaly in out["anomalies"]:
        assert anomaly["code"] == "INE_MANQUANT" and anomaly["eleve_id"]
        assert anomaly["fichier"] == "ExportXML_ElevesAvecAdresses.zip"


def test_refused_file_exit_1_french_stderr(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "vide.xml"
    empty.write_bytes(b"")
    code = handler(parse(str(files["BEE_STRUCTURES"]), str(empty), "--annee", "2026"))
    captured = capsys.readouterr()
    assert code == 1
    assert "Ce fichier concerne l'année 2025-2026, la base est en 2026-2027" in captured.err
    assert "vide.xml : Le fichier « vide.xml » est vide" in captured.err


def test_human_output_and_cross_file_checks(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Responsables of another (bigger) school year list students unknown to this Élèves file.
    other = write_siecle(tmp_path / "autre", UAI, 2026, 150, seed=32)
    args = parse(str(files["BEE_ELEVES"]), str(other[SiecleKind.RESPONSABLES]))
    assert handler(args) == 0
    out = capsys.readouterr().out
    assert "export Élèves (BEE_ELEVES), établissement 0750654D, année 2025-2026" in out
    assert "élèves : 50" in out
    assert "FICHIERS_INCOHERENTS" in out and "LIEN_ELEVE_INCONNU" in out
    assert "autres (option --json pour tout voir)" in out
