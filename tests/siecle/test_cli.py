"""``passerelle eleves recuperer|lister``: exit codes, JSON keys, French messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import app.cli as cli_package
from app.cli import main
from app.demo.siecle import write_siecle
from app.services import base_admin
from app.services.context import open_context

from .builders import UAI, Eleve, eleves_xml, write


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # Until the lead lists app.cli.eleves in COMMAND_MODULES.
    if "app.cli.eleves" not in cli_package.COMMAND_MODULES:
        monkeypatch.setattr(
            cli_package, "COMMAND_MODULES", (*cli_package.COMMAND_MODULES, "app.cli.eleves")
        )


@pytest.fixture
def base(tmp_path: Path) -> Iterator[tuple[str, int]]:
    url = f"sqlite:///{tmp_path / 'base.db'}"
    ctx = open_context(url)
    base_admin.add_establishment(ctx.db, UAI, "Collège")
    year = base_admin.school_year(ctx.db)
    ctx.close()
    yield url, year


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_recuperer_apercu_then_import_then_lister(
    base: tuple[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, year = base
    files = [str(p) for p in write_siecle(tmp_path / "f", UAI, year, 50, seed=4,
                                          zipped=True).values()]  # fmt: skip
    code, out, err = run(capsys, "--base", url, "eleves", "recuperer", UAI, "--apercu", "--json",
                         "--fichiers", *files)  # fmt: skip
    assert code == 0, err
    preview = json.loads(out)
    assert {"crees", "mis_a_jour", "sortis", "inchanges", "anomalies",
            "anomalies_detail"} <= preview.keys()  # fmt: skip
    assert preview["crees"] == 50 and preview["apercu"] is True
    assert isinstance(preview["anomalies"], int)
    assert all({"code", "message", "eleve_id"} <= a.keys() for a in preview["anomalies_detail"])
    code, out, _ = run(capsys, "--base", url, "eleves", "lister", UAI, "--json")
    assert code == 0 and json.loads(out) == []  # --apercu wrote nothing

    code, out, err = run(
        capsys,
        "--base",
        url,
        "eleves",
        "recuperer",
        UAI,
        "--json",
        "--rapport",
        str(tmp_path / "rapport.html"),
        "--fichiers",
        *files,
    )
    assert code == 0, err
    done = json.loads(out)
    assert (done["crees"], done["apercu"], done["journal"] is not None) == (50, False, True)
    assert (tmp_path / "rapport.html").exists()

    code, out, _ = run(capsys, "--base", url, "eleves", "lister", UAI, "--json")
    listed = json.loads(out)
    assert len(listed) == 50
    assert set(listed[0]) == {"eleve_id", "ine", "nom", "prenom", "date_naissance", "division",
                              "sorti_le"}  # fmt: skip
    assert all(item["nom"] and item["eleve_id"] for item in listed)

    code, out, _ = run(capsys, "--base", url, "eleves", "recuperer", UAI, "--json",
                       "--fichiers", *files)  # fmt: skip
    again = json.loads(out)
    assert (again["crees"], again["mis_a_jour"], again["sortis"], again["inchanges"]) == (
        0,
        0,
        0,
        50,
    )


def test_donnees_option(
    base: tuple[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, year = base
    path = write(tmp_path, "e.xml", eleves_xml([Eleve("1", "PETIT", "Zoé")], year))
    code, out, err = run(capsys, "--base", url, "eleves", "recuperer", UAI, "--donnees",
                         "eleves,structures", "--fichiers", str(path))  # fmt: skip
    assert code == 0, err
    assert "1 créé(s)" in out
    code, _out, err = run(capsys, "--base", url, "eleves", "recuperer", UAI, "--donnees",
                          "eleves,notes", "--fichiers", str(path))  # fmt: skip
    assert code == 1 and "Donnée inconnue : « notes »" in err


def test_refusals_exit_1_in_french(
    base: tuple[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, year = base
    bad = write(tmp_path, "e.xml", eleves_xml([Eleve("1", "A", "B")], year - 1))
    code, out, err = run(capsys, "--base", url, "eleves", "recuperer", UAI, "--fichiers", str(bad))
    assert code == 1 and out == "" and "année" in err
    # Responsables ticked without their file: blocked, nothing written.
    good = write(tmp_path, "ok.xml", eleves_xml([Eleve("1", "A", "B")], year))
    code, out, err = run(capsys, "--base", url, "eleves", "recuperer", UAI, "--fichiers", str(good))
    assert code == 1 and "Il manque l'export Responsables" in err
    code, out, _ = run(capsys, "--base", url, "eleves", "lister", UAI, "--json")
    assert json.loads(out) == []
    code, _out, err = run(capsys, "--base", url, "eleves", "recuperer", UAI, "--netsynchro")
    assert code == 1 and "NetSynchro n'est pas configurée" in err


def test_usage_errors_exit_2(base: tuple[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    url, _year = base
    with pytest.raises(SystemExit) as info:
        main(["--base", url, "eleves", "recuperer", UAI])  # neither --fichiers nor --netsynchro
    assert info.value.code == 2
    assert "--fichiers" in capsys.readouterr().err
