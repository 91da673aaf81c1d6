"""Certificate use cases: journaled imports and deletions, expiry alerts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from app.demo.pki import DemoPKI, Issued
from app.domain.models import JournalKind, JournalResult
from app.errors import PasserelleError
from app.security.certificates import CertificateStore
from app.security.errors import CertificateError, CertificateNeedsConfirmation
from app.security.memory_keyring import MemoryKeyring
from app.services import base_admin, certificates, journal
from app.services.context import AppContext, open_context

from .conftest import OTHER_UAI, PASSWORD, UAI, export


@pytest.fixture
def ctx(sqlite_url: str, memory_keyring: MemoryKeyring) -> AppContext:
    context = open_context(sqlite_url)
    base_admin.add_establishment(context.db, UAI, "Lycée de démonstration")
    return context


def test_import_is_journaled_without_secrets(ctx: AppContext, client: Issued) -> None:
    info = certificates.import_certificate(ctx.db, UAI, export(client, "aes"), PASSWORD)
    [entry] = journal.entries(ctx.db, uai=UAI)
    assert entry.nature == JournalKind.CERTIFICATE_IMPORT
    assert entry.resultat == JournalResult.SUCCESS
    assert info.titulaire in entry.resume
    assert entry.details["empreinte_sha256"] == info.empreinte_sha256
    assert PASSWORD not in repr(entry)
    stored = certificates.certificate_info(UAI)
    assert stored is not None
    assert dataclasses.replace(stored, jours_restants=info.jours_restants) == info


def test_refusal_is_journaled_and_raised(ctx: AppContext, client: Issued) -> None:
    with pytest.raises(CertificateError):
        certificates.import_certificate(ctx.db, UAI, export(client, "aes"), "faux")
    [entry] = journal.entries(ctx.db, uai=UAI)
    assert entry.resultat == JournalResult.FAILURE
    assert entry.details == {"code": "CERTIFICAT_MOT_DE_PASSE"}
    assert certificates.certificate_info(UAI) is None


def test_confirmation_question_is_not_a_failure(ctx: AppContext, pki: DemoPKI) -> None:
    data = export(pki.issue_client(None), "aes")
    with pytest.raises(CertificateNeedsConfirmation):
        certificates.import_certificate(ctx.db, UAI, data, PASSWORD)
    assert journal.entries(ctx.db, uai=UAI) == []
    certificates.import_certificate(ctx.db, UAI, data, PASSWORD, confirm_without_uai=True)
    [entry] = journal.entries(ctx.db, uai=UAI)
    assert entry.resultat == JournalResult.WARNING  # the "sur confirmation" warning
    assert "sans code UAI" in entry.resume


def test_unknown_establishment_is_refused(ctx: AppContext, pki: DemoPKI) -> None:
    with pytest.raises(PasserelleError) as caught:
        certificates.import_certificate(
            ctx.db, OTHER_UAI, export(pki.issue_client(OTHER_UAI), "aes"), PASSWORD
        )
    assert caught.value.code == "UAI_INCONNU"


def test_oversize_file_is_journaled(ctx: AppContext, tmp_path: Path) -> None:
    big = tmp_path / "gros.p12"
    big.write_bytes(b"0" * (2 * 1024 * 1024))
    with pytest.raises(CertificateError):
        certificates.import_certificate_file(ctx.db, UAI, big, PASSWORD)
    [entry] = journal.entries(ctx.db, uai=UAI)
    assert entry.details == {"code": "CERTIFICAT_TROP_GROS"}


def test_delete_is_journaled(ctx: AppContext, client: Issued) -> None:
    info = certificates.import_certificate(ctx.db, UAI, export(client, "aes"), PASSWORD)
    assert certificates.delete_certificate(ctx.db, UAI) is True
    assert certificates.delete_certificate(ctx.db, UAI) is False
    entries = journal.entries(ctx.db, uai=UAI)
    deletions = [e for e in entries if e.nature == JournalKind.CERTIFICATE_DELETE]
    assert len(deletions) == 1
    assert deletions[0].details["empreinte_sha256"] == info.empreinte_sha256


def test_expiry_alerts(ctx: AppContext, pki: DemoPKI, monkeypatch: pytest.MonkeyPatch) -> None:
    base_admin.add_establishment(ctx.db, OTHER_UAI, "Collège de démonstration")
    now = dt.datetime.now(dt.UTC)
    soon = pki.issue_client(UAI, not_after=now + dt.timedelta(days=12, hours=2))
    certificates.import_certificate(ctx.db, UAI, export(soon, "aes"), PASSWORD)
    alerts = {a.uai: a for a in certificates.expiry_alerts(ctx.db)}
    assert alerts[UAI].code == "CERTIFICAT_EXPIRE_BIENTOT"
    assert "12 jour(s)" in alerts[UAI].message
    assert alerts[OTHER_UAI].code == "CERTIFICAT_ABSENT"
    # Two weeks later the same certificate has expired; the clock is the only
    # thing a test cannot move for real.
    later = now + dt.timedelta(days=14)
    monkeypatch.setattr("app.security.certificates._now", lambda: later)
    alerts = {a.uai: a for a in certificates.expiry_alerts(ctx.db)}
    assert alerts[UAI].code == "CERTIFICAT_EXPIRE"


def test_valid_certificate_raises_no_alert(ctx: AppContext, client: Issued) -> None:
    certificates.import_certificate(ctx.db, UAI, export(client, "aes"), PASSWORD)
    assert certificates.expiry_alerts(ctx.db) == []


def test_explicit_store(ctx: AppContext, client: Issued, tmp_path: Path) -> None:
    store = CertificateStore(tmp_path / "certs", backend=MemoryKeyring())
    certificates.import_certificate(ctx.db, UAI, export(client, "aes"), PASSWORD, store=store)
    assert (tmp_path / "certs" / f"{UAI}.p12").exists()
    assert certificates.certificate_info(UAI) is None  # the default store is untouched
