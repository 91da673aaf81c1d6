"""The command line: exit codes 0 / 1 / 2 and French output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from app.cli import main

EXPECTED_TREE = """\
Fichier
  Créer une copie de la base…
  Paramètres de la base…
  IMPORTS/EXPORTS
    Avec NetSynchro
      Gérer le certificat pour NetSynchro{cert}
      Envoyer les emplois du temps de l'année 2026-2027 vers STSWEB avec l'assistant{send}
      Envoyer les emplois du temps de l'année 2026-2027 vers STSWEB sans l'assistant{send}
    SIECLE
      Gestion du certificat NetSynchro{cert}
      Récupérer les données des élèves{students}
    STSWEB
      Récupérer les données de STSWEB{sts}
      Exporter les emplois du temps vers un fichier STSWEB…{export}
  Journal des échanges
  Quitter
Aide
  À propos de Passerelle
"""


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"Passerelle {__version__}\n"
    with pytest.raises(SystemExit) as exit_info:  # argparse's own path, with other options
        main(["--base", "x.db", "--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_usage_error_exits_2_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["etablissement", "ajouter"])
    assert exit_info.value.code == 2
    assert "arguments obligatoires manquants" in capsys.readouterr().err


def test_establishments(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "etablissement", "ajouter", "0750654d", "Lycée", "Henri-IV")[0] == 0
    code, _out, err = _run(capsys, "etablissement", "ajouter", "0750654E", "Faux")
    assert code == 1 and "lettre de contrôle" in err
    code, _out, err = _run(capsys, "etablissement", "ajouter", "0750654D", "Double")
    assert code == 1 and "déjà dans la base" in err
    code, out, _ = _run(capsys, "etablissement", "lister", "--json")
    assert code == 0
    assert json.loads(out) == [{"uai": "0750654D", "nom": "Lycée Henri-IV"}]


def test_year(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "annee", "2027") == (0, "2027 (2027-2028)\n", "")
    assert _run(capsys, "annee")[1] == "2027 (2027-2028)\n"
    code, _out, err = _run(capsys, "annee", "27")
    assert code == 1 and "4 chiffres" in err
    journal = json.loads(_run(capsys, "journal", "--json")[1])
    assert journal[0]["nature"] == "parametres"


def test_menus_follow_year_and_establishments(capsys: pytest.CaptureFixture[str]) -> None:
    from app import menus

    def mark(action: str) -> str:
        return "" if action in menus.AVAILABLE_ACTIONS else " [désactivée]"

    _run(capsys, "annee", "2026")
    _run(capsys, "etablissement", "ajouter", "0750654D", "Lycée A")
    code, out, _ = _run(capsys, "menus")
    assert code == 0
    assert out == EXPECTED_TREE.format(
        cert=mark(menus.CERTIFICATE),
        send=mark(menus.SEND_WITH_ASSISTANT),
        students=mark(menus.RETRIEVE_STUDENTS),
        sts=mark(menus.RETRIEVE_STS),
        export=mark(menus.EXPORT_EDT_FILE),
    )
    _run(capsys, "etablissement", "ajouter", "0752524L", "Lycée B")
    _run(capsys, "annee", "2027")
    out = _run(capsys, "menus")[1]
    assert "Gérer le certificat pour NetSynchro – 0750654D Lycée A" in out
    assert "Gérer le certificat pour NetSynchro – 0752524L Lycée B" in out
    assert "Gestion du certificat NetSynchro – 0752524L Lycée B" in out
    assert "de l'année 2027-2028 vers STSWEB avec" in out


def test_copy_and_restore(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _run(capsys, "etablissement", "ajouter", "0750654D", "Lycée A")
    code, out, _ = _run(capsys, "base", "copier", str(tmp_path / "c.db"))
    assert code == 0 and "Copie créée" in out
    _run(capsys, "etablissement", "ajouter", "0752524L", "Lycée B")
    code, out, _ = _run(capsys, "base", "restaurer", str(tmp_path / "c.db"))
    assert code == 0 and "restaurée" in out
    listed = json.loads(_run(capsys, "etablissement", "lister", "--json")[1])
    assert [e["uai"] for e in listed] == ["0750654D"]
    code, _out, err = _run(capsys, "base", "restaurer", str(tmp_path / "absent.db"))
    assert code == 1 and "n'existe pas" in err


def test_explicit_base_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = tmp_path / "autre.db"
    _run(capsys, "--base", str(other), "etablissement", "ajouter", "0750654D", "Lycée A")
    assert other.exists()
    assert json.loads(_run(capsys, "etablissement", "lister", "--json")[1]) == []


def test_console_script_runs(tmp_path: Path) -> None:
    """The installed entry point, as IT staff would call it."""
    exe = Path(sys.executable).with_name("passerelle")
    result = subprocess.run(
        [str(exe), "etablissement", "lister", "--json"],
        capture_output=True,
        text=True,
        env={"PASSERELLE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
