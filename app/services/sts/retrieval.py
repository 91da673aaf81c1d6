"""« Récupérer les données de STSWEB »: from a file, by NetSynchro, or the demo data.

Every path ends in :func:`store_sts_data`, which runs through
:func:`app.services.exclusive.run_import`: exclusive use of the establishment,
automatic copy of the base, one write transaction replacing that
establishment's STS data for the year, a journal row with the counts. Reading
and checking the file happen *before* (a refused file is journaled as a
failure and leaves the base untouched). Retrieving the same data again changes
no STS row; only the retrieval date moves (it says how fresh the data is).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection

from app.demo.sts import generate_sts_data
from app.domain.models import JournalKind, JournalResult
from app.domain.school_year import year_label
from app.domain.sts import StsData
from app.errors import PasserelleError, UserCancelled
from app.formats.sts.reader import read_sts_edt
from app.netsynchro.client import RetryPolicy
from app.security.certificates import CertificateStore
from app.services import base_admin, journal
from app.services.changes import STS
from app.services.exclusive import Outcome, run_import
from app.services.netsynchro_access import client_for
from app.services.sts import sts_store
from app.store.database import Database
from app.store.errors import translate_db_errors

log = logging.getLogger(__name__)

STS_FLUX = "sts-emp"
SOURCE_FILE = "fichier"
SOURCE_NETSYNCHRO = "netsynchro"
SOURCE_DEMO = "demo"
DEMO_SEED = 2024

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class StsRetrieval:
    """What a retrieval did (``changed`` False: the base already held the same data)."""

    uai: str
    annee: int
    source: str
    counts: dict[str, int]
    changed: bool
    journal_id: int


def _label(source: str) -> str:
    return {SOURCE_FILE: "fichier", SOURCE_NETSYNCHRO: "NetSynchro",
            SOURCE_DEMO: "données de démonstration"}[source]  # fmt: skip


def _journal_refusal(db: Database, uai: str, exc: PasserelleError, source: str) -> None:
    journal.record(
        db,
        JournalKind.STS_IMPORT,
        JournalResult.FAILURE,
        f"Récupération des données STSWEB ({_label(source)}) refusée : rien n'a été modifié. "
        f"{exc.message}",
        uai=uai,
        details={"code": exc.code, "source": source},
    )


def store_sts_data(
    db: Database,
    data: StsData,
    *,
    source: str,
    fichier: str | None = None,
    cancel: threading.Event | None = None,
) -> StsRetrieval:
    """Replace ``data.uai``'s STS data for ``data.annee`` (all-or-nothing, journaled)."""
    digest = sts_store.fingerprint(data)
    counts = {
        "individus": len(data.individus),
        "matieres": len(data.matieres),
        "modalites": len(data.mods_cours),
        "mefs": len(data.mefs),
        "divisions": len(data.divisions),
        "groupes": len(data.groupes),
        "services": data.service_count,
    }

    def work(conn: Connection) -> Outcome[bool]:
        if cancel is not None and cancel.is_set():
            raise UserCancelled()
        previous = sts_store.freshness(conn, data.uai, data.annee)
        changed = previous is None or previous.empreinte != digest
        if changed:
            sts_store.replace(conn, data, source=source, fichier=fichier, digest=digest)
        else:
            sts_store.touch(conn, data.uai, data.annee, source=source, fichier=fichier)
        resume = (
            f"Données STSWEB {year_label(data.annee)} récupérées ({_label(source)}) : "
            f"{counts['individus']} personnels, {counts['matieres']} matières, "
            f"{counts['divisions']} divisions, {counts['groupes']} groupes, "
            f"{counts['services']} services"
            + ("." if changed else " — identiques aux précédentes, rien n'a changé.")
        )
        return Outcome(
            changed, resume,
            details={**counts, "source": source, "fichier": fichier, "modifie": changed},
            topics=(STS,) if changed else (),
        )  # fmt: skip

    run = run_import(
        db, data.uai, JournalKind.STS_IMPORT, work,
        operation="Récupération des données STSWEB", cancel=cancel,
    )  # fmt: skip
    log.info("sts data stored uai=%s annee=%s changed=%s services=%d", data.uai, data.annee,
             run.value, counts["services"])  # fmt: skip
    return StsRetrieval(data.uai, data.annee, source, counts, run.value, run.journal_id)


def retrieve_from_file(
    db: Database, uai: str, path: str | Path, *, cancel: threading.Event | None = None
) -> StsRetrieval:
    """Read ``sts_emp_<UAI>_<AAAA>.xml`` (or its ZIP) and store it.

    Refusals (an EDT_STS given by mistake, another establishment, another year,
    not XML, wrong root, broken ZIP…) raise :class:`PasserelleError` with the
    reader's French message, are journaled, and leave the base untouched.
    """
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    try:
        data = read_sts_edt(path, expected_uai=code, expected_year=annee)
    except PasserelleError as exc:
        with translate_db_errors(db.describe()):
            _journal_refusal(db, code, exc, SOURCE_FILE)
        raise
    return store_sts_data(db, data, source=SOURCE_FILE, fichier=Path(path).name, cancel=cancel)


def retrieve_by_netsynchro(
    db: Database,
    uai: str,
    *,
    store: CertificateStore | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    retry: RetryPolicy | None = None,
) -> StsRetrieval:
    """Download the ``sts-emp`` export of the base's school year and store it.

    ``progress(received_bytes, total_or_None)`` is called from this thread;
    ``cancel`` stops the download (nothing kept) and the wait for the lock.
    """
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    with tempfile.TemporaryDirectory(prefix="pz-sts-") as workdir:
        try:
            with client_for(db, code, store=store, retry=retry) as client:
                path = client.export(STS_FLUX, code, annee, zipped=True, destination_dir=workdir,
                                     progress=progress, cancel=cancel)  # fmt: skip
            data = read_sts_edt(path, expected_uai=code, expected_year=annee)
        except PasserelleError as exc:
            _journal_refusal(db, code, exc, SOURCE_NETSYNCHRO)
            raise
        except UserCancelled:
            journal.record(db, JournalKind.STS_IMPORT, JournalResult.CANCELLED,
                           "Récupération des données STSWEB annulée : rien n'a été modifié.",
                           uai=code)  # fmt: skip
            raise
    return store_sts_data(db, data, source=SOURCE_NETSYNCHRO, fichier=path.name, cancel=cancel)


def retrieve_demo(db: Database, uai: str, *, seed: int = DEMO_SEED) -> StsRetrieval:
    """The demo establishment's STS data (the sandbox serves the same for the same seed)."""
    code = base_admin.require_establishment(db, uai).uai
    annee = base_admin.school_year(db)
    return store_sts_data(db, generate_sts_data(code, annee, seed), source=SOURCE_DEMO)
