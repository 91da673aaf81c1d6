"""Recording exchanges in the journal, in their own transaction.

A failed import rolls its own transaction back; its journal row is written
afterwards so the failure is kept.
"""

from __future__ import annotations

import logging
from typing import Any

from app.domain.models import JournalEntry, JournalKind, JournalResult
from app.store import journal as journal_store
from app.store.database import Database

log = logging.getLogger(__name__)


def record(
    db: Database,
    nature: JournalKind | str,
    resultat: JournalResult | str,
    resume: str,
    *,
    uai: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    with db.write() as conn:
        entry_id = journal_store.append(
            conn, nature=nature, resultat=resultat, resume=resume, uai=uai, details=details
        )
    log.info("journal #%s: %s %s uai=%s", entry_id, nature, resultat, uai)
    return entry_id


def entries(
    db: Database, *, uai: str | None = None, limit: int | None = None
) -> list[JournalEntry]:
    with db.read() as conn:
        return journal_store.entries(conn, uai=uai, limit=limit)
