"""Seedable demo STS-Web data: an ``STS_EDT`` export and the matching annual timetable.

The establishment is a « cité scolaire » (collège and lycée levels) so that both
worlds appear: whole-class services per division, LV2 and spécialité groups that
span divisions, half-class TP groups, co-taught « AI » hours, epp and local
staff, non-teaching staff without services. The same seed always gives the same
bytes and the same timetable.

:func:`generate_timetable` places every service hour as a one-hour course so the
result is exportable as EDT_STS: teachers and structures never clash, groups
avoid their divisions' whole-class hours when they can, half hours become
week-A / week-B courses, and every course sits inside the 08:00–18:00 opening
hours with a declared alternance and room.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree

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
from app.domain.timetable import (
    Alternance,
    Are,
    Course,
    DivisionAppartenance,
    EnseignantInfo,
    Horaire,
    Indemnite,
    Salle,
    ServiceInfo,
    ServiceKey,
    StructureKind,
    Timetable,
    TimetableGroupe,
    TimetableIndividu,
    assemble_timetable,
    school_mondays,
)

XML_HEADER = b'<?xml version="1.0" encoding="ISO-8859-15"?>\n'

# (code, code gestion, libellé court, libellé long, discipline, libellé discipline)
MATIERES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("020700", "FRANC", "FRANCAIS", "FRANCAIS", "L0202", "LETTRES MODERNES"),
    ("061300", "MATHS", "MATHEMATIQUES", "MATHEMATIQUES", "L1300", "MATHEMATIQUES"),
    ("030201", "AGL1", "ANGLAIS LV1", "ANGLAIS LV1", "L0422", "ANGLAIS"),
    ("030602", "ESP2", "ESPAGNOL LV2", "ESPAGNOL LV2", "L0426", "ESPAGNOL"),
    ("030102", "ALL2", "ALLEMAND LV2", "ALLEMAND LV2", "L0421", "ALLEMAND"),
    ("040300", "HIGEO", "HISTOIRE-GEOGRAPHIE", "HISTOIRE-GEOGRAPHIE", "L1000", "HIST. GEO."),
    ("062300", "PH-CH", "PHYSIQUE-CHIMIE", "PHYSIQUE-CHIMIE", "L1500", "PHYSIQUE CHIMIE"),
    ("062900", "SVT", "SC. VIE & TERRE", "SCIENCES DE LA VIE ET DE LA TERRE", "L1600", "SVT"),
    ("070200", "TECHN", "TECHNOLOGIE", "TECHNOLOGIE", "L1400", "TECHNOLOGIE"),
    ("100100", "EPS", "ED.PHYSIQUE & SPORT.", "EDUCATION PHYSIQUE ET SPORTIVE", "L1900", "EPS"),
    ("080100", "ARPL", "ARTS PLASTIQUES", "ARTS PLASTIQUES", "L1800", "ARTS PLAST."),
    ("081100", "EDMUS", "EDUCATION MUSICALE", "EDUCATION MUSICALE", "L1700", "EDUC. MUSIC."),
    ("076700", "SES", "SC. ECONO.& SOCIALES", "SCIENCES ECONOMIQUES ET SOCIALES", "L8011", "SES"),
    ("013000", "PHILO", "PHILOSOPHIE", "PHILOSOPHIE", "L0100", "PHILOSOPHIE"),
    (
        "020200",
        "LCALA",
        "LCA LATIN",
        "LANGUES ET CULTURES DE L'ANTIQUITE LATIN",
        "L0201",
        "LET. CLAS.",
    ),
    ("081300", "CHOR", "CHANT CHORAL", "CHANT CHORAL (CHŒUR)", "L1700", "EDUC. MUSIC."),
)
SUBJECT = {m[1]: m for m in MATIERES}

MODS_COURS: tuple[tuple[str, str, str, bool], ...] = (
    ("CG", "COURS GENERAL", "COURS GENERAL", False),
    ("AI", "AIDE INDIV.", "AIDE INDIVIDUALISEE - SOUTIEN", True),
    ("TP", "TRAV. PRATIQUES", "TRAVAUX PRATIQUES", False),
    ("TD", "TRAV. DIRIGES", "TRAVAUX DIRIGES", False),
    ("AT", "ATELIER", "ATELIER", False),
)

# level: (prefix, MEF code, MEF libellé, MEFSTAT4, whole-class services (gestion, hours, mod))
LEVELS: tuple[tuple[str, str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "6",
        "10010012110",
        "6EME",
        "2111",
        (
            ("FRANC", "4.50", "CG"),
            ("MATHS", "4.50", "CG"),
            ("AGL1", "4.00", "CG"),
            ("HIGEO", "3.00", "CG"),
            ("SVT", "1.50", "CG"),
            ("TECHN", "1.50", "CG"),
            ("PH-CH", "1.00", "CG"),
            ("EPS", "4.00", "CG"),
            ("ARPL", "1.00", "CG"),
            ("EDMUS", "1.00", "CG"),
            ("FRANC", "1.00", "AI"),
        ),
    ),
    (
        "5",
        "10110001110",
        "5EME",
        "2112",
        (
            ("FRANC", "4.50", "CG"),
            ("MATHS", "3.50", "CG"),
            ("AGL1", "3.00", "CG"),
            ("HIGEO", "3.00", "CG"),
            ("SVT", "1.50", "CG"),
            ("TECHN", "1.50", "CG"),
            ("PH-CH", "1.50", "CG"),
            ("EPS", "3.00", "CG"),
            ("ARPL", "1.00", "CG"),
            ("EDMUS", "1.00", "CG"),
        ),
    ),
    (
        "4",
        "10210001110",
        "4EME",
        "2113",
        (
            ("FRANC", "4.50", "CG"),
            ("MATHS", "3.50", "CG"),
            ("AGL1", "3.00", "CG"),
            ("HIGEO", "3.00", "CG"),
            ("SVT", "1.50", "CG"),
            ("TECHN", "1.50", "CG"),
            ("PH-CH", "1.50", "CG"),
            ("EPS", "3.00", "CG"),
            ("ARPL", "1.00", "CG"),
            ("EDMUS", "1.00", "CG"),
        ),
    ),
    (
        "3",
        "10310019110",
        "3EME",
        "2115",
        (
            ("FRANC", "4.00", "CG"),
            ("MATHS", "3.50", "CG"),
            ("AGL1", "3.00", "CG"),
            ("HIGEO", "3.50", "CG"),
            ("SVT", "1.50", "CG"),
            ("TECHN", "1.50", "CG"),
            ("PH-CH", "1.50", "CG"),
            ("EPS", "3.00", "CG"),
            ("ARPL", "1.00", "CG"),
            ("EDMUS", "1.00", "CG"),
            ("MATHS", "1.00", "AI"),
        ),
    ),
    (
        "2NDE",
        "20010018110",
        "2NDE GENERALE & TECHNO YC BT",
        "2211",
        (
            ("FRANC", "4.00", "CG"),
            ("MATHS", "4.00", "CG"),
            ("AGL1", "3.00", "CG"),
            ("HIGEO", "3.00", "CG"),
            ("PH-CH", "3.00", "CG"),
            ("SVT", "1.50", "CG"),
            ("SES", "1.50", "CG"),
            ("EPS", "2.00", "CG"),
        ),
    ),
    (
        "1G",
        "20111010110",
        "1ERE GENERALE",
        "2212",
        (
            ("FRANC", "4.00", "CG"),
            ("HIGEO", "3.00", "CG"),
            ("AGL1", "2.00", "CG"),
            ("EPS", "2.00", "CG"),
        ),
    ),
    (
        "TG",
        "20212010110",
        "TERMINALE GENERALE",
        "2213",
        (
            ("PHILO", "4.00", "CG"),
            ("HIGEO", "3.00", "CG"),
            ("AGL1", "2.00", "CG"),
            ("EPS", "2.00", "CG"),
        ),
    ),
)

NOMS = (
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "LEFEVRE",
    "FAURE",
    "ANDRE",
    "MERCIER",
    "BLANC",
    "GUERIN",
    "BOYER",
    "GARNIER",
    "CHEVALIER",
    "FRANCOIS",
    "LEGRAND",
    "GAUTHIER",
    "GARCIA",
    "PERRIN",
    "ROBIN",
    "CLEMENT",
    "MORIN",
    "NICOLAS",
    "HENRY",
    "ROUSSEL",
    "MATHIEU",
    "CŒURDEROY",
    "LÆTITIER",
    "N'DIAYE",
    "LE GALL",
    "SAINT-ÉLOI",
    "OUÉDRAOGO",
)
PRENOMS_F = (
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Sophie",
    "Valérie",
    "Christine",
    "Céline",
    "Hélène",
    "Élodie",
    "Zoé",
    "Noëlle",
    "Anaïs",
    "Maëlle",
    "Chloé",
)
PRENOMS_M = (
    "Jean",
    "Philippe",
    "Michel",
    "Alain",
    "Patrick",
    "Nicolas",
    "Christophe",
    "Pierre",
    "Stéphane",
    "Frédéric",
    "Jérôme",
    "Loïc",
    "Benoît",
    "Noël",
    "Hervé",
    "Joël",
)
GRADES_EPP = ("CERT. CL N", "CERT. HCL", "AGREGE CL N", "AGREGE HCL", "PEPS CL N")
GRADES_LOCAL = ("CONTRACT. CAT 1", "CONTRACT. CAT 2", "MA II")


@dataclass
class _Plan:
    """Mutable working state of the STS generator."""

    rng: random.Random
    teachers: list[Individu] = field(default_factory=list)
    subject_of: dict[str, str] = field(default_factory=dict)  # teacher id -> gestion


def generate_sts_data(
    uai: str,
    year: int,
    seed: int,
    *,
    n_teachers: int = 45,
    n_divisions: int = 14,
    n_groups: int = 12,
    target_courses: int | None = None,
) -> StsData:
    """A realistic STS-Web export as data.

    ``target_courses``: when set, groups receive extra TD/TP services until the
    weekly course count (one course per started hour) reaches it; the benchmark
    uses this to get 2,500 courses out of 40 divisions and 60 groups.
    """
    if n_teachers < 1 or n_divisions < 1 or n_groups < 0:
        raise ValueError("il faut au moins un enseignant et une division")
    rng = random.Random(seed)
    levels = _level_plan(n_divisions)
    divisions_raw: list[tuple[str, str, int, list[tuple[str, str, str]]]] = []
    counters: dict[str, int] = defaultdict(int)
    for level_index in levels:
        prefix = LEVELS[level_index][0]
        counters[prefix] += 1
        number = counters[prefix]
        code = f"{prefix}{chr(64 + number)}" if prefix.isdigit() else f"{prefix}{number}"
        if prefix == "3" and number == 2:
            code = "3 B"  # real codes may contain spaces (sts-formats.md §1A)
        label = f"{LEVELS[level_index][2]} {number}"
        divisions_raw.append((code, label, level_index, list(LEVELS[level_index][4])))

    groups_raw = _plan_groups(rng, divisions_raw, n_groups)
    if target_courses is not None:
        _fill_to_target(rng, divisions_raw, groups_raw, target_courses)

    demand: dict[str, float] = defaultdict(float)
    for _, _, _, services in divisions_raw:
        for gestion, hours, mod in services:
            demand[gestion] += float(hours) * (2 if mod == "AI" else 1)
    for group in groups_raw:
        for gestion, hours, _ in group.services:
            demand[gestion] += float(hours)
    total_courses = sum(_courses_for(h) for _, _, _, s in divisions_raw for _, h, _ in s) + sum(
        _courses_for(h) for g in groups_raw for _, h, _ in g.services
    )
    if total_courses / n_teachers > 34:
        raise ValueError(
            f"{n_teachers} enseignants ne suffisent pas pour {total_courses} cours par semaine"
        )

    plan = _Plan(rng)
    _make_staff(plan, n_teachers, demand)
    load: dict[str, float] = defaultdict(float)

    def pick(gestion: str, hours: str, exclude: Iterable[str] = ()) -> Individu:
        pool = [
            t for t in plan.teachers if plan.subject_of[t.id] == gestion and t.id not in exclude
        ]
        if not pool:
            pool = [t for t in plan.teachers if t.id not in exclude]
        chosen = min(pool, key=lambda t: (load[t.id], t.id))
        load[chosen.id] += float(hours)
        return chosen

    def services_for(specs: Iterable[tuple[str, str, str]]) -> tuple[Service, ...]:
        result: list[Service] = []
        for gestion, hours, mod in specs:
            first = pick(gestion, hours)
            teachers = [first]
            if mod == "AI":  # co-taught: a second teacher from another subject
                other = "MATHS" if gestion != "MATHS" else "FRANC"
                teachers.append(pick(other, hours, exclude=[first.id]))
            result.append(
                Service(
                    code_matiere=SUBJECT[gestion][0],
                    code_mod_cours=mod,
                    heures_structure=Decimal(hours),
                    co_ens=mod == "AI",
                    enseignants=tuple(Enseignant(t.id, t.type, Decimal(hours)) for t in teachers),
                )
            )
        return tuple(result)

    divisions = tuple(
        Division(
            code=code,
            libelle=label,
            mefs=(LEVELS[level][1],),
            services=services_for(specs),
        )
        for code, label, level, specs in divisions_raw
    )
    groupes = tuple(
        Groupe(
            code=g.code,
            libelle=g.label,
            mefs=tuple(sorted({LEVELS[g.level][1]})),
            divisions_appartenance=tuple(g.divisions),
            services=services_for(g.services),
        )
        for g in groups_raw
    )
    used_levels = sorted(set(levels))
    return StsData(
        uai=uai,
        annee=year,
        matieres=tuple(
            Matiere(code, gestion, court, long, court)
            for code, gestion, court, long, _, _ in MATIERES
        ),
        mods_cours=tuple(ModCours(c, court, long, co) for c, court, long, co in MODS_COURS),
        mefs=tuple(
            Mef(
                code=LEVELS[i][1],
                libelle_long=LEVELS[i][2],
                libelle_edition=LEVELS[i][2].title(),
                formation=LEVELS[i][2],
                mefstat11=LEVELS[i][1][:3] + LEVELS[i][3] + "0000",
                mefstat4=LEVELS[i][3],
            )
            for i in used_levels
        ),
        individus=tuple(plan.teachers),
        divisions=divisions,
        groupes=groupes,
    )


def _courses_for(hours: str) -> int:
    # One course per whole hour, plus a week-A/week-B course for a half hour.
    value = Decimal(hours)
    return int(value) + (1 if value % 1 else 0)


def _level_plan(n_divisions: int) -> list[int]:
    # Levels fill evenly, collège first, like a cité scolaire with as many classes per level.
    return sorted(i % len(LEVELS) for i in range(n_divisions))


@dataclass
class _GroupSpec:
    code: str
    label: str
    level: int
    divisions: list[str]
    services: list[tuple[str, str, str]]


def _plan_groups(
    rng: random.Random,
    divisions: list[tuple[str, str, int, list[tuple[str, str, str]]]],
    n_groups: int,
) -> list[_GroupSpec]:
    by_level: dict[int, list[str]] = defaultdict(list)
    for code, _, level, _ in divisions:
        by_level[level].append(code)
    kinds: list[tuple[str, int]] = []
    for level in sorted(by_level):
        prefix = LEVELS[level][0]
        if prefix in ("5", "4", "3"):
            kinds += [("ESP2", level), ("ALL2", level)]
        elif prefix == "2NDE":
            kinds += [("TP", level)]
        elif prefix in ("1G", "TG"):
            kinds += [("SPE MATHS", level), ("SPE PC", level), ("SPE SES", level)]
    kinds.append(("CHORALE", min(by_level)))
    groups: list[_GroupSpec] = []
    seen: dict[str, int] = defaultdict(int)
    index = 0
    while len(groups) < n_groups:
        kind, level = kinds[index % len(kinds)]
        index += 1
        members = by_level[level]
        seen[kind + str(level)] += 1
        n = seen[kind + str(level)]
        prefix = LEVELS[level][0]
        if kind in ("ESP2", "ALL2"):
            chosen = rng.sample(members, k=min(len(members), 2))
            hours = "2.50"
            services = [(kind, hours, "CG")]
            code, label = f"{prefix}{kind[:3]}{n}", f"{SUBJECT[kind][2]} {LEVELS[level][2]} G{n}"
        elif kind == "TP":
            chosen = [members[(n - 1) % len(members)]]
            services = [("PH-CH", "1.50", "TP"), ("SVT", "1.00", "TP")]
            half = (n - 1) // len(members) + 1
            code, label = f"{chosen[0]} G{half}", f"DEMI-GROUPE {half} {chosen[0]}"
        elif kind == "CHORALE":
            chosen = sorted(rng.sample(members, k=min(len(members), 3)))
            services = [("CHOR", "1.00", "AT")]
            code, label = f"CHORALE{n}", "Chœur du collège" if n == 1 else f"Chœur {n}"
        else:
            gestion = {"SPE MATHS": "MATHS", "SPE PC": "PH-CH", "SPE SES": "SES"}[kind]
            hours = "4.00" if prefix == "1G" else "6.00"
            chosen = sorted(rng.sample(members, k=min(len(members), 3)))
            services = [(gestion, hours, "CG")]
            code, label = f"{prefix} {kind}{n}", f"{kind} {LEVELS[level][2]} {n}"
        groups.append(_GroupSpec(code, label, level, sorted(chosen), services))
    return groups


def _fill_to_target(
    rng: random.Random,
    divisions: list[tuple[str, str, int, list[tuple[str, str, str]]]],
    groups: list[_GroupSpec],
    target: int,
) -> None:
    if not groups:
        raise ValueError("un nombre de cours visé demande au moins un groupe")
    total = sum(_courses_for(h) for _, _, _, s in divisions for _, h, _ in s) + sum(
        _courses_for(h) for g in groups for _, h, _ in g.services
    )
    candidates = [m[1] for m in MATIERES if m[1] not in ("CHOR",)]
    index = 0
    stalled = 0
    while total < target:
        group = groups[index % len(groups)]
        index += 1
        used = {(s[0], s[2]) for s in group.services}
        hours_now = sum(_courses_for(h) for _, h, _ in group.services)
        options = [(g, m) for g in candidates for m in ("TD", "TP") if (g, m) not in used]
        if hours_now >= 32 or not options:
            stalled += 1
            if stalled > len(groups):
                raise ValueError(f"impossible d'atteindre {target} cours avec ces groupes")
            continue
        stalled = 0
        gestion, mod = rng.choice(options)
        hours = min(rng.choice((1, 2, 2, 3)), target - total)
        group.services.append((gestion, f"{hours}.00", mod))
        total += hours


def _make_staff(plan: _Plan, n_teachers: int, demand: dict[str, float]) -> None:
    rng = plan.rng
    subjects = sorted(demand, key=lambda g: (-demand[g], g))
    total = sum(demand.values())
    counts = {g: max(1, round(n_teachers * demand[g] / total)) for g in subjects}
    # Adjust to exactly n_teachers, trimming the largest subjects first.
    while sum(counts.values()) > n_teachers:
        largest = max((g for g in subjects if counts[g] > 1), key=lambda g: counts[g], default=None)
        if largest is None:
            break
        counts[largest] -= 1
    while sum(counts.values()) < n_teachers:
        neediest = max(subjects, key=lambda g: demand[g] / counts[g])
        counts[neediest] += 1
    assignment = [g for g in subjects for _ in range(counts[g])][:n_teachers]
    used_ids: set[str] = set()

    def new_id() -> str:
        while True:
            ident = str(rng.randint(10_000, 999_999))
            if ident not in used_ids:
                used_ids.add(ident)
                return ident

    for gestion in assignment:
        individu = _person(rng, new_id(), "ENS", gestion)
        plan.teachers.append(individu)
        plan.subject_of[individu.id] = gestion
    # Staff without services: management, education, a teacher on long leave.
    for fonction in ("DIR", "DIR", "EDU", None):
        individu = _person(rng, new_id(), fonction, None)
        plan.teachers.append(individu)
        plan.subject_of[individu.id] = ""


def _person(rng: random.Random, ident: str, fonction: str | None, gestion: str | None) -> Individu:
    local = rng.random() < 0.15
    woman = rng.random() < 0.6
    nom = rng.choice(NOMS)
    married = woman and rng.random() < 0.3
    disciplines: tuple[Discipline, ...] = ()
    grade: str | None
    if gestion:
        _, _, _, _, disc_code, disc_label = SUBJECT[gestion]
        grade = rng.choice(GRADES_LOCAL if local else GRADES_EPP)
        nb = Decimal("15.00") if grade.startswith("AGREGE") else Decimal("18.00")
        disciplines = (Discipline(disc_code, disc_label, nb),)
    else:
        grade = "PERDIR CL N" if fonction == "DIR" else ("CPE CL N" if fonction == "EDU" else None)
    unknown_sex = local and rng.random() < 0.2  # local people may have an empty SEXE
    return Individu(
        id=ident,
        type=IndividuType.LOCAL if local else IndividuType.EPP,
        sexe=None if unknown_sex else ("2" if woman else "1"),
        nom_usage=rng.choice(NOMS) if married else nom,
        nom_patronymique=nom,
        prenom=rng.choice(PRENOMS_F if woman else PRENOMS_M),
        civilite=None if unknown_sex else ("2" if woman else "1"),
        date_naissance=None
        if local and unknown_sex
        else dt.date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28)),
        grade=grade,
        fonction=fonction,
        disciplines=disciplines,
    )


# ------------------------------------------------------------ STS_EDT bytes


def generate_sts_edt(
    uai: str,
    year: int,
    seed: int,
    *,
    n_teachers: int = 45,
    n_divisions: int = 14,
    n_groups: int = 12,
    target_courses: int | None = None,
    pad_values: bool = False,
) -> bytes:
    """The demo establishment's ``sts_emp_<UAI>_<AAAA>.xml`` (ISO-8859-15).

    ``pad_values`` surrounds every text with newlines and spaces, as real samples do.
    """
    data = generate_sts_data(
        uai,
        year,
        seed,
        n_teachers=n_teachers,
        n_divisions=n_divisions,
        n_groups=n_groups,
        target_courses=target_courses,
    )
    return sts_edt_bytes(data, pad_values=pad_values)


def sts_edt_bytes(data: StsData, *, pad_values: bool = False) -> bytes:
    """Serialise :class:`StsData` the way STS-Web lays out its export (tests, demo)."""

    def sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
        element = etree.SubElement(parent, tag, attrib)
        if text is not None:
            element.text = f"\n      {text}\n    " if pad_values else text
        return element

    root = etree.Element("STS_EDT")
    parametres = sub(root, "PARAMETRES")
    uaj = sub(parametres, "UAJ", CODE=data.uai)
    sub(uaj, "ACADEMIE", None, CODE="01")
    sub(uaj, "DENOM_PRINC", "CITE SCOLAIRE")
    sub(uaj, "DENOM_COMPL", "ÉMILE ZOLA")
    annee = sub(parametres, "ANNEE_SCOLAIRE", ANNEE=str(data.annee))
    sub(annee, "DATE_DEBUT", f"{data.annee}-09-01")
    sub(annee, "DATE_FIN", f"{data.annee + 1}-08-31")

    nomenclatures = sub(root, "NOMENCLATURES")
    ahe = sub(nomenclatures, "TYPES_AHE")
    item = sub(ahe, "TYPE_AHE", CODE="4112")
    sub(item, "LIBELLE_COURT", "ASSOC. SPORTIVE")
    sub(item, "LIBELLE_LONG", "HEURES ASSOCIATIONS SPORTIVES")
    mods = sub(nomenclatures, "MODS_COURS")
    for mod in data.mods_cours:
        el = sub(mods, "MOD_COURS", CODE=mod.code)
        sub(el, "LIBELLE_COURT", mod.libelle_court)
        sub(el, "LIBELLE_LONG", mod.libelle_long)
        sub(el, "CO_ENS", "true" if mod.co_ens else "false")
    matieres = sub(nomenclatures, "MATIERES")
    for matiere in data.matieres:
        el = sub(matieres, "MATIERE", CODE=matiere.code)
        sub(el, "CODE_GESTION", matiere.code_gestion)
        sub(el, "LIBELLE_COURT", matiere.libelle_court)
        sub(el, "LIBELLE_LONG", matiere.libelle_long)
        sub(el, "LIBELLE_EDITION", matiere.libelle_edition)
    mefs = sub(nomenclatures, "MEFS")
    for mef in data.mefs:
        el = sub(mefs, "MEF", CODE=mef.code)
        sub(el, "FORMATION", mef.formation)
        sub(el, "LIBELLE_LONG", mef.libelle_long)
        sub(el, "LIBELLE_EDITION", mef.libelle_edition)
        sub(el, "MEFSTAT11", mef.mefstat11)
        sub(el, "MEFSTAT4", mef.mefstat4)

    donnees = sub(root, "DONNEES")
    individus = sub(donnees, "INDIVIDUS")
    for ind in data.individus:
        # Real files put TYPE before or after ID; alternate to keep readers honest.
        attrib = (
            {"ID": ind.id, "TYPE": ind.type.value}
            if int(ind.id) % 2
            else {"TYPE": ind.type.value, "ID": ind.id}
        )
        el = sub(individus, "INDIVIDU", **attrib)
        sub(el, "SEXE", ind.sexe or "")
        if ind.civilite:
            sub(el, "CIVILITE", ind.civilite)
        sub(el, "NOM_USAGE", ind.nom_usage)
        sub(el, "NOM_PATRONYMIQUE", ind.nom_patronymique)
        sub(el, "PRENOM", ind.prenom)
        if ind.date_naissance:
            sub(el, "DATE_NAISSANCE", ind.date_naissance.isoformat())
        if ind.grade:
            sub(el, "GRADE", ind.grade)
        if ind.fonction:
            sub(el, "FONCTION", ind.fonction)
        if ind.disciplines:
            block = sub(el, "DISCIPLINES")
            for disc in ind.disciplines:
                d = sub(block, "DISCIPLINE", CODE=disc.code)
                sub(d, "LIBELLE_COURT", disc.libelle)
                if disc.nb_heures is not None:
                    sub(d, "NB_HEURES", str(disc.nb_heures))
    structure = sub(donnees, "STRUCTURE")
    divisions = sub(structure, "DIVISIONS")
    for division in data.divisions:
        el = sub(divisions, "DIVISION", CODE=division.code)
        sub(el, "LIBELLE_LONG", division.libelle)
        block = sub(el, "MEFS_APPARTENANCE")
        for mef_code in division.mefs:
            sub(block, "MEF_APPARTENANCE", CODE=mef_code)
        _sts_services(sub, el, division.services)
    groupes = sub(structure, "GROUPES")
    for groupe in data.groupes:
        el = sub(groupes, "GROUPE", CODE=groupe.code)
        sub(el, "LIBELLE_LONG", groupe.libelle)
        block = sub(el, "DIVISIONS_APPARTENANCE")
        for div_code in groupe.divisions_appartenance:
            sub(block, "DIVISION_APPARTENANCE", CODE=div_code)
        block = sub(el, "MEFS_APPARTENANCE")
        for mef_code in groupe.mefs:
            sub(block, "MEF_APPARTENANCE", CODE=mef_code)
        _sts_services(sub, el, groupe.services)
    sub(donnees, "SUPPLEANTS")  # present and empty in real samples
    body = etree.tostring(root, encoding="ISO-8859-15", xml_declaration=False, pretty_print=True)
    assert isinstance(body, bytes)
    return XML_HEADER + body


def _sts_services(sub: Any, parent: Any, services: Iterable[Service]) -> None:
    block = sub(parent, "SERVICES")
    for service in services:
        el = sub(
            block,
            "SERVICE",
            CODE_MATIERE=service.code_matiere,
            CODE_MOD_COURS=service.code_mod_cours,
        )
        if service.heures_structure is not None:
            sub(el, "HEURES_STRUCTURE", f"{service.heures_structure:.2f}")
        if service.co_ens is not None:
            sub(el, "CO_ENS", "true" if service.co_ens else "false")
        enseignants = sub(el, "ENSEIGNANTS")
        for ens in service.enseignants:
            e = sub(enseignants, "ENSEIGNANT", ID=ens.id, TYPE=ens.type.value)
            if ens.heures_agent is not None:
                sub(e, "HEURES_AGENT", f"{ens.heures_agent:.2f}")


# -------------------------------------------------------------- timetable

PREFERRED_HOURS = (8, 9, 10, 11, 13, 14, 15, 16, 17)
WEDNESDAY_HOURS = (8, 9, 10, 11)
OPENING = (8 * 60, 18 * 60)


def _slots() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    preferred = [
        (day, hour * 60)
        for day in (1, 2, 3, 4, 5)
        for hour in (WEDNESDAY_HOURS if day == 3 else PREFERRED_HOURS)
    ]
    # Lunch hour and Wednesday afternoon only when nothing else fits.
    extra = [(day, 12 * 60) for day in (1, 2, 3, 4, 5)] + [
        (3, hour * 60) for hour in (13, 14, 15, 16, 17)
    ]
    return preferred, extra


_PARITIES = {"H": ("A", "B"), "SA": ("A",), "SB": ("B",)}


def generate_timetable(sts: StsData, seed: int) -> Timetable:
    """The annual timetable matching ``sts``: one course per service hour, no clash."""
    rng = random.Random(seed)
    preferred, extra = _slots()
    mondays = school_mondays(sts.annee)
    alternances = (
        Alternance("H", "Hebdo", "Cours hebdomadaire", mondays),
        Alternance("SA", "Sem. A", "Semaine A", mondays[0::2]),
        Alternance("SB", "Sem. B", "Semaine B", mondays[1::2]),
    )
    matiere_gestion = {m.code: m.code_gestion or "" for m in sts.matieres}

    total = sum(_courses_for(str(s.heures_structure or 0)) for _, s in sts.services())
    n_classrooms = max(12, math.ceil(total / 30))
    classrooms = [f"S{100 * (1 + i // 20) + i % 20 + 1}" for i in range(n_classrooms)]
    labs = [f"LABO{i + 1}" for i in range(max(2, n_classrooms // 8))]
    gyms = ["GYMNASE 1", "GYMNASE 2", "STADE"] + [
        f"GYMNASE {i}" for i in range(3, max(3, n_classrooms // 10) + 1)
    ]
    salles = (
        [Salle(code, "SALLES BANALISEES", "BATIMENT A") for code in classrooms]
        + [Salle(code, "LABORATOIRES", "BATIMENT B") for code in labs]
        + [Salle(code, "EPS", "INSTALLATIONS SPORTIVES") for code in gyms]
    )

    busy: dict[str, set[tuple[int, int, str]]] = defaultdict(set)
    group_divisions = {g.code: g.divisions_appartenance for g in sts.groupes}
    division_groups: dict[str, list[str]] = defaultdict(list)
    for g in sts.groupes:
        for d in g.divisions_appartenance:
            division_groups[d].append(g.code)

    work: list[tuple[int, StructureKind, str, Service]] = []
    for division in sts.divisions:
        for service in division.services:
            work.append(
                (2 if not service.co_ens else 0, StructureKind.DIVISION, division.code, service)
            )
    for groupe in sts.groupes:
        for service in groupe.services:
            work.append(
                (1 if not service.co_ens else 0, StructureKind.GROUPE, groupe.code, service)
            )
    rng.shuffle(work)
    work.sort(key=lambda w: w[0])  # co-taught first, then groups (more constrained)

    courses: list[Course] = []
    for _, kind, code, service in work:
        teachers = tuple(sorted(e.id for e in service.enseignants))
        if not teachers:
            continue
        hours = service.heures_structure or Decimal(0)
        units = ["H"] * int(hours) + ([rng.choice(("SA", "SB"))] if hours % 1 else [])
        struct_key = f"{kind.value}:{code}"
        if kind is StructureKind.DIVISION:
            soft = [f"eleves:{code}"]
        else:
            soft = [f"division:{d}" for d in group_divisions.get(code, ())]
        days_used: dict[int, int] = defaultdict(int)
        for alternance in units:
            parities = _PARITIES[alternance]
            hard = [struct_key, *(f"teacher:{t}" for t in teachers)]
            slot = _find_slot(rng, busy, preferred, extra, hard, soft, parities, days_used)
            if slot is None:
                raise ValueError(
                    f"impossible de placer un cours de {code} : enseignants ou classe complets"
                )
            day, start = slot
            days_used[day] += 1
            for key in hard:
                busy[key].update((day, start, p) for p in parities)
            if kind is StructureKind.GROUPE:
                for d in group_divisions.get(code, ()):
                    busy[f"eleves:{d}"].update((day, start, p) for p in parities)
            room = _pick_room(
                busy,
                matiere_gestion.get(service.code_matiere, ""),
                classrooms,
                labs,
                gyms,
                day,
                start,
                parities,
            )
            courses.append(
                Course(
                    code_matiere=service.code_matiere,
                    code_mod_cours=service.code_mod_cours,
                    teacher_ids=teachers,
                    structure_code=code,
                    structure_kind=kind,
                    day=day,
                    start=start,
                    duration=60,
                    alternance=alternance,
                    room=room,
                )
            )

    services: dict[ServiceKey, ServiceInfo] = {}
    for structure, service in sts.services():
        kind = StructureKind.DIVISION if isinstance(structure, Division) else StructureKind.GROUPE
        services[(kind, structure.code, service.code_matiere, service.code_mod_cours)] = (
            ServiceInfo(
                heures_structure=service.heures_structure,
                co_ens=service.co_ens,
                enseignants=tuple(
                    EnseignantInfo(e.id, e.type.value, e.heures_agent) for e in service.enseignants
                ),
            )
        )
    return assemble_timetable(
        sts.uai,
        sts.annee,
        courses,
        horaires=[Horaire(day, *OPENING) for day in (1, 2, 3, 4, 5)],
        alternances=alternances,
        salles=salles,
        individus=_timetable_individus(rng, sts),
        services=services,
        division_codes=[d.code for d in sts.divisions],
        groupes=[
            TimetableGroupe(
                code=g.code,
                libelle_long=g.libelle,
                effectif_prevu=rng.randint(12, 35),
                divisions_appartenance=tuple(
                    DivisionAppartenance(d) for d in g.divisions_appartenance
                ),
            )
            for g in sts.groupes
        ],
    )


def _find_slot(
    rng: random.Random,
    busy: dict[str, set[tuple[int, int, str]]],
    preferred: list[tuple[int, int]],
    extra: list[tuple[int, int]],
    hard: list[str],
    soft: list[str],
    parities: tuple[str, ...],
    days_used: dict[int, int],
) -> tuple[int, int] | None:
    def free(keys: list[str], day: int, start: int) -> bool:
        return not any((day, start, p) in busy[k] for k in keys for p in parities)

    for candidates, keys in (
        (preferred, hard + soft),
        (preferred, hard),
        (extra, hard + soft),
        (extra, hard),
    ):
        order = list(candidates)
        rng.shuffle(order)
        order.sort(key=lambda s: days_used[s[0]])  # spread a service over the week
        for day, start in order:
            if free(keys, day, start):
                return day, start
    return None


def _pick_room(
    busy: dict[str, set[tuple[int, int, str]]],
    gestion: str,
    classrooms: list[str],
    labs: list[str],
    gyms: list[str],
    day: int,
    start: int,
    parities: tuple[str, ...],
) -> str | None:
    if gestion == "EPS":
        choices = gyms
    elif gestion in ("PH-CH", "SVT"):
        choices = labs + classrooms
    else:
        choices = classrooms
    for room in choices:
        key = f"salle:{room}"
        if not any((day, start, p) in busy[key] for p in parities):
            busy[key].update((day, start, p) for p in parities)
            return room
    return None  # CODE_SALLE is optional: better no room than a double booking


def _timetable_individus(rng: random.Random, sts: StsData) -> list[TimetableIndividu]:
    teaching: dict[str, set[str]] = defaultdict(set)
    for division in sts.divisions:
        for service in division.services:
            for e in service.enseignants:
                teaching[e.id].add(division.code)
    mef4 = {m.code: m.mefstat4 or "" for m in sts.mefs}
    indemnites: dict[str, list[Indemnite]] = defaultdict(list)
    taken: set[str] = set()
    for division in sts.divisions:
        # One professeur principal per division among its teachers, each at most once.
        candidates = sorted(t for t, divs in teaching.items() if division.code in divs)
        free_ones = [t for t in candidates if t not in taken] or candidates
        if not free_ones or not division.mefs or not mef4.get(division.mefs[0]):
            continue
        chosen = rng.choice(free_ones)
        taken.add(chosen)
        indemnites[chosen].append(Indemnite(division.code, mef4[division.mefs[0]]))
    ares: dict[str, list[Are]] = defaultdict(list)
    eps_code = SUBJECT["EPS"][0]
    for _, service in sts.services():
        if service.code_matiere == eps_code:
            for e in service.enseignants:
                if not ares[e.id]:
                    ares[e.id].append(Are("4112", Decimal("3.00")))
    ids = sorted(set(indemnites) | {k for k, v in ares.items() if v})
    return [TimetableIndividu(i, tuple(indemnites[i]), tuple(ares[i])) for i in ids]
