"""Use cases for the NetSynchro certificate: import, show, delete, expiry alerts.

The certificate is per PC and per Windows user (its secret lives in that
user's keyring, see ``app.services.shared``), but every import and deletion is
written to the base's exchange journal so the secretariat can see who changed
what. The journal never receives anything secret: fingerprint, holder, issuer,
dates, UAI, and the refusal code.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.models import JournalKind, JournalResult
from app.domain.uai import validate_uai
from app.errors import PasserelleError
from app.security.certificates import CertificateInfo, CertificateStore, read_certificate_file
from app.security.errors import CertificateNeedsConfirmation
from app.security.keyring_policy import ensure_secure_keyring
from app.services import base_admin, journal
from app.store.database import Database

log = logging.getLogger(__name__)


def default_store() -> CertificateStore:
    """The store of this PC and user, on a keyring the policy accepts."""
    ensure_secure_keyring()
    return CertificateStore()


def info_fields(info: CertificateInfo) -> dict[str, Any]:
    """The public description (CLI ``--json``, journal details); dates in ISO 8601."""
    return {
        "uai": info.uai,
        "titulaire": info.titulaire,
        "emetteur": info.emetteur,
        "numero_serie": info.numero_serie,
        "valide_du": info.valide_du.isoformat(),
        "valide_au": info.valide_au.isoformat(),
        "empreinte_sha256": info.empreinte_sha256,
        "uai_certificat": info.uai_certificat,
        "expire": info.expire,
        "jours_restants": info.jours_restants,
    }


def _record(
    db: Database,
    nature: JournalKind,
    resultat: JournalResult,
    resume: str,
    uai: str,
    details: dict[str, Any],
) -> None:
    try:
        journal.record(db, nature, resultat, resume, uai=uai, details=details)
    except Exception:
        # The certificate operation itself is done (or refused) on this PC; a
        # journal failure must not turn it into a false error for the user.
        log.exception("certificate operation for UAI %s not journaled", uai)


def inspect(
    data: bytes,
    password: str | bytes,
    uai: str,
    *,
    confirm_without_uai: bool = False,
    store: CertificateStore | None = None,
) -> CertificateInfo:
    """Check a file before asking the user to confirm; stores and journals nothing."""
    return (store or CertificateStore()).inspect(
        data, password, uai, confirm_without_uai=confirm_without_uai
    )


def import_certificate(
    db: Database,
    uai: str,
    data: bytes,
    password: str | bytes,
    *,
    confirm_without_uai: bool = False,
    store: CertificateStore | None = None,
) -> CertificateInfo:
    """Validate and store the certificate of an establishment of the base; journal it.

    :class:`CertificateNeedsConfirmation` is a question, not a failure: it is
    raised unjournaled so the caller can ask and retry.
    """
    establishment = base_admin.require_establishment(db, uai)
    code = establishment.uai
    try:
        certificates = store or default_store()
        info = certificates.import_pkcs12(
            code, data, password, confirm_without_uai=confirm_without_uai
        )
    except CertificateNeedsConfirmation:
        raise
    except PasserelleError as exc:
        _record(
            db,
            JournalKind.CERTIFICATE_IMPORT,
            JournalResult.FAILURE,
            f"Certificat refusé : {exc.message}",
            code,
            {"code": exc.code},
        )
        raise
    details = info_fields(info)
    details["avertissements"] = list(info.avertissements)
    resume = f"Certificat de {info.titulaire}, valable jusqu'au {_local_date(info.valide_au)}"
    if info.uai_certificat is None:
        resume += " (sans code UAI, rattaché sur confirmation)"
    _record(
        db,
        JournalKind.CERTIFICATE_IMPORT,
        JournalResult.WARNING if info.avertissements else JournalResult.SUCCESS,
        resume,
        code,
        details,
    )
    return info


def import_certificate_file(
    db: Database,
    uai: str,
    path: Path,
    password: str | bytes,
    *,
    confirm_without_uai: bool = False,
    store: CertificateStore | None = None,
) -> CertificateInfo:
    """:func:`import_certificate` from a file (oversize files are refused unread)."""
    code = base_admin.require_establishment(db, uai).uai
    try:
        data = read_certificate_file(path)
    except PasserelleError as exc:
        _record(
            db,
            JournalKind.CERTIFICATE_IMPORT,
            JournalResult.FAILURE,
            f"Certificat refusé : {exc.message}",
            code,
            {"code": exc.code},
        )
        raise
    return import_certificate(
        db, code, data, password, confirm_without_uai=confirm_without_uai, store=store
    )


def certificate_info(uai: str, *, store: CertificateStore | None = None) -> CertificateInfo | None:
    return (store or default_store()).info(uai)


def delete_certificate(
    db: Database, uai: str, *, store: CertificateStore | None = None
) -> bool:
    """Delete this PC's certificate of ``uai``; journaled when something was removed."""
    code = validate_uai(uai)
    certificates = store or default_store()
    fingerprint: str | None = None
    try:
        current = certificates.info(code)
        fingerprint = current.empreinte_sha256 if current else None
    except PasserelleError:
        pass  # an unreadable certificate can still be deleted
    removed = certificates.delete(code)
    if removed:
        _record(
            db,
            JournalKind.CERTIFICATE_DELETE,
            JournalResult.SUCCESS,
            "Certificat NetSynchro supprimé de ce poste",
            code,
            {"empreinte_sha256": fingerprint},
        )
    return removed


@dataclass(frozen=True)
class CertificateAlert:
    """A certificate problem to show at start-up or on the certificates page."""

    uai: str
    code: str  # CERTIFICAT_ABSENT, CERTIFICAT_EXPIRE, CERTIFICAT_EXPIRE_BIENTOT, …
    message: str


def expiry_alerts(
    db: Database, *, store: CertificateStore | None = None
) -> list[CertificateAlert]:
    """One alert per establishment of the base whose certificate needs attention."""
    certificates = store or default_store()
    alerts: list[CertificateAlert] = []
    for establishment in base_admin.establishments(db):
        uai = establishment.uai
        try:
            info = certificates.info(uai)
        except PasserelleError as exc:
            alerts.append(CertificateAlert(uai, exc.code, exc.message))
            continue
        if info is None:
            alerts.append(
                CertificateAlert(
                    uai,
                    "CERTIFICAT_ABSENT",
                    f"Aucun certificat NetSynchro n'est installé sur ce poste pour "
                    f"{establishment.nom} ({uai}).",
                )
            )
        elif info.expire:
            alerts.append(
                CertificateAlert(
                    uai,
                    "CERTIFICAT_EXPIRE",
                    f"Le certificat NetSynchro de {establishment.nom} ({uai}) a expiré le "
                    f"{_local_date(info.valide_au)} : importez le nouveau certificat.",
                )
            )
        elif info.pas_encore_valide:
            alerts.append(
                CertificateAlert(
                    uai,
                    "CERTIFICAT_PAS_ENCORE_VALIDE",
                    f"Le certificat NetSynchro de {establishment.nom} ({uai}) ne sera valable "
                    f"qu'à partir du {_local_date(info.valide_du)}.",
                )
            )
        elif info.expire_bientot:
            alerts.append(
                CertificateAlert(
                    uai,
                    "CERTIFICAT_EXPIRE_BIENTOT",
                    f"Le certificat NetSynchro de {establishment.nom} ({uai}) expire dans "
                    f"{info.jours_restants} jour(s), le {_local_date(info.valide_au)} : "
                    "demandez son renouvellement.",
                )
            )
    return alerts


def _local_date(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%d/%m/%Y")
