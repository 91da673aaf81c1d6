"""Base-wide tables: settings, establishments, the exchange journal, locks."""

from __future__ import annotations

import sqlalchemy as sa

from app.store.metadata import metadata

parametres = sa.Table(
    "parametres",
    metadata,
    sa.Column("cle", sa.String(64), primary_key=True),
    sa.Column("valeur", sa.Text, nullable=False),
)

etablissements = sa.Table(
    "etablissements",
    metadata,
    sa.Column("uai", sa.String(8), primary_key=True),
    sa.Column("nom", sa.String(200), nullable=False),
    sa.Column("cree_le", sa.DateTime(timezone=True), nullable=False),
)

# Append-only: triggers created by the migration refuse UPDATE and DELETE.
journal = sa.Table(
    "journal",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("horodatage", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("uai", sa.String(8), nullable=True, index=True),
    sa.Column("nature", sa.String(40), nullable=False),
    sa.Column("resultat", sa.String(20), nullable=False),
    sa.Column("resume", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False, server_default=""),
    sa.Column("poste", sa.String(120), nullable=False, server_default=""),
)

# Exclusive use of an establishment's data during an import or a send.
verrous = sa.Table(
    "verrous",
    metadata,
    sa.Column("uai", sa.String(8), primary_key=True),
    sa.Column("operation", sa.String(80), nullable=False),
    sa.Column("poste", sa.String(120), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("depuis", sa.DateTime(timezone=True), nullable=False),
)
