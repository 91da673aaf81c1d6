"""Stable codes of the SIECLE checks.

Refusals (a :class:`~app.formats.errors.FormatError` is raised, nothing is
imported) and per-record anomalies (an :class:`~app.domain.siecle.Anomaly` is
reported, see its ``severity``). Codes are part of the API: reports, tests and
the CLI JSON rely on them, so never rename one.
"""

from __future__ import annotations

# --- refusals (FormatError.code) -------------------------------------------------------------
REFUSALS = (
    "FICHIER_ILLISIBLE",  # cannot be opened
    "FICHIER_VIDE",  # 0 byte
    "XML_INVALIDE",  # not XML, truncated (app.formats.xmlsafe)
    "XML_ENCODAGE",  # bytes do not match the declared (or undeclared = UTF-8) encoding
    "XML_ENCODAGE_INCONNU",  # the declared encoding does not exist
    "XML_DOCTYPE",  # DOCTYPE / ENTITY: refused for safety
    "ZIP_ENDOMMAGE",  # app.formats.archive: and ZIP_VIDE, ZIP_PLUSIEURS, ZIP_PAS_XML,
    # ZIP_CHIFFRE, ZIP_TROP_GROS, ZIP_BOMBE
    "SIECLE_FICHIER_STS",  # an STSWEB file given instead of a SIECLE one
    "SIECLE_TYPE_INCONNU",  # root is not a SIECLE export
    "SIECLE_TYPE_NON_PRIS_EN_CHARGE",  # another BEE_* export (Communs, Géographique…)
    "SIECLE_TYPE_INATTENDU",  # a SIECLE export, but not the kind the caller asked for
    "SIECLE_SANS_PARAMETRES",
    "SIECLE_SANS_UAJ",
    "SIECLE_UAJ_INVALIDE",  # bad format or bad check letter
    "SIECLE_UAI_DIFFERENT",  # another establishment
    "SIECLE_ANNEE_INVALIDE",
    "SIECLE_ANNEE_DIFFERENTE",  # another school year
)

# --- anomalies: Élèves ----------------------------------------------------------------------
ELEVE_SANS_ID = "ELEVE_SANS_ID"  # erreur: no ELEVE_ID attribute, left out
ELEVE_EN_DOUBLE = "ELEVE_EN_DOUBLE"  # erreur: same ELEVE_ID twice, second left out
ELEVE_SANS_NOM = "ELEVE_SANS_NOM"  # erreur: no family name or first name, left out
INE_MANQUANT = "INE_MANQUANT"
INE_EN_DOUBLE = "INE_EN_DOUBLE"
SEXE_MANQUANT = "SEXE_MANQUANT"
SEXE_INVALIDE = "SEXE_INVALIDE"
DATE_NAISSANCE_MANQUANTE = "DATE_NAISSANCE_MANQUANTE"
DATE_INVALIDE = "DATE_INVALIDE"
ELENOET_DIFFERENT = "ELENOET_DIFFERENT"
SANS_DIVISION = "SANS_DIVISION"
PLUSIEURS_DIVISIONS = "PLUSIEURS_DIVISIONS"
STRUCTURES_EN_DOUBLE = "STRUCTURES_EN_DOUBLE"
TYPE_STRUCTURE_INCONNU = "TYPE_STRUCTURE_INCONNU"
STRUCTURES_ELEVE_INCONNU = "STRUCTURES_ELEVE_INCONNU"
OPTIONS_ELEVE_INCONNU = "OPTIONS_ELEVE_INCONNU"
OPTION_INCOMPLETE = "OPTION_INCOMPLETE"
ADRESSE_INCONNUE = "ADRESSE_INCONNUE"

# --- anomalies: Responsables ----------------------------------------------------------------
PERSONNE_SANS_ID = "PERSONNE_SANS_ID"  # erreur
PERSONNE_EN_DOUBLE = "PERSONNE_EN_DOUBLE"  # erreur
PERSONNE_SANS_NOM = "PERSONNE_SANS_NOM"
LIEN_INCOMPLET = "LIEN_INCOMPLET"  # erreur: RESPONSABLE_ELEVE without ELEVE_ID or PERSONNE_ID
LIEN_EN_DOUBLE = "LIEN_EN_DOUBLE"  # erreur: same (élève, personne) twice, second left out
LIEN_PERSONNE_INCONNUE = "LIEN_PERSONNE_INCONNUE"
NIVEAU_RESPONSABILITE_INVALIDE = "NIVEAU_RESPONSABILITE_INVALIDE"
LIEN_ELEVE_INCONNU = "LIEN_ELEVE_INCONNU"  # cross-file: see checks.links_to_unknown_students

# --- anomalies: Nomenclatures and Structures ------------------------------------------------
CODE_MANQUANT = "CODE_MANQUANT"  # erreur: MEF, MATIERE, DIVISION… without its code
CODE_EN_DOUBLE = "CODE_EN_DOUBLE"  # erreur: second one left out
DIVISION_INCONNUE = "DIVISION_INCONNUE"  # a GROUPE attached to a division not in the file

# --- anomalies: several files given together ------------------------------------------------
FICHIERS_INCOHERENTS = "FICHIERS_INCOHERENTS"

ANOMALIES = (
    ELEVE_SANS_ID, ELEVE_EN_DOUBLE, ELEVE_SANS_NOM, INE_MANQUANT, INE_EN_DOUBLE, SEXE_MANQUANT,
    SEXE_INVALIDE, DATE_NAISSANCE_MANQUANTE, DATE_INVALIDE, ELENOET_DIFFERENT, SANS_DIVISION,
    PLUSIEURS_DIVISIONS, STRUCTURES_EN_DOUBLE, TYPE_STRUCTURE_INCONNU, STRUCTURES_ELEVE_INCONNU,
    OPTIONS_ELEVE_INCONNU, OPTION_INCOMPLETE, ADRESSE_INCONNUE, PERSONNE_SANS_ID,
    PERSONNE_EN_DOUBLE, PERSONNE_SANS_NOM, LIEN_INCOMPLET, LIEN_EN_DOUBLE, LIEN_PERSONNE_INCONNUE,
    NIVEAU_RESPONSABILITE_INVALIDE, LIEN_ELEVE_INCONNU, CODE_MANQUANT, CODE_EN_DOUBLE,
    DIVISION_INCONNUE, FICHIERS_INCOHERENTS,
)  # fmt: skip
