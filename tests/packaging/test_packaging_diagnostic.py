"""``passerelle diagnostic``: the support command the frozen smoke test relies on."""

from __future__ import annotations

import argparse
import json

import pytest
from PySide6.QtWidgets import QApplication

from app import __version__
from app.cli import FrenchArgumentParser, diagnostic
from app.gui import i18n
from app.store.migrate import head_revision, revisions


def _parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(prog="passerelle")
    sub = parser.add_subparsers(dest="commande", metavar="COMMANDE",
                                parser_class=FrenchArgumentParser)
    diagnostic.register(sub)
    return parser


def _run(*argv: str) -> int:
    args = _parser().parse_args(["diagnostic", *argv])
    return int(args.handler(args))


# qapp: a QApplication must exist before the diagnostic looks for one, or it
# would create a bare QCoreApplication that later GUI tests could not use.
def test_json_report_covers_every_part(
    qapp: QApplication, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run("--json", "--tester-tls")
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report["problemes"]
    assert report["version"] == __version__
    assert report["fige"] is False
    assert report["qt"]["catalogue_fr"] is True
    assert report["qt"]["exemple"] == "Annuler"
    assert report["migrations"]["tete"] == head_revision()
    assert report["migrations"]["revisions"] == revisions()
    assert report["trousseau"]["module_natif_present"] is True
    assert report["postgresql"]["implementation"] in {"binary", "c"}
    assert report["donnees_paquet"]["ok"] is True
    tls = report["tls"]
    assert tls["ok"] and tls["certificat_client_vu_par_le_serveur"]
    assert tls["protocole"] in {"TLSv1.2", "TLSv1.3"}
    assert report["problemes"] == []


def test_text_report_is_french(qapp: QApplication, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run() == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Passerelle {__version__}\n")
    assert "catalogue français : chargé" in out
    assert f"révision {head_revision()}" in out
    assert "TLS" not in out  # only with --tester-tls


def test_missing_french_catalogue_is_a_failure(
    qapp: QApplication, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a frozen build without resources/translations/qtbase_fr.qm reports.
    monkeypatch.setattr(i18n, "install_french", lambda app: False)
    assert _run() == 1
    out = capsys.readouterr().out
    assert "catalogue français : absent" in out
    assert "PROBLÈME — qt : catalogue Qt français (qtbase_fr.qm) introuvable" in out


def test_a_crashing_probe_is_reported_not_raised(
    qapp: QApplication, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.store import migrate

    def broken() -> list[str]:
        raise FileNotFoundError("migrations absentes")

    monkeypatch.setattr(migrate, "revisions", broken)
    assert _run("--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["migrations"]["ok"] is False
    assert "FileNotFoundError: migrations absentes" in report["problemes"][0]


def test_hidden_from_the_command_list() -> None:
    help_text = _parser().format_help()
    assert "diagnostic" not in help_text
