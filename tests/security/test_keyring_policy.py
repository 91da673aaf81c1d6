"""Keyring policy: unsafe backends are refused; the real Secret Service works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.compat import properties

from app.demo.pki import Issued
from app.paths import certificates_dir
from app.security.certificates import CertificateStore
from app.security.errors import KeyringUnavailable
from app.security.keyring_policy import (
    SERVICE,
    install_native_keyring,
    native_backend,
    refusal_reason,
    secure_backend,
)
from app.security.memory_keyring import MemoryKeyring

from .conftest import PASSWORD, UAI, export


class PlaintextKeyring(KeyringBackend):
    """Stand-in for keyrings.alt.file.PlaintextKeyring: the project must not
    depend on keyrings.alt, so the class is imitated by module and name."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("never discovered")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("a refused backend must never be written to")

    def delete_password(self, service: str, username: str) -> None:
        pass


PlaintextKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        # keyring's backend constructors are untyped.
        (fail.Keyring(), "trousseau"),  # type: ignore[no-untyped-call]
        (null.Keyring(), "désactivé"),  # type: ignore[no-untyped-call]
        (PlaintextKeyring(), "simple fichier"),
    ],
    ids=["fail", "null", "plaintext"],
)
def test_unsafe_backends_are_refused(
    backend: KeyringBackend,
    words: str,
    restore_keyring: None,
    client: Issued,
    data_dir: Path,
) -> None:
    reason = refusal_reason(backend)
    assert reason is not None and words in reason
    keyring.set_keyring(backend)
    with pytest.raises(KeyringUnavailable) as caught:
        secure_backend()
    assert caught.value.code == "KEYRING_INDISPONIBLE"
    assert "Aucun certificat n'a été enregistré" in caught.value.message
    store = CertificateStore()
    with pytest.raises(KeyringUnavailable):
        store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
    assert list(certificates_dir().iterdir()) == []  # nothing written before the refusal
    with pytest.raises(KeyringUnavailable):
        store.info(UAI)


def test_memory_backend_accepted_but_never_discovered(restore_keyring: None) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    assert secure_backend() is backend
    assert MemoryKeyring.viable is False  # so keyring never picks it by itself


def test_native_backend_matches_the_session() -> None:
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    if SecretServiceKeyring.viable:
        backend = native_backend()
        assert isinstance(backend, SecretServiceKeyring)
        assert refusal_reason(backend) is None
    else:
        with pytest.raises(KeyringUnavailable) as caught:
            native_backend()
        assert "Secret Service" in caught.value.message


def _secret_service_or_skip() -> KeyringBackend:
    try:
        return native_backend()
    except KeyringUnavailable:
        pytest.skip(
            "trousseau réel absent : pas de Secret Service joignable par D-Bus "
            "(lancer sous dbus-run-session avec gnome-keyring déverrouillé)"
        )


@pytest.mark.real_keyring
class TestRealSecretService:
    """The storage round trip against the real gnome-keyring (CI: dbus-run-session)."""

    @pytest.fixture(autouse=True)
    def real_keyring(self, restore_keyring: None) -> Iterator[KeyringBackend]:
        _secret_service_or_skip()
        backend = install_native_keyring()
        assert refusal_reason(keyring.get_keyring()) is None
        yield backend
        # Never leave test entries in a real keyring.
        CertificateStore().delete(UAI)

    def test_import_use_delete(
        self, real_keyring: KeyringBackend, client: Issued, data_dir: Path
    ) -> None:
        store = CertificateStore()
        info = store.import_pkcs12(UAI, export(client, "3des"), PASSWORD)
        secret = real_keyring.get_password(SERVICE, UAI)
        assert secret is not None and len(secret) == 43 and secret != PASSWORD
        stored = store.info(UAI)
        assert stored is not None and stored.empreinte_sha256 == info.empreinte_sha256
        assert store.has_valid(UAI)
        store.ssl_context(UAI)
        for path in data_dir.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                assert PASSWORD.encode() not in content
                assert client.key_pem() not in content and client.key_der() not in content
        assert store.delete(UAI) is True
        assert real_keyring.get_password(SERVICE, UAI) is None
        assert store.info(UAI) is None

    def test_replacement_in_real_keyring(
        self, real_keyring: KeyringBackend, client: Issued
    ) -> None:
        store = CertificateStore()
        store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
        first = real_keyring.get_password(SERVICE, UAI)
        store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
        second = real_keyring.get_password(SERVICE, UAI)
        assert first != second
        assert store.has_valid(UAI)
