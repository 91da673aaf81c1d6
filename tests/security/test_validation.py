"""Certificate validation: each refusal in order, in every PKCS#12 encryption."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.demo.pki import DemoPKI, Issued
from app.errors import InvalidUAI
from app.security.certificates import (
    MAX_FILE_SIZE,
    CertificateStore,
    read_certificate_file,
    uais_in_certificate,
    validate_pkcs12,
)
from app.security.errors import CertificateError, CertificateNeedsConfirmation

from .conftest import (
    ENCRYPTIONS,
    OTHER_UAI,
    PASSWORD,
    RC2_FIXTURE,
    RC2_FIXTURE_PASSWORD,
    UAI,
    export,
)

NOW = dt.datetime.now(dt.UTC)


def refused(data: bytes, password: str | bytes = PASSWORD, uai: str = UAI) -> CertificateError:
    with pytest.raises(CertificateError) as caught:
        CertificateStore().inspect(data, password, uai)
    return caught.value


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_valid_certificate_accepted(client: Issued, encryption: str) -> None:
    info = CertificateStore().inspect(export(client, encryption), PASSWORD, UAI)
    assert info.uai == UAI
    assert info.uai_certificat == UAI
    assert info.titulaire == f"{UAI} - Établissement de démonstration"
    assert info.emetteur == "Gestion Identité Numérique (bac à sable)"
    assert info.numero_serie == f"{client.cert.serial_number:X}".zfill(
        len(info.numero_serie)
    )
    assert info.valide_au == client.cert.not_valid_after_utc
    assert info.valide_du.tzinfo is not None
    assert len(info.empreinte_sha256.split(":")) == 32
    assert not info.expire and not info.pas_encore_valide and not info.expire_bientot
    assert 360 <= info.jours_restants <= 365
    assert info.avertissements == ()  # chain with AKI and SAN verifies cleanly


def test_password_as_bytes_and_lowercase_uai(client: Issued) -> None:
    info = CertificateStore().inspect(export(client, "aes"), PASSWORD.encode(), UAI.lower())
    assert info.uai == UAI


def test_committed_rc2_fixture_accepted() -> None:
    info = CertificateStore().inspect(RC2_FIXTURE.read_bytes(), RC2_FIXTURE_PASSWORD, UAI)
    assert info.uai_certificat == UAI


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_wrong_password_names_both_causes(client: Issued, encryption: str) -> None:
    error = refused(export(client, encryption), "pas le bon")
    assert error.code == "CERTIFICAT_MOT_DE_PASSE"
    assert "mot de passe est incorrect" in error.message
    assert "chiffrement" in error.message


@pytest.mark.parametrize(
    "data",
    [b"", b"   ", b"PK\x03\x04 not a certificate", b"0\x82\x01\x00\x02\x01\x03" + b"\x00" * 40],
    ids=["empty", "blank", "zip", "truncated-der"],
)
def test_garbage_is_unreadable(data: bytes) -> None:
    assert refused(data).code == "CERTIFICAT_ILLISIBLE"


def test_pem_file_gets_its_own_explanation(client: Issued) -> None:
    error = refused(client.cert_pem())
    assert error.code == "CERTIFICAT_ILLISIBLE"
    assert "PEM" in error.message


def test_oversize_refused_before_parsing(client: Issued, tmp_path: Path) -> None:
    big = export(client, "aes") + b"\x00" * MAX_FILE_SIZE
    assert refused(big).code == "CERTIFICAT_TROP_GROS"
    path = tmp_path / "enorme.p12"
    path.write_bytes(big)
    with pytest.raises(CertificateError) as caught:
        read_certificate_file(path)
    assert caught.value.code == "CERTIFICAT_TROP_GROS"
    assert "Mo" in caught.value.message
    # Size wins over everything else, even a wrong password.
    assert refused(big, "faux").code == "CERTIFICAT_TROP_GROS"


def test_read_certificate_file(client: Issued, tmp_path: Path) -> None:
    path = tmp_path / "cert.pfx"
    path.write_bytes(export(client, "aes"))
    assert read_certificate_file(path) == path.read_bytes()
    with pytest.raises(CertificateError) as caught:
        read_certificate_file(tmp_path / "absent.p12")
    assert caught.value.code == "CERTIFICAT_ILLISIBLE"


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_certificate_only_file_has_no_key(client: Issued, encryption: str) -> None:
    error = refused(export(client, encryption, include_key=False))
    assert error.code == "CERTIFICAT_SANS_CLE"
    assert "clé privée" in error.message


def test_key_only_file_has_no_certificate(client: Issued) -> None:
    data = export(client, "aes", include_cert=False, include_chain=False)
    assert refused(data).code == "CERTIFICAT_SANS_CERTIFICAT"


@pytest.mark.parametrize("encryption", ["aes", "3des"])
def test_mismatched_key_in_file(pki: DemoPKI, encryption: str) -> None:
    wrong = pki.issue_client(UAI, wrong_key=True)
    assert refused(export(wrong, encryption)).code == "CERTIFICAT_CLE_DIFFERENTE"


def test_mismatched_key_paired_with_certificate(pki: DemoPKI) -> None:
    # A file where the parser does pair the foreign certificate with the key
    # cannot be written by cryptography or openssl, so check the step directly.
    from app.security.certificates import key_matches_certificate

    wrong = pki.issue_client(UAI, wrong_key=True)
    right = pki.issue_client(UAI)
    assert not key_matches_certificate(wrong.key, wrong.cert)
    assert key_matches_certificate(right.key, right.cert)


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_expired(pki: DemoPKI, encryption: str) -> None:
    issued = pki.issue_client(
        UAI, not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=3)
    )
    error = refused(export(issued, encryption))
    assert error.code == "CERTIFICAT_EXPIRE"
    assert "expiré le" in error.message


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_not_yet_valid(pki: DemoPKI, encryption: str) -> None:
    issued = pki.issue_client(
        UAI, not_before=NOW + dt.timedelta(days=5), not_after=NOW + dt.timedelta(days=400)
    )
    error = refused(export(issued, encryption))
    assert error.code == "CERTIFICAT_PAS_ENCORE_VALIDE"
    assert "heure de l'ordinateur" in error.message


def test_expired_checked_before_usage_and_uai(pki: DemoPKI) -> None:
    issued = pki.issue_client(
        OTHER_UAI,
        client_auth=False,
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW - dt.timedelta(days=3),
    )
    assert refused(export(issued, "aes")).code == "CERTIFICAT_EXPIRE"


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_eku_without_client_auth(pki: DemoPKI, encryption: str) -> None:
    issued = pki.issue_client(UAI, client_auth=False)
    error = refused(export(issued, encryption))
    assert error.code == "CERTIFICAT_USAGE"


def test_no_eku_at_all_is_accepted(pki: DemoPKI) -> None:
    info = CertificateStore().inspect(
        export(pki.issue_client(UAI, with_eku=False), "aes"), PASSWORD, UAI
    )
    assert info.uai_certificat == UAI


@pytest.mark.parametrize("field", ["CN", "OU", "serialNumber", "organizationIdentifier", "email"])
def test_uai_found_in_each_field(pki: DemoPKI, field: str) -> None:
    issued = pki.issue_client(UAI, uai_field=field)
    assert uais_in_certificate(issued.cert) == [UAI]
    info = CertificateStore().inspect(export(issued, "aes"), PASSWORD, UAI)
    assert info.uai_certificat == UAI


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_certificate_of_another_establishment(pki: DemoPKI, encryption: str) -> None:
    issued = pki.issue_client(OTHER_UAI, uai_field="OU")
    error = refused(export(issued, encryption))
    assert error.code == "CERTIFICAT_AUTRE_UAI"
    assert OTHER_UAI in error.message and UAI in error.message


def test_invalid_check_letter_in_certificate_is_not_a_uai(pki: DemoPKI) -> None:
    # 0750654E fails the modulo-23 check: not a UAI, so the user must confirm.
    issued = pki.issue_client("0750654E", uai_field="CN")
    assert uais_in_certificate(issued.cert) == []
    with pytest.raises(CertificateNeedsConfirmation):
        CertificateStore().inspect(export(issued, "aes"), PASSWORD, UAI)


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_no_uai_needs_confirmation(pki: DemoPKI, encryption: str) -> None:
    data = export(pki.issue_client(None), encryption)
    with pytest.raises(CertificateNeedsConfirmation) as caught:
        CertificateStore().inspect(data, PASSWORD, UAI)
    error = caught.value
    assert error.code == "CERTIFICAT_SANS_UAI"
    assert error.info.uai == UAI and error.info.uai_certificat is None
    assert "Confirmez" in error.message
    info = CertificateStore().inspect(data, PASSWORD, UAI, confirm_without_uai=True)
    assert info.uai_certificat is None
    assert any("sur confirmation" in w for w in info.avertissements)


def test_several_uais_including_ours_warns(pki: DemoPKI) -> None:
    issued = pki.issue_client(UAI, uai_field="CN", name=f"ex-{OTHER_UAI}")
    info = CertificateStore().inspect(export(issued, "aes"), PASSWORD, UAI)
    assert info.uai_certificat == UAI
    assert any(OTHER_UAI in w for w in info.avertissements)


@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_chain_through_intermediate(pki_intermediate: DemoPKI, encryption: str) -> None:
    issued = pki_intermediate.issue_client(UAI)
    info = CertificateStore().inspect(export(issued, encryption), PASSWORD, UAI)
    assert info.avertissements == ()


def test_strict_chain_failures_are_only_warnings(pki: DemoPKI) -> None:
    no_aki = pki.issue_client(UAI, authority_key_id=False)
    info = CertificateStore().inspect(export(no_aki, "aes"), PASSWORD, UAI)
    assert any("AuthorityKeyIdentifier" in w for w in info.avertissements)
    no_root = pki.issue_client(UAI)
    info = CertificateStore().inspect(
        export(no_root, "aes", include_chain=False), PASSWORD, UAI
    )
    assert any("autorité de certification racine" in w for w in info.avertissements)


def test_foreign_root_is_a_warning_with_trust_roots(pki: DemoPKI) -> None:
    stranger = DemoPKI()
    issued = stranger.issue_client(UAI)
    store = CertificateStore(trust_roots=[pki.root_cert])
    info = store.inspect(export(issued, "aes", include_chain=False), PASSWORD, UAI)
    assert any("n'a pas pu être vérifiée" in w for w in info.avertissements)


def test_expiring_soon(pki: DemoPKI) -> None:
    issued = pki.issue_client(UAI, not_after=NOW + dt.timedelta(days=10, hours=1))
    info = CertificateStore().inspect(export(issued, "aes"), PASSWORD, UAI)
    assert info.expire_bientot and info.jours_restants == 10
    assert info.avertissements[0].startswith("Le certificat expire dans 10 jour(s)")


def test_expected_uai_must_be_valid(client: Issued) -> None:
    with pytest.raises(InvalidUAI):
        validate_pkcs12(export(client, "aes"), PASSWORD, "0750654E")


def test_empty_password_file(client: Issued) -> None:
    info = CertificateStore().inspect(client.pkcs12(b"", "aes"), "", UAI)
    assert info.uai == UAI
