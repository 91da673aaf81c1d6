"""Where the NetSynchro platform is and which CA vouches for it.

Both live in the base, so every PC sharing it uses the same platform. The CA is
kept as PEM text rather than a file path: a path on one PC means nothing on
another. Without a CA the operating system's trust store is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from app.domain.models import JournalKind, JournalResult
from app.errors import PasserelleError
from app.services import journal
from app.store import settings as settings_store
from app.store.database import Database


@dataclass(frozen=True)
class NetSynchroSettings:
    url: str | None
    ca_pem: str | None

    @property
    def configured(self) -> bool:
        return bool(self.url)


def load(db: Database) -> NetSynchroSettings:
    with db.read() as conn:
        return NetSynchroSettings(
            url=settings_store.get(conn, settings_store.NETSYNCHRO_URL),
            ca_pem=settings_store.get(conn, settings_store.NETSYNCHRO_CA),
        )


def validate_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise PasserelleError(
            f"« {url} » n'est pas une adresse NetSynchro valable : elle doit commencer par "
            "https:// (les échanges sont toujours chiffrés).",
            code="NETSYNCHRO_URL",
        )
    return url


def read_ca_file(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PasserelleError(
            f"Le fichier d'autorité « {path} » est illisible ({exc.strerror}).",
            code="NETSYNCHRO_CA",
        ) from exc
    if len(data) > 1_000_000:
        raise PasserelleError("Ce fichier d'autorité est trop gros.", code="NETSYNCHRO_CA")
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise PasserelleError(
            f"« {path.name} » n'est pas un certificat d'autorité au format PEM.",
            code="NETSYNCHRO_CA",
        ) from exc
    return "".join(c.public_bytes(Encoding.PEM).decode("ascii") for c in certificates)


def configure(db: Database, url: str, ca_pem: str | None, *, keep_ca: bool = False) -> None:
    clean = validate_url(url)
    with db.write() as conn:
        settings_store.set_value(conn, settings_store.NETSYNCHRO_URL, clean)
        if ca_pem:
            settings_store.set_value(conn, settings_store.NETSYNCHRO_CA, ca_pem)
        elif not keep_ca:
            settings_store.delete(conn, settings_store.NETSYNCHRO_CA)
    journal.record(
        db,
        JournalKind.SETTINGS,
        JournalResult.SUCCESS,
        f"Adresse NetSynchro : {clean}"
        + (" (autorité de certification fournie)" if ca_pem else ""),
        details={"url": clean, "ca": bool(ca_pem)},
    )
