"""The exchange journal: one row per exchange, appended, never rewritten."""

from __future__ import annotations

import datetime as dt
import json
import socket
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.models import JournalEntry
from app.store.tables.foundation import journal


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back naive; we only ever store UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def append(
    conn: Connection,
    *,
    nature: str,
    resultat: str,
    resume: str,
    uai: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    result = conn.execute(
        sa.insert(journal)
        .values(
            horodatage=dt.datetime.now(dt.UTC),
            uai=uai,
            nature=str(nature),
            resultat=str(resultat),
            resume=resume,
            details=json.dumps(details or {}, ensure_ascii=False, default=str),
            poste=socket.gethostname()[:120],
        )
        .returning(journal.c.id)
    )
    return int(result.scalar_one())


def entries(
    conn: Connection, *, uai: str | None = None, limit: int | None = None
) -> list[JournalEntry]:
    query = sa.select(journal).order_by(journal.c.id.desc())
    if uai is not None:
        query = query.where(journal.c.uai == uai)
    if limit is not None:
        query = query.limit(limit)
    out = []
    for row in conn.execute(query):
        try:
            details = json.loads(row.details) if row.details else {}
        except json.JSONDecodeError:
            details = {"texte": row.details}
        out.append(
            JournalEntry(
                id=row.id,
                horodatage=_as_utc(row.horodatage),
                uai=row.uai,
                nature=row.nature,
                resultat=row.resultat,
                resume=row.resume,
                details=details,
                poste=row.poste,
            )
        )
    return out
