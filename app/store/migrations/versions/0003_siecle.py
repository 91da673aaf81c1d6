"""SIECLE students: class history, groups, options, responsables, structures, nomenclature.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-12

Hand-checked against ``app/store/tables/siecle.py`` (a test compares both on
SQLite and PostgreSQL). Every row hangs off its establishment (CASCADE) or its
student / person, so removing an establishment removes its SIECLE data too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "siecle_divisions",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("libelle", sa.Text(), nullable=True),
        sa.Column("mefs", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_siecle_divisions_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "code", name=op.f("pk_siecle_divisions")),
    )
    op.create_table(
        "siecle_eleves",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("eleve_id", sa.Text(), nullable=False),
        sa.Column("elenoet", sa.Text(), nullable=True),
        sa.Column("ine", sa.Text(), nullable=True),
        sa.Column("nom", sa.Text(), nullable=False),
        sa.Column("nom_usage", sa.Text(), nullable=True),
        sa.Column("prenom", sa.Text(), nullable=False),
        sa.Column("prenom2", sa.Text(), nullable=True),
        sa.Column("prenom3", sa.Text(), nullable=True),
        sa.Column("cle_identite", sa.Text(), nullable=False),
        sa.Column("date_naissance", sa.Date(), nullable=True),
        sa.Column("sexe", sa.String(length=1), nullable=True),
        sa.Column("code_mef", sa.Text(), nullable=True),
        sa.Column("code_regime", sa.Text(), nullable=True),
        sa.Column("code_statut", sa.Text(), nullable=True),
        sa.Column("doublement", sa.Boolean(), nullable=True),
        sa.Column("date_entree", sa.Date(), nullable=True),
        sa.Column("date_sortie", sa.Date(), nullable=True),
        sa.Column("motif_sortie", sa.Text(), nullable=True),
        sa.Column("division", sa.Text(), nullable=True),
        sa.Column("id_prv_ele", sa.Text(), nullable=True),
        sa.Column("code_pays_naissance", sa.Text(), nullable=True),
        sa.Column("ville_naissance", sa.Text(), nullable=True),
        sa.Column("code_commune_insee_naissance", sa.Text(), nullable=True),
        sa.Column("mel", sa.Text(), nullable=True),
        sa.Column("tel_personnel", sa.Text(), nullable=True),
        sa.Column("tel_portable", sa.Text(), nullable=True),
        sa.Column("tel_professionnel", sa.Text(), nullable=True),
        sa.Column("accepte_sms", sa.Boolean(), nullable=True),
        sa.Column("adr_id", sa.Text(), nullable=True),
        sa.Column("adr_ligne1", sa.Text(), nullable=True),
        sa.Column("adr_ligne2", sa.Text(), nullable=True),
        sa.Column("adr_ligne3", sa.Text(), nullable=True),
        sa.Column("adr_ligne4", sa.Text(), nullable=True),
        sa.Column("adr_boite_postale", sa.Text(), nullable=True),
        sa.Column("adr_code_postal", sa.Text(), nullable=True),
        sa.Column("adr_libelle_postal", sa.Text(), nullable=True),
        sa.Column("adr_commune_etrangere", sa.Text(), nullable=True),
        sa.Column("adr_code_commune_insee", sa.Text(), nullable=True),
        sa.Column("adr_code_departement", sa.Text(), nullable=True),
        sa.Column("adr_code_pays", sa.Text(), nullable=True),
        sa.Column("adr_libelle_pays", sa.Text(), nullable=True),
        sa.Column("sorti_le", sa.Date(), nullable=True),
        sa.Column("cree_le", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modifie_le", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_siecle_eleves_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_siecle_eleves")),
        sa.UniqueConstraint("uai", "eleve_id", name="uq_siecle_eleves_eleve_id"),
    )
    op.create_index("ix_siecle_eleves_division", "siecle_eleves", ["uai", "division"], unique=False)
    op.create_index(
        "ix_siecle_eleves_identite",
        "siecle_eleves",
        ["uai", "cle_identite", "date_naissance"],
        unique=False,
    )
    op.create_index("ix_siecle_eleves_ine", "siecle_eleves", ["uai", "ine"], unique=False)
    op.create_table(
        "siecle_groupes",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("libelle", sa.Text(), nullable=True),
        sa.Column("mefs", sa.Text(), nullable=False),
        sa.Column("divisions", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_siecle_groupes_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "code", name=op.f("pk_siecle_groupes")),
    )
    op.create_table(
        "siecle_matieres",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("code_gestion", sa.Text(), nullable=True),
        sa.Column("libelle_court", sa.Text(), nullable=True),
        sa.Column("libelle_long", sa.Text(), nullable=True),
        sa.Column("libelle_edition", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_siecle_matieres_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "code", name=op.f("pk_siecle_matieres")),
    )
    op.create_table(
        "siecle_mefs",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("formation", sa.Text(), nullable=True),
        sa.Column("libelle_long", sa.Text(), nullable=True),
        sa.Column("libelle_edition", sa.Text(), nullable=True),
        sa.Column("mef_rattachement", sa.Text(), nullable=True),
        sa.Column("code_mefstat", sa.Text(), nullable=True),
        sa.Column("date_fermeture", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_siecle_mefs_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "code", name=op.f("pk_siecle_mefs")),
    )
    op.create_table(
        "siecle_modalites",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("libelle_court", sa.Text(), nullable=True),
        sa.Column("libelle_long", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_siecle_modalites_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "code", name=op.f("pk_siecle_modalites")),
    )
    op.create_table(
        "siecle_personnes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("personne_id", sa.Text(), nullable=False),
        sa.Column("civilite", sa.Text(), nullable=True),
        sa.Column("nom", sa.Text(), nullable=False),
        sa.Column("nom_usage", sa.Text(), nullable=True),
        sa.Column("prenom", sa.Text(), nullable=False),
        sa.Column("tel_personnel", sa.Text(), nullable=True),
        sa.Column("tel_portable", sa.Text(), nullable=True),
        sa.Column("tel_professionnel", sa.Text(), nullable=True),
        sa.Column("mel", sa.Text(), nullable=True),
        sa.Column("accepte_sms", sa.Boolean(), nullable=True),
        sa.Column("communication_adresse", sa.Boolean(), nullable=True),
        sa.Column("profession", sa.Text(), nullable=True),
        sa.Column("adr_id", sa.Text(), nullable=True),
        sa.Column("adr_ligne1", sa.Text(), nullable=True),
        sa.Column("adr_ligne2", sa.Text(), nullable=True),
        sa.Column("adr_ligne3", sa.Text(), nullable=True),
        sa.Column("adr_ligne4", sa.Text(), nullable=True),
        sa.Column("adr_boite_postale", sa.Text(), nullable=True),
        sa.Column("adr_code_postal", sa.Text(), nullable=True),
        sa.Column("adr_libelle_postal", sa.Text(), nullable=True),
        sa.Column("adr_commune_etrangere", sa.Text(), nullable=True),
        sa.Column("adr_code_commune_insee", sa.Text(), nullable=True),
        sa.Column("adr_code_departement", sa.Text(), nullable=True),
        sa.Column("adr_code_pays", sa.Text(), nullable=True),
        sa.Column("adr_libelle_pays", sa.Text(), nullable=True),
        sa.Column("modifie_le", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_siecle_personnes_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_siecle_personnes")),
        sa.UniqueConstraint("uai", "personne_id", name="uq_siecle_personnes_personne_id"),
    )
    op.create_table(
        "siecle_programmes",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("code_mef", sa.Text(), nullable=False),
        sa.Column("code_matiere", sa.Text(), nullable=False),
        sa.Column("modalite", sa.Text(), nullable=False),
        sa.Column("horaire", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_siecle_programmes_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "uai", "code_mef", "code_matiere", "modalite", name=op.f("pk_siecle_programmes")
        ),
    )
    op.create_table(
        "siecle_eleves_divisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("eleve", sa.Integer(), nullable=False),
        sa.Column("division", sa.Text(), nullable=False),
        sa.Column("du", sa.Date(), nullable=False),
        sa.Column("au", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["eleve"],
            ["siecle_eleves.id"],
            name=op.f("fk_siecle_eleves_divisions_eleve_siecle_eleves"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_siecle_eleves_divisions")),
    )
    op.create_index(
        "ix_siecle_eleves_divisions_eleve", "siecle_eleves_divisions", ["eleve"], unique=False
    )
    op.create_table(
        "siecle_eleves_groupes",
        sa.Column("eleve", sa.Integer(), nullable=False),
        sa.Column("groupe", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["eleve"],
            ["siecle_eleves.id"],
            name=op.f("fk_siecle_eleves_groupes_eleve_siecle_eleves"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("eleve", "groupe", name=op.f("pk_siecle_eleves_groupes")),
    )
    op.create_table(
        "siecle_eleves_options",
        sa.Column("eleve", sa.Integer(), nullable=False),
        sa.Column("rang", sa.Integer(), nullable=False),
        sa.Column("num_option", sa.Integer(), nullable=True),
        sa.Column("modalite", sa.Text(), nullable=True),
        sa.Column("code_matiere", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["eleve"],
            ["siecle_eleves.id"],
            name=op.f("fk_siecle_eleves_options_eleve_siecle_eleves"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("eleve", "rang", name=op.f("pk_siecle_eleves_options")),
    )
    op.create_table(
        "siecle_liens",
        sa.Column("eleve", sa.Integer(), nullable=False),
        sa.Column("personne", sa.Integer(), nullable=False),
        sa.Column("code_parente", sa.Text(), nullable=True),
        sa.Column("niveau", sa.Integer(), nullable=True),
        sa.Column("rang_legal", sa.Integer(), nullable=True),
        sa.Column("paie_frais", sa.Boolean(), nullable=True),
        sa.Column("percoit_aides", sa.Boolean(), nullable=True),
        sa.Column("heberge_eleve", sa.Boolean(), nullable=True),
        sa.Column("contact_prioritaire", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["eleve"],
            ["siecle_eleves.id"],
            name=op.f("fk_siecle_liens_eleve_siecle_eleves"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["personne"],
            ["siecle_personnes.id"],
            name=op.f("fk_siecle_liens_personne_siecle_personnes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("eleve", "personne", name=op.f("pk_siecle_liens")),
    )
    op.create_index("ix_siecle_liens_personne", "siecle_liens", ["personne"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_siecle_liens_personne", table_name="siecle_liens")
    op.drop_table("siecle_liens")
    op.drop_table("siecle_eleves_options")
    op.drop_table("siecle_eleves_groupes")
    op.drop_index("ix_siecle_eleves_divisions_eleve", table_name="siecle_eleves_divisions")
    op.drop_table("siecle_eleves_divisions")
    op.drop_table("siecle_programmes")
    op.drop_table("siecle_personnes")
    op.drop_table("siecle_modalites")
    op.drop_table("siecle_mefs")
    op.drop_table("siecle_matieres")
    op.drop_table("siecle_groupes")
    op.drop_index("ix_siecle_eleves_ine", table_name="siecle_eleves")
    op.drop_index("ix_siecle_eleves_identite", table_name="siecle_eleves")
    op.drop_index("ix_siecle_eleves_division", table_name="siecle_eleves")
    op.drop_table("siecle_eleves")
    op.drop_table("siecle_divisions")
