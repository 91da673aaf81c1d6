"""Mutual TLS against the real sandbox: every way the handshake or the UAI is refused."""

from __future__ import annotations

import datetime as dt
import json
import ssl
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from app.demo.pki import DemoPKI
from app.netsynchro.client import NetSynchroClient
from app.netsynchro.errors import (
    ClientCertificateExpired,
    ClientCertificateRefused,
    ServerCertificateUntrusted,
    UAIRefused,
)
from app.netsynchro.sandbox import Sandbox
from app.security.tls import client_ssl_context

from .conftest import OTHER_UAI, UAI, YEAR, ClientFactory, leftovers

TLS_VERSIONS = [
    pytest.param(ssl.TLSVersion.TLSv1_2, id="tls1.2"),  # refusal seen in the handshake
    pytest.param(ssl.TLSVersion.TLSv1_3, id="tls1.3"),  # refusal seen on the first read
]


@pytest.mark.parametrize("version", TLS_VERSIONS)
def test_no_client_certificate_is_refused(
    make_client: ClientFactory, sandbox: Sandbox, tmp_path: Path, version: ssl.TLSVersion
) -> None:
    client = make_client(issued=None, max_tls=version)
    with pytest.raises(ClientCertificateRefused) as caught:
        client.export("sco-structures", UAI, YEAR, destination_dir=tmp_path)
    assert type(caught.value) is ClientCertificateRefused
    assert "Gestion Identité Numérique" in caught.value.message
    assert sandbox.requests == []  # refused before any HTTP request was read
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("version", TLS_VERSIONS)
def test_expired_client_certificate_is_refused(
    make_client: ClientFactory, sandbox: Sandbox, tmp_path: Path, version: ssl.TLSVersion
) -> None:
    now = dt.datetime.now(dt.UTC)
    expired = sandbox.pki.issue_client(UAI, not_before=now - dt.timedelta(days=400),
                                       not_after=now - dt.timedelta(days=1))  # fmt: skip
    client = make_client(issued=expired, max_tls=version)
    with pytest.raises(ClientCertificateExpired) as caught:
        client.export("sco-structures", UAI, YEAR, destination_dir=tmp_path)
    assert "a expiré" in caught.value.message


def test_certificate_from_another_authority_is_refused(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    stranger = DemoPKI().issue_client(UAI)
    with pytest.raises(ClientCertificateRefused):
        make_client(issued=stranger).export("sco-structures", UAI, YEAR, destination_dir=tmp_path)


def test_certificate_of_another_establishment_is_refused(
    make_client: ClientFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    client = make_client(OTHER_UAI)  # the lycée's certificate, asking for the collège
    with pytest.raises(UAIRefused) as caught:
        client.export("sco-structures", UAI, YEAR, destination_dir=tmp_path)
    assert caught.value.status == 403
    assert UAI in caught.value.message
    assert [(r.status, r.uai) for r in sandbox.requests] == [(403, OTHER_UAI)]


def test_client_bound_to_a_uai_refuses_another_locally(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    issued = sandbox.client_certificates[UAI]
    ctx = client_ssl_context(issued.key, issued.cert, issued.chain, str(sandbox.ca_file))
    with NetSynchroClient(sandbox.url, ctx, uai=UAI, trust_env=False) as client, pytest.raises(
        UAIRefused
    ):
        client.export("sco-structures", OTHER_UAI, YEAR, destination_dir=tmp_path)
    assert sandbox.requests == []


def test_untrusted_server_is_refused(
    make_client: ClientFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    other_ca = DemoPKI().write_ca_pem(tmp_path / "autre-ca.pem")
    client = make_client(cafile=other_ca)
    with pytest.raises(ServerCertificateUntrusted) as caught:
        client.export("sco-structures", UAI, YEAR, destination_dir=tmp_path / "out")
    assert "pas le vrai serveur" in caught.value.message
    assert sandbox.requests == []


def test_etat_json_certificates_work_end_to_end(sandbox: Sandbox, tmp_path: Path) -> None:
    """What a user of ``passerelle bac-a-sable`` gets: a .p12, its password, the CA."""
    state = json.loads((sandbox.directory / "etat.json").read_text(encoding="utf-8"))
    assert state["url"] == sandbox.url and state["annee"] == YEAR
    entry = state["certificats"][UAI]
    key, cert, chain = pkcs12.load_key_and_certificates(
        Path(entry["fichier"]).read_bytes(), entry["mot_de_passe"].encode()
    )
    assert key is not None and cert is not None
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(Path(entry["fichier"]).read_bytes(), b"mauvais")
    ctx = client_ssl_context(key, cert, chain, state["ca"])
    with NetSynchroClient(state["url"], ctx, trust_env=False) as client:
        diagnosis = client.test_connection(UAI, YEAR)
    assert diagnosis.ok, diagnosis.text_fr()
    assert "✔ Établissement 0750654D accepté" in diagnosis.text_fr()


# --- test_connection -----------------------------------------------------------------------


def test_diagnosis_of_each_failure(
    make_client: ClientFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    ok = make_client().test_connection(UAI, YEAR)
    assert (ok.server_reached, ok.handshake_ok, ok.uai_accepted, ok.year_accepted) == (
        True, True, True, True,
    )  # fmt: skip
    assert "Collège de test" in ok.text_fr()

    wrong_uai = make_client(OTHER_UAI).test_connection(UAI, YEAR)
    assert (wrong_uai.handshake_ok, wrong_uai.uai_accepted) == (True, False)
    assert isinstance(wrong_uai.error, UAIRefused)

    wrong_year = make_client().test_connection(UAI, YEAR - 1)
    assert (wrong_year.uai_accepted, wrong_year.year_accepted) == (True, False)
    assert "✘ Année scolaire" in wrong_year.text_fr()

    no_cert = make_client(issued=None).test_connection(UAI, YEAR)
    assert (no_cert.server_reached, no_cert.handshake_ok) == (True, False)
    assert isinstance(no_cert.error, ClientCertificateRefused)

    untrusted = make_client(cafile=DemoPKI().write_ca_pem(tmp_path / "ca.pem"))
    diagnosis = untrusted.test_connection(UAI, YEAR)
    assert diagnosis.handshake_ok is False
    assert isinstance(diagnosis.error, ServerCertificateUntrusted)
    assert diagnosis.error.message in diagnosis.text_fr()

    down = make_client(url="https://127.0.0.1:9/netsynchro").test_connection(UAI, YEAR)
    assert down.server_reached is False
    assert "✘ Serveur NetSynchro injoignable" in down.text_fr()
