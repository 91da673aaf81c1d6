"""Base-wide settings (common to every PC sharing the base), as key/value text."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.store.tables.foundation import parametres

SCHOOL_YEAR = "annee_scolaire"
NETSYNCHRO_URL = "netsynchro_url"
NETSYNCHRO_CA = "netsynchro_ca"
DEMO = "demo"


def get(conn: Connection, key: str) -> str | None:
    value = conn.execute(sa.select(parametres.c.valeur).where(parametres.c.cle == key)).scalar()
    return None if value is None else str(value)


def set_value(conn: Connection, key: str, value: str) -> None:
    updated = conn.execute(
        sa.update(parametres).where(parametres.c.cle == key).values(valeur=value)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(parametres).values(cle=key, valeur=value))


def delete(conn: Connection, key: str) -> None:
    conn.execute(sa.delete(parametres).where(parametres.c.cle == key))


def all_settings(conn: Connection) -> dict[str, str]:
    return {row.cle: row.valeur for row in conn.execute(sa.select(parametres))}
