"""Students and what SIECLE says about them, per establishment (issue #5).

What « Récupérer les données des élèves » keeps:

* ``siecle_eleves``: one row per student ever imported for the establishment,
  ``ELEVE_ID`` unique per UAI. Students are never deleted: a leaver gets
  ``sorti_le``. ``cle_identite`` is the accent- and case-free « nom|prénom »
  used, with the birth date, as the last matching level.
* ``siecle_eleves_divisions``: class history (an open row has ``au`` NULL).
* ``siecle_eleves_groupes`` / ``siecle_eleves_options``: current memberships
  and options, replaced student by student when they change.
* ``siecle_personnes`` (PERSONNE_ID unique per UAI) and ``siecle_liens``
  (student ↔ person, niveau de responsabilité, parenté…).
* ``siecle_divisions`` / ``siecle_groupes`` (Structures export) and the
  Nomenclature: ``siecle_mefs``, ``siecle_matieres``, ``siecle_programmes``,
  ``siecle_modalites``.

Free text is ``Text`` (PostgreSQL would refuse an over-long VARCHAR half-way
through an import; SIECLE's documented lengths are not always what real files
hold, siecle-formats.md §2). Addresses are columns (``adr_*``) of their
student or person: they are only ever read with them.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.store.metadata import metadata

_UAI = sa.String(8)


def _uai_column() -> sa.Column[str]:
    return sa.Column(
        "uai", _UAI, sa.ForeignKey("etablissements.uai", ondelete="CASCADE"), nullable=False
    )


def _text(name: str, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=nullable)


ADDRESS_COLUMNS = (
    "adr_id", "adr_ligne1", "adr_ligne2", "adr_ligne3", "adr_ligne4", "adr_boite_postale",
    "adr_code_postal", "adr_libelle_postal", "adr_commune_etrangere", "adr_code_commune_insee",
    "adr_code_departement", "adr_code_pays", "adr_libelle_pays",
)  # fmt: skip


def _address_columns() -> list[sa.Column[str]]:
    return [_text(name) for name in ADDRESS_COLUMNS]


siecle_eleves = sa.Table(
    "siecle_eleves",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _uai_column(),
    _text("eleve_id", nullable=False),
    _text("elenoet"),
    _text("ine"),
    _text("nom", nullable=False),
    _text("nom_usage"),
    _text("prenom", nullable=False),
    _text("prenom2"),
    _text("prenom3"),
    _text("cle_identite", nullable=False),
    sa.Column("date_naissance", sa.Date, nullable=True),
    sa.Column("sexe", sa.String(1), nullable=True),
    _text("code_mef"),
    _text("code_regime"),
    _text("code_statut"),
    sa.Column("doublement", sa.Boolean, nullable=True),
    sa.Column("date_entree", sa.Date, nullable=True),
    sa.Column("date_sortie", sa.Date, nullable=True),  # as SIECLE gives it
    _text("motif_sortie"),
    _text("division"),
    _text("id_prv_ele"),
    _text("code_pays_naissance"),
    _text("ville_naissance"),
    _text("code_commune_insee_naissance"),
    _text("mel"),
    _text("tel_personnel"),
    _text("tel_portable"),
    _text("tel_professionnel"),
    sa.Column("accepte_sms", sa.Boolean, nullable=True),
    *_address_columns(),
    # Left: SIECLE's DATE_SORTIE, or the import date for a student absent from the export.
    sa.Column("sorti_le", sa.Date, nullable=True),
    sa.Column("cree_le", sa.DateTime(timezone=True), nullable=False),
    sa.Column("modifie_le", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("uai", "eleve_id", name="uq_siecle_eleves_eleve_id"),
)
sa.Index("ix_siecle_eleves_ine", siecle_eleves.c.uai, siecle_eleves.c.ine)
sa.Index(
    "ix_siecle_eleves_identite",
    siecle_eleves.c.uai,
    siecle_eleves.c.cle_identite,
    siecle_eleves.c.date_naissance,
)
sa.Index("ix_siecle_eleves_division", siecle_eleves.c.uai, siecle_eleves.c.division)


def _student_column() -> sa.Column[int]:
    return sa.Column(
        "eleve", sa.Integer, sa.ForeignKey("siecle_eleves.id", ondelete="CASCADE"), nullable=False
    )


siecle_eleves_divisions = sa.Table(
    "siecle_eleves_divisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _student_column(),
    _text("division", nullable=False),
    sa.Column("du", sa.Date, nullable=False),
    sa.Column("au", sa.Date, nullable=True),  # NULL: the current class
)
sa.Index("ix_siecle_eleves_divisions_eleve", siecle_eleves_divisions.c.eleve)

siecle_eleves_groupes = sa.Table(
    "siecle_eleves_groupes",
    metadata,
    _student_column(),
    _text("groupe", nullable=False),
    sa.PrimaryKeyConstraint("eleve", "groupe"),
)

siecle_eleves_options = sa.Table(
    "siecle_eleves_options",
    metadata,
    _student_column(),
    sa.Column("rang", sa.Integer, nullable=False),  # order in the export
    sa.Column("num_option", sa.Integer, nullable=True),
    _text("modalite"),
    _text("code_matiere", nullable=False),
    sa.PrimaryKeyConstraint("eleve", "rang"),
)

siecle_personnes = sa.Table(
    "siecle_personnes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _uai_column(),
    _text("personne_id", nullable=False),
    _text("civilite"),
    _text("nom", nullable=False),
    _text("nom_usage"),
    _text("prenom", nullable=False),
    _text("tel_personnel"),
    _text("tel_portable"),
    _text("tel_professionnel"),
    _text("mel"),
    sa.Column("accepte_sms", sa.Boolean, nullable=True),
    sa.Column("communication_adresse", sa.Boolean, nullable=True),
    _text("profession"),
    *_address_columns(),
    sa.Column("modifie_le", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("uai", "personne_id", name="uq_siecle_personnes_personne_id"),
)

siecle_liens = sa.Table(
    "siecle_liens",
    metadata,
    _student_column(),
    sa.Column(
        "personne",
        sa.Integer,
        sa.ForeignKey("siecle_personnes.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _text("code_parente"),
    sa.Column("niveau", sa.Integer, nullable=True),
    sa.Column("rang_legal", sa.Integer, nullable=True),
    sa.Column("paie_frais", sa.Boolean, nullable=True),
    sa.Column("percoit_aides", sa.Boolean, nullable=True),
    sa.Column("heberge_eleve", sa.Boolean, nullable=True),
    sa.Column("contact_prioritaire", sa.Boolean, nullable=True),
    sa.PrimaryKeyConstraint("eleve", "personne"),
)
sa.Index("ix_siecle_liens_personne", siecle_liens.c.personne)

siecle_divisions = sa.Table(
    "siecle_divisions",
    metadata,
    _uai_column(),
    _text("code", nullable=False),
    _text("libelle"),
    _text("mefs", nullable=False),  # CODE_MEF joined by spaces (codes have none)
    sa.PrimaryKeyConstraint("uai", "code"),
)

siecle_groupes = sa.Table(
    "siecle_groupes",
    metadata,
    _uai_column(),
    _text("code", nullable=False),
    _text("libelle"),
    _text("mefs", nullable=False),
    # Division codes may hold spaces (« 3 A »): joined by a newline.
    _text("divisions", nullable=False),
    sa.PrimaryKeyConstraint("uai", "code"),
)

siecle_mefs = sa.Table(
    "siecle_mefs",
    metadata,
    _uai_column(),
    _text("code", nullable=False),
    _text("formation"),
    _text("libelle_long"),
    _text("libelle_edition"),
    _text("mef_rattachement"),
    _text("code_mefstat"),
    sa.Column("date_fermeture", sa.Date, nullable=True),
    sa.PrimaryKeyConstraint("uai", "code"),
)

siecle_matieres = sa.Table(
    "siecle_matieres",
    metadata,
    _uai_column(),
    _text("code", nullable=False),
    _text("code_gestion"),
    _text("libelle_court"),
    _text("libelle_long"),
    _text("libelle_edition"),
    sa.PrimaryKeyConstraint("uai", "code"),
)

siecle_programmes = sa.Table(
    "siecle_programmes",
    metadata,
    _uai_column(),
    _text("code_mef", nullable=False),
    _text("code_matiere", nullable=False),
    _text("modalite", nullable=False),  # "" when absent: part of the key
    _text("horaire"),
    sa.PrimaryKeyConstraint("uai", "code_mef", "code_matiere", "modalite"),
)

siecle_modalites = sa.Table(
    "siecle_modalites",
    metadata,
    _uai_column(),
    _text("code", nullable=False),
    _text("libelle_court"),
    _text("libelle_long"),
    sa.PrimaryKeyConstraint("uai", "code"),
)

SIECLE_TABLES = (
    siecle_eleves, siecle_eleves_divisions, siecle_eleves_groupes, siecle_eleves_options,
    siecle_personnes, siecle_liens, siecle_divisions, siecle_groupes, siecle_mefs,
    siecle_matieres, siecle_programmes, siecle_modalites,
)  # fmt: skip
