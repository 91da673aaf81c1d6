"""A NetSynchro client for one establishment, from the base's settings and its certificate."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.domain.uai import validate_uai
from app.errors import PasserelleError
from app.netsynchro.client import ConnectionDiagnosis, NetSynchroClient, RetryPolicy
from app.security.certificates import CertificateStore
from app.services import netsynchro_settings
from app.store.database import Database


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
