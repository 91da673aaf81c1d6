"""« Récupérer par NetSynchro » against the real HTTPS sandbox (client certificates, faults)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from app.domain.school_year import default_year
from app.errors import PasserelleError, UserCancelled
from app.netsynchro.client import RetryPolicy
from app.netsynchro.sandbox import Fault, FaultKind, Sandbox
from app.security.certificates import CertificateStore
from app.security.memory_keyring import MemoryKeyring
from app.services import base_admin, journal, netsynchro_settings
from app.services import students_import as si
from app.services.context import AppContext, open_context

from .builders import UAI
from .conftest import dump

PASSWORD = "Bac à sable 2025"
FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, jitter=0.1)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path_factory.mktemp("bac-a-sable"), year=default_year(),
                  establishments=[(UAI, "Collège de test")], seed=11, students=120,
                  task_delay=0.1)  # fmt: skip
    box.start()
    yield box
    box.stop()


@pytest.fixture
def store(data_dir: Path, sandbox: Sandbox) -> Iterator[CertificateStore]:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        certificates = CertificateStore()
        p12 = sandbox.client_certificates[UAI].pkcs12(PASSWORD.encode(), "aes")
        certificates.import_pkcs12(UAI, p12, PASSWORD)
        yield certificates
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def net_ctx(sqlite_url: str, sandbox: Sandbox) -> Iterator[AppContext]:
    context = open_context(sqlite_url)
    base_admin.add_establishment(context.db, UAI, "Collège de test")
    assert base_admin.school_year(context.db) == sandbox.year
    netsynchro_settings.configure(context.db, sandbox.url,
                                  Path(sandbox.ca_file).read_text("ascii"))  # fmt: skip
    sandbox.faults.clear()
    yield context
    sandbox.faults.clear()
    context.close()


def test_availability(net_ctx: AppContext, store: CertificateStore) -> None:
    assert si.netsynchro_available(net_ctx.db, UAI, store=store) == (True, "")
    ok, reason = si.netsynchro_available(net_ctx.db, "0920131T", store=store)
    assert not ok and "Aucun certificat" in reason


def test_availability_without_platform(ctx: AppContext, data_dir: Path) -> None:
    ok, reason = si.netsynchro_available(ctx.db, UAI)
    assert not ok and "NetSynchro n'est pas configurée" in reason


def test_preview_then_apply_through_the_sandbox(
    net_ctx: AppContext, store: CertificateStore, sandbox: Sandbox
) -> None:
    seen: list[tuple[int, int, str]] = []
    preview = si.prepare(
        net_ctx.db,
        UAI,
        si.FromNetSynchro(),
        si.ImportOptions(),
        progress=lambda d, t, s: seen.append((d, t, s)),
        store=store,
    )
    try:
        assert preview.blocking == [] and preview.crees == 120
        assert preview.source_label.startswith("NetSynchro")
        assert {f.kind for f in preview.files} == {
            "Élèves",
            "Responsables",
            "Nomenclatures",
            "Structures",
        }
        assert any("Téléchargement" in text and done > 0 for done, _t, text in seen)
        assert si.list_students(net_ctx.db) == []  # the preview wrote nothing
        downloads = preview._tempdir
        assert downloads is not None and any(downloads.glob("sco-eleves-adr_*.xml"))
        result = si.apply(net_ctx.db, preview)
    finally:
        preview.close()
    assert not downloads.exists()  # close() removes the downloads
    assert result.crees == 120 and result.copy_path is not None
    assert len(si.list_students(net_ctx.db, uai=UAI)) == 120
    entry = max(journal.entries(net_ctx.db), key=lambda e: e.id)
    assert entry.details["source"] == "netsynchro"


@pytest.mark.parametrize(
    "fault",
    [
        Fault("GET */sco-eleves-adr/*", FaultKind.RESET, after_bytes=2000),
        Fault("GET */sco-responsables-adr/*", FaultKind.TRUNCATE, after_bytes=500),
        Fault("GET */sco-nomenclatures/*", FaultKind.STATUS, status=503),
        Fault("GET */sco-structures/*", FaultKind.BODY, body=b"PK\x03\x04 pas un zip"),
        Fault("GET */sco-eleves-adr/*", FaultKind.CONTENT_TYPE),
    ],
    ids=["coupure", "tronque", "indisponible", "zip_corrompu", "page_proxy"],
)
def test_network_fault_gives_a_french_error_and_changes_nothing(
    net_ctx: AppContext, store: CertificateStore, sandbox: Sandbox, fault: Fault
) -> None:
    before = dump(net_ctx.db)
    sandbox.faults.add(fault)
    with pytest.raises(PasserelleError) as info:
        preview = si.prepare(
            net_ctx.db, UAI, si.FromNetSynchro(), si.ImportOptions(), store=store, retry=FAST_RETRY
        )
        preview.close()
    message = info.value.message
    assert message[0].isupper() and "Traceback" not in message
    assert any(
        word in message
        for word in (
            "serveur",
            "réponse",
            "NetSynchro",
            "fichier",
            "connexion",
            "plateforme",
            "téléchargement",
        )
    )
    assert dump(net_ctx.db) == before


def test_cancel_during_download(
    net_ctx: AppContext, store: CertificateStore, sandbox: Sandbox
) -> None:
    sandbox.faults.add(Fault("GET */sco-eleves-adr/*", FaultKind.DRIP, chunk=512, interval=0.02))
    cancel = threading.Event()

    def progress(done: int, total: int, text: str) -> None:
        if done > 2000:
            cancel.set()

    before = dump(net_ctx.db)
    with pytest.raises(UserCancelled):
        si.prepare(
            net_ctx.db,
            UAI,
            si.FromNetSynchro(),
            si.ImportOptions(),
            progress=progress,
            cancel=cancel,
            store=store,
        )
    assert dump(net_ctx.db) == before
