"""Fixtures for the security layer: demo PKI, in-memory keyring, PKCS#12 builders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from app.demo.pki import DemoPKI, Issued, rc2_available, shared_pki
from app.security.certificates import CertificateStore
from app.security.memory_keyring import MemoryKeyring

UAI = "0750654D"
OTHER_UAI = "0752524L"
PASSWORD = "Mot-de-passe été 2025!"
ENCRYPTIONS = ("aes", "3des", "rc2")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pki"
RC2_FIXTURE = FIXTURES / "rc2_client_0750654D.p12"
RC2_FIXTURE_PASSWORD = b"bac-a-sable-rc2"


@pytest.fixture(scope="session")
def pki() -> DemoPKI:
    return shared_pki()


@pytest.fixture(scope="session")
def pki_intermediate() -> DemoPKI:
    return shared_pki(intermediate=True)


@pytest.fixture(scope="session")
def client(pki: DemoPKI) -> Issued:
    return pki.issue_client(UAI)


def export(
    issued: Issued,
    encryption: str,
    password: str = PASSWORD,
    *,
    include_key: bool = True,
    include_cert: bool = True,
    include_chain: bool = True,
) -> bytes:
    """PKCS#12 bytes; RC2 needs the openssl command (see tests/fixtures/pki/README.md)."""
    if encryption == "rc2" and not rc2_available():
        pytest.skip("openssl (fournisseur legacy) absent : RC2 couvert par la fixture figée")
    return issued.pkcs12(
        password.encode("utf-8"),
        encryption,
        include_key=include_key,
        include_cert=include_cert,
        include_chain=include_chain,
    )


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install an in-memory keyring for the test, restore the previous one after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def store(memory_keyring: MemoryKeyring, data_dir: Path) -> CertificateStore:
    return CertificateStore()

