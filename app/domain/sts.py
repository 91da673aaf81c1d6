"""What an STS-Web export (``STS_EDT``, ``sts_emp_<UAI>_<AAAA>.xml``) tells us.

Plain frozen data, read by :mod:`app.formats.sts.reader`. Codes are kept as
STS-Web spells them (trimmed); optional elements are ``None`` when absent.
Hours are :class:`~decimal.Decimal` because the file writes them with two
decimals (``4.00``, ``2.50``) and they feed payment rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class IndividuType(StrEnum):
    """``epp``: national staff database; ``local``: created in STS-Web by the school."""

    EPP = "epp"
    LOCAL = "local"


@dataclass(frozen=True, slots=True)
class Matiere:
    code: str  # 6 digits, e.g. 020700
    code_gestion: str | None  # e.g. FRANC
    libelle_court: str | None
    libelle_long: str
    libelle_edition: str | None = None


@dataclass(frozen=True, slots=True)
class ModCours:
    code: str  # CG, AI, TP…
    libelle_court: str | None
    libelle_long: str | None
    co_ens: bool  # absent in the file means no co-teaching


@dataclass(frozen=True, slots=True)
class Mef:
    code: str  # 11 characters
    libelle_long: str | None
    libelle_edition: str | None = None
    formation: str | None = None
    specialite: str | None = None
    mefstat11: str | None = None
    mefstat4: str | None = None


@dataclass(frozen=True, slots=True)
class Discipline:
    code: str  # L0202, C…
    libelle: str
    nb_heures: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Individu:
    id: str
    type: IndividuType
    sexe: str | None  # "1" man, "2" woman; empty for some local people
    nom_usage: str
    nom_patronymique: str
    prenom: str
    civilite: str | None = None
    date_naissance: dt.date | None = None
    grade: str | None = None
    fonction: str | None = None  # ENS, DIR, EDU; absent for people on long leave
    disciplines: tuple[Discipline, ...] = ()


@dataclass(frozen=True, slots=True)
class Enseignant:
    id: str
    type: IndividuType
    heures_agent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Service:
    code_matiere: str
    code_mod_cours: str
    heures_structure: Decimal | None = None
    co_ens: bool | None = None
    enseignants: tuple[Enseignant, ...] = ()


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    libelle: str | None
    mefs: tuple[str, ...] = ()
    services: tuple[Service, ...] = ()


@dataclass(frozen=True, slots=True)
class Groupe:
    code: str
    libelle: str | None
    mefs: tuple[str, ...] = ()
    divisions_appartenance: tuple[str, ...] = ()
    services: tuple[Service, ...] = ()


@dataclass(frozen=True, slots=True)
class StsData:
    uai: str
    annee: int
    matieres: tuple[Matiere, ...] = ()
    mods_cours: tuple[ModCours, ...] = ()
    mefs: tuple[Mef, ...] = ()
    individus: tuple[Individu, ...] = ()
    divisions: tuple[Division, ...] = ()
    groupes: tuple[Groupe, ...] = ()

    def services(self) -> Iterator[tuple[Division | Groupe, Service]]:
        for division in self.divisions:
            for service in division.services:
                yield division, service
        for groupe in self.groupes:
            for service in groupe.services:
                yield groupe, service

    @property
    def service_count(self) -> int:
        return sum(len(d.services) for d in self.divisions) + sum(
            len(g.services) for g in self.groupes
        )
