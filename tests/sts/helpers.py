"""Small STS worlds and base dumps for the issue #6 tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.domain.sts import (
    Division,
    Enseignant,
    Groupe,
    Individu,
    IndividuType,
    Matiere,
    ModCours,
    Service,
    StsData,
)
from app.store.database import Database
from app.store.metadata import metadata

UAI = "0771991W"
YEAR = 2025
HEADER = "Jour;Début;Durée;Matière;Professeurs;Classes/Groupes;Salle;Alternance"


def person(ident: str, nom: str, prenom: str, sexe: str = "1",
           naissance: dt.date | None = None) -> Individu:  # fmt: skip
    return Individu(ident, IndividuType.EPP, sexe, nom, nom, prenom, date_naissance=naissance,
                    fonction="ENS")  # fmt: skip


def small_sts(uai: str = UAI, year: int = YEAR) -> StsData:
    """Two divisions, one groupe, five people (two homonyms), two subjects, CG and AI."""
    maths = Service("061300", "CG", Decimal("4.00"),
                    enseignants=(Enseignant("101", IndividuType.EPP, Decimal("4.00")),))
    francais = Service("020700", "CG", Decimal("5.00"),
                       enseignants=(Enseignant("102", IndividuType.EPP, Decimal("5.00")),))
    return StsData(
        uai=uai,
        annee=year,
        matieres=(
            Matiere("061300", "MATHS", "MATHS", "MATHEMATIQUES"),
            Matiere("020700", "FRANC", "FRANCAIS", "FRANCAIS"),
        ),
        mods_cours=(
            ModCours("CG", "CG", "COURS GENERAL", False),
            ModCours("AI", "AI", "AIDE INDIVIDUALISEE", True),
        ),
        individus=(
            person("101", "DUPONT", "Jean"),
            person("102", "MARTIN", "Élodie", "2"),
            person("103", "PETIT", "Marie", "2", dt.date(1980, 5, 1)),
            person("104", "PETIT", "Marie", "2", dt.date(1990, 7, 2)),
            person("105", "LE GALL", "Anne-Sophie", "2"),
        ),
        divisions=(Division("6A", "6EME A", services=(maths, francais)), Division("6B", "6EME B")),
        groupes=(Groupe("6GR1", "6EME GROUPE 1", divisions_appartenance=("6A", "6B")),),
    )  # fmt: skip


def csv_bytes(*lines: str, encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "\r\n".join((HEADER, *lines)) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def dump(db: Database, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every sts_*/edt_* table's rows, sorted (what « unchanged » means)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.read() as conn:
        for name, table in sorted(metadata.tables.items()):
            if not name.startswith(("sts_", "edt_")) or name in skip:
                continue
            out[name] = sorted(tuple(str(v) for v in row)
                               for row in conn.execute(sa.select(table)))  # fmt: skip
    return out


def journal_kinds(db: Database) -> list[tuple[str, str]]:
    from app.services import journal

    return [(e.nature, e.resultat) for e in reversed(journal.entries(db))]
