"""The sandbox itself: fault bookkeeping, the admin file, a prompt and complete stop."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from app.errors import PasserelleError
from app.netsynchro.client import NetSynchroClient, RetryPolicy
from app.netsynchro.protocol import Erreur
from app.netsynchro.sandbox import Fault, FaultKind, Faults, Sandbox

from .conftest import UAI, YEAR, context_for


def test_a_counted_fault_applies_n_times_then_clears() -> None:
    faults = Faults()
    faults.status("GET */exports/*", 503, count=2)
    faults.add(Fault("GET */exports/*", FaultKind.STATUS, count=2, status=503))  # identical twin
    taken = [faults.take("GET", "/flux-netsync/exports/xml/sco-structures/0750654D/2025")
             for _ in range(5)]  # fmt: skip
    assert [f.status if f else None for f in taken] == [503, 503, 503, 503, None]
    assert faults.take("PUT", "/flux-netsync/imports/prive/edt-sts/0750654D/2025") is None


def test_admin_file_sets_faults(tmp_path: Path) -> None:
    admin = tmp_path / "pannes.json"
    faults = Faults(admin)
    admin.write_text(json.dumps([
        {"route": "GET */taches/*", "kind": "status", "status": 500, "count": 1,
         "erreur": {"code": "ERREUR_INATTENDUE", "type": "TECHNIQUE", "detail": "d",
                    "message": "m"}},
    ]), encoding="utf-8")  # fmt: skip
    fault = faults.take("GET", "/flux-netsync/taches/x")
    assert fault is not None and fault.status == 500
    assert fault.erreur == Erreur("ERREUR_INATTENDUE", "TECHNIQUE", "d", "m")
    assert faults.take("GET", "/flux-netsync/taches/x") is None


def test_a_broken_admin_file_is_ignored(tmp_path: Path) -> None:
    admin = tmp_path / "pannes.json"
    admin.write_text("[{pas du json", encoding="utf-8")
    assert Faults(admin).take("GET", "/x") is None


def test_stop_ends_hanging_connections_and_frees_the_port(tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "sb", year=YEAR, establishments=[(UAI, "Test")], students=50)
    url = box.start()
    port = box.port
    box.faults.delay("GET *", 60.0)  # the request below hangs server-side
    ctx = context_for(box.client_certificates[UAI], box.ca_file)
    client = NetSynchroClient(url, ctx, retry=RetryPolicy(attempts=1), trust_env=False)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.export("sco-structures", UAI, YEAR, destination_dir=tmp_path / "out")
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    # Give the request time to reach the server; if it has not, stop() must still
    # end cleanly and the client still fails with a French error: both are asserted.
    time.sleep(0.3)
    box.stop()
    worker.join(timeout=10)
    client.close()
    assert not worker.is_alive()
    assert outcome and isinstance(outcome[0], PasserelleError)
    with socket.socket() as probe, pytest.raises(OSError):
        probe.settimeout(1)
        probe.connect(("127.0.0.1", port))
    box.stop()  # idempotent
