"""End to end against the sandbox (real HTTPS, client certificates): retrieve STS data by
NetSynchro, load a timetable, send it, read the compte rendu; rejection; a network fault
mid-upload then a retry that reuses the tacheId (one task on the server)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.cli import edt as edt_cli
from app.demo.sts import sts_edt_bytes
from app.errors import PasserelleError
from app.netsynchro.client import RetryPolicy
from app.netsynchro.protocol import TaskState
from app.netsynchro.sandbox import Sandbox
from app.netsynchro.sandbox.faults import Fault, FaultKind
from app.security.certificates import CertificateStore
from app.security.memory_keyring import MemoryKeyring
from app.services import base_admin, netsynchro_settings
from app.services.sts import retrieval, send, timetable_import
from app.store.database import Database
from app.store.tables.sts import edt_envois

from .helpers import UAI, YEAR, journal_kinds

REJ_UAI = "0750654D"
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, jitter=0.0)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path_factory.mktemp("bac-a-sable-edt"), year=YEAR,
                  establishments=[(UAI, "Collège de test"), (REJ_UAI, "Collège rejeté")],
                  seed=5, students=50, task_delay=0.1)  # fmt: skip
    box.start()
    yield box
    box.stop()


@pytest.fixture
def store(sandbox: Sandbox, memory_keyring: MemoryKeyring) -> CertificateStore:
    certificates = CertificateStore()
    for uai in (UAI, REJ_UAI):
        certificates.import_pkcs12(uai, sandbox.certificate_file(uai).read_bytes(),
                                   sandbox.passwords[uai])  # fmt: skip
    return certificates


@pytest.fixture
def ready_db(lite_db: Database, sandbox: Sandbox, store: CertificateStore) -> Database:
    sandbox.faults.clear()
    netsynchro_settings.configure(lite_db, sandbox.url, sandbox.ca_file.read_text())
    base_admin.add_establishment(lite_db, REJ_UAI, "Collège rejeté")
    for uai in (UAI, REJ_UAI):
        seen: list[int] = []
        retrieval.retrieve_by_netsynchro(lite_db, uai, store=store, retry=FAST,
                                         progress=lambda done, _total, s=seen: s.append(done))
        assert seen and seen == sorted(seen)
        timetable_import.import_demo(lite_db, uai)
    return lite_db


def _tasks(sandbox: Sandbox, uai: str) -> list[str]:
    return [str(t.tache_id) for t in sandbox.tasks() if t.uai == uai and t.flux == "edt-sts"]


def test_accepted_send_has_a_compte_rendu(ready_db: Database, sandbox: Sandbox,
                                          store: CertificateStore) -> None:  # fmt: skip
    before = _tasks(sandbox, UAI)
    steps: list[str] = []
    result = send.send_timetable(ready_db, UAI, store=store, retry=FAST, poll_initial=0.05,
                                 progress=lambda step, _d, _t: steps.append(step))
    assert not result.blocked and result.report is not None
    assert result.report.state is TaskState.TERMINEE
    assert result.report.counters.lus > 50 and result.report.counters.rejetes == 0
    assert steps[0] == "verification" and "envoi" in steps and steps[-1] == "traitement"
    assert len(_tasks(sandbox, UAI)) == len(before) + 1
    assert result.report_path is not None and result.report_path.exists()
    html = result.report_path.read_text(encoding="utf-8")
    assert "Compte rendu d'envoi" in html and str(result.tache_id) in html
    assert journal_kinds(ready_db)[-1][0] == "envoi_edt"
    assert journal_kinds(ready_db)[-1][1] in ("succes", "avertissement")


def test_rejected_send_exits_1(
    ready_db: Database,
    sandbox: Sandbox,
    store: CertificateStore,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    empty = dataclasses.replace(sandbox.data.sts_data(REJ_UAI), divisions=(), groupes=())
    replacement = tmp_path / "sts.xml"
    replacement.write_bytes(sts_edt_bytes(empty))
    sandbox.data.install("sts-emp", REJ_UAI, replacement)
    try:
        parser = argparse.ArgumentParser()
        parser.add_argument("--base")
        edt_cli.register(parser.add_subparsers(dest="commande"))
        url = ready_db.url
        args = parser.parse_args(["--base", url, "edt", "envoyer", REJ_UAI, "--json"])
        assert args.handler(args) == 1
    finally:
        sandbox.data.forget("sts-emp", REJ_UAI)
    out = json.loads(capsys.readouterr().out)
    assert out["etat"] == "REJETEE"
    assert out["anomalies"] and all(a["type"] == "REJ" for a in out["anomalies"])
    assert journal_kinds(ready_db)[-1] == ("envoi_edt", "echec")


def test_network_fault_mid_upload_then_retry_makes_one_task(
    ready_db: Database, sandbox: Sandbox, store: CertificateStore
) -> None:
    before = _tasks(sandbox, UAI)
    # The server stores the upload, then the connection is reset before the answer,
    # on every try of the first send.
    sandbox.faults.add(Fault("PUT */imports/prive/edt-sts/*", FaultKind.RESET_AFTER, count=2))
    with pytest.raises(PasserelleError):
        send.send_timetable(ready_db, UAI, store=store, retry=FAST, poll_initial=0.05)
    assert journal_kinds(ready_db)[-1] == ("envoi_edt", "echec")
    assert len(_tasks(sandbox, UAI)) == len(before) + 1
    result = send.send_timetable(ready_db, UAI, store=store, retry=FAST, poll_initial=0.05)
    assert result.report is not None and result.report.state is TaskState.TERMINEE
    after = _tasks(sandbox, UAI)
    assert len(after) == len(before) + 1
    assert str(result.tache_id) in after
    with ready_db.read() as conn:
        states = conn.execute(sa.select(edt_envois.c.tache_id, edt_envois.c.etat)
                              .where(edt_envois.c.uai == UAI)).all()  # fmt: skip
    assert [(str(result.tache_id), "termine")] == [tuple(r) for r in states]
    puts = [r for r in sandbox.requests if r.method == "PUT"]
    assert len(puts) >= 3  # two faulted tries, then the retry


def test_blocked_send_sends_nothing(lite_db: Database, sandbox: Sandbox,
                                    store: CertificateStore) -> None:  # fmt: skip
    netsynchro_settings.configure(lite_db, sandbox.url, sandbox.ca_file.read_text())
    sandbox.clear_requests()
    result = send.send_timetable(lite_db, UAI, store=store, retry=FAST)
    assert result.blocked and result.readiness.problems
    assert sandbox.requests == []
