"""Foundation: settings, establishments, append-only exchange journal, locks.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_REFUSE = "Le journal des échanges ne se modifie pas."


def upgrade() -> None:
    op.create_table(
        "parametres",
        sa.Column("cle", sa.String(64), nullable=False),
        sa.Column("valeur", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("cle", name=op.f("pk_parametres")),
    )
    op.create_table(
        "etablissements",
        sa.Column("uai", sa.String(8), nullable=False),
        sa.Column("nom", sa.String(200), nullable=False),
        sa.Column("cree_le", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uai", name=op.f("pk_etablissements")),
    )
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("horodatage", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uai", sa.String(8), nullable=True),
        sa.Column("nature", sa.String(40), nullable=False),
        sa.Column("resultat", sa.String(20), nullable=False),
        sa.Column("resume", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False, server_default=""),
        sa.Column("poste", sa.String(120), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal")),
    )
    op.create_index(op.f("ix_journal_horodatage"), "journal", ["horodatage"])
    op.create_index(op.f("ix_journal_uai"), "journal", ["uai"])
    op.create_table(
        "verrous",
        sa.Column("uai", sa.String(8), nullable=False),
        sa.Column("operation", sa.String(80), nullable=False),
        sa.Column("poste", sa.String(120), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("depuis", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uai", name=op.f("pk_verrous")),
    )
    _protect_journal()


def _protect_journal() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER journal_no_{verb.lower()} BEFORE {verb} ON journal "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION journal_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_REFUSE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal "
            "FOR EACH ROW EXECUTE FUNCTION journal_refuse()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS journal_append_only ON journal")
        op.execute("DROP FUNCTION IF EXISTS journal_refuse()")
    op.drop_table("verrous")
    op.drop_index(op.f("ix_journal_uai"), table_name="journal")
    op.drop_index(op.f("ix_journal_horodatage"), table_name="journal")
    op.drop_table("journal")
    op.drop_table("etablissements")
    op.drop_table("parametres")
