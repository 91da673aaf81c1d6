"""The demo PKI writes what it claims: algorithms, fields, chains, PEM files."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.demo.pki import ROOT_CN, DemoPKI, Issued

from .conftest import ENCRYPTIONS, PASSWORD, RC2_FIXTURE, RC2_FIXTURE_PASSWORD, UAI, export

# DER-encoded algorithm OIDs, to check which encryption a PKCS#12 really uses.
OID_PBES2 = bytes.fromhex("06092a864886f70d01050d")  # 1.2.840.113549.1.5.13
OID_AES256_CBC = bytes.fromhex("060960864801650304012a")  # 2.16.840.1.101.3.4.1.42
OID_3DES = bytes.fromhex("060a2a864886f70d010c0103")  # pbeWithSHAAnd3-KeyTripleDES-CBC
OID_RC2_40 = bytes.fromhex("060a2a864886f70d010c0106")  # pbeWithSHAAnd40BitRC2-CBC

EXPECTED_OIDS = {"aes": (OID_PBES2, OID_AES256_CBC), "3des": (OID_3DES,), "rc2": (OID_RC2_40,)}


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_pkcs12_uses_the_requested_encryption(client: Issued, encryption: str) -> None:
    data = export(client, encryption)
    for oid in EXPECTED_OIDS[encryption]:
        assert oid in data
    others = {o for e, oids in EXPECTED_OIDS.items() if e != encryption for o in oids}
    assert not any(o in data for o in others)
    key, cert, chain = pkcs12.load_key_and_certificates(data, PASSWORD.encode())
    assert cert == client.cert
    assert key is not None and key.private_numbers() == client.key.private_numbers()  # type: ignore[union-attr]
    assert chain == client.chain


@pytest.mark.parametrize(
    ("field", "oid"),
    [
        ("CN", NameOID.COMMON_NAME),
        ("OU", NameOID.ORGANIZATIONAL_UNIT_NAME),
        ("serialNumber", NameOID.SERIAL_NUMBER),
        ("organizationIdentifier", NameOID.ORGANIZATION_IDENTIFIER),
    ],
)
def test_uai_placed_in_the_requested_subject_field(
    pki: DemoPKI, field: str, oid: x509.ObjectIdentifier
) -> None:
    cert = pki.issue_client(UAI, uai_field=field).cert
    values = [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]
    assert any(UAI in v for v in values)
    others = [str(a.value) for a in cert.subject if a.oid != oid]
    assert not any(UAI in v for v in others)


def test_uai_in_san_email_and_nowhere(pki: DemoPKI) -> None:
    email = pki.issue_client(UAI, uai_field="email").cert
    san = email.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == [f"ce.{UAI.lower()}@ac-demo.fr"]
    nowhere = pki.issue_client(UAI, uai_field="none").cert
    assert UAI not in nowhere.subject.rfc4514_string()
    assert pki.issue_client(None).cert.subject.rfc4514_string().find(UAI) == -1


def test_options_dates_eku_aki_and_wrong_key(pki: DemoPKI) -> None:
    now = dt.datetime.now(dt.UTC)
    expired = pki.issue_client(
        UAI, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2)
    )
    assert expired.cert.not_valid_after_utc < now
    server_only = pki.issue_client(UAI, client_auth=False).cert
    eku = server_only.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH not in eku
    no_aki = pki.issue_client(UAI, authority_key_id=False).cert
    with pytest.raises(x509.ExtensionNotFound):
        no_aki.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    wrong = pki.issue_client(UAI, wrong_key=True)
    assert wrong.key.public_key() != wrong.cert.public_key()


def test_intermediate_chain(pki_intermediate: DemoPKI) -> None:
    issued = pki_intermediate.issue_client(UAI)
    intermediate, root = issued.chain
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ROOT_CN
    assert issued.cert.issuer == intermediate.subject
    assert intermediate.issuer == root.subject
    issued.cert.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)


def test_certificate_only_pkcs12_has_no_key(client: Issued) -> None:
    key, _cert, _ = pkcs12.load_key_and_certificates(
        client.pkcs12(b"x", include_key=False), b"x"
    )
    assert key is None


def test_server_pem_files_load_into_an_ssl_server_context(pki: DemoPKI, tmp_path: Path) -> None:
    server = pki.issue_server()
    cert_path, key_path = server.write_pem_files(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    san = server.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert pki.ca_pem().startswith(b"-----BEGIN CERTIFICATE-----")


def test_committed_rc2_fixture_is_rc2_and_loads() -> None:
    data = RC2_FIXTURE.read_bytes()
    assert OID_RC2_40 in data
    key, cert, _ = pkcs12.load_key_and_certificates(data, RC2_FIXTURE_PASSWORD)
    assert key is not None and cert is not None
    assert UAI in cert.subject.rfc4514_string()


def test_save_and_load_keep_the_same_ca(tmp_path: Path) -> None:
    original = DemoPKI.load_or_create(tmp_path / "pki", intermediate=True)
    again = DemoPKI.load_or_create(tmp_path / "pki")
    assert again.root_cert == original.root_cert
    assert again.intermediate_cert == original.intermediate_cert
    issued = again.issue_client(UAI)
    assert original.intermediate_cert is not None
    issued.cert.verify_directly_issued_by(original.intermediate_cert)
