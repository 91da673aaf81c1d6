"""NetSynchro client certificates: validation, storage at rest, TLS contexts.

Validation runs in a fixed order and stops at the first refusal, so the
secretary reads the one message that matters (size, format, password, content,
key, dates, usage, UAI). Nothing is stored unless every check passed.

At rest (engineering-notes §1): the user's password is never kept. Key,
certificate and chain are re-encrypted into a new PKCS#12 protected by a random
secret (PBES2/AES-256, which also upgrades RC2/3DES files); the file goes to
``certificats/<UAI>.p12`` and only that secret goes to the OS keyring, far below
the Windows Credential Manager limit that a whole .p12 would exceed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import os
import secrets
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from app.domain.uai import find_uais, validate_uai
from app.errors import PasserelleError
from app.paths import certificates_dir
from app.security.errors import (
    CertificateError,
    CertificateNeedsConfirmation,
    KeyringUnavailable,
)
from app.security.keyring_policy import SERVICE, secure_backend
from app.security.tls import client_ssl_context

log = logging.getLogger(__name__)

MAX_FILE_SIZE = 1024 * 1024  # a real .p12 is 3–6 KB; anything near 1 MB is the wrong file
EXPIRY_WARNING_DAYS = 30

StoredKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | dsa.DSAPrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
_STORABLE_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    dsa.DSAPrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)

_ADVICE_FILE = "Choisissez le fichier .p12 ou .pfx reçu pour l'établissement."


@dataclass(frozen=True)
class CertificateInfo:
    """What the secretary sees about a certificate. Dates are timezone-aware (UTC)."""

    uai: str
    titulaire: str
    emetteur: str
    numero_serie: str
    valide_du: dt.datetime
    valide_au: dt.datetime
    empreinte_sha256: str
    uai_certificat: str | None
    expire: bool
    jours_restants: int
    pas_encore_valide: bool
    expire_bientot: bool
    # A tuple, not a list, so the frozen object is really immutable and hashable.
    avertissements: tuple[str, ...] = field(default_factory=tuple)


class CertificateParts(NamedTuple):
    """A decrypted PKCS#12: the private key, its certificate, the other certificates."""

    key: StoredKey
    cert: x509.Certificate
    chain: list[x509.Certificate]


# --- small helpers ----------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _french_datetime(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%d/%m/%Y à %H:%M")


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")
    return f"{math.ceil(size / 1024)} Ko"


def _spki(public_key: object) -> bytes:
    # Every cryptography public key type serialises to SubjectPublicKeyInfo.
    return public_key.public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_matches_certificate(key: StoredKey, cert: x509.Certificate) -> bool:
    try:
        return _spki(key.public_key()) == _spki(cert.public_key())
    except (ValueError, TypeError):  # unsupported public key algorithm in the cert
        return False


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        return cert.subject == cert.issuer


def _name_text(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if common:
        return str(common[0].value)
    return name.rfc4514_string()


def _hex_colons(data: bytes) -> str:
    return ":".join(f"{b:02X}" for b in data)


def _serial_hex(serial: int) -> str:
    text = f"{serial:X}"
    return text if len(text) % 2 == 0 else "0" + text


def _password_bytes(password: str | bytes) -> bytes:
    return password.encode("utf-8") if isinstance(password, str) else password


def read_certificate_file(path: Path | str) -> bytes:
    """Read a .p12/.pfx chosen by the user, refusing oversize files before reading."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_SIZE:
            raise _too_big(size)
        with path.open("rb") as handle:
            # Read one byte more than allowed: the file may have grown since stat().
            data = handle.read(MAX_FILE_SIZE + 1)
    except PasserelleError:
        raise
    except OSError as exc:
        raise CertificateError(
            f"Le fichier « {path.name} » ne peut pas être lu ({exc.strerror or 'erreur'}). "
            + _ADVICE_FILE,
            code="CERTIFICAT_ILLISIBLE",
        ) from exc
    if len(data) > MAX_FILE_SIZE:
        raise _too_big(len(data))
    return data


def _too_big(size: int) -> CertificateError:
    return CertificateError(
        f"Le fichier choisi fait {_size_text(size)} : un certificat NetSynchro ne fait que "
        "quelques kilo-octets, ce n'est donc pas le bon fichier. " + _ADVICE_FILE,
        code="CERTIFICAT_TROP_GROS",
    )


# --- validation steps -------------------------------------------------------


def _open_pkcs12(data: bytes, password: str | bytes) -> CertificateParts:
    """Steps 1–5: size, format, password, content, key/certificate pair."""
    if len(data) > MAX_FILE_SIZE:
        raise _too_big(len(data))
    if not data.strip():
        raise CertificateError(
            "Le fichier choisi est vide. " + _ADVICE_FILE, code="CERTIFICAT_ILLISIBLE"
        )
    if data.lstrip().startswith(b"-----BEGIN"):
        raise CertificateError(
            "Ce fichier est au format texte PEM (« -----BEGIN … »), pas au format "
            ".p12/.pfx attendu. Exportez le certificat avec sa clé privée au format "
            "PKCS#12 (.p12 ou .pfx), puis importez ce fichier.",
            code="CERTIFICAT_ILLISIBLE",
        )
    # A PKCS#12 file is a DER SEQUENCE; anything else (zip, PDF, text…) is refused
    # here with a clear message instead of a vague "wrong password".
    if data[:1] != b"\x30":
        raise _unreadable()
    secret = _password_bytes(password)
    attempts: list[bytes | None] = [secret] if secret else [b"", None]
    loaded = None
    wrong_password = False
    for attempt in attempts:
        try:
            loaded = pkcs12.load_key_and_certificates(data, attempt)
            break
        except ValueError as exc:
            # cryptography has no dedicated exception: "Invalid password or PKCS12
            # data" (wrong password, or an encryption it cannot read) versus
            # "Could not deserialize PKCS12 data" (not PKCS#12 at all).
            wrong_password = wrong_password or "password" in str(exc).lower()
        except Exception:  # the parser must never leak an English trace to the user
            continue
    if loaded is None:
        if wrong_password:
            raise CertificateError(
                "Le certificat n'a pas pu être ouvert : soit le mot de passe est incorrect, "
                "soit le fichier utilise un chiffrement que Passerelle ne sait pas lire. "
                "Vérifiez le mot de passe (attention aux majuscules et au clavier) et "
                "recommencez ; si le problème persiste, réexportez le certificat.",
                code="CERTIFICAT_MOT_DE_PASSE",
            )
        raise _unreadable()

    key, cert, extra = loaded
    chain = list(extra)
    if key is None:
        if cert is None and not chain:
            raise _unreadable()
        raise CertificateError(
            "Ce fichier contient le certificat mais pas sa clé privée : il ne permet pas de "
            "se connecter à NetSynchro. Exportez le certificat « avec la clé privée » "
            "(fichier .p12 ou .pfx) depuis le poste où il a été installé.",
            code="CERTIFICAT_SANS_CLE",
        )
    if not isinstance(key, _STORABLE_KEYS):
        raise CertificateError(
            "La clé privée de ce fichier est d'un type que Passerelle ne prend pas en "
            "charge pour une connexion sécurisée. " + _ADVICE_FILE,
            code="CERTIFICAT_ILLISIBLE",
        )
    if cert is None:
        # Without a localKeyId the parser may leave the leaf among the extra
        # certificates: adopt the one whose public key is ours.
        for candidate in chain:
            if key_matches_certificate(key, candidate):
                cert = candidate
                chain = [c for c in chain if c is not candidate]
                break
    if cert is None:
        if any(not _is_ca(c) for c in chain):
            raise _key_mismatch()
        raise CertificateError(
            "Ce fichier contient une clé privée mais aucun certificat d'établissement. "
            + _ADVICE_FILE,
            code="CERTIFICAT_SANS_CERTIFICAT",
        )
    if not key_matches_certificate(key, cert):
        raise _key_mismatch()
    return CertificateParts(key, cert, chain)


def _unreadable() -> CertificateError:
    return CertificateError(
        "Ce fichier n'est pas un certificat au format PKCS#12 (.p12 ou .pfx), ou il est "
        "endommagé. " + _ADVICE_FILE,
        code="CERTIFICAT_ILLISIBLE",
    )


def _key_mismatch() -> CertificateError:
    return CertificateError(
        "La clé privée de ce fichier ne correspond pas au certificat qu'il contient : le "
        "fichier a été mal constitué et NetSynchro le refuserait. Réexportez le certificat "
        "avec sa clé privée depuis le poste où il a été installé.",
        code="CERTIFICAT_CLE_DIFFERENTE",
    )


def _check_dates(cert: x509.Certificate, now: dt.datetime) -> None:
    if now < cert.not_valid_before_utc:
        raise CertificateError(
            "Ce certificat n'est pas encore valable : il le sera à partir du "
            f"{_french_datetime(cert.not_valid_before_utc)}. Vérifiez la date et l'heure "
            "de l'ordinateur, ou recommencez à partir de cette date.",
            code="CERTIFICAT_PAS_ENCORE_VALIDE",
        )
    if now > cert.not_valid_after_utc:
        raise CertificateError(
            f"Ce certificat a expiré le {_french_datetime(cert.not_valid_after_utc)}. "
            "Demandez un nouveau certificat pour l'établissement, puis importez-le.",
            code="CERTIFICAT_EXPIRE",
        )


def _check_usage(cert: x509.Certificate) -> None:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return  # no EKU: every usage is allowed
    if ExtendedKeyUsageOID.CLIENT_AUTH in eku or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku:
        return
    raise CertificateError(
        "Ce certificat n'est pas prévu pour identifier un établissement auprès d'un "
        "serveur (usage « authentification du client » absent) : NetSynchro le "
        "refuserait. Vérifiez que vous avez choisi le certificat NetSynchro.",
        code="CERTIFICAT_USAGE",
    )


def uais_in_certificate(cert: x509.Certificate) -> list[str]:
    """Valid UAIs in CN, OU, serialNumber, organizationIdentifier and SAN e-mails.

    Which field carries the UAI in ministry certificates is not public
    (engineering-notes §3), hence the wide scan with check-letter validation.
    """
    texts: list[str] = []
    for oid in (
        NameOID.COMMON_NAME,
        NameOID.ORGANIZATIONAL_UNIT_NAME,
        NameOID.SERIAL_NUMBER,
        NameOID.ORGANIZATION_IDENTIFIER,
    ):
        texts.extend(str(a.value) for a in cert.subject.get_attributes_for_oid(oid))
    with contextlib.suppress(x509.ExtensionNotFound, ValueError):
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        texts.extend(san.get_values_for_type(x509.RFC822Name))
    found: list[str] = []
    for text in texts:
        for uai in find_uais(text):
            if uai not in found:
                found.append(uai)
    return found


def _explain_verification(error: Exception) -> str:
    text = str(error)
    if "2.5.29.35" in text:
        reason = "l'identifiant de la clé de l'autorité (AuthorityKeyIdentifier) est absent"
    elif "2.5.29.17" in text:
        reason = "le certificat n'a pas de nom alternatif (SubjectAltName)"
    elif "candidates exhausted" in text or "no valid chain" in text.lower():
        reason = "aucune autorité connue ne l'a émis"
    else:
        reason = "la vérification a échoué"
    return f"{reason} ; détail technique : {text[:160]}"


def _chain_warnings(
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    now: dt.datetime,
    trust_roots: Sequence[x509.Certificate],
) -> list[str]:
    """Strict path validation, reported as warnings only.

    cryptography's verifier applies the Web PKI profile (it rejects a leaf without
    AuthorityKeyIdentifier or SAN, for instance) and has not been tried on real
    ministry certificates; the TLS handshake with NetSynchro is the real check.
    """
    roots = [c for c in chain if c.subject == c.issuer] + list(trust_roots)
    if not roots:
        return [
            "Le fichier ne contient pas l'autorité de certification racine : la chaîne de "
            "confiance sera vérifiée lors de la première connexion à NetSynchro."
        ]
    intermediates = [c for c in chain if c.subject != c.issuer]
    try:
        verifier = PolicyBuilder().store(Store(roots)).time(now).build_client_verifier()
        verifier.verify(cert, intermediates)
    except (VerificationError, ValueError, TypeError) as exc:
        return [
            "La chaîne de certification n'a pas pu être vérifiée ("
            + _explain_verification(exc)
            + "). La connexion à NetSynchro dira si le certificat est accepté."
        ]
    return []


def _describe(
    cert: x509.Certificate,
    key: StoredKey,
    uai: str,
    uai_certificat: str | None,
    now: dt.datetime,
    warnings: Sequence[str],
) -> CertificateInfo:
    valid_from = cert.not_valid_before_utc
    valid_to = cert.not_valid_after_utc
    days_left = math.floor((valid_to - now).total_seconds() / 86400)
    expired = now > valid_to
    not_yet = now < valid_from
    soon = not expired and days_left <= EXPIRY_WARNING_DAYS
    notes = list(warnings)
    if soon:
        notes.insert(
            0,
            f"Le certificat expire dans {max(days_left, 0)} jour(s), le "
            f"{_french_datetime(valid_to)} : pensez à demander son renouvellement.",
        )
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < 2048:
        notes.append(
            f"La clé du certificat est courte ({key.key_size} bits) : le serveur pourrait "
            "la refuser."
        )
    return CertificateInfo(
        uai=uai,
        titulaire=_name_text(cert.subject),
        emetteur=_name_text(cert.issuer),
        numero_serie=_serial_hex(cert.serial_number),
        valide_du=valid_from,
        valide_au=valid_to,
        empreinte_sha256=_hex_colons(cert.fingerprint(hashes.SHA256())),
        uai_certificat=uai_certificat,
        expire=expired,
        jours_restants=days_left,
        pas_encore_valide=not_yet,
        expire_bientot=soon,
        avertissements=tuple(notes),
    )


def validate_pkcs12(
    data: bytes,
    password: str | bytes,
    expected_uai: str,
    *,
    confirm_without_uai: bool = False,
    trust_roots: Sequence[x509.Certificate] = (),
    now: dt.datetime | None = None,
) -> tuple[CertificateParts, CertificateInfo]:
    """Run every check in order; return the decrypted parts and their description."""
    uai = validate_uai(expected_uai)
    moment = now or _now()
    parts = _open_pkcs12(data, password)
    _check_dates(parts.cert, moment)
    _check_usage(parts.cert)
    warnings: list[str] = []
    found = uais_in_certificate(parts.cert)
    uai_certificat: str | None
    if uai in found:
        uai_certificat = uai
        others = [u for u in found if u != uai]
        if others:
            warnings.append(
                "Le certificat mentionne aussi d'autres codes UAI ("
                + ", ".join(others)
                + f") ; il a été rattaché à {uai}, qu'il mentionne également."
            )
    elif found:
        listed = ", ".join(found)
        raise CertificateError(
            f"Ce certificat appartient à l'établissement {listed}, pas à l'établissement "
            f"{uai}. Choisissez le certificat de l'établissement {uai}.",
            code="CERTIFICAT_AUTRE_UAI",
        )
    else:
        uai_certificat = None
        warnings.append(
            "Aucun code UAI n'apparaît dans ce certificat ; il a été rattaché à "
            f"l'établissement {uai} sur confirmation."
        )
    warnings.extend(_chain_warnings(parts.cert, parts.chain, moment, trust_roots))
    info = _describe(parts.cert, parts.key, uai, uai_certificat, moment, warnings)
    if uai_certificat is None and not confirm_without_uai:
        raise CertificateNeedsConfirmation(
            f"Aucun code UAI n'a été trouvé dans ce certificat (titulaire : "
            f"« {info.titulaire} », émis par « {info.emetteur} »). Confirmez qu'il s'agit "
            f"bien du certificat NetSynchro de l'établissement {uai} avant de "
            "l'enregistrer.",
            info,
        )
    return parts, info


# --- storage ----------------------------------------------------------------


def _keyring_failure(exc: Exception) -> KeyringUnavailable:
    log.warning("keyring operation failed: %s", type(exc).__name__)  # never the message
    return KeyringUnavailable(
        "Le trousseau du système a refusé l'opération (il est peut-être verrouillé). "
        "Aucun certificat n'a été enregistré ni modifié. Déverrouillez votre session "
        "puis recommencez."
    )


def _write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` atomically: ``.tmp`` beside it, fsync, then ``os.replace``."""
    tmp = path.with_name(path.name + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)  # O_CREAT's mode is ignored when the .tmp already existed
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class CertificateStore:
    """Per-UAI certificates in ``certificats/<UAI>.p12``, their secrets in the keyring.

    ``backend`` pins a keyring backend; by default the current one is used, after
    :func:`app.security.keyring_policy.secure_backend` has accepted it.
    ``trust_roots`` are extra CA certificates for the (advisory) chain check.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        backend: KeyringBackend | None = None,
        trust_roots: Sequence[x509.Certificate] = (),
    ) -> None:
        self._directory = directory
        self._backend = backend
        self._trust_roots = list(trust_roots)
        # One import/delete at a time per store: the swap below is not reentrant.
        self._lock = threading.RLock()

    # -- locations -----------------------------------------------------------

    @property
    def directory(self) -> Path:
        directory = self._directory if self._directory is not None else certificates_dir()
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def path_for(self, uai: str) -> Path:
        return self.directory / f"{validate_uai(uai)}.p12"

    def _pending_path(self, uai: str) -> Path:
        return self.directory / f"{uai}.p12.new"

    def _keyring(self) -> KeyringBackend:
        if self._backend is not None:
            return self._backend
        return secure_backend()

    # -- public API ----------------------------------------------------------

    def inspect(
        self,
        data: bytes,
        password: str | bytes,
        expected_uai: str,
        *,
        confirm_without_uai: bool = False,
    ) -> CertificateInfo:
        """Validate a PKCS#12 for ``expected_uai``; stores nothing."""
        _, info = validate_pkcs12(
            data,
            password,
            expected_uai,
            confirm_without_uai=confirm_without_uai,
            trust_roots=self._trust_roots,
        )
        return info

    def import_pkcs12(
        self,
        uai: str,
        data: bytes,
        password: str | bytes,
        *,
        confirm_without_uai: bool = False,
    ) -> CertificateInfo:
        """Validate, re-encrypt and store; replaces any previous certificate of ``uai``.

        The previous certificate stays usable until the new one is fully stored:
        the new file is written as ``<UAI>.p12.new``, the keyring gets the new
        secret, then the file is swapped in; any failure restores the old state.
        """
        parts, info = validate_pkcs12(
            data,
            password,
            uai,
            confirm_without_uai=confirm_without_uai,
            trust_roots=self._trust_roots,
        )
        uai = info.uai
        backend = self._keyring()
        secret = secrets.token_urlsafe(32)
        blob = pkcs12.serialize_key_and_certificates(
            f"Passerelle {uai}".encode(),
            parts.key,
            parts.cert,
            parts.chain or None,
            serialization.BestAvailableEncryption(secret.encode("ascii")),
        )
        with self._lock:
            self._finish_interrupted_swap(uai, backend)
            final = self.path_for(uai)
            pending = self._pending_path(uai)
            try:
                old_secret = backend.get_password(SERVICE, uai)
            except KeyringError as exc:
                raise _keyring_failure(exc) from exc
            try:
                _write_private_file(pending, blob)
            except OSError as exc:
                raise self._write_failure(exc) from exc
            try:
                backend.set_password(SERVICE, uai, secret)
            except Exception as exc:  # KeyringError, D-Bus or Win32 errors alike
                with contextlib.suppress(OSError):
                    pending.unlink()
                raise _keyring_failure(exc) from exc
            try:
                os.replace(pending, final)
            except OSError as exc:
                self._restore_secret(backend, uai, old_secret)
                with contextlib.suppress(OSError):
                    pending.unlink()
                raise self._write_failure(exc) from exc
        log.info(
            "certificate stored for UAI %s (sha256 %s)", uai, info.empreinte_sha256
        )
        return info

    def info(self, uai: str) -> CertificateInfo | None:
        """Describe the stored certificate of ``uai``, or None when there is none."""
        uai = validate_uai(uai)
        parts = self._load(uai)
        if parts is None:
            return None
        now = _now()
        found = uais_in_certificate(parts.cert)
        uai_certificat = uai if uai in found else (found[0] if found else None)
        warnings: list[str] = []
        if now > parts.cert.not_valid_after_utc:
            warnings.append(
                f"Ce certificat a expiré le {_french_datetime(parts.cert.not_valid_after_utc)} :"
                " importez le nouveau certificat de l'établissement."
            )
        elif now < parts.cert.not_valid_before_utc:
            warnings.append(
                "Ce certificat ne sera valable qu'à partir du "
                f"{_french_datetime(parts.cert.not_valid_before_utc)}."
            )
        else:
            warnings.extend(
                _chain_warnings(parts.cert, parts.chain, now, self._trust_roots)
            )
        return _describe(parts.cert, parts.key, uai, uai_certificat, now, warnings)

    def has_valid(self, uai: str) -> bool:
        """True when a readable certificate is stored and currently within its dates."""
        try:
            info = self.info(uai)
        except PasserelleError:
            return False
        return info is not None and not info.expire and not info.pas_encore_valide

    def delete(self, uai: str) -> bool:
        """Remove the file and the keyring secret; False when there was nothing."""
        uai = validate_uai(uai)
        backend = self._keyring()
        removed = False
        with self._lock:
            # The file first: if it cannot be removed (locked on Windows) the
            # certificate stays complete and usable.
            for path in (self.path_for(uai), self._pending_path(uai)):
                try:
                    path.unlink()
                    removed = True
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise CertificateError(
                        f"Le certificat de l'établissement {uai} n'a pas pu être supprimé "
                        f"({exc.strerror or 'fichier inaccessible'}). Fermez les autres "
                        "fenêtres de Passerelle et recommencez.",
                        code="CERTIFICAT_ENREGISTREMENT",
                    ) from exc
            try:
                backend.delete_password(SERVICE, uai)
                removed = True
            except PasswordDeleteError:
                pass
            except KeyringError as exc:
                raise _keyring_failure(exc) from exc
        if removed:
            log.info("certificate deleted for UAI %s", uai)
        return removed

    def ssl_context(self, uai: str, cafile: str | None = None) -> ssl.SSLContext:
        """A verifying mutual-TLS client context for ``uai`` (build once, reuse)."""
        uai = validate_uai(uai)
        parts = self._load(uai)
        if parts is None:
            raise CertificateError(
                f"Aucun certificat NetSynchro n'est enregistré pour l'établissement {uai}. "
                "Importez-le d'abord (menu Certificat).",
                code="CERTIFICAT_ABSENT",
            )
        _check_dates(parts.cert, _now())
        return client_ssl_context(parts.key, parts.cert, parts.chain, cafile)

    # -- internals -----------------------------------------------------------

    def _write_failure(self, exc: OSError) -> CertificateError:
        return CertificateError(
            "Le certificat n'a pas pu être enregistré dans le dossier de Passerelle "
            f"({exc.strerror or 'erreur d’écriture'}). L'ancien certificat, s'il y en "
            "avait un, est conservé. Vérifiez l'espace disque puis recommencez.",
            code="CERTIFICAT_ENREGISTREMENT",
        )

    @staticmethod
    def _restore_secret(backend: KeyringBackend, uai: str, old_secret: str | None) -> None:
        try:
            if old_secret is None:
                backend.delete_password(SERVICE, uai)
            else:
                backend.set_password(SERVICE, uai, old_secret)
        except Exception:  # best effort: _finish_interrupted_swap repairs on next load
            log.warning("could not restore the previous keyring secret for UAI %s", uai)

    def _finish_interrupted_swap(self, uai: str, backend: KeyringBackend) -> None:
        """Repair a swap cut short (crash between keyring update and rename).

        If ``<UAI>.p12.new`` opens with the keyring secret, the keyring already
        points at it: complete the rename. Otherwise it is debris of a failed
        import and the old file is still the valid one.
        """
        pending = self._pending_path(uai)
        if not pending.exists():
            return
        try:
            secret = backend.get_password(SERVICE, uai)
        except KeyringError as exc:
            raise _keyring_failure(exc) from exc
        if secret is not None:
            try:
                pkcs12.load_key_and_certificates(pending.read_bytes(), secret.encode())
            except (ValueError, OSError):
                pass
            else:
                try:
                    os.replace(pending, self.path_for(uai))
                except OSError as exc:
                    raise self._write_failure(exc) from exc
                log.warning("completed an interrupted certificate swap for UAI %s", uai)
                return
        with contextlib.suppress(OSError):
            pending.unlink()

    def _load(self, uai: str) -> CertificateParts | None:
        backend = self._keyring()
        with self._lock:
            self._finish_interrupted_swap(uai, backend)
            path = self.path_for(uai)
            try:
                blob = path.read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise _stored_unreadable(uai) from exc
            try:
                secret = backend.get_password(SERVICE, uai)
            except KeyringError as exc:
                raise _keyring_failure(exc) from exc
        if secret is None:
            raise _stored_unreadable(uai)
        try:
            key, cert, chain = pkcs12.load_key_and_certificates(blob, secret.encode())
        except ValueError as exc:
            raise _stored_unreadable(uai) from exc
        if key is None or cert is None or not isinstance(key, _STORABLE_KEYS):
            raise _stored_unreadable(uai)
        return CertificateParts(key, cert, list(chain))


def _stored_unreadable(uai: str) -> CertificateError:
    return CertificateError(
        f"Le certificat enregistré pour l'établissement {uai} ne peut plus être ouvert "
        "(fichier endommagé ou secret absent du trousseau du système, par exemple après "
        "un changement de session). Importez de nouveau le certificat.",
        code="CERTIFICAT_ENREGISTRE_ILLISIBLE",
    )
