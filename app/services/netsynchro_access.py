"""A NetSynchro client for one establishment, from the base's settings and its certificate."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.domain.models import JournalKind, JournalResult
from app.domain.school_year import year_label
from app.domain.uai import validate_uai
from app.errors import PasserelleError
from app.netsynchro.client import ConnectionDiagnosis, NetSynchroClient, RetryPolicy
from app.security.certificates import CertificateStore
from app.services import base_admin, journal, netsynchro_settings
from app.services.certificates import default_store
from app.store.database import Database

log = logging.getLogger(__name__)


class NetSynchroNotConfigured(PasserelleError):
    code = "NETSYNCHRO_NON_CONFIGURE"


@contextmanager
def client_for(
    db: Database,
    uai: str,
    *,
    store: CertificateStore | None = None,
    retry: RetryPolicy | None = None,
) -> Iterator[NetSynchroClient]:
    """Yield a client whose TLS context holds ``uai``'s certificate.

    The server is verified against the system's authorities plus, when the base
    names one, the platform's own CA (the sandbox's in the demo).
    """
    code = validate_uai(uai)
    settings = netsynchro_settings.load(db)
    if not settings.url:
        raise NetSynchroNotConfigured(
            "L'adresse de la plateforme NetSynchro n'est pas configurée : renseignez-la dans "
            "« Fichier > Paramètres de la base… » (ou « passerelle netsynchro configurer URL »)."
        )
    context = (store or CertificateStore()).ssl_context(code)
    if settings.ca_pem:
        context.load_verify_locations(cadata=settings.ca_pem)
    with NetSynchroClient(settings.url, context, uai=code, retry=retry) as client:
        yield client


def test_connection(
    db: Database, uai: str, year: int, *, store: CertificateStore | None = None
) -> ConnectionDiagnosis:
    with client_for(db, uai, store=store) as client:
        return client.test_connection(uai, year)


def diagnose_connection(
    db: Database, uai: str, *, store: CertificateStore | None = None
) -> ConnectionDiagnosis:
    """« Tester la connexion » for the GUI and the CLI: the base's year, then a journal row.

    A refusal before any exchange (platform not configured, no certificate on
    this PC, keyring unavailable) is journaled too, then raised for the caller
    to show: the secretariat sees in the journal why the test did not run.
    """
    code = base_admin.require_establishment(db, uai).uai
    year = base_admin.school_year(db)
    try:
        # default_store() also selects the OS keyring when the CLI runs first.
        diagnosis = test_connection(db, code, year, store=store or default_store())
    except PasserelleError as exc:
        _record_test(
            db, code, JournalResult.FAILURE, f"Test de connexion impossible : {exc.message}",
            {"annee": year, "code": exc.code},
        )  # fmt: skip
        raise
    details: dict[str, Any] = {
        "annee": year,
        "serveur_joignable": diagnosis.server_reached,
        "connexion_securisee": diagnosis.handshake_ok,
        "uai_accepte": diagnosis.uai_accepted,
        "annee_acceptee": diagnosis.year_accepted,
    }
    if diagnosis.error is not None:
        details["code"] = diagnosis.error.code
        resume = f"Test de connexion échoué ({year_label(year)}) : {diagnosis.error.message}"
    else:
        resume = f"Connexion à NetSynchro réussie pour l'année {year_label(year)}"
    _record_test(
        db, code, JournalResult.SUCCESS if diagnosis.ok else JournalResult.FAILURE, resume,
        details,
    )  # fmt: skip
    return diagnosis


def _record_test(
    db: Database, uai: str, resultat: JournalResult, resume: str, details: dict[str, Any]
) -> None:
    try:
        journal.record(db, JournalKind.CONNECTION_TEST, resultat, resume, uai=uai,
                       details=details)  # fmt: skip
    except Exception:
        # The diagnosis is what the user asked for; a journal failure must not hide it.
        log.exception("connection test for UAI %s not journaled", uai)
