"""``passerelle sts analyser``: both file kinds, JSON, refusals (no base involved)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from app.cli import sts as sts_cli
from app.demo.sts import generate_sts_data, generate_timetable, sts_edt_bytes
from app.formats.errors import FormatError
from app.formats.sts import write_edt_sts

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sts"
UAI = "0771991W"


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="passerelle")
    sts_cli.register(parser.add_subparsers(dest="commande"))
    return parser.parse_args(list(argv))


def test_analyse_sts_edt_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sts = generate_sts_data(UAI, 2025, 3, n_teachers=10, n_divisions=3, n_groups=2)
    path = tmp_path / "sts_emp_0771991W_2025.xml"
    path.write_bytes(sts_edt_bytes(sts))
    args = _parse("sts", "analyser", str(path), "--json")
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {
        "type": "STS_EDT",
        "uai": UAI,
        "annee": 2025,
        "individus": len(sts.individus),
        "matieres": len(sts.matieres),
        "divisions": 3,
        "groupes": 2,
        "services": sts.service_count,
        "cours": 0,
    }


def test_analyse_edt_sts_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sts = generate_sts_data(UAI, 2025, 3, n_teachers=10, n_divisions=3, n_groups=2)
    tt = generate_timetable(sts, 3)
    path = tmp_path / "emp_sts.xml"
    path.write_bytes(write_edt_sts(tt))
    args = _parse("sts", "analyser", str(path), "--json", "--uai", UAI, "--annee", "2025")
    assert sts_cli.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["type"] == "EDT_STS" and result["annee"] == 2025
    assert result["cours"] == len(tt.courses()) > 0
    assert result["services"] == sts.service_count
    assert (result["divisions"], result["groupes"]) == (3, 2)


def test_analyse_text_output_is_french(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("sts", "analyser", str(FIXTURES / "emp_sts_0771991W_2025.xml"))
    assert sts_cli.handler(args) == 0
    out = capsys.readouterr().out
    assert "Établissement : 0771991W" in out
    assert "Année scolaire : 2025-2026" in out
    assert "Cours : 4" in out


def test_analyse_refusals_raise_format_error() -> None:
    args = _parse("sts", "analyser", str(FIXTURES / "sts_emp_0771991W_2025.xml"), "--annee", "2026")
    with pytest.raises(FormatError) as info:
        sts_cli.handler(args)
    assert info.value.code == "STS_MAUVAISE_ANNEE"


def test_through_main(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import cli

    if "app.cli.sts" not in cli.COMMAND_MODULES:  # until the lead lists the module
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "app.cli.sts"))
    bad = tmp_path / "siecle.xml"
    bad.write_bytes(b'<?xml version="1.0"?><BEE_ELEVES VERSION="3.0"/>')
    assert cli.main(["sts", "analyser", str(bad)]) == 1
    assert "export SIECLE" in capsys.readouterr().err
    good = FIXTURES / "sts_emp_0771991W_2025.xml"
    assert cli.main(["sts", "analyser", str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["type"] == "STS_EDT"
