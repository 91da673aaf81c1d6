from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.demo.pki import DemoPKI


def test_configure_and_show(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(DemoPKI().ca_pem())
    assert main(["netsynchro", "configurer", "https://127.0.0.1:8443/ns/", "--ca", str(ca)]) == 0
    out = capsys.readouterr().out
    assert "https://127.0.0.1:8443/ns" in out
    assert main(["netsynchro", "afficher"]) == 0
    out = capsys.readouterr().out
    assert "https://127.0.0.1:8443/ns" in out and "fournie" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["netsynchro", "configurer", "http://exemple.fr"], "https://"),
        (["netsynchro", "configurer", "https://x.fr", "--ca", "/nulle/part.pem"], "illisible"),
    ],
)
def test_refusals(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_ca_must_be_pem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("pas un certificat")
    assert main(["netsynchro", "configurer", "https://x.fr", "--ca", str(bad)]) == 1
    assert "PEM" in capsys.readouterr().err
