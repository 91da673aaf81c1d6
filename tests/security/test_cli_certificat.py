"""``passerelle certificat importer | afficher | supprimer``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import app.cli
from app.cli import main
from app.demo.pki import DemoPKI, Issued
from app.security.memory_keyring import MemoryKeyring

from .conftest import PASSWORD, UAI, export

JSON_KEYS = {
    "uai", "titulaire", "emetteur", "numero_serie", "valide_du", "valide_au",
    "empreinte_sha256", "uai_certificat", "expire", "jours_restants",
}  # fmt: skip


@pytest.fixture(autouse=True)
def cli(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring, sqlite_url: str
) -> None:
    # app/cli/__init__.py lists the command modules; add ours if not yet there.
    if "app.cli.certificat" not in app.cli.COMMAND_MODULES:
        monkeypatch.setattr(
            app.cli, "COMMAND_MODULES", (*app.cli.COMMAND_MODULES, "app.cli.certificat")
        )
    monkeypatch.setenv("PASSERELLE_BASE", sqlite_url)
    assert main(["etablissement", "ajouter", UAI, "Lycée", "de", "démonstration"]) == 0


def write_p12(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "certificat.p12"
    path.write_bytes(data)
    return str(path)


def feed_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_import_show_json_delete(
    client: Issued, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_p12(tmp_path, export(client, "3des"))
    feed_stdin(monkeypatch, PASSWORD + "\n")
    assert main(["certificat", "importer", UAI, path, "--mot-de-passe-stdin"]) == 0
    out = capsys.readouterr().out
    assert "Certificat enregistré" in out and PASSWORD not in out

    assert main(["certificat", "afficher", UAI.lower(), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(shown) == JSON_KEYS
    assert shown["uai"] == UAI and shown["uai_certificat"] == UAI
    assert shown["expire"] is False and isinstance(shown["jours_restants"], int)
    assert shown["valide_au"].startswith(str(client.cert.not_valid_after_utc.year))
    assert shown["valide_au"].endswith("+00:00")

    assert main(["certificat", "afficher", UAI]) == 0
    assert "Empreinte SHA-256" in capsys.readouterr().out

    assert main(["certificat", "supprimer", UAI, "--oui"]) == 0
    assert "supprimé" in capsys.readouterr().out
    assert main(["certificat", "afficher", UAI]) == 1
    assert "Aucun certificat" in capsys.readouterr().err


def test_password_via_getpass(
    client: Issued, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        # No terminal under pytest: getpass itself cannot be driven here.
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    path = write_p12(tmp_path, export(client, "aes"))
    assert main(["certificat", "importer", UAI, path]) == 0
    assert prompts == ["Mot de passe du certificat : "]


@pytest.mark.parametrize(
    ("data_kind", "message"),
    [("wrong-password", "mot de passe"), ("garbage", "PKCS#12"), ("expired", "expiré")],
)
def test_import_refusals_exit_1(
    pki: DemoPKI, client: Issued, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], data_kind: str, message: str,
) -> None:
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    password = PASSWORD
    if data_kind == "wrong-password":
        data, password = export(client, "aes"), "faux"
    elif data_kind == "garbage":
        data = b"\x30 ceci n'est pas un certificat"
    else:
        data = export(pki.issue_client(UAI, not_after=now - dt.timedelta(days=1),
                                       not_before=now - dt.timedelta(days=30)), "aes")
    feed_stdin(monkeypatch, password + "\n")
    path = write_p12(tmp_path, data)
    assert main(["certificat", "importer", UAI, path, "--mot-de-passe-stdin"]) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert main(["certificat", "afficher", UAI]) == 1


def test_no_uai_needs_the_flag_without_terminal(
    pki: DemoPKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_p12(tmp_path, export(pki.issue_client(None), "aes"))
    feed_stdin(monkeypatch, PASSWORD + "\n")
    assert main(["certificat", "importer", UAI, path, "--mot-de-passe-stdin"]) == 1
    assert "--confirmer-sans-uai" in capsys.readouterr().err
    feed_stdin(monkeypatch, PASSWORD + "\n")
    argv = ["certificat", "importer", UAI, path, "--mot-de-passe-stdin", "--confirmer-sans-uai"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["certificat", "afficher", UAI, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["uai_certificat"] is None


def test_delete_without_confirmation_is_cancelled(
    client: Issued, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_p12(tmp_path, export(client, "aes"))
    feed_stdin(monkeypatch, PASSWORD + "\n")
    assert main(["certificat", "importer", UAI, path, "--mot-de-passe-stdin"]) == 0
    capsys.readouterr()
    assert main(["certificat", "supprimer", UAI]) == 1  # no terminal: the answer is no
    assert "annulée" in capsys.readouterr().err
    assert main(["certificat", "afficher", UAI]) == 0


def test_invalid_uai_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["certificat", "afficher", "0750654E"]) == 1
    assert "lettre de contrôle" in capsys.readouterr().err
