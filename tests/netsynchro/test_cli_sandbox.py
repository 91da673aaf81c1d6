"""``passerelle bac-a-sable``: prints its URL, writes etat.json, stops cleanly on Ctrl-C."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from app.cli import sandbox as cli_sandbox
from app.netsynchro.client import NetSynchroClient
from app.security.tls import client_ssl_context

ROOT = Path(__file__).resolve().parents[2]


def test_register_declares_the_command() -> None:
    parser = argparse.ArgumentParser()
    cli_sandbox.register(parser.add_subparsers(dest="commande"))
    args = parser.parse_args(["bac-a-sable", "--port", "0", "--dossier", "D"])
    assert args.handler is cli_sandbox.handler
    assert (args.port, args.dossier) == (0, Path("D"))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs a console group")
def test_runs_until_interrupted_and_publishes_its_state(tmp_path: Path) -> None:
    folder = tmp_path / "bac"
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli.sandbox", "--port", "0", "--dossier", str(folder)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        state_file = folder / "etat.json"
        deadline = time.monotonic() + 30
        while not state_file.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "etat.json jamais écrit"
            time.sleep(0.05)
        state = json.loads(state_file.read_text(encoding="utf-8"))
        assert state["url"].startswith("https://127.0.0.1:")
        assert Path(state["ca"]).is_file()
        assert set(state["certificats"]) == {"0750654D", "0920131T"}
        uai, entry = next(iter(state["certificats"].items()))
        key, cert, chain = pkcs12.load_key_and_certificates(
            Path(entry["fichier"]).read_bytes(), entry["mot_de_passe"].encode()
        )
        assert key is not None and cert is not None
        ctx = client_ssl_context(key, cert, chain, state["ca"])
        with NetSynchroClient(state["url"], ctx, trust_env=False) as client:
            diagnosis = client.test_connection(uai, state["annee"])
        assert diagnosis.ok, diagnosis.text_fr()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert state["url"] in out
    assert "arrêté" in out
