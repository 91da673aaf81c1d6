"""STS-Web data and the annual timetable, per establishment and school year.

Two families of tables:

* ``sts_*``: what the last « Récupérer les données de STSWEB » brought
  (nomenclatures, individus, structures, services). ``sts_donnees`` is the
  parent row (freshness, source); every other ``sts_*`` row cascades from it,
  so replacing an establishment's STS data is one DELETE plus bulk inserts.
* ``edt_*``: the timetable kept by Passerelle: local resources (teachers,
  subjects, structures, modalities, rooms, alternances, daily hours), courses,
  and the send attempts. Each local resource carries its correspondance with
  STS-Web (``sts_*`` columns plus ``origine`` auto/manuel) so a match lives and
  dies with its resource; it is *not* a foreign key into ``sts_*``, because STS
  data is replaced wholesale by each retrieval while matches must survive it
  (a match whose STS item disappeared simply counts as missing).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.store.metadata import metadata

_UAI = sa.String(8)
_CASCADE = "CASCADE"


def _uai_column() -> sa.Column[str]:
    return sa.Column(
        "uai",
        _UAI,
        sa.ForeignKey("etablissements.uai", ondelete=_CASCADE),
        nullable=False,
    )


def _year_column() -> sa.Column[int]:
    return sa.Column("annee", sa.Integer, nullable=False)


def _sts_parent() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["uai", "annee"], ["sts_donnees.uai", "sts_donnees.annee"], ondelete=_CASCADE
    )


# ------------------------------------------------------------------ STS data

sts_donnees = sa.Table(
    "sts_donnees",
    metadata,
    _uai_column(),
    _year_column(),
    sa.Column("recupere_le", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),  # fichier | netsynchro | demo
    sa.Column("fichier", sa.String(260), nullable=True),
    sa.Column("empreinte", sa.String(64), nullable=False),  # sha256 of the data, idempotence
    sa.PrimaryKeyConstraint("uai", "annee"),
    sa.CheckConstraint("source IN ('fichier', 'netsynchro', 'demo')", name="source"),
)

sts_matieres = sa.Table(
    "sts_matieres",
    metadata,
    sa.Column("uai", _UAI, nullable=False),
    _year_column(),
    sa.Column("code", sa.String(20), nullable=False),
    sa.Column("code_gestion", sa.String(40), nullable=True),
    sa.Column("libelle_court", sa.String(100), nullable=True),
    sa.Column("libelle_long", sa.String(200), nullable=False),
    sa.Column("libelle_edition", sa.String(200), nullable=True),
    sa.PrimaryKeyConstraint("uai", "annee", "code"),
    _sts_parent(),
)

sts_modalites = sa.Table(
    "sts_modalites",
    metadata,
    sa.Column("uai", _UAI, nullable=False),
    _year_column(),
    sa.Column("code", sa.String(20), nullable=False),
    sa.Column("libelle_court", sa.String(100), nullable=True),
    sa.Column("libelle_long", sa.String(200), nullable=True),
    sa.Column("co_ens", sa.Boolean, nullable=False),
    sa.PrimaryKeyConstraint("uai", "annee", "code"),
    _sts_parent(),
)

sts_mefs = sa.Table(
    "sts_mefs",
    metadata,
    sa.Column("uai", _UAI, nullable=False),
    _year_column(),
    sa.Column("code", sa.String(20), nullable=False),
    sa.Column("libelle_long", sa.String(200), nullable=True),
    sa.Column("libelle_edition", sa.String(200), nullable=True),
    sa.Column("formation", sa.String(200), nullable=True),
    sa.Column("specialite", sa.String(200), nullable=True),
    sa.Column("mefstat11", sa.String(20), nullable=True),
    sa.Column("mefstat4", sa.String(10), nullable=True),
    sa.PrimaryKeyConstraint("uai", "annee", "code"),
    _sts_parent(),
)

sts_individus = sa.Table(
    "sts_individus",
    metadata,
    sa.Column("uai", _UAI, nullable=False),
    _year_column(),
    sa.Column("id", sa.String(40), nullable=False),
    sa.Column("type", sa.String(10), nullable=False),
    sa.Column("sexe", sa.String(2), nullable=True),
    sa.Column("nom_usage", sa.String(100), nullable=False),
    sa.Column("nom_patronymique", sa.String(100), nullable=False),
    sa.Column("prenom", sa.String(100), nullable=False),
    sa.Column("civilite", sa.String(10), nullable=True),
    sa.Column("date_naissance", sa.Date, nullable=True),
    sa.Column("grade", sa.String(60), nullable=True),
    sa.Column("fonction", sa.String(20), nullable=True),
    sa.PrimaryKeyConstraint("uai", "annee", "id"),
    _sts_parent(),
)

sts_disciplines = sa.Table(
    "sts_disciplines",
    metadata,
    sa.Column("uai", _UAI, nullable=False),
    _year_column(),
    sa.Column("individu_id", sa.String(40), nullable=False),
    sa.Column("code", sa.String(20), nullable=False),
    sa.Column("libelle", sa.String(200), nullable=False),
    sa.Column("nb_heures", sa.Numeric(6, 2), nullable=True),
    sa.PrimaryKeyConstraint("uai", "annee", "individu_id", "code"),
    sa.ForeignKeyConstraint(
        ["uai", "annee", "individu_id"],
        ["sts_individus.uai", "sts_individus.annee", "sts_individus.id"],
        ondelete=_CASCADE,
    ),
)

# Divisions and groupes share one table: a service or a membership names its
# structure by (nature, code), and STS codes are only unique within a nature.
sts_structures = sa.Table(
    "sts_structures",
    metadata,
    sa.Column("uai", _UAI, nullable=False),
    _year_column(),
    sa.Column("nature", sa.String(10), nullable=False),  # division | groupe
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("libelle", sa.String(200), nullable=True),
    sa.PrimaryKeyConstraint("uai", "annee", "nature", "code"),
    _sts_parent(),
    sa.CheckConstraint("nature IN ('division', 'groupe')", name="nature"),
)

sts_structure_mefs = sa.Table(
    "sts_structure_mefs",
    metadata,
    sa.Column("uai", _UAI, nullable=False),
    _year_column(),
    sa.Column("nature", sa.String(10), nullable=False),
    sa.Column("structure", sa.String(40), nullable=False),
    sa.Column("mef", sa.String(20), nullable=False),
    sa.PrimaryKeyConstraint("uai", "annee", "nature", "structure", "mef"),
    sa.ForeignKeyConstraint(
        ["uai", "annee", "nature", "structure"],
        ["sts_structures.uai", "sts_structures.annee", "sts_structures.nature",
         "sts_structures.code"],
        ondelete=_CASCADE,
    ),
)

# DIVISIONS_APPARTENANCE of a groupe (the division need not be in the file).
sts_appartenances = sa.Table(
    "sts_appartenances",
    metadata,
    sa.Column("uai", _UAI, nullable=False),
    _year_column(),
    sa.Column("nature", sa.String(10), nullable=False, server_default="groupe"),
    sa.Column("groupe", sa.String(40), nullable=False),
    sa.Column("division", sa.String(40), nullable=False),
    sa.PrimaryKeyConstraint("uai", "annee", "nature", "groupe", "division"),
    sa.ForeignKeyConstraint(
        ["uai", "annee", "nature", "groupe"],
        ["sts_structures.uai", "sts_structures.annee", "sts_structures.nature",
         "sts_structures.code"],
        ondelete=_CASCADE,
    ),
)

sts_services = sa.Table(
    "sts_services",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uai", _UAI, nullable=False),
    _year_column(),
    sa.Column("nature", sa.String(10), nullable=False),
    sa.Column("structure", sa.String(40), nullable=False),
    sa.Column("code_matiere", sa.String(20), nullable=False),
    sa.Column("code_mod_cours", sa.String(20), nullable=False),
    sa.Column("heures_structure", sa.Numeric(6, 2), nullable=True),
    sa.Column("co_ens", sa.Boolean, nullable=True),
    sa.ForeignKeyConstraint(
        ["uai", "annee", "nature", "structure"],
        ["sts_structures.uai", "sts_structures.annee", "sts_structures.nature",
         "sts_structures.code"],
        ondelete=_CASCADE,
    ),
    sa.UniqueConstraint(
        "uai", "annee", "nature", "structure", "code_matiere", "code_mod_cours",
        name="uq_sts_services_cle",
    ),
)

sts_service_enseignants = sa.Table(
    "sts_service_enseignants",
    metadata,
    sa.Column(
        "service_id",
        sa.Integer,
        sa.ForeignKey("sts_services.id", ondelete=_CASCADE),
        nullable=False,
    ),
    sa.Column("individu_id", sa.String(40), nullable=False),
    sa.Column("type", sa.String(10), nullable=False),
    sa.Column("heures_agent", sa.Numeric(6, 2), nullable=True),
    sa.PrimaryKeyConstraint("service_id", "individu_id"),
)

# ------------------------------------------------------------- the timetable


def _match_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("sts_code", sa.String(40), nullable=True),
        sa.Column("origine", sa.String(10), nullable=True),  # auto | manuel
    ]


def _resource(name: str, *columns: sa.schema.SchemaItem) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _uai_column(),
        _year_column(),
        sa.Column("code", sa.String(120), nullable=False),
        *columns,
        sa.UniqueConstraint("uai", "annee", "code", name=f"uq_{name}_code"),
    )


def _origine_check() -> sa.CheckConstraint:
    return sa.CheckConstraint(
        "(origine IS NULL AND sts_code IS NULL) OR origine IN ('auto', 'manuel')",
        name="origine",
    )


# ``code`` is the local key: the STS id for teachers imported from EDT_STS,
# « NOM Prénom » for teachers from a CSV file.
edt_enseignants = _resource(
    "edt_enseignants",
    sa.Column("nom", sa.String(100), nullable=False),
    sa.Column("prenom", sa.String(100), nullable=False, server_default=""),
    sa.Column("date_naissance", sa.Date, nullable=True),
    *_match_columns(),
    _origine_check(),
)

edt_matieres = _resource(
    "edt_matieres",
    sa.Column("libelle", sa.String(200), nullable=False),
    *_match_columns(),
    _origine_check(),
)

edt_structures = _resource(
    "edt_structures",
    sa.Column("nature", sa.String(10), nullable=False),  # division | groupe
    sa.Column("libelle", sa.String(200), nullable=True),
    sa.Column("sts_nature", sa.String(10), nullable=True),
    *_match_columns(),
    _origine_check(),
    sa.CheckConstraint("nature IN ('division', 'groupe')", name="nature"),
)

edt_modalites = _resource(
    "edt_modalites",
    sa.Column("libelle", sa.String(200), nullable=True),
    *_match_columns(),
    _origine_check(),
)

edt_salles = _resource(
    "edt_salles",
    sa.Column("groupe_salle", sa.String(100), nullable=True),
    sa.Column("localisation", sa.String(100), nullable=True),
)

edt_alternances = _resource(
    "edt_alternances",
    sa.Column("libelle_court", sa.String(40), nullable=False),
    sa.Column("libelle_long", sa.String(200), nullable=False),
)

edt_alternance_semaines = sa.Table(
    "edt_alternance_semaines",
    metadata,
    sa.Column(
        "alternance_id",
        sa.Integer,
        sa.ForeignKey("edt_alternances.id", ondelete=_CASCADE),
        nullable=False,
    ),
    sa.Column("lundi", sa.Date, nullable=False),
    sa.PrimaryKeyConstraint("alternance_id", "lundi"),
)

edt_horaires = sa.Table(
    "edt_horaires",
    metadata,
    _uai_column(),
    _year_column(),
    sa.Column("jour", sa.Integer, nullable=False),
    sa.Column("debut", sa.Integer, nullable=False),  # minutes since midnight
    sa.Column("fin", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("uai", "annee", "jour"),
    sa.CheckConstraint("jour BETWEEN 1 AND 7", name="jour"),
    sa.CheckConstraint("debut >= 0 AND debut < fin AND fin < 1440", name="plage"),
)

edt_cours = sa.Table(
    "edt_cours",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _uai_column(),
    _year_column(),
    # RESTRICT: a resource still used by a course cannot vanish silently.
    sa.Column("matiere_id", sa.Integer, sa.ForeignKey("edt_matieres.id"), nullable=False),
    sa.Column("structure_id", sa.Integer, sa.ForeignKey("edt_structures.id"), nullable=False),
    sa.Column("modalite_id", sa.Integer, sa.ForeignKey("edt_modalites.id"), nullable=True),
    sa.Column("alternance_id", sa.Integer, sa.ForeignKey("edt_alternances.id"), nullable=False),
    sa.Column("salle_id", sa.Integer, sa.ForeignKey("edt_salles.id"), nullable=True),
    sa.Column("jour", sa.Integer, nullable=False),
    sa.Column("debut", sa.Integer, nullable=False),
    sa.Column("duree", sa.Integer, nullable=False),
    sa.CheckConstraint("jour BETWEEN 1 AND 7", name="jour"),
    sa.CheckConstraint("debut >= 0 AND duree > 0 AND debut + duree < 1440", name="plage"),
    sa.Index("ix_edt_cours_etablissement", "uai", "annee", "jour", "debut"),
    sa.Index("ix_edt_cours_structure", "structure_id"),
)

edt_cours_enseignants = sa.Table(
    "edt_cours_enseignants",
    metadata,
    sa.Column(
        "cours_id", sa.Integer, sa.ForeignKey("edt_cours.id", ondelete=_CASCADE), nullable=False
    ),
    sa.Column(
        "enseignant_id",
        sa.Integer,
        sa.ForeignKey("edt_enseignants.id", ondelete=_CASCADE),
        nullable=False,
    ),
    sa.PrimaryKeyConstraint("cours_id", "enseignant_id"),
    sa.Index("ix_edt_cours_enseignants_enseignant", "enseignant_id"),
)

# One row per send: the tacheId is generated once and kept, so resending the
# same file after a network fault reuses it and the server sees one task.
edt_envois = sa.Table(
    "edt_envois",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _uai_column(),
    _year_column(),
    sa.Column("tache_id", sa.String(36), nullable=False, unique=True),
    sa.Column("empreinte", sa.String(64), nullable=False),
    sa.Column("etat", sa.String(12), nullable=False),  # prepare | envoye | termine | rejete
    sa.Column("cree_le", sa.DateTime(timezone=True), nullable=False),
    sa.Column("termine_le", sa.DateTime(timezone=True), nullable=True),
    sa.Column("compte_rendu", sa.Text, nullable=True),  # JSON of the TaskReport
    sa.CheckConstraint("etat IN ('prepare', 'envoye', 'termine', 'rejete')", name="etat"),
    sa.Index("ix_edt_envois_etablissement", "uai", "annee", "empreinte"),
)

SEND_STATES = ("prepare", "envoye", "termine", "rejete")
