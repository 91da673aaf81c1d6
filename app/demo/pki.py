"""A test and demo PKI standing in for the ministry's certificate authority.

Nothing here is used with real certificates: it builds a root CA named after
« Gestion Identité Numérique (bac à sable) », an optional intermediate CA,
server certificates for the local NetSynchro sandbox and per-UAI client
certificates with every defect the import code must refuse (expired, not yet
valid, no clientAuth, mismatched key, UAI in various subject fields or absent,
no AuthorityKeyIdentifier).

Exports: PKCS#12 in AES (what current tools write), 3DES and RC2-40 (what old
Windows/Java tools and many real authority files still use), a certificate-only
PKCS#12, and PEM files for the sandbox's ``ssl`` server.

``cryptography`` cannot *write* RC2-40, so that export calls the ``openssl``
command (``pkcs12 -export -legacy``). When the command is missing (Windows CI),
:func:`rc2_available` is False and tests fall back to the pre-generated file in
``tests/fixtures/pki/`` (see its README).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

ROOT_CN = "Gestion Identité Numérique (bac à sable)"
INTERMEDIATE_CN = "Gestion Identité Numérique - AC Établissements (bac à sable)"
ORGANISATION = "Ministère de l'Éducation nationale (démonstration)"
DEFAULT_CLIENT_NAME = "Établissement de démonstration"

UAI_FIELDS = ("CN", "OU", "serialNumber", "organizationIdentifier", "email", "none")
ENCRYPTIONS = ("aes", "3des", "rc2")

_PEM = serialization.Encoding.PEM


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# --- keys -------------------------------------------------------------------
# RSA generation costs tens of milliseconds; a test session issues dozens of
# certificates. A small per-process pool keeps the suite fast while every
# certificate of one PKI still gets a key distinct from its neighbours'.

_POOL_SIZE = 12
_pool_lock = threading.Lock()
_pools: dict[int, list[rsa.RSAPrivateKey]] = {}
_counters: dict[int, itertools.count[int]] = {}


def _pooled_key(key_size: int) -> rsa.RSAPrivateKey:
    with _pool_lock:
        pool = _pools.setdefault(key_size, [])
        index = next(_counters.setdefault(key_size, itertools.count()))
        if len(pool) < _POOL_SIZE:
            pool.append(rsa.generate_private_key(public_exponent=65537, key_size=key_size))
            return pool[-1]
        return pool[index % _POOL_SIZE]


def _fresh_key(key_size: int) -> rsa.RSAPrivateKey:
    # CA keys and "wrong" keys are never shared with the pool, so a mismatched
    # key can never accidentally match.
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


# --- issued material --------------------------------------------------------


@dataclass
class Issued:
    """A certificate, its private key and the CA certificates above it.

    ``chain`` lists the issuing intermediate (if any) then the root, as an
    authority's PKCS#12 usually does. With ``wrong_key=True`` at issue time,
    ``key`` does not match ``cert``.
    """

    key: PrivateKey
    cert: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)
    mismatched: bool = False

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(_PEM)

    def chain_pem(self) -> bytes:
        """Leaf then CA certificates, the order ``load_cert_chain`` expects."""
        return self.cert_pem() + b"".join(c.public_bytes(_PEM) for c in self.chain)

    def key_pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM: for the test server and for leak scanners only."""
        return self.key.private_bytes(
            _PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def key_der(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def pkcs12(
        self,
        password: bytes,
        encryption: str = "aes",
        *,
        include_key: bool = True,
        include_cert: bool = True,
        include_chain: bool = True,
        friendly_name: bytes | None = b"Certificat NetSynchro (bac a sable)",
    ) -> bytes:
        """PKCS#12 bytes. ``encryption``: 'aes', '3des' or 'rc2' (openssl CLI).

        ``include_key=False`` gives a "certificate only" file, the classic
        mistake of exporting from a browser without the private key.
        """
        if encryption not in ENCRYPTIONS:
            raise ValueError(f"unknown PKCS#12 encryption {encryption!r}")
        key = self.key if include_key else None
        cert = self.cert if include_cert else None
        cas = list(self.chain) if include_chain else None
        if self.mismatched and key is not None and cert is not None:
            # cryptography and openssl both refuse to pair a key with a foreign
            # certificate. The file they do write (key bag + the leaf as a plain
            # certificate bag) loads exactly like a real mismatched file: the key,
            # no certificate of its own, the leaf among the extra certificates.
            if encryption == "rc2":
                raise ValueError("a mismatched-key PKCS#12 can only be written in aes or 3des")
            cas = [cert, *(cas or [])]
            cert = None
        if encryption == "rc2":
            return _openssl_rc2_pkcs12(key, cert, cas or [], password, friendly_name)
        algorithm: serialization.KeySerializationEncryption
        if not password:
            # An empty password means an unencrypted PKCS#12 (no MAC), as some
            # export tools write when the user leaves the field blank.
            algorithm = serialization.NoEncryption()
        elif encryption == "aes":
            # PBES2 / PBKDF2-SHA256 / AES-256-CBC with a SHA-256 MAC.
            algorithm = serialization.BestAvailableEncryption(password)
        else:
            algorithm = (
                serialization.PrivateFormat.PKCS12.encryption_builder()
                .kdf_rounds(2048)
                .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                .hmac_hash(hashes.SHA1())
                .build(password)
            )
        return pkcs12.serialize_key_and_certificates(
            friendly_name if cert is not None or key is not None else None,
            key,
            cert,
            cas,
            algorithm,
        )

    def write_pem_files(self, directory: Path | str) -> tuple[Path, Path]:
        """Write ``cert.pem`` (leaf + chain) and ``key.pem`` for the test *server*.

        The server key is a throwaway demo key; the client key is never written
        like this by the application.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        cert_path = directory / "cert.pem"
        key_path = directory / "key.pem"
        cert_path.write_bytes(self.chain_pem())
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.key_pem())
        return cert_path, key_path


def rc2_available() -> bool:
    """True when the ``openssl`` command can write RC2-40 (legacy provider)."""
    return _openssl_supports_legacy()


@lru_cache(maxsize=1)
def _openssl_supports_legacy() -> bool:
    exe = shutil.which("openssl")
    if exe is None:
        return False
    try:
        result = subprocess.run(
            [exe, "list", "-providers", "-provider", "legacy"],
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and b"legacy" in result.stdout.lower()


def _openssl_rc2_pkcs12(
    key: PrivateKey | None,
    cert: x509.Certificate | None,
    cas: Sequence[x509.Certificate],
    password: bytes,
    friendly_name: bytes | None,
) -> bytes:
    exe = shutil.which("openssl")
    if exe is None or not _openssl_supports_legacy():
        raise RuntimeError(
            "openssl with the legacy provider is needed to write RC2-40 PKCS#12; "
            "use tests/fixtures/pki/ instead (see rc2_available())"
        )
    if cert is None:
        raise ValueError("an RC2 export needs the certificate")
    # The key goes to the temp file encrypted with a one-time passphrase, and
    # passwords travel through the environment, not the command line (ps).
    otp = secrets.token_urlsafe(24)
    env = dict(os.environ, PASSERELLE_P12_OUT=password.decode("utf-8"), PASSERELLE_P12_IN=otp)
    with tempfile.TemporaryDirectory(prefix="demo-pki-") as tmp:
        cert_path = Path(tmp, "cert.pem")
        cert_path.write_bytes(cert.public_bytes(_PEM))
        args = [
            exe, "pkcs12", "-export", "-legacy",
            "-certpbe", "PBE-SHA1-RC2-40", "-keypbe", "PBE-SHA1-RC2-40",
            "-in", str(cert_path), "-passout", "env:PASSERELLE_P12_OUT",
        ]  # fmt: skip
        if key is None:
            args.append("-nokeys")
        else:
            key_path = Path(tmp, "key.pem")
            key_path.write_bytes(
                key.private_bytes(
                    _PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(otp.encode()),
                )
            )
            args += ["-inkey", str(key_path), "-passin", "env:PASSERELLE_P12_IN"]
        if cas:
            chain_path = Path(tmp, "chain.pem")
            chain_path.write_bytes(b"".join(c.public_bytes(_PEM) for c in cas))
            args += ["-certfile", str(chain_path)]
        if friendly_name:
            args += ["-name", friendly_name.decode("utf-8")]
        result = subprocess.run(args, capture_output=True, env=env, timeout=60, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            "openssl pkcs12 -export failed: " + result.stderr.decode("utf-8", "replace")
        )
    return result.stdout


# --- the PKI ----------------------------------------------------------------


def _ski(key: PrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def _aki(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _ca_name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


class DemoPKI:
    """Root CA (and optional intermediate) issuing server and client certificates."""

    def __init__(
        self, *, intermediate: bool = False, key_size: int = 2048, ca_days: int = 3650
    ) -> None:
        self.key_size = key_size
        now = _now()
        self.root_key: PrivateKey = _fresh_key(key_size)
        root_name = _ca_name(ROOT_CN)
        self.root_cert = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(self.root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=ca_days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(_ski(self.root_key), critical=False)
            .sign(self.root_key, hashes.SHA256())
        )
        self.intermediate_key: PrivateKey | None = None
        self.intermediate_cert: x509.Certificate | None = None
        if intermediate:
            self.intermediate_key = _fresh_key(key_size)
            self.intermediate_cert = (
                x509.CertificateBuilder()
                .subject_name(_ca_name(INTERMEDIATE_CN))
                .issuer_name(root_name)
                .public_key(self.intermediate_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=ca_days - 1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(_ca_key_usage(), critical=True)
                .add_extension(_ski(self.intermediate_key), critical=False)
                .add_extension(_aki(self.root_cert), critical=False)
                .sign(self.root_key, hashes.SHA256())
            )

    # -- persistence ---------------------------------------------------------
    # The sandbox server and the application run in separate processes during
    # `make demo`; they share one PKI through a directory. Demo keys only: they
    # are stored unencrypted on purpose and must never protect anything real.

    def save(self, directory: Path | str) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        _write_key(directory / "ca-key.pem", self.root_key)
        (directory / "ca.pem").write_bytes(self.ca_pem())
        if self.intermediate_key is not None and self.intermediate_cert is not None:
            _write_key(directory / "intermediate-key.pem", self.intermediate_key)
            (directory / "intermediate.pem").write_bytes(self.intermediate_cert.public_bytes(_PEM))
        return directory

    @classmethod
    def load(cls, directory: Path | str) -> DemoPKI:
        """A PKI saved by :meth:`save` (same CA, so earlier certificates stay trusted)."""
        directory = Path(directory)
        pki = cls.__new__(cls)
        pki.root_key = _read_key(directory / "ca-key.pem")
        pki.root_cert = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
        root_key = pki.root_key
        pki.key_size = root_key.key_size if isinstance(root_key, rsa.RSAPrivateKey) else 2048
        pki.intermediate_key = None
        pki.intermediate_cert = None
        if (directory / "intermediate.pem").exists():
            pki.intermediate_key = _read_key(directory / "intermediate-key.pem")
            pki.intermediate_cert = x509.load_pem_x509_certificate(
                (directory / "intermediate.pem").read_bytes()
            )
        return pki

    @classmethod
    def load_or_create(cls, directory: Path | str, *, intermediate: bool = False) -> DemoPKI:
        directory = Path(directory)
        if (directory / "ca.pem").exists() and (directory / "ca-key.pem").exists():
            return cls.load(directory)
        pki = cls(intermediate=intermediate)
        pki.save(directory)
        return pki

    # -- CA material ---------------------------------------------------------

    def ca_pem(self) -> bytes:
        """The root certificate: the trust anchor for clients and servers."""
        return self.root_cert.public_bytes(_PEM)

    def write_ca_pem(self, path: Path | str) -> Path:
        path = Path(path)
        path.write_bytes(self.ca_pem())
        return path

    def _issuer(self) -> tuple[PrivateKey, x509.Certificate, list[x509.Certificate]]:
        if self.intermediate_key is not None and self.intermediate_cert is not None:
            return self.intermediate_key, self.intermediate_cert, [
                self.intermediate_cert,
                self.root_cert,
            ]
        return self.root_key, self.root_cert, [self.root_cert]

    # -- leaves --------------------------------------------------------------

    def issue_server(self, hosts: Sequence[str] = ("localhost", "127.0.0.1")) -> Issued:
        """A TLS server certificate (serverAuth) for the given DNS names / IPs."""
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        key = _pooled_key(self.key_size)
        issuer_key, issuer_cert, chain = self._issuer()
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                        x509.NameAttribute(NameOID.COMMON_NAME, hosts[0]),
                    ]
                )
            )
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_key_usage(), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(_ski(key), critical=False)
            .add_extension(_aki(issuer_cert), critical=False)
            .sign(issuer_key, hashes.SHA256())
        )
        return Issued(key=key, cert=cert, chain=chain)

    def issue_client(
        self,
        uai: str | None,
        *,
        name: str = DEFAULT_CLIENT_NAME,
        uai_field: str = "CN",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        client_auth: bool = True,
        with_eku: bool = True,
        wrong_key: bool = False,
        authority_key_id: bool = True,
        with_san: bool = True,
    ) -> Issued:
        """A client certificate for one establishment.

        ``uai_field`` says where the UAI goes: 'CN' (« <UAI> - <name> »), 'OU',
        'serialNumber', 'organizationIdentifier' (« UAI-<UAI> »), 'email' (SAN
        ``ce.<uai>@ac-demo.fr``) or 'none'. ``client_auth=False`` keeps an EKU
        without clientAuth (emailProtection only); ``with_eku=False`` omits the
        EKU extension altogether (then any use is allowed). ``with_san`` adds a
        SAN e-mail without UAI (``netsynchro@ac-demo.fr``) when the UAI is not
        already there: ``cryptography``'s client verifier insists on a SAN, and
        ``with_san=False`` reproduces certificates it flags.
        """
        if uai_field not in UAI_FIELDS:
            raise ValueError(f"unknown uai_field {uai_field!r}; choose from {UAI_FIELDS}")
        place = uai_field if uai is not None else "none"
        attributes = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Éducation nationale"),
        ]
        if place == "OU":
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, str(uai)))
        if place == "organizationIdentifier":
            attributes.append(
                x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"UAI-{uai}")
            )
        if place == "serialNumber":
            attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, str(uai)))
        common_name = f"{uai} - {name}" if place == "CN" else name
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))

        now = _now()
        start = not_before if not_before is not None else now - dt.timedelta(days=1)
        end = not_after if not_after is not None else now + dt.timedelta(days=365)
        key = _pooled_key(self.key_size)
        issuer_key, issuer_cert, chain = self._issuer()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attributes))
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_key_usage(), critical=True)
            .add_extension(_ski(key), critical=False)
        )
        if with_eku:
            usages = (
                [ExtendedKeyUsageOID.CLIENT_AUTH]
                if client_auth
                else [ExtendedKeyUsageOID.EMAIL_PROTECTION]
            )
            builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        if place == "email":
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.RFC822Name(f"ce.{str(uai).lower()}@ac-demo.fr")]
                ),
                critical=False,
            )
        elif with_san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name("netsynchro@ac-demo.fr")]),
                critical=False,
            )
        if authority_key_id:
            builder = builder.add_extension(_aki(issuer_cert), critical=False)
        cert = builder.sign(issuer_key, hashes.SHA256())
        if wrong_key:
            return Issued(
                key=_fresh_key(self.key_size), cert=cert, chain=list(chain), mismatched=True
            )
        return Issued(key=key, cert=cert, chain=list(chain))


def _write_key(path: Path, key: PrivateKey) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                _PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


def _read_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: not an RSA or EC demo key")
    return key


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=True,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


@lru_cache(maxsize=4)
def shared_pki(intermediate: bool = False) -> DemoPKI:
    """One PKI per process and shape, so tests and the demo do not regenerate CAs."""
    return DemoPKI(intermediate=intermediate)
