"""Mutual TLS from the stored certificate against a real local HTTPS server."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.demo.pki import DemoPKI, Issued
from app.security import tls
from app.security.certificates import CertificateStore

from .conftest import ENCRYPTIONS, PASSWORD, UAI, export
from .tls_server import https_server

TLS_VERSIONS = [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3]
# How a refused client certificate surfaces depends on the TLS version
# (engineering-notes §2): ConnectError (1.2), ReadError / RemoteProtocolError (1.3).
REFUSED = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)


def get(ctx: ssl.SSLContext, port: int, host: str = "localhost") -> httpx.Response:
    with httpx.Client(verify=ctx, timeout=10, trust_env=False) as client:
        return client.get(f"https://{host}:{port}/")


@pytest.fixture
def ca_file(pki: DemoPKI, tmp_path: Path) -> str:
    return str(pki.write_ca_pem(tmp_path / "ca.pem"))


@pytest.mark.parametrize("version", TLS_VERSIONS, ids=["tls1.2", "tls1.3"])
@pytest.mark.parametrize("encryption", ENCRYPTIONS)
def test_stored_certificate_completes_mutual_tls(
    store: CertificateStore,
    client: Issued,
    pki: DemoPKI,
    ca_file: str,
    tmp_path: Path,
    version: ssl.TLSVersion,
    encryption: str,
) -> None:
    store.import_pkcs12(UAI, export(client, encryption), PASSWORD)
    ctx = store.ssl_context(UAI, cafile=ca_file)
    assert ctx.post_handshake_auth is True
    assert ctx.check_hostname is True and ctx.verify_mode == ssl.CERT_REQUIRED
    with https_server(pki, pki, tmp_path / "srv", tls_version=version) as port:
        response = get(ctx, port)
        assert response.status_code == 200
        # The server saw our client certificate.
        assert response.text == f"{UAI} - Établissement de démonstration"
        assert get(ctx, port, "127.0.0.1").status_code == 200  # context is reusable


@pytest.mark.parametrize("version", TLS_VERSIONS, ids=["tls1.2", "tls1.3"])
def test_chain_through_intermediate_is_sent(
    store: CertificateStore,
    pki_intermediate: DemoPKI,
    tmp_path: Path,
    version: ssl.TLSVersion,
) -> None:
    # The server trusts only the root: the client must send the intermediate.
    issued = pki_intermediate.issue_client(UAI)
    store.import_pkcs12(UAI, export(issued, "aes"), PASSWORD)
    ca = str(pki_intermediate.write_ca_pem(tmp_path / "ca.pem"))
    ctx = store.ssl_context(UAI, cafile=ca)
    server = https_server(pki_intermediate, pki_intermediate, tmp_path / "srv", tls_version=version)
    with server as port:
        assert get(ctx, port).status_code == 200


@pytest.mark.parametrize("version", TLS_VERSIONS, ids=["tls1.2", "tls1.3"])
def test_no_client_certificate_is_refused(
    pki: DemoPKI, ca_file: str, tmp_path: Path, version: ssl.TLSVersion
) -> None:
    bare = ssl.create_default_context(cafile=ca_file)
    with https_server(pki, pki, tmp_path / "srv", tls_version=version) as port, pytest.raises(
        REFUSED
    ):
        get(bare, port)


@pytest.mark.parametrize("version", TLS_VERSIONS, ids=["tls1.2", "tls1.3"])
def test_client_certificate_from_another_ca_is_refused(
    store: CertificateStore, client: Issued, pki: DemoPKI, ca_file: str, tmp_path: Path,
    version: ssl.TLSVersion,
) -> None:
    store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
    ctx = store.ssl_context(UAI, cafile=ca_file)
    other = DemoPKI()
    # Server certificate from our CA (so the client trusts it), but it only
    # accepts client certificates issued by `other`.
    with https_server(pki, other, tmp_path / "srv", tls_version=version) as port, pytest.raises(
        REFUSED
    ):
        get(ctx, port)


def test_server_from_an_untrusted_ca_is_refused(
    store: CertificateStore, client: Issued, pki: DemoPKI, ca_file: str, tmp_path: Path
) -> None:
    store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
    ctx = store.ssl_context(UAI, cafile=ca_file)
    impostor = DemoPKI()
    with https_server(impostor, pki, tmp_path / "srv") as port, pytest.raises(
        httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"
    ):
        get(ctx, port)


def test_host_name_is_checked(
    store: CertificateStore, client: Issued, pki: DemoPKI, ca_file: str, tmp_path: Path
) -> None:
    store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
    ctx = store.ssl_context(UAI, cafile=ca_file)
    server = https_server(pki, pki, tmp_path / "srv", hosts=("localhost",))
    with server as port:
        assert get(ctx, port, "localhost").status_code == 200
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            get(ctx, port, "127.0.0.1")  # not in this server certificate's SAN


def test_expired_stored_certificate_gives_no_context(
    store: CertificateStore, client: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    store.import_pkcs12(UAI, export(client, "aes"), PASSWORD)
    later = client.cert.not_valid_after_utc + dt.timedelta(days=1)
    # The clock is the only part a test cannot move for real.
    monkeypatch.setattr("app.security.certificates._now", lambda: later)
    with pytest.raises(Exception) as caught:
        store.ssl_context(UAI)
    assert getattr(caught.value, "code", None) == "CERTIFICAT_EXPIRE"
    info = store.info(UAI)
    assert info is not None and info.expire and info.jours_restants < 0
    assert not store.has_valid(UAI)


def test_temp_file_path_holds_only_an_encrypted_key(
    client: Issued, pki: DemoPKI, ca_file: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The non-Linux path: the PEM handed to OpenSSL has the key encrypted and is removed."""
    seen: list[tuple[str, bytes]] = []
    original = tls._tempfile_path

    @contextlib.contextmanager
    def spy(data: bytes) -> Iterator[str]:
        with original(data) as path:
            seen.append((path, Path(path).read_bytes()))
            yield path

    monkeypatch.setattr(tls, "_can_use_memfd", lambda: False)
    monkeypatch.setattr(tls, "_tempfile_path", spy)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    ctx = tls.client_ssl_context(client.key, client.cert, client.chain, ca_file)
    [(path, content)] = seen
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in content
    assert client.key_pem() not in content
    assert b"-----BEGIN PRIVATE KEY-----" not in content
    assert not Path(path).exists()
    assert list((tmp_path / "tmp").iterdir()) == []
    with https_server(pki, pki, tmp_path / "srv") as port:
        assert get(ctx, port).status_code == 200
