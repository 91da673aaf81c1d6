"""Client ``ssl.SSLContext`` from an in-memory key and certificate chain.

``SSLContext.load_cert_chain`` only reads files (cpython gh-60691 is not
merged), so the key has to be handed over through a file. It is always written
*encrypted* with a one-time passphrase (engineering-notes §2): on Linux into an
anonymous ``memfd`` that never reaches a filesystem, elsewhere into a private
temporary directory removed right after loading. The key then lives only in the
context.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import ssl
import sys
import tempfile
from collections.abc import Iterator, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

_PEM = serialization.Encoding.PEM


def _is_self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer


def _pem_bundle(
    key: PrivateKeyTypes,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    passphrase: bytes,
) -> bytes:
    # Leaf first, then the intermediates: OpenSSL sends them in this order.
    # Self-signed roots are left out; the server must already trust its root.
    certificates = [cert, *(c for c in chain if not _is_self_signed(c) and c != cert)]
    return b"".join(c.public_bytes(_PEM) for c in certificates) + key.private_bytes(
        _PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


@contextlib.contextmanager
def _memfd_path(data: bytes) -> Iterator[str]:
    fd = os.memfd_create("passerelle-pem", os.MFD_CLOEXEC)
    try:
        os.write(fd, data)
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


@contextlib.contextmanager
def _tempfile_path(data: bytes) -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="passerelle-tls-")
    path = os.path.join(directory, "client.pem")
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o600)
        # Closed before OpenSSL opens it: Windows refuses a second open otherwise.
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(directory)


def _can_use_memfd() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "memfd_create") and (
        os.path.isdir("/proc/self/fd")
    )


def client_ssl_context(
    key: PrivateKeyTypes,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    cafile: str | None = None,
) -> ssl.SSLContext:
    """A verifying TLS client context presenting ``cert`` (+ ``chain``) and ``key``.

    ``cafile`` is the trust bundle for the *server*; None uses the OS store.
    Server verification and host-name checking stay on whatever the caller does.
    """
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    # Servers asking for the certificate after a TLS 1.3 handshake (Apache with
    # per-location SSLVerifyClient) fail with EXTENSION_NOT_RECEIVED without it.
    ctx.post_handshake_auth = True
    passphrase = secrets.token_urlsafe(32).encode("ascii")
    bundle = _pem_bundle(key, cert, chain, passphrase)
    opener = _memfd_path if _can_use_memfd() else _tempfile_path
    try:
        with opener(bundle) as path:
            ctx.load_cert_chain(path, password=passphrase)
    except OSError as exc:
        # ssl.SSLError is an OSError too: a bad key or chain is not a memfd problem.
        if opener is _tempfile_path or isinstance(exc, ssl.SSLError):
            raise
        # memfd refused (sandboxed /proc…): fall back to the encrypted temp file.
        with _tempfile_path(bundle) as path:
            ctx.load_cert_chain(path, password=passphrase)
    return ctx
