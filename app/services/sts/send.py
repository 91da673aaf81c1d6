"""« Envoyer les emplois du temps … vers STSWEB » by NetSynchro (flux ``edt-sts``).

Order: exclusive use of the establishment → the same checks as the assistant
(anything blocking is *returned*, nothing is sent) → the validated file →
the send attempt with its ``tacheId`` is committed *before* the upload →
upload → wait for the compte rendu → journal + printable HTML report.

The tacheId is generated once per file content and kept in ``edt_envois``: a
resend of the same file after a network fault (even one that cut the answer
after the server had stored the upload) reuses it, so the server never holds
two tasks for one send. A changed timetable gets a new tacheId.

Cancelling: ``cancel`` is honoured until the upload starts (the wait for the
lock, the checks, the file). Once bytes leave, the send goes to its end: the
server may already hold the file, and the only truthful outcome is its compte
rendu. If the server takes longer than ``timeout`` to process it, a
NetSynchroTimeout says so; sending again the same timetable later reuses the
tacheId and fetches that compte rendu without a second task.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.domain.models import JournalKind, JournalResult
from app.domain.school_year import year_label
from app.errors import PasserelleError, UserCancelled
from app.netsynchro.client import RetryPolicy
from app.netsynchro.errors import TaskRejected
from app.netsynchro.protocol import AnomalyKind, TaskReport, TaskState
from app.security.certificates import CertificateStore
from app.services import base_admin, journal
from app.services.changes import TIMETABLE, bump_revision
from app.services.exclusive import ExclusiveUseError, exclusive_use
from app.services.netsynchro_access import client_for
from app.services.sts.edt import Readiness, readiness
from app.services.sts.report_html import save_report
from app.store.database import Database
from app.store.errors import translate_db_errors
from app.store.tables.sts import edt_envois

log = logging.getLogger(__name__)

EDT_FLUX = "edt-sts"
OPERATION = "Envoi des emplois du temps vers STSWEB"
Progress = Callable[[str, int, int | None], None]
"""``progress(step, done, total)``: step is « verification », « envoi » or « traitement »."""


@dataclass(frozen=True)
class SendResult:
    """``blocked``: nothing sent, see ``readiness``. Otherwise ``report`` is the compte rendu."""

    readiness: Readiness
    report: TaskReport | None = None
    tache_id: uuid.UUID | None = None
    report_path: Path | None = None
    journal_id: int | None = None

    @property
    def blocked(self) -> bool:
        return self.report is None

    @property
    def rejected(self) -> bool:
        return self.report is not None and self.report.state is TaskState.REJETEE


def _attempt_for(db: Database, uai: str, annee: int, digest: str) -> uuid.UUID:
    """The tacheId of the unfinished attempt for this content, else a new committed one."""
    with translate_db_errors(db.describe()), db.write() as conn:
        row = conn.execute(
            sa.select(edt_envois.c.tache_id).where(
                edt_envois.c.uai == uai, edt_envois.c.annee == annee,
                edt_envois.c.empreinte == digest,
                edt_envois.c.etat.in_(("prepare", "envoye")),
            ).order_by(edt_envois.c.id.desc())
        ).first()  # fmt: skip
        if row is not None:
            return uuid.UUID(row.tache_id)
        tache_id = uuid.uuid4()
        conn.execute(sa.insert(edt_envois).values(
            uai=uai, annee=annee, tache_id=str(tache_id), empreinte=digest, etat="prepare",
            cree_le=dt.datetime.now(dt.UTC)))  # fmt: skip
    return tache_id


def _set_state(db: Database, tache_id: uuid.UUID, etat: str, report: TaskReport | None = None
               ) -> None:  # fmt: skip
    values: dict[str, Any] = {"etat": etat}
    if report is not None:
        values["termine_le"] = dt.datetime.now(dt.UTC)
        values["compte_rendu"] = json.dumps(report_details(report), ensure_ascii=False)
    with translate_db_errors(db.describe()), db.write() as conn:
        conn.execute(sa.update(edt_envois).where(edt_envois.c.tache_id == str(tache_id))
                     .values(**values))  # fmt: skip
        bump_revision(conn, TIMETABLE)


def report_details(report: TaskReport) -> dict[str, Any]:
    return {
        "tache": str(report.tache_id),
        "etat": report.state.value,
        "compteurs": dataclasses.asdict(report.counters),
        "anomalies": [
            {"type": a.kind.value, "code": a.code, "reference": a.reference,
             "message": a.message}
            for a in report.anomalies
        ],
    }  # fmt: skip


def send_timetable(
    db: Database,
    uai: str,
    *,
    store: CertificateStore | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    timeout: float = 600.0,
    poll_initial: float = 1.0,
    retry: RetryPolicy | None = None,
    wait_for_lock: float = 0.0,
) -> SendResult:
    """Check, send and wait for the compte rendu (see the module docstring)."""
    establishment = base_admin.require_establishment(db, uai)
    code = establishment.uai
    annee = base_admin.school_year(db)
    step = progress or (lambda _step, _done, _total: None)
    with exclusive_use(db, code, operation=OPERATION, wait=wait_for_lock, cancel=cancel):
        step("verification", 0, None)
        ready, edt = readiness(db, code)
        if not ready.ready or edt is None:
            log.info("send blocked uai=%s blocked=%d problems=%d", code, len(ready.blocked),
                     len(ready.problems))  # fmt: skip
            return SendResult(ready)
        digest = hashlib.sha256(edt.data).hexdigest()
        tache_id = _attempt_for(db, code, annee, digest)
        if cancel is not None and cancel.is_set():
            raise UserCancelled()
        try:
            with client_for(db, code, store=store, retry=retry) as client:
                step("envoi", 0, len(edt.data))
                # No cancel from here: the server may hold the file as soon as bytes leave.
                client.upload(EDT_FLUX, code, annee, edt.data, tache_id=tache_id,
                              progress=lambda done, total: step("envoi", done, total))
                _set_state(db, tache_id, "envoye")
                step("traitement", 0, None)
                try:
                    report = client.wait_for_task(tache_id, timeout=timeout,
                                                  poll_initial=poll_initial)
                except TaskRejected as exc:
                    report = exc.report
        except (PasserelleError, UserCancelled) as exc:
            _journal_failure(db, code, annee, tache_id, exc)
            raise
        _set_state(db, tache_id, "rejete" if report.state is TaskState.REJETEE else "termine",
                   report)  # fmt: skip
        path = save_report(report, establishment.label)
        entry = _journal_report(db, code, annee, report, path, edt.courses)
    return SendResult(ready, report, tache_id, path, entry)


def _journal_failure(db: Database, uai: str, annee: int, tache_id: uuid.UUID,
                     exc: BaseException) -> None:  # fmt: skip
    message = exc.message if isinstance(exc, PasserelleError) else "annulé"
    result = JournalResult.CANCELLED if isinstance(exc, UserCancelled) else JournalResult.FAILURE
    try:
        journal.record(
            db, JournalKind.EDT_SEND, result,
            f"Envoi des emplois du temps {year_label(annee)} interrompu : {message} "
            "Recommencez l'envoi : il reprendra la même tâche, sans doublon.",
            uai=uai, details={"tache": str(tache_id),
                              "code": getattr(exc, "code", type(exc).__name__)},
        )  # fmt: skip
    except PasserelleError:
        log.error("send failure for uai=%s could not be journaled", uai)


def _journal_report(db: Database, uai: str, annee: int, report: TaskReport, path: Path,
                    courses: int) -> int:  # fmt: skip
    c = report.counters
    if report.state is TaskState.REJETEE:
        result, what = JournalResult.FAILURE, "rejeté par STSWEB"
    elif report.anomalies_of(AnomalyKind.REJ) or report.anomalies_of(AnomalyKind.PAR) \
            or report.anomalies_of(AnomalyKind.MOD):
        result, what = JournalResult.WARNING, "accepté avec des anomalies"
    else:
        result, what = JournalResult.SUCCESS, "accepté"
    resume = (f"Envoi des emplois du temps {year_label(annee)} ({courses} cours) {what} : "
              f"{c.lus} services lus, {c.complets} complets, {c.partiels} partiels, "
              f"{c.rejetes} rejetés.")  # fmt: skip
    return journal.record(db, JournalKind.EDT_SEND, result, resume, uai=uai,
                          details={**report_details(report), "rapport": str(path),
                                   "cours": courses})  # fmt: skip


__all__ = ["ExclusiveUseError", "SendResult", "send_timetable"]
