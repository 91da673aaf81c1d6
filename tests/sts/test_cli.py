"""``passerelle sts recuperer`` and ``passerelle edt …`` on a real base."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from app.cli import FrenchArgumentParser
from app.cli import edt as edt_cli
from app.cli import sts as sts_cli
from app.demo.sts import generate_sts_data, sts_edt_bytes
from app.errors import PasserelleError
from app.formats.sts import read_edt_sts
from app.store.database import Database

from .helpers import UAI, YEAR, csv_bytes


def _run(db: Database, *argv: str) -> int:
    parser = FrenchArgumentParser(prog="passerelle")
    parser.add_argument("--base")
    sub = parser.add_subparsers(dest="commande", parser_class=FrenchArgumentParser)
    sts_cli.register(sub)
    edt_cli.register(sub)
    args = parser.parse_args(["--base", db.url, *argv])
    return int(args.handler(args))


def _out(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_whole_flow(lite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sts = generate_sts_data(UAI, YEAR, 6, n_teachers=10, n_divisions=2, n_groups=1)
    sts_file = tmp_path / f"sts_emp_{UAI}_{YEAR}.xml"
    sts_file.write_bytes(sts_edt_bytes(sts))
    assert _run(lite_db, "sts", "recuperer", UAI, "--fichier", str(sts_file), "--json") == 0
    assert _out(capsys) == {"uai": UAI, "annee": YEAR, "source": "fichier", "modifie": True,
                            "individus": len(sts.individus), "matieres": len(sts.matieres),
                            "modalites": len(sts.mods_cours), "mefs": len(sts.mefs),
                            "divisions": 2, "groupes": 1, "services": sts.service_count}
    assert _run(lite_db, "sts", "recuperer", UAI, "--fichier", str(sts_file)) == 0
    assert "rien n'a changé" in capsys.readouterr().out

    maths = next(m for m in sts.matieres if m.code_gestion == "MATHS")
    teacher = next(i for s in sts.divisions[0].services if s.code_matiere == maths.code
                   for i in sts.individus if i.id == s.enseignants[0].id)  # fmt: skip
    division = sts.divisions[0].code
    cours = tmp_path / "cours.csv"
    cours.write_bytes(csv_bytes(
        f"lundi;08h00;1h;MATHS;{teacher.nom_usage} {teacher.prenom};{division};S1;",
        f"mardi;08h00;1h;Latin;{teacher.nom_usage} {teacher.prenom};{division};;",
    ), )  # fmt: skip
    assert _run(lite_db, "edt", "importer", UAI, str(cours)) == 0
    assert "2 cours" in capsys.readouterr().out

    assert _run(lite_db, "edt", "verifier", UAI, "--json") == 0
    result = _out(capsys)
    assert isinstance(result, dict) and result["exportables"] == 1
    [blocked] = result["non_exportables"]
    civilite = "M." if teacher.sexe == "1" else "Mme"
    assert blocked["cours"] == (f"mardi 08h00–09h00 Latin {division} "
                                f"({civilite} {teacher.nom_usage})")  # fmt: skip
    assert "Latin" in blocked["raison"]

    assert _run(lite_db, "edt", "correspondances", UAI, "--json") == 0
    view = _out(capsys)
    assert isinstance(view, dict)
    assert view["matiere"]["sans_correspondance"] == 1
    assert view["matiere"]["locaux_sans_correspondance"] == ["Latin"]

    out = tmp_path / "sortie"
    out.mkdir()
    assert _run(lite_db, "edt", "exporter", UAI, "--fichier", str(out)) == 0
    written = out / f"emp_sts_{UAI}_{YEAR}.xml"
    assert len(read_edt_sts(written).courses()) == 1
    assert "1 cours non exportables" in capsys.readouterr().out

    assert _run(lite_db, "edt", "demo", UAI) == 0
    assert _run(lite_db, "edt", "verifier", UAI) == 0
    assert "Cours non exportables : 0" in capsys.readouterr().out


def test_refusals_raise_french_errors(lite_db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_bytes(b"pas un csv")
    with pytest.raises(PasserelleError, match="première ligne"):
        _run(lite_db, "edt", "importer", UAI, str(bad))
    with pytest.raises(PasserelleError, match="ne sont pas dans la base"):
        _run(lite_db, "edt", "exporter", UAI, "--fichier", str(tmp_path / "o.xml"))


def test_send_blocked_exits_1(lite_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(lite_db, "edt", "envoyer", UAI) == 1
    assert "STSWEB" in capsys.readouterr().err


def test_usage_errors_exit_2(lite_db: Database) -> None:
    with pytest.raises(SystemExit) as exit_:
        _run(lite_db, "sts", "recuperer", UAI)
    assert exit_.value.code == 2


def test_help_is_french() -> None:
    parser = FrenchArgumentParser(prog="passerelle")
    edt_cli.register(parser.add_subparsers(dest="commande", parser_class=FrenchArgumentParser))
    assert isinstance(parser, argparse.ArgumentParser)
    assert "emplois du temps" in parser.format_help()
