"""``passerelle netsynchro tester UAI`` against a real HTTPS sandbox (client certificates)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import keyring
import pytest

from app.cli import main
from app.domain.models import JournalEntry, JournalKind, JournalResult
from app.domain.school_year import default_year
from app.netsynchro.sandbox import Sandbox
from app.security.memory_keyring import MemoryKeyring
from app.services import journal
from app.services.context import open_context

UAI = "0750654D"
YEAR = default_year()  # the year a fresh base takes


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(
        tmp_path_factory.mktemp("bac-a-sable-cli"),
        year=YEAR,
        establishments=[(UAI, "Collège de test")],
        students=20,
    )
    box.start()
    yield box
    box.stop()


@pytest.fixture(autouse=True)
def cli(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[str]:
    # The OS keyring does not exist headless; the in-memory backend stands in for it.
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                 "all_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PASSERELLE_BASE", sqlite_url)
    assert main(["etablissement", "ajouter", UAI, "Collège", "de", "test"]) == 0
    try:
        yield sqlite_url
    finally:
        keyring.set_keyring(previous)


def configure(url: str, sandbox: Sandbox) -> None:
    assert main(["netsynchro", "configurer", url, "--ca", str(sandbox.ca_file)]) == 0


def import_certificate(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(sandbox.passwords[UAI] + "\n"))
    path = str(sandbox.certificate_file(UAI))
    assert main(["certificat", "importer", UAI, path, "--mot-de-passe-stdin"]) == 0


def last_test_entry(url: str) -> JournalEntry:
    ctx = open_context(url)
    try:
        entries = [e for e in journal.entries(ctx.db) if e.nature == JournalKind.CONNECTION_TEST]
    finally:
        ctx.close()
    assert entries, "aucun test de connexion au journal"
    return entries[0]


def test_connection_ok(
    sandbox: Sandbox, cli: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    configure(sandbox.url, sandbox)
    import_certificate(sandbox, monkeypatch)
    capsys.readouterr()
    assert main(["netsynchro", "tester", UAI.lower()]) == 0
    out, err = capsys.readouterr()
    assert "✔ Serveur NetSynchro joignable" in out
    assert "✔ Établissement 0750654D accepté" in out
    assert "Établissement : Collège de test" in out
    assert err == ""
    assert sandbox.passwords[UAI] not in out
    entry = last_test_entry(cli)
    assert (entry.resultat, entry.uai) == (JournalResult.SUCCESS, UAI)
    assert entry.details["annee"] == YEAR and entry.details["uai_accepte"] is True


def test_unreachable_server(
    sandbox: Sandbox, cli: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    configure("https://127.0.0.1:9/netsynchro", sandbox)
    import_certificate(sandbox, monkeypatch)
    capsys.readouterr()
    assert main(["netsynchro", "tester", UAI]) == 1
    out, err = capsys.readouterr()
    assert "✘ Serveur NetSynchro injoignable" in out
    assert err.strip()  # the reason, in French, where refusals go
    assert err.strip() not in out
    entry = last_test_entry(cli)
    assert entry.resultat == JournalResult.FAILURE
    assert entry.details["serveur_joignable"] is False


def test_year_not_open_on_the_platform(
    sandbox: Sandbox, cli: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    configure(sandbox.url, sandbox)
    import_certificate(sandbox, monkeypatch)
    assert main(["annee", str(YEAR - 1)]) == 0
    capsys.readouterr()
    assert main(["netsynchro", "tester", UAI]) == 1
    out, _err = capsys.readouterr()
    assert "✔ Établissement 0750654D accepté" in out
    assert f"✘ Année scolaire {YEAR - 1}-{YEAR} refusée" in out
    assert last_test_entry(cli).details["annee"] == YEAR - 1


def test_not_configured(cli: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["netsynchro", "tester", UAI]) == 1
    err = capsys.readouterr().err
    assert "n'est pas configurée" in err and "netsynchro configurer" in err
    entry = last_test_entry(cli)
    assert entry.resultat == JournalResult.FAILURE
    assert entry.details["code"] == "NETSYNCHRO_NON_CONFIGURE"


def test_no_certificate_on_this_pc(
    sandbox: Sandbox, cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(sandbox.url, sandbox)
    capsys.readouterr()
    assert main(["netsynchro", "tester", UAI]) == 1
    assert "Aucun certificat NetSynchro n'est enregistré" in capsys.readouterr().err
    assert last_test_entry(cli).details["code"] == "CERTIFICAT_ABSENT"


def test_unknown_establishment(cli: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["netsynchro", "tester", "0752524L"]) == 1
    assert "n'est pas dans cette base" in capsys.readouterr().err


def test_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["netsynchro", "tester"])
    assert exit_info.value.code == 2
    assert "arguments obligatoires manquants" in capsys.readouterr().err


def test_help_is_french(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["netsynchro", "tester", "--help"])
    out = capsys.readouterr().out
    assert "Teste la connexion à NetSynchro" in out and "Code de sortie" in out
