"""STS-Web data and the annual timetable (issue #6).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-09

Hand-written from ``app/store/tables/sts.py`` (a test compares both on SQLite
and PostgreSQL). ``sts_*`` rows cascade from ``sts_donnees`` so a retrieval
replaces an establishment's STS data with one DELETE; ``edt_*`` resources
cascade from their establishment, courses keep RESTRICT towards resources.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edt_alternances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("libelle_court", sa.String(length=40), nullable=False),
        sa.Column("libelle_long", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_edt_alternances_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edt_alternances")),
        sa.UniqueConstraint("uai", "annee", "code", name="uq_edt_alternances_code"),
    )
    op.create_table(
        "edt_enseignants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("nom", sa.String(length=100), nullable=False),
        sa.Column("prenom", sa.String(length=100), server_default="", nullable=False),
        sa.Column("date_naissance", sa.Date(), nullable=True),
        sa.Column("sts_code", sa.String(length=40), nullable=True),
        sa.Column("origine", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "(origine IS NULL AND sts_code IS NULL) OR origine IN ('auto', 'manuel')",
            name=op.f("ck_edt_enseignants_origine"),
        ),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_edt_enseignants_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edt_enseignants")),
        sa.UniqueConstraint("uai", "annee", "code", name="uq_edt_enseignants_code"),
    )
    op.create_table(
        "edt_envois",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("tache_id", sa.String(length=36), nullable=False),
        sa.Column("empreinte", sa.String(length=64), nullable=False),
        sa.Column("etat", sa.String(length=12), nullable=False),
        sa.Column("cree_le", sa.DateTime(timezone=True), nullable=False),
        sa.Column("termine_le", sa.DateTime(timezone=True), nullable=True),
        sa.Column("compte_rendu", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "etat IN ('prepare', 'envoye', 'termine', 'rejete')", name=op.f("ck_edt_envois_etat")
        ),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_edt_envois_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edt_envois")),
        sa.UniqueConstraint("tache_id", name=op.f("uq_edt_envois_tache_id")),
    )
    op.create_index(
        "ix_edt_envois_etablissement", "edt_envois", ["uai", "annee", "empreinte"], unique=False
    )
    op.create_table(
        "edt_horaires",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("jour", sa.Integer(), nullable=False),
        sa.Column("debut", sa.Integer(), nullable=False),
        sa.Column("fin", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "debut >= 0 AND debut < fin AND fin < 1440", name=op.f("ck_edt_horaires_plage")
        ),
        sa.CheckConstraint("jour BETWEEN 1 AND 7", name=op.f("ck_edt_horaires_jour")),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_edt_horaires_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "annee", "jour", name=op.f("pk_edt_horaires")),
    )
    op.create_table(
        "edt_matieres",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("libelle", sa.String(length=200), nullable=False),
        sa.Column("sts_code", sa.String(length=40), nullable=True),
        sa.Column("origine", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "(origine IS NULL AND sts_code IS NULL) OR origine IN ('auto', 'manuel')",
            name=op.f("ck_edt_matieres_origine"),
        ),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_edt_matieres_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edt_matieres")),
        sa.UniqueConstraint("uai", "annee", "code", name="uq_edt_matieres_code"),
    )
    op.create_table(
        "edt_modalites",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("libelle", sa.String(length=200), nullable=True),
        sa.Column("sts_code", sa.String(length=40), nullable=True),
        sa.Column("origine", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "(origine IS NULL AND sts_code IS NULL) OR origine IN ('auto', 'manuel')",
            name=op.f("ck_edt_modalites_origine"),
        ),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_edt_modalites_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edt_modalites")),
        sa.UniqueConstraint("uai", "annee", "code", name="uq_edt_modalites_code"),
    )
    op.create_table(
        "edt_salles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("groupe_salle", sa.String(length=100), nullable=True),
        sa.Column("localisation", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_edt_salles_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edt_salles")),
        sa.UniqueConstraint("uai", "annee", "code", name="uq_edt_salles_code"),
    )
    op.create_table(
        "edt_structures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("nature", sa.String(length=10), nullable=False),
        sa.Column("libelle", sa.String(length=200), nullable=True),
        sa.Column("sts_nature", sa.String(length=10), nullable=True),
        sa.Column("sts_code", sa.String(length=40), nullable=True),
        sa.Column("origine", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "(origine IS NULL AND sts_code IS NULL) OR origine IN ('auto', 'manuel')",
            name=op.f("ck_edt_structures_origine"),
        ),
        sa.CheckConstraint(
            "nature IN ('division', 'groupe')", name=op.f("ck_edt_structures_nature")
        ),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_edt_structures_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edt_structures")),
        sa.UniqueConstraint("uai", "annee", "code", name="uq_edt_structures_code"),
    )
    op.create_table(
        "sts_donnees",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("recupere_le", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("fichier", sa.String(length=260), nullable=True),
        sa.Column("empreinte", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "source IN ('fichier', 'netsynchro', 'demo')", name=op.f("ck_sts_donnees_source")
        ),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_sts_donnees_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "annee", name=op.f("pk_sts_donnees")),
    )
    op.create_table(
        "edt_alternance_semaines",
        sa.Column("alternance_id", sa.Integer(), nullable=False),
        sa.Column("lundi", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alternance_id"],
            ["edt_alternances.id"],
            name=op.f("fk_edt_alternance_semaines_alternance_id_edt_alternances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alternance_id", "lundi", name=op.f("pk_edt_alternance_semaines")),
    )
    op.create_table(
        "edt_cours",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("matiere_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("modalite_id", sa.Integer(), nullable=True),
        sa.Column("alternance_id", sa.Integer(), nullable=False),
        sa.Column("salle_id", sa.Integer(), nullable=True),
        sa.Column("jour", sa.Integer(), nullable=False),
        sa.Column("debut", sa.Integer(), nullable=False),
        sa.Column("duree", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "debut >= 0 AND duree > 0 AND debut + duree < 1440", name=op.f("ck_edt_cours_plage")
        ),
        sa.CheckConstraint("jour BETWEEN 1 AND 7", name=op.f("ck_edt_cours_jour")),
        sa.ForeignKeyConstraint(
            ["alternance_id"],
            ["edt_alternances.id"],
            name=op.f("fk_edt_cours_alternance_id_edt_alternances"),
        ),
        sa.ForeignKeyConstraint(
            ["matiere_id"], ["edt_matieres.id"], name=op.f("fk_edt_cours_matiere_id_edt_matieres")
        ),
        sa.ForeignKeyConstraint(
            ["modalite_id"],
            ["edt_modalites.id"],
            name=op.f("fk_edt_cours_modalite_id_edt_modalites"),
        ),
        sa.ForeignKeyConstraint(
            ["salle_id"], ["edt_salles.id"], name=op.f("fk_edt_cours_salle_id_edt_salles")
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["edt_structures.id"],
            name=op.f("fk_edt_cours_structure_id_edt_structures"),
        ),
        sa.ForeignKeyConstraint(
            ["uai"],
            ["etablissements.uai"],
            name=op.f("fk_edt_cours_uai_etablissements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edt_cours")),
    )
    op.create_index(
        "ix_edt_cours_etablissement", "edt_cours", ["uai", "annee", "jour", "debut"], unique=False
    )
    op.create_index("ix_edt_cours_structure", "edt_cours", ["structure_id"], unique=False)
    op.create_table(
        "sts_individus",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("sexe", sa.String(length=2), nullable=True),
        sa.Column("nom_usage", sa.String(length=100), nullable=False),
        sa.Column("nom_patronymique", sa.String(length=100), nullable=False),
        sa.Column("prenom", sa.String(length=100), nullable=False),
        sa.Column("civilite", sa.String(length=10), nullable=True),
        sa.Column("date_naissance", sa.Date(), nullable=True),
        sa.Column("grade", sa.String(length=60), nullable=True),
        sa.Column("fonction", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai", "annee"],
            ["sts_donnees.uai", "sts_donnees.annee"],
            name=op.f("fk_sts_individus_uai_sts_donnees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "annee", "id", name=op.f("pk_sts_individus")),
    )
    op.create_table(
        "sts_matieres",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("code_gestion", sa.String(length=40), nullable=True),
        sa.Column("libelle_court", sa.String(length=100), nullable=True),
        sa.Column("libelle_long", sa.String(length=200), nullable=False),
        sa.Column("libelle_edition", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai", "annee"],
            ["sts_donnees.uai", "sts_donnees.annee"],
            name=op.f("fk_sts_matieres_uai_sts_donnees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "annee", "code", name=op.f("pk_sts_matieres")),
    )
    op.create_table(
        "sts_mefs",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("libelle_long", sa.String(length=200), nullable=True),
        sa.Column("libelle_edition", sa.String(length=200), nullable=True),
        sa.Column("formation", sa.String(length=200), nullable=True),
        sa.Column("specialite", sa.String(length=200), nullable=True),
        sa.Column("mefstat11", sa.String(length=20), nullable=True),
        sa.Column("mefstat4", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai", "annee"],
            ["sts_donnees.uai", "sts_donnees.annee"],
            name=op.f("fk_sts_mefs_uai_sts_donnees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "annee", "code", name=op.f("pk_sts_mefs")),
    )
    op.create_table(
        "sts_modalites",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("libelle_court", sa.String(length=100), nullable=True),
        sa.Column("libelle_long", sa.String(length=200), nullable=True),
        sa.Column("co_ens", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["uai", "annee"],
            ["sts_donnees.uai", "sts_donnees.annee"],
            name=op.f("fk_sts_modalites_uai_sts_donnees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "annee", "code", name=op.f("pk_sts_modalites")),
    )
    op.create_table(
        "sts_structures",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("nature", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("libelle", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "nature IN ('division', 'groupe')", name=op.f("ck_sts_structures_nature")
        ),
        sa.ForeignKeyConstraint(
            ["uai", "annee"],
            ["sts_donnees.uai", "sts_donnees.annee"],
            name=op.f("fk_sts_structures_uai_sts_donnees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uai", "annee", "nature", "code", name=op.f("pk_sts_structures")),
    )
    op.create_table(
        "edt_cours_enseignants",
        sa.Column("cours_id", sa.Integer(), nullable=False),
        sa.Column("enseignant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cours_id"],
            ["edt_cours.id"],
            name=op.f("fk_edt_cours_enseignants_cours_id_edt_cours"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enseignant_id"],
            ["edt_enseignants.id"],
            name=op.f("fk_edt_cours_enseignants_enseignant_id_edt_enseignants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cours_id", "enseignant_id", name=op.f("pk_edt_cours_enseignants")),
    )
    op.create_index(
        "ix_edt_cours_enseignants_enseignant",
        "edt_cours_enseignants",
        ["enseignant_id"],
        unique=False,
    )
    op.create_table(
        "sts_appartenances",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("nature", sa.String(length=10), server_default="groupe", nullable=False),
        sa.Column("groupe", sa.String(length=40), nullable=False),
        sa.Column("division", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["uai", "annee", "nature", "groupe"],
            [
                "sts_structures.uai",
                "sts_structures.annee",
                "sts_structures.nature",
                "sts_structures.code",
            ],
            name=op.f("fk_sts_appartenances_uai_sts_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "uai", "annee", "nature", "groupe", "division", name=op.f("pk_sts_appartenances")
        ),
    )
    op.create_table(
        "sts_disciplines",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("individu_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("libelle", sa.String(length=200), nullable=False),
        sa.Column("nb_heures", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai", "annee", "individu_id"],
            ["sts_individus.uai", "sts_individus.annee", "sts_individus.id"],
            name=op.f("fk_sts_disciplines_uai_sts_individus"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "uai", "annee", "individu_id", "code", name=op.f("pk_sts_disciplines")
        ),
    )
    op.create_table(
        "sts_services",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("nature", sa.String(length=10), nullable=False),
        sa.Column("structure", sa.String(length=40), nullable=False),
        sa.Column("code_matiere", sa.String(length=20), nullable=False),
        sa.Column("code_mod_cours", sa.String(length=20), nullable=False),
        sa.Column("heures_structure", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("co_ens", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai", "annee", "nature", "structure"],
            [
                "sts_structures.uai",
                "sts_structures.annee",
                "sts_structures.nature",
                "sts_structures.code",
            ],
            name=op.f("fk_sts_services_uai_sts_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sts_services")),
        sa.UniqueConstraint(
            "uai",
            "annee",
            "nature",
            "structure",
            "code_matiere",
            "code_mod_cours",
            name="uq_sts_services_cle",
        ),
    )
    op.create_table(
        "sts_structure_mefs",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("nature", sa.String(length=10), nullable=False),
        sa.Column("structure", sa.String(length=40), nullable=False),
        sa.Column("mef", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["uai", "annee", "nature", "structure"],
            [
                "sts_structures.uai",
                "sts_structures.annee",
                "sts_structures.nature",
                "sts_structures.code",
            ],
            name=op.f("fk_sts_structure_mefs_uai_sts_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "uai", "annee", "nature", "structure", "mef", name=op.f("pk_sts_structure_mefs")
        ),
    )
    op.create_table(
        "sts_service_enseignants",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("individu_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("heures_agent", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["sts_services.id"],
            name=op.f("fk_sts_service_enseignants_service_id_sts_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "service_id", "individu_id", name=op.f("pk_sts_service_enseignants")
        ),
    )


def downgrade() -> None:
    op.drop_table("sts_service_enseignants")
    op.drop_table("sts_structure_mefs")
    op.drop_table("sts_services")
    op.drop_table("sts_disciplines")
    op.drop_table("sts_appartenances")
    op.drop_index("ix_edt_cours_enseignants_enseignant", table_name="edt_cours_enseignants")
    op.drop_table("edt_cours_enseignants")
    op.drop_table("sts_structures")
    op.drop_table("sts_modalites")
    op.drop_table("sts_mefs")
    op.drop_table("sts_matieres")
    op.drop_table("sts_individus")
    op.drop_index("ix_edt_cours_structure", table_name="edt_cours")
    op.drop_index("ix_edt_cours_etablissement", table_name="edt_cours")
    op.drop_table("edt_cours")
    op.drop_table("edt_alternance_semaines")
    op.drop_table("sts_donnees")
    op.drop_table("edt_structures")
    op.drop_table("edt_salles")
    op.drop_table("edt_modalites")
    op.drop_table("edt_matieres")
    op.drop_table("edt_horaires")
    op.drop_index("ix_edt_envois_etablissement", table_name="edt_envois")
    op.drop_table("edt_envois")
    op.drop_table("edt_enseignants")
    op.drop_table("edt_alternances")
