"""Small read-only questions the STSWEB screens ask, which no service answered yet.

No Qt here: the GUI calls these from a background task or at dialog set-up.
"""

from __future__ import annotations

import logging

from app.domain.school_year import year_label
from app.errors import PasserelleError
from app.security.certificates import CertificateStore
from app.services import base_admin, netsynchro_settings
from app.services.sts import sts_store
from app.services.sts.sts_store import StsFreshness
from app.store import settings as settings_store
from app.store.database import Database
from app.store.errors import translate_db_errors

log = logging.getLogger(__name__)


def is_demo(db: Database) -> bool:
    """True for the demo base (``passerelle demo``): demo data may be loaded into it."""
    with translate_db_errors(db.describe()), db.read() as conn:
        return settings_store.get(conn, settings_store.DEMO) == "1"


def sts_freshness(db: Database, uai: str) -> StsFreshness | None:
    """When and how the establishment's STS data of the base's year was retrieved."""
    annee = base_admin.school_year(db)
    with translate_db_errors(db.describe()), db.read() as conn:
        return sts_store.freshness(conn, uai, annee)


SOURCE_LABELS = {"fichier": "fichier", "netsynchro": "NetSynchro",
                 "demo": "données de démonstration"}  # fmt: skip


def freshness_text(fresh: StsFreshness | None, annee: int) -> str:
    """« Données STSWEB 2025-2026 récupérées le 03/09/2025 à 10:12 (NetSynchro, …) »."""
    if fresh is None:
        return (f"Aucune donnée STSWEB {year_label(annee)} dans la base : récupérez-les avant "
                "d'envoyer les emplois du temps.")  # fmt: skip
    when = fresh.recupere_le.astimezone().strftime("%d/%m/%Y à %H:%M")
    source = SOURCE_LABELS.get(fresh.source, fresh.source)
    if fresh.fichier:
        source += f", {fresh.fichier}"
    return f"Données STSWEB {year_label(annee)} récupérées le {when} ({source})."


def netsynchro_blocker(db: Database, uai: str, store: CertificateStore | None = None) -> str | None:
    """Why NetSynchro cannot be used for ``uai`` on this PC (French), or None when it can."""
    if not netsynchro_settings.load(db).configured:
        return ("L'adresse de la plateforme NetSynchro n'est pas configurée (« Fichier > "
                "Paramètres de la base… »).")  # fmt: skip
    try:
        usable = (store or CertificateStore()).has_valid(uai)
    except PasserelleError as exc:
        return exc.message
    if not usable:
        return (f"Aucun certificat valide pour {uai} sur ce poste (« Fichier > IMPORTS/EXPORTS "
                "> Avec NetSynchro > Gérer le certificat pour NetSynchro »).")  # fmt: skip
    return None


def failure_text(error: BaseException, what: str) -> str:
    """The French message for a failed background task: the service's own message, or a
    generic one (the traceback goes to the application log, never to the screen)."""
    if isinstance(error, PasserelleError):
        return error.message
    log.error("%s: unexpected failure", what, exc_info=error)
    return (f"{what} : erreur inattendue. Rien n'a été perdu ; les détails sont dans le "
            "journal de l'application (dossier « journaux »).")
