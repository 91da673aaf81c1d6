"""Establishments of the base (several for a cité scolaire)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.models import Establishment
from app.store.tables.foundation import etablissements


def list_all(conn: Connection) -> list[Establishment]:
    rows = conn.execute(sa.select(etablissements).order_by(etablissements.c.uai))
    return [Establishment(uai=r.uai, nom=r.nom) for r in rows]


def get(conn: Connection, uai: str) -> Establishment | None:
    row = conn.execute(sa.select(etablissements).where(etablissements.c.uai == uai)).first()
    return Establishment(uai=row.uai, nom=row.nom) if row else None


def add(conn: Connection, establishment: Establishment) -> None:
    conn.execute(
        sa.insert(etablissements).values(
            uai=establishment.uai, nom=establishment.nom, cree_le=dt.datetime.now(dt.UTC)
        )
    )


def rename(conn: Connection, uai: str, nom: str) -> None:
    conn.execute(sa.update(etablissements).where(etablissements.c.uai == uai).values(nom=nom))
