"""Certificate storage on an in-memory keyring: re-encryption, secrecy, replacement."""

from __future__ import annotations

import base64
import dataclasses
import os
import stat
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from app.demo.pki import DemoPKI, Issued
from app.paths import certificates_dir
from app.security.certificates import CertificateStore
from app.security.errors import (
    CertificateError,
    CertificateNeedsConfirmation,
    KeyringUnavailable,
)
from app.security.keyring_policy import SERVICE
from app.security.memory_keyring import MemoryKeyring

from .conftest import ENCRYPTIONS, OTHER_UAI, PASSWORD, UAI, export
from .test_demo_pki import OID_3DES, OID_AES256_CBC, OID_PBES2, OID_RC2_40


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_import_reencrypts_with_a_keyring_secret(
    store: CertificateStore, memory_keyring: MemoryKeyring, client: Issued, encryption: str
) -> None:
    info = store.import_pkcs12(UAI, export(client, encryption), PASSWORD)
    path = certificates_dir() / f"{UAI}.p12"
    assert store.path_for(UAI) == path
    stored = path.read_bytes()
    secret = memory_keyring.entries[(SERVICE, UAI)]
    assert len(secret) == 43  # secrets.token_urlsafe(32)
    assert secret != PASSWORD
    # Legacy inputs come out as PBES2 / AES-256.
    assert OID_PBES2 in stored and OID_AES256_CBC in stored
    assert OID_RC2_40 not in stored and OID_3DES not in stored
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(stored, PASSWORD.encode())
    key, cert, chain = pkcs12.load_key_and_certificates(stored, secret.encode())
    assert cert == client.cert and chain == client.chain
    assert key is not None and key.private_numbers() == client.key.private_numbers()  # type: ignore[union-attr]
    stored_info = store.info(UAI)
    assert stored_info is not None
    # jours_restants may tick over between the two calls; everything else is equal.
    assert dataclasses.replace(stored_info, jours_restants=info.jours_restants) == info
    assert store.has_valid(UAI)
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in certificates_dir().iterdir()) == [f"{UAI}.p12"]


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_no_password_nor_clear_key_anywhere_on_disk(
    store: CertificateStore, client: Issued, data_dir: Path, encryption: str
) -> None:
    store.import_pkcs12(UAI, export(client, encryption), PASSWORD)
    store.ssl_context(UAI)  # builds the TLS context too: must leave nothing behind
    key_pem = client.key_pem()
    key_der = client.key_der()
    pem_body = b"".join(key_pem.splitlines()[1:-1])
    needles = {
        "password utf-8": PASSWORD.encode("utf-8"),
        "password utf-16": PASSWORD.encode("utf-16-le"),
        "key PEM": key_pem,
        "key PEM line": key_pem.splitlines()[5],
        "key PEM body": pem_body[:64],
        "key DER": key_der,
        "key DER base64": base64.b64encode(key_der)[:64],
    }
    files = all_files(data_dir)
    assert files, "the import wrote nothing?"
    for path in files:
        content = path.read_bytes()
        for label, needle in needles.items():
            assert needle not in content, f"{label} found in {path}"


def test_import_refusal_stores_nothing(
    store: CertificateStore, memory_keyring: MemoryKeyring, client: Issued
) -> None:
    with pytest.raises(CertificateError):
        store.import_pkcs12(UAI, export(client, "aes"), "faux")
    assert memory_keyring.entries == {}
    assert all_files(certificates_dir()) == []
    assert store.info(UAI) is None
    assert not store.has_valid(UAI)


def test_no_uai_requires_confirmation_to_store(
    store: CertificateStore, memory_keyring: MemoryKeyring, pki: DemoPKI
) -> None:
    data = export(pki.issue_client(None), "aes")
    with pytest.raises(CertificateNeedsConfirmation):
        store.import_pkcs12(UAI, data, PASSWORD)
    assert memory_keyring.entries == {}
    info = store.import_pkcs12(UAI, data, PASSWORD, confirm_without_uai=True)
    assert info.uai_certificat is None
    stored = store.info(UAI)
    assert stored is not None and stored.empreinte_sha256 == info.empreinte_sha256


def test_replacement_and_failed_replacement_keep_the_old_certificate(
    store: CertificateStore, pki: DemoPKI
) -> None:
    first = pki.issue_client(UAI)
    second = pki.issue_client(UAI)
    old = store.import_pkcs12(UAI, export(first, "aes"), PASSWORD)
    # A refused file (expired: wrong password) changes nothing.
    with pytest.raises(CertificateError):
        store.import_pkcs12(UAI, export(second, "aes"), "faux")
    assert store.info(UAI).empreinte_sha256 == old.empreinte_sha256  # type: ignore[union-attr]
    new = store.import_pkcs12(UAI, export(second, "3des"), PASSWORD)
    assert new.empreinte_sha256 != old.empreinte_sha256
    assert store.info(UAI).empreinte_sha256 == new.empreinte_sha256  # type: ignore[union-attr]


class RefusingKeyring(MemoryKeyring):
    """A keyring that rejects writes, like a locked Secret Service collection."""

    refuse = False

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse:
            from keyring.errors import PasswordSetError

            raise PasswordSetError("locked")
        super().set_password(service, username, password)


def test_keyring_refusal_during_replacement_keeps_the_old(
    data_dir: Path, pki: DemoPKI
) -> None:
    # A real locked keyring cannot be produced on demand in a test session.
    backend = RefusingKeyring()
    store = CertificateStore(backend=backend)
    old = store.import_pkcs12(UAI, export(pki.issue_client(UAI), "aes"), PASSWORD)
    backend.refuse = True
    with pytest.raises(KeyringUnavailable) as caught:
        store.import_pkcs12(UAI, export(pki.issue_client(UAI), "aes"), PASSWORD)
    assert caught.value.code == "KEYRING_INDISPONIBLE"
    assert store.info(UAI).empreinte_sha256 == old.empreinte_sha256  # type: ignore[union-attr]
    assert sorted(p.name for p in certificates_dir().iterdir()) == [f"{UAI}.p12"]


def test_failed_swap_restores_old_secret_and_file(
    store: CertificateStore, memory_keyring: MemoryKeyring, pki: DemoPKI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = store.import_pkcs12(UAI, export(pki.issue_client(UAI), "aes"), PASSWORD)
    old_secret = memory_keyring.entries[(SERVICE, UAI)]
    real_replace = os.replace

    def locked(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        # Simulates Windows refusing to replace a file held open by another
        # program (antivirus, second Passerelle window): not reproducible on Linux.
        if str(src).endswith(".p12.new"):
            raise PermissionError(13, "Accès refusé")
        real_replace(src, dst)

    monkeypatch.setattr("app.security.certificates.os.replace", locked)
    with pytest.raises(CertificateError) as caught:
        store.import_pkcs12(UAI, export(pki.issue_client(UAI), "aes"), PASSWORD)
    assert caught.value.code == "CERTIFICAT_ENREGISTREMENT"
    assert "ancien certificat" in caught.value.message
    monkeypatch.setattr("app.security.certificates.os.replace", real_replace)
    assert memory_keyring.entries[(SERVICE, UAI)] == old_secret
    assert store.info(UAI).empreinte_sha256 == old.empreinte_sha256  # type: ignore[union-attr]
    assert sorted(p.name for p in certificates_dir().iterdir()) == [f"{UAI}.p12"]


def test_interrupted_swap_is_completed_on_next_load(
    store: CertificateStore, memory_keyring: MemoryKeyring, pki: DemoPKI
) -> None:
    """A crash after the keyring update but before the rename leaves ``.p12.new``."""
    store.import_pkcs12(UAI, export(pki.issue_client(UAI), "aes"), PASSWORD)
    final = store.path_for(UAI)
    old_bytes = final.read_bytes()
    new = store.import_pkcs12(UAI, export(pki.issue_client(UAI), "aes"), PASSWORD)
    # Re-create the state of the crash: new content pending, old file in place.
    final.rename(final.with_name(f"{UAI}.p12.new"))
    final.write_bytes(old_bytes)
    info = store.info(UAI)
    assert info is not None and info.empreinte_sha256 == new.empreinte_sha256
    assert not final.with_name(f"{UAI}.p12.new").exists()


def test_leftover_pending_file_from_failed_import_is_discarded(
    store: CertificateStore, pki: DemoPKI
) -> None:
    old = store.import_pkcs12(UAI, export(pki.issue_client(UAI), "aes"), PASSWORD)
    pending = store.path_for(UAI).with_name(f"{UAI}.p12.new")
    pending.write_bytes(b"debris")
    assert store.info(UAI).empreinte_sha256 == old.empreinte_sha256  # type: ignore[union-attr]
    assert not pending.exists()


def test_delete(store: CertificateStore, memory_keyring: MemoryKeyring, client: Issued) -> None:
    assert store.delete(UAI) is False
    store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
    assert store.delete(UAI) is True
    assert memory_keyring.entries == {}
    assert all_files(certificates_dir()) == []
    assert store.info(UAI) is None
    assert store.delete(UAI) is False


def test_certificates_are_kept_per_uai(store: CertificateStore, pki: DemoPKI) -> None:
    a = store.import_pkcs12(UAI, export(pki.issue_client(UAI), "aes"), PASSWORD)
    b = store.import_pkcs12(OTHER_UAI, export(pki.issue_client(OTHER_UAI), "aes"), PASSWORD)
    assert store.info(UAI).empreinte_sha256 == a.empreinte_sha256  # type: ignore[union-attr]
    assert store.info(OTHER_UAI).empreinte_sha256 == b.empreinte_sha256  # type: ignore[union-attr]
    store.delete(UAI)
    assert store.info(OTHER_UAI) is not None


def test_lost_keyring_secret_is_reported(
    store: CertificateStore, memory_keyring: MemoryKeyring, client: Issued
) -> None:
    store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
    memory_keyring.entries.clear()
    with pytest.raises(CertificateError) as caught:
        store.info(UAI)
    assert caught.value.code == "CERTIFICAT_ENREGISTRE_ILLISIBLE"
    assert not store.has_valid(UAI)
    with pytest.raises(CertificateError):
        store.ssl_context(UAI)


def test_corrupted_stored_file_is_reported(store: CertificateStore, client: Issued) -> None:
    store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
    store.path_for(UAI).write_bytes(b"0" * 100)
    with pytest.raises(CertificateError) as caught:
        store.info(UAI)
    assert caught.value.code == "CERTIFICAT_ENREGISTRE_ILLISIBLE"


def test_ssl_context_without_certificate(store: CertificateStore) -> None:
    with pytest.raises(CertificateError) as caught:
        store.ssl_context(UAI)
    assert caught.value.code == "CERTIFICAT_ABSENT"
    assert UAI in caught.value.message


def test_custom_directory(memory_keyring: MemoryKeyring, tmp_path: Path, client: Issued) -> None:
    store = CertificateStore(tmp_path / "ailleurs")
    store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
    assert (tmp_path / "ailleurs" / f"{UAI}.p12").is_file()
