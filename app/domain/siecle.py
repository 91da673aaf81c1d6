"""Plain data read from SIECLE (BEE) exports: students, responsables, nomenclature, structures.

These are the values as SIECLE exports them, trimmed and typed (dates are
``datetime.date``, flags are ``bool``), with nothing merged from the base yet.
Identifiers (``eleve_id``, ``personne_id``, ``adresse_id``) stay strings: they
are keys, never arithmetic, and a string survives odd exports unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Literal, NamedTuple

Severity = Literal["erreur", "avertissement"]


class SiecleKind(Enum):
    """The four SIECLE exports Passerelle reads, named by their root element."""

    ELEVES = "BEE_ELEVES"
    RESPONSABLES = "BEE_RESPONSABLES"
    NOMENCLATURES = "BEE_NOMENCLATURES"
    STRUCTURES = "BEE_STRUCTURES"

    @property
    def label_fr(self) -> str:
        return _LABELS[self]


_LABELS = {
    SiecleKind.ELEVES: "Élèves",
    SiecleKind.RESPONSABLES: "Responsables",
    SiecleKind.NOMENCLATURES: "Nomenclatures",
    SiecleKind.STRUCTURES: "Structures",
}


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A per-record problem. ``erreur``: the record was left out; ``avertissement``: kept.

    Messages name ELEVE_ID / PERSONNE_ID only, never names or INE, because
    reports and logs may keep them (CONTRIBUTING: no personal data in logs).
    """

    code: str
    message_fr: str
    eleve_id: str | None = None
    severity: Severity = "avertissement"


@dataclass(frozen=True, slots=True)
class SiecleHeader:
    """``PARAMETRES`` of any SIECLE export, plus the root element and its VERSION."""

    root: str
    version: str | None
    uai: str
    annee: int
    date_export: dt.date | None
    horodatage: str | None

    @property
    def kind(self) -> SiecleKind:
        return SiecleKind(self.root)


# The four record types (Address, Student, Responsable, ResponsableLink) are built once per
# record by the readers and never changed afterwards, yet not frozen: a frozen dataclass
# sets each field through object.__setattr__, which makes building one 4× dearer (about
# 0.1 s of CPU for a school of 5,000 students).
@dataclass(slots=True)
class Address:
    adresse_id: str
    ligne1: str | None = None
    ligne2: str | None = None
    ligne3: str | None = None
    ligne4: str | None = None
    boite_postale: str | None = None
    code_postal: str | None = None
    libelle_postal: str | None = None
    commune_etrangere: str | None = None
    code_commune_insee: str | None = None
    code_departement: str | None = None
    code_pays: str | None = None
    libelle_pays: str | None = None


class StudentOption(NamedTuple):
    """One ``OPTIONS_ELEVE`` line: rank, modalité (S/O/F) and subject code."""

    num: int | None
    modalite: str | None
    code_matiere: str


@dataclass(slots=True)
class Student:
    """One ``ELEVE``, joined with its options, structures and (Avec adresses) address."""

    eleve_id: str
    elenoet: str | None
    ine: str | None
    nom: str
    nom_usage: str | None
    prenom: str
    prenom2: str | None
    prenom3: str | None
    date_naissance: dt.date | None
    sexe: Literal["M", "F"] | None
    code_mef: str | None
    code_regime: str | None
    code_statut: str | None
    doublement: bool | None
    date_entree: dt.date | None
    date_sortie: dt.date | None
    motif_sortie: str | None
    division: str | None
    groups: tuple[str, ...] = ()
    options: tuple[StudentOption, ...] = ()
    id_prv_ele: str | None = None
    code_pays_naissance: str | None = None
    ville_naissance: str | None = None
    code_commune_insee_naissance: str | None = None
    mel: str | None = None
    tel_personnel: str | None = None
    tel_portable: str | None = None
    tel_professionnel: str | None = None
    accepte_sms: bool | None = None
    adresse_id: str | None = None
    address: Address | None = None

    @property
    def has_left(self) -> bool:
        """SIECLE keeps students who left, with DATE_SORTIE; whether that date is past is
        the caller's business (it depends on today)."""
        return self.date_sortie is not None


@dataclass(slots=True)
class Responsable:
    """One ``PERSONNE`` of the Responsables export."""

    personne_id: str
    civilite: str | None
    nom: str
    nom_usage: str | None
    prenom: str
    tel_personnel: str | None = None
    tel_portable: str | None = None
    tel_professionnel: str | None = None
    mel: str | None = None
    accepte_sms: bool | None = None
    communication_adresse: bool | None = None
    profession: str | None = None
    adresse_id: str | None = None
    address: Address | None = None


Person = Responsable


@dataclass(slots=True)
class ResponsableLink:
    """One ``RESPONSABLE_ELEVE``.

    ``niveau_responsabilite`` follows the post-2018 scale (1 légal, 2 « personne
    en charge », 3 contact). Pre-2018 files give ``RESP_LEGAL`` 1|2|0: 1 and 2
    become niveau 1 and keep their rank in ``rang_legal``; 0 becomes niveau 3.
    ``paie_frais`` comes from PAIE_FRAIS_SCOLAIRES, else RESP_FINANCIER / PERS_PAIEMENT;
    ``contact_prioritaire`` from A_CONTACTER_EN_PRIORITE, else PERS_CONTACT.
    """

    eleve_id: str
    personne_id: str
    code_parente: str | None
    niveau_responsabilite: int | None
    rang_legal: int | None = None
    paie_frais: bool | None = None
    percoit_aides: bool | None = None
    heberge_eleve: bool | None = None
    contact_prioritaire: bool | None = None


@dataclass(frozen=True, slots=True)
class Mef:
    code: str
    formation: str | None
    libelle_long: str | None
    libelle_edition: str | None
    mef_rattachement: str | None = None
    code_mefstat: str | None = None
    date_fermeture: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Matiere:
    code: str
    code_gestion: str | None
    libelle_court: str | None
    libelle_long: str | None
    libelle_edition: str | None = None


@dataclass(frozen=True, slots=True)
class Programme:
    """Unique on (code_mef, code_matiere, code_modalite): a subject may be both O and S."""

    code_mef: str
    code_matiere: str
    code_modalite: str | None
    horaire: str | None


@dataclass(frozen=True, slots=True)
class ModaliteElection:
    code: str
    libelle_court: str | None
    libelle_long: str | None


@dataclass(frozen=True, slots=True)
class Nomenclature:
    mefs: tuple[Mef, ...]
    matieres: tuple[Matiere, ...]
    programmes: tuple[Programme, ...]
    modalites: tuple[ModaliteElection, ...]


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    libelle: str | None
    mefs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Groupe:
    code: str
    libelle: str | None
    mefs: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Structures:
    divisions: tuple[Division, ...]
    groupes: tuple[Groupe, ...]
