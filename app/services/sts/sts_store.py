"""Reading and replacing an establishment's STS data in the base (no business rules).

Writes use ``executemany`` (one INSERT per table) so a big lycée's data goes in
quickly; replacing is one DELETE of the ``sts_donnees`` row, everything else
cascades.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.sts import (
    Discipline,
    Division,
    Enseignant,
    Groupe,
    Individu,
    IndividuType,
    Matiere,
    Mef,
    ModCours,
    Service,
    StsData,
)
from app.store.tables.sts import (
    sts_appartenances,
    sts_disciplines,
    sts_donnees,
    sts_individus,
    sts_matieres,
    sts_mefs,
    sts_modalites,
    sts_service_enseignants,
    sts_services,
    sts_structure_mefs,
    sts_structures,
)

DIVISION = "division"
GROUPE = "groupe"


@dataclass(frozen=True, slots=True)
class StsFreshness:
    """When and how the STS data of one establishment and year was retrieved."""

    uai: str
    annee: int
    recupere_le: dt.datetime
    source: str  # fichier | netsynchro | demo
    fichier: str | None
    empreinte: str


def fingerprint(data: StsData) -> str:
    """A digest of the content (not of the file bytes): same data, same digest."""
    return hashlib.sha256(repr(data).encode("utf-8")).hexdigest()


def freshness(conn: Connection, uai: str, annee: int) -> StsFreshness | None:
    row = conn.execute(
        sa.select(sts_donnees).where(sts_donnees.c.uai == uai, sts_donnees.c.annee == annee)
    ).first()
    if row is None:
        return None
    when = row.recupere_le if row.recupere_le.tzinfo else row.recupere_le.replace(tzinfo=dt.UTC)
    return StsFreshness(row.uai, row.annee, when, row.source, row.fichier, row.empreinte)


def touch(conn: Connection, uai: str, annee: int, *, source: str, fichier: str | None) -> None:
    """Same data retrieved again: only the freshness moves."""
    conn.execute(
        sa.update(sts_donnees)
        .where(sts_donnees.c.uai == uai, sts_donnees.c.annee == annee)
        .values(recupere_le=dt.datetime.now(dt.UTC), source=source, fichier=fichier)
    )


def replace(
    conn: Connection, data: StsData, *, source: str, fichier: str | None, digest: str
) -> None:
    """Delete the establishment's STS data for ``data.annee`` and insert ``data``."""
    uai, annee = data.uai, data.annee
    key = {"uai": uai, "annee": annee}
    conn.execute(sa.delete(sts_donnees).where(sts_donnees.c.uai == uai,
                                              sts_donnees.c.annee == annee))  # fmt: skip
    conn.execute(
        sa.insert(sts_donnees).values(
            **key, recupere_le=dt.datetime.now(dt.UTC), source=source, fichier=fichier,
            empreinte=digest,
        )
    )
    _many(conn, sts_matieres, [
        {**key, "code": m.code, "code_gestion": m.code_gestion,
         "libelle_court": m.libelle_court, "libelle_long": m.libelle_long,
         "libelle_edition": m.libelle_edition}
        for m in data.matieres
    ])  # fmt: skip
    _many(conn, sts_modalites, [
        {**key, "code": m.code, "libelle_court": m.libelle_court,
         "libelle_long": m.libelle_long, "co_ens": m.co_ens}
        for m in data.mods_cours
    ])  # fmt: skip
    _many(conn, sts_mefs, [
        {**key, "code": m.code, "libelle_long": m.libelle_long,
         "libelle_edition": m.libelle_edition, "formation": m.formation,
         "specialite": m.specialite, "mefstat11": m.mefstat11, "mefstat4": m.mefstat4}
        for m in data.mefs
    ])  # fmt: skip
    _many(conn, sts_individus, [
        {**key, "id": i.id, "type": i.type.value, "sexe": i.sexe, "nom_usage": i.nom_usage,
         "nom_patronymique": i.nom_patronymique, "prenom": i.prenom, "civilite": i.civilite,
         "date_naissance": i.date_naissance, "grade": i.grade, "fonction": i.fonction}
        for i in data.individus
    ])  # fmt: skip
    _many(conn, sts_disciplines, [
        {**key, "individu_id": i.id, "code": d.code, "libelle": d.libelle,
         "nb_heures": d.nb_heures}
        for i in data.individus for d in _unique_by_code(i.disciplines)
    ])  # fmt: skip
    structures: list[tuple[str, Division | Groupe]] = [
        *((DIVISION, d) for d in data.divisions),
        *((GROUPE, g) for g in data.groupes),
    ]
    _many(conn, sts_structures, [
        {**key, "nature": nature, "code": s.code, "libelle": s.libelle}
        for nature, s in structures
    ])  # fmt: skip
    _many(conn, sts_structure_mefs, [
        {**key, "nature": nature, "structure": s.code, "mef": mef}
        for nature, s in structures for mef in dict.fromkeys(s.mefs)
    ])  # fmt: skip
    _many(conn, sts_appartenances, [
        {**key, "nature": GROUPE, "groupe": g.code, "division": d}
        for g in data.groupes for d in dict.fromkeys(g.divisions_appartenance)
    ])  # fmt: skip
    _insert_services(conn, uai, annee, structures)


def _unique_by_code(disciplines: tuple[Discipline, ...]) -> list[Discipline]:
    return list({d.code: d for d in disciplines}.values())


def _insert_services(
    conn: Connection, uai: str, annee: int, structures: list[tuple[str, Division | Groupe]]
) -> None:
    rows: list[dict[str, Any]] = []
    teachers: list[tuple[tuple[str, str, str, str], tuple[Enseignant, ...]]] = []
    for nature, structure in structures:
        for service in structure.services:
            skey = (nature, structure.code, service.code_matiere, service.code_mod_cours)
            rows.append({
                "uai": uai, "annee": annee, "nature": nature, "structure": structure.code,
                "code_matiere": service.code_matiere, "code_mod_cours": service.code_mod_cours,
                "heures_structure": service.heures_structure, "co_ens": service.co_ens,
            })  # fmt: skip
            teachers.append((skey, service.enseignants))
    if not rows:
        return
    _many(conn, sts_services, rows)
    # Ids come back in one query instead of one RETURNING per row (executemany).
    ids = {
        (r.nature, r.structure, r.code_matiere, r.code_mod_cours): r.id
        for r in conn.execute(
            sa.select(sts_services.c.id, sts_services.c.nature, sts_services.c.structure,
                      sts_services.c.code_matiere, sts_services.c.code_mod_cours)
            .where(sts_services.c.uai == uai, sts_services.c.annee == annee)
        )
    }  # fmt: skip
    links: dict[tuple[int, str], dict[str, Any]] = {}
    for skey, enseignants in teachers:
        for e in enseignants:
            links[(ids[skey], e.id)] = {
                "service_id": ids[skey], "individu_id": e.id, "type": e.type.value,
                "heures_agent": e.heures_agent,
            }  # fmt: skip
    _many(conn, sts_service_enseignants, list(links.values()))


def _many(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(table), rows)


def load(conn: Connection, uai: str, annee: int) -> StsData | None:
    """The stored STS data, or None if never retrieved for this year."""
    if freshness(conn, uai, annee) is None:
        return None

    def rows(table: sa.Table, *order: str) -> list[Any]:
        query = sa.select(table).where(table.c.uai == uai, table.c.annee == annee)
        return list(conn.execute(query.order_by(*(table.c[c] for c in order))))

    disciplines: dict[str, list[Discipline]] = defaultdict(list)
    for d in rows(sts_disciplines, "individu_id", "code"):
        disciplines[d.individu_id].append(
            Discipline(d.code, d.libelle, _dec(d.nb_heures))
        )
    mefs_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for m in rows(sts_structure_mefs, "nature", "structure", "mef"):
        mefs_of[(m.nature, m.structure)].append(m.mef)
    members: dict[str, list[str]] = defaultdict(list)
    for a in rows(sts_appartenances, "groupe", "division"):
        members[a.groupe].append(a.division)
    services = _load_services(conn, uai, annee)
    divisions: list[Division] = []
    groupes: list[Groupe] = []
    for s in rows(sts_structures, "nature", "code"):
        key = (s.nature, s.code)
        if s.nature == DIVISION:
            divisions.append(Division(s.code, s.libelle, tuple(mefs_of[key]),
                                      tuple(services[key])))  # fmt: skip
        else:
            groupes.append(Groupe(s.code, s.libelle, tuple(mefs_of[key]),
                                  tuple(members[s.code]), tuple(services[key])))  # fmt: skip
    return StsData(
        uai=uai,
        annee=annee,
        matieres=tuple(
            Matiere(m.code, m.code_gestion, m.libelle_court, m.libelle_long, m.libelle_edition)
            for m in rows(sts_matieres, "code")
        ),
        mods_cours=tuple(
            ModCours(m.code, m.libelle_court, m.libelle_long, bool(m.co_ens))
            for m in rows(sts_modalites, "code")
        ),
        mefs=tuple(
            Mef(m.code, m.libelle_long, m.libelle_edition, m.formation, m.specialite,
                m.mefstat11, m.mefstat4)
            for m in rows(sts_mefs, "code")
        ),
        individus=tuple(
            Individu(i.id, IndividuType(i.type), i.sexe, i.nom_usage, i.nom_patronymique,
                     i.prenom, i.civilite, i.date_naissance, i.grade, i.fonction,
                     tuple(disciplines[i.id]))
            for i in rows(sts_individus, "id")
        ),
        divisions=tuple(divisions),
        groupes=tuple(groupes),
    )


def _load_services(
    conn: Connection, uai: str, annee: int
) -> dict[tuple[str, str], list[Service]]:
    teachers: dict[int, list[Enseignant]] = defaultdict(list)
    query = (
        sa.select(sts_service_enseignants)
        .join(sts_services, sts_services.c.id == sts_service_enseignants.c.service_id)
        .where(sts_services.c.uai == uai, sts_services.c.annee == annee)
        .order_by(sts_service_enseignants.c.service_id, sts_service_enseignants.c.individu_id)
    )
    for t in conn.execute(query):
        teachers[t.service_id].append(
            Enseignant(t.individu_id, IndividuType(t.type), _dec(t.heures_agent))
        )
    out: dict[tuple[str, str], list[Service]] = defaultdict(list)
    services = conn.execute(
        sa.select(sts_services)
        .where(sts_services.c.uai == uai, sts_services.c.annee == annee)
        .order_by(sts_services.c.nature, sts_services.c.structure, sts_services.c.code_matiere,
                  sts_services.c.code_mod_cours)
    )  # fmt: skip
    for s in services:
        out[(s.nature, s.structure)].append(
            Service(s.code_matiere, s.code_mod_cours, _dec(s.heures_structure),
                    None if s.co_ens is None else bool(s.co_ens), tuple(teachers[s.id]))
        )  # fmt: skip
    return out


def _dec(value: Any) -> Decimal | None:
    # SQLite hands NUMERIC back as float or Decimal depending on the value; normalise.
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def counts(conn: Connection, uai: str, annee: int) -> dict[str, int]:
    """Row counts shown in the journal and the wizard."""

    def count(table: sa.Table) -> int:
        return int(conn.execute(
            sa.select(sa.func.count()).select_from(table)
            .where(table.c.uai == uai, table.c.annee == annee)
        ).scalar_one())  # fmt: skip

    return {
        "individus": count(sts_individus),
        "matieres": count(sts_matieres),
        "modalites": count(sts_modalites),
        "mefs": count(sts_mefs),
        "structures": count(sts_structures),
        "services": count(sts_services),
    }
