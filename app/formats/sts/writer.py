"""Writer of the ``EDT_STS`` file sent to STS-Web (sts-formats.md §1B).

The output is ISO-8859-15 with a byte-exact, double-quoted declaration (lxml
would write single quotes, engineering-notes §4); characters outside Latin-9
become character references. Everything is sorted, so the same timetable always
gives the same bytes. Nothing leaves without passing our own schema
(``edt_sts.xsd``) and the checks the schema cannot express (Mondays, opening
hours, the school year).

``APPLICATION_SOURCE`` is omitted unless the timetable sets it: the DTD makes it
optional, the only known value (``EDITEUR_PRIVE``) looks like a category from a
closed list rather than a product name, so inventing one (« PASSERELLE ») could
get the file refused for no benefit.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

from lxml import etree

from app.domain.school_year import year_bounds, year_label
from app.domain.timetable import (
    DAY_NAMES,
    CoursSlot,
    Horaire,
    Timetable,
    TimetableEnseignant,
    TimetableService,
    format_clock,
    format_hhmm,
    parse_hhmm,
)
from app.domain.uai import is_valid_uai
from app.formats.errors import FormatError
from app.formats.xmlsafe import hardened_parser, parse_document

XML_HEADER = b'<?xml version="1.0" encoding="ISO-8859-15"?>\n'
ENCODING = "ISO-8859-15"
MAX_LISTED = 15


# ------------------------------------------------------------------ writing


def write_edt_sts(timetable: Timetable) -> bytes:
    """Serialise ``timetable``; raise :class:`FormatError` unless the result is valid."""
    problems = timetable_problems(timetable)
    if problems:
        raise _invalid(problems, "L'emploi du temps ne peut pas être exporté vers STSWEB")
    try:
        root = _build(timetable)
    except ValueError as exc:
        # lxml refuses control characters and NUL in text: they cannot be written in XML.
        raise FormatError(
            "L'emploi du temps contient des caractères invisibles ou de contrôle qui ne peuvent "
            "pas être écrits dans le fichier : corrigez les libellés ou les codes concernés.",
            code="EDT_STS_CARACTERES",
            details=str(exc),
        ) from exc
    body = etree.tostring(root, encoding=ENCODING, xml_declaration=False, pretty_print=True)
    assert isinstance(body, bytes)  # an explicit encoding always gives bytes
    data = XML_HEADER + body
    validate_edt_sts(data)
    return data


def _sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _hours(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _rate(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _build(tt: Timetable) -> Any:
    root = etree.Element("EDT_STS")
    parametres = _sub(root, "PARAMETRES")
    _sub(parametres, "UAJ", tt.uai)
    _sub(parametres, "ANNEE_SCOLAIRE", str(tt.annee))
    if tt.application_source:
        _sub(parametres, "APPLICATION_SOURCE", tt.application_source)

    donnees = _sub(root, "DONNEES")
    horaires = _sub(donnees, "HORAIRES")
    for horaire in sorted(tt.horaires, key=lambda h: h.day):
        el = _sub(horaires, "HORAIRE", JOUR=str(horaire.day))
        _sub(el, "DEBUT_COURS", format_hhmm(horaire.debut))
        _sub(el, "FIN_COURS", format_hhmm(horaire.fin))

    alternances = _sub(donnees, "ALTERNANCES")
    for alt in sorted(tt.alternances, key=lambda a: a.code):
        el = _sub(alternances, "ALTERNANCE", CODE=alt.code)
        _sub(el, "LIBELLE_COURT", alt.libelle_court)
        _sub(el, "LIBELLE_LONG", alt.libelle_long)
        semaines = _sub(el, "SEMAINES")
        for monday in sorted(alt.week_starts):
            _sub(semaines, "DATE_DEBUT_SEMAINE", monday.isoformat())

    salles = _sub(donnees, "SALLES_COURS")
    for salle in sorted(tt.salles, key=lambda s: s.code):
        el = _sub(salles, "SALLE_COURS", CODE=salle.code)
        if salle.groupe_salle:
            _sub(el, "GROUPE_SALLE", salle.groupe_salle)
        if salle.localisation:
            _sub(el, "LOCALISATION", salle.localisation)

    individus = _sub(donnees, "INDIVIDUS")
    for individu in sorted(tt.individus, key=lambda i: i.id):
        el = _sub(individus, "INDIVIDU", ID=individu.id)
        if individu.indemnites:
            block = _sub(el, "INDEMNITES")
            for ind in sorted(individu.indemnites, key=lambda i: (i.code_structure, i.mefstat4)):
                item = _sub(block, "INDEMNITE")
                _sub(item, "CODE_STRUCTURE", ind.code_structure)
                _sub(item, "MEFSTAT4", ind.mefstat4)
        if individu.ares:
            block = _sub(el, "ARES")
            for are in sorted(individu.ares, key=lambda a: (a.code_are, a.heures)):
                item = _sub(block, "ARE")
                _sub(item, "CODE_ARE", are.code_are)
                _sub(item, "HEURES", _hours(are.heures))

    structure = _sub(donnees, "STRUCTURE")
    divisions = _sub(structure, "DIVISIONS")
    for division in sorted(tt.divisions, key=lambda d: d.code):
        el = _sub(divisions, "DIVISION", CODE=division.code)
        _services(el, division.services)
    groupes = _sub(structure, "GROUPES")
    for groupe in sorted(tt.groupes, key=lambda g: g.code):
        el = _sub(groupes, "GROUPE", CODE=groupe.code)
        if groupe.libelle_long:
            _sub(el, "LIBELLE_LONG", groupe.libelle_long)
        if groupe.effectif_prevu is not None:
            _sub(el, "EFFECTIF_PREVU", str(groupe.effectif_prevu))
        if groupe.effectif_max_edt is not None:
            _sub(el, "EFFECTIF_MAX_EDT", str(groupe.effectif_max_edt))
        if groupe.divisions_appartenance:
            block = _sub(el, "DIVISIONS_APPARTENANCE")
            for app in sorted(
                groupe.divisions_appartenance, key=lambda a: (a.code or "", a.effectif_prevu or 0)
            ):
                item = _sub(
                    block, "DIVISION_APPARTENANCE", **({"CODE": app.code} if app.code else {})
                )
                if app.effectif_prevu is not None:
                    _sub(item, "EFFECTIF_PREVU", str(app.effectif_prevu))
        _services(el, groupe.services)
    return root


def _services(parent: Any, services: Iterable[TimetableService]) -> None:
    block = _sub(parent, "SERVICES")
    for service in sorted(services, key=lambda s: (s.code_matiere, s.code_mod_cours or "")):
        attrib = {"CODE_MATIERE": service.code_matiere}
        if service.code_mod_cours:
            attrib["CODE_MOD_COURS"] = service.code_mod_cours
        el = _sub(block, "SERVICE", **attrib)
        if service.heures_structure is not None:
            _sub(el, "HEURES_STRUCTURE", _hours(service.heures_structure))
        if service.co_ens is not None:
            _sub(el, "CO_ENS", "true" if service.co_ens else "false")
        enseignants = _sub(el, "ENSEIGNANTS")
        for enseignant in sorted(service.enseignants, key=lambda e: e.id):
            _enseignant(enseignants, enseignant)


def _enseignant(parent: Any, enseignant: TimetableEnseignant) -> None:
    attrib = {"ID": enseignant.id}
    if enseignant.type:
        attrib["TYPE"] = enseignant.type
    el = _sub(parent, "ENSEIGNANT", **attrib)
    if enseignant.heures_agent is not None:
        _sub(el, "HEURES_AGENT", _hours(enseignant.heures_agent))
    if enseignant.taux_ponderation is not None:
        _sub(el, "TAUX_PONDERATION", _rate(enseignant.taux_ponderation))
    if enseignant.cours:
        rattaches = _sub(el, "COURS_RATTACHES")
        for slot in sorted(enseignant.cours, key=_slot_order):
            cours = _sub(rattaches, "COURS")
            _sub(cours, "CODE_ALTERNANCE", slot.alternance)
            _sub(cours, "JOUR", str(slot.day))
            _sub(cours, "HEURE_DEBUT", format_hhmm(slot.start))
            _sub(cours, "DUREE", format_hhmm(slot.duration))
            if slot.room:
                _sub(cours, "CODE_SALLE", slot.room)


def _slot_order(slot: CoursSlot) -> tuple[int, int, int, str, str]:
    return (slot.day, slot.start, slot.duration, slot.alternance, slot.room or "")


# ------------------------------------------------------- checks on the model


def timetable_problems(tt: Timetable) -> list[str]:
    """What the schema cannot see, in French, checked on the model before writing."""
    problems: list[str] = []
    if not is_valid_uai(tt.uai):
        problems.append(f"le code UAI « {tt.uai} » n'est pas valide")
    if tt.annee is None:
        problems.append("l'année scolaire n'est pas renseignée")
    alternance_codes = {a.code for a in tt.alternances}
    if tt.annee is not None:
        first, last = year_bounds(tt.annee)
        first -= dt.timedelta(days=first.weekday())
        for alt in tt.alternances:
            if not alt.week_starts:
                problems.append(f"l'alternance « {alt.code} » ne contient aucune semaine")
            outside = [d for d in alt.week_starts if not first <= d <= last]
            if outside:
                problems.append(
                    f"l'alternance « {alt.code} » contient la semaine du {outside[0]:%d/%m/%Y}, "
                    f"hors de l'année scolaire {year_label(tt.annee)}"
                )
    salle_codes = {s.code for s in tt.salles}
    horaires = {h.day: h for h in tt.horaires}
    for kind, code, services in tt.structures():
        label = f"{'division' if kind.value == 'division' else 'groupe'} {code}"
        for service in services:
            for enseignant in service.enseignants:
                for slot in enseignant.cours:
                    where = (
                        f"cours de {label}, matière {service.code_matiere}, enseignant "
                        f"{enseignant.id}, {DAY_NAMES[slot.day]} {format_clock(slot.start)}"
                    )
                    if slot.alternance not in alternance_codes:
                        problems.append(f"{where} : alternance « {slot.alternance} » inconnue")
                    if slot.room is not None and slot.room not in salle_codes:
                        problems.append(f"{where} : salle « {slot.room} » inconnue")
                    if horaires:
                        problems.extend(_outside_hours(where, slot, horaires))
    return problems


def _outside_hours(where: str, slot: CoursSlot, horaires: dict[int, Horaire]) -> list[str]:
    horaire = horaires.get(slot.day)
    if horaire is None:
        return [f"{where} : l'établissement n'a pas d'horaires ce jour-là"]
    if slot.start < horaire.debut or slot.start + slot.duration > horaire.fin:
        return [
            f"{where} : le cours sort des horaires de l'établissement "
            f"({format_clock(horaire.debut)}–{format_clock(horaire.fin)})"
        ]
    return []


# --------------------------------------------------------------- validation


@functools.cache
@functools.cache
def _schema() -> etree.XMLSchema:
    # Compiled once per process; XMLSchema.validate is safe to reuse.
    data = resources.files("app.formats.sts").joinpath("edt_sts.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(data, parser=hardened_parser()))


def validate_edt_sts(data: bytes) -> None:
    """Raise :class:`FormatError` listing, in French, why ``data`` is not a valid EDT_STS.

    This checks what *we* send (byte-exact header included), not what other
    software writes: foreign EDT_STS files go through the tolerant reader.
    """
    problems = edt_sts_problems(data)
    if problems:
        raise _invalid(problems, "Le fichier EDT_STS n'est pas conforme")


def edt_sts_problems(data: bytes) -> list[str]:
    """French list of what is wrong with an EDT_STS document (empty when valid)."""
    if not data.startswith(XML_HEADER):
        return ['la première ligne doit être <?xml version="1.0" encoding="ISO-8859-15"?>']
    root = parse_document(data)
    schema = _schema()
    if not schema.validate(root):
        errors: Iterable[Any] = schema.error_log  # type: ignore[assignment]
        return [_french(error) for error in errors]
    return _semantic_problems(root)


def _semantic_problems(root: Any) -> list[str]:
    problems: list[str] = []
    annee = int(root.findtext("PARAMETRES/ANNEE_SCOLAIRE"))
    first, last = year_bounds(annee)
    first -= dt.timedelta(days=first.weekday())
    for week in root.iterfind("DONNEES/ALTERNANCES/ALTERNANCE/SEMAINES/DATE_DEBUT_SEMAINE"):
        monday = dt.date.fromisoformat(week.text)
        if monday.weekday() != 0:
            problems.append(
                f"ligne {week.sourceline} : DATE_DEBUT_SEMAINE {monday:%d/%m/%Y} n'est pas un lundi"
            )
        elif not first <= monday <= last:
            problems.append(
                f"ligne {week.sourceline} : la semaine du {monday:%d/%m/%Y} est hors de l'année "
                f"scolaire {year_label(annee)}"
            )
    hours: dict[int, tuple[int, int]] = {}
    for horaire in root.iterfind("DONNEES/HORAIRES/HORAIRE"):
        debut = parse_hhmm(horaire.findtext("DEBUT_COURS"))
        fin = parse_hhmm(horaire.findtext("FIN_COURS"))
        if debut >= fin:
            problems.append(f"ligne {horaire.sourceline} : FIN_COURS avant DEBUT_COURS")
        hours[int(horaire.get("JOUR"))] = (debut, fin)
    for cours in root.iterfind(".//COURS"):
        start = parse_hhmm(cours.findtext("HEURE_DEBUT"))
        duration = parse_hhmm(cours.findtext("DUREE"))
        day = int(cours.findtext("JOUR"))
        line = f"ligne {cours.sourceline}"
        if duration == 0:
            problems.append(f"{line} : cours de durée nulle")
        elif start + duration > 24 * 60 - 1:
            problems.append(f"{line} : le cours finit après minuit")
        elif hours and day not in hours:
            problems.append(f"{line} : cours le {DAY_NAMES[day]}, jour sans horaires")
        elif hours and not (hours[day][0] <= start and start + duration <= hours[day][1]):
            problems.append(f"{line} : le cours sort des horaires de l'établissement")
    return problems


def _invalid(problems: list[str], title: str) -> FormatError:
    listed = "\n".join(f"- {p}" for p in problems[:MAX_LISTED])
    more = len(problems) - MAX_LISTED
    suffix = f"\n… et {more} autre(s) problème(s)." if more > 0 else ""
    count = f"{len(problems)} problème{'s' if len(problems) > 1 else ''}"
    return FormatError(
        f"{title} ({count}) :\n{listed}{suffix}",
        code="EDT_STS_INVALIDE",
        details="\n".join(problems),
    )


# libxml2 speaks English; secretaries read French. The common schema messages are
# rephrased, anything else keeps the technical text after a French lead-in.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"Element '(\w+)': Missing child element\(s\)\. Expected is (?:one of )?\( (.+) \)"
        ),
        "dans {0}, il manque l'élément {1}",
    ),
    (
        re.compile(
            r"Element '(\w+)': This element is not expected\. Expected is (?:one of )?\( (.+) \)"
        ),
        "élément {0} inattendu à cet endroit (attendu : {1})",
    ),
    (re.compile(r"Element '(\w+)': This element is not expected"), "élément {0} inattendu"),
    (
        re.compile(r"Element '(\w+)': The attribute '(\w+)' is required but missing"),
        "il manque l'attribut {1} de {0}",
    ),
    (
        re.compile(r"Element '(\w+)', attribute '(\w+)': The attribute '\w+' is not allowed"),
        "attribut {1} non prévu dans {0}",
    ),
    (
        re.compile(r"Element '(\w+)', attribute '(\w+)': \[facet '\w+'\] The value '(.*?)'"),
        "valeur « {2} » refusée pour l'attribut {1} de {0}",
    ),
    (
        re.compile(r"Element '(\w+)': \[facet '\w+'\] The value '(.*?)'"),
        "valeur « {1} » refusée pour {0}",
    ),
    (
        re.compile(r"Element '(\w+)', attribute '(\w+)': '(.*?)' is not a valid value"),
        "valeur « {2} » incorrecte pour l'attribut {1} de {0}",
    ),
    (
        re.compile(r"Element '(\w+)': '(.*?)' is not a valid value"),
        "valeur « {1} » incorrecte pour {0}",
    ),
    (
        re.compile(
            r"Element '(\w+)': No match found for key-sequence \['(.*?)'\] of keyref '(\w+)'"
        ),
        "{0} : « {1} » ne correspond à aucun(e) {2} déclaré(e)",
    ),
    (
        re.compile(
            r"Element '(\w+)': Duplicate key-sequence \[(.*?)\] in (?:unique|key) "
            r"identity-constraint '(\w+)'"
        ),
        "{0} : {1} apparaît deux fois ({2})",
    ),
    (
        re.compile(r"Element '(\w+)': Character content other than whitespace is not allowed"),
        "texte inattendu dans {0}",
    ),
    (
        re.compile(r"Element '(\w+)': No matching global declaration available"),
        "la racine du fichier doit être EDT_STS, pas {0}",
    ),
]

_CONSTRAINTS = {
    "coursAlternance": "ALTERNANCE",
    "coursSalle": "SALLE_COURS",
    "horaireJour": "HORAIRE pour ce jour",
    "individuId": "INDIVIDU avec cet ID",
    "divisionCode": "DIVISION avec ce code",
    "groupeCode": "GROUPE avec ce code",
    "serviceDivisionUnique": "service de la même matière et modalité",
    "serviceGroupeUnique": "service de la même matière et modalité",
    "enseignantUnique": "enseignant dans le même service",
    "semaineUnique": "semaine dans la même alternance",
    "alternanceCode": "code d'alternance",
    "salleCode": "code de salle",
}


def _french(error: Any) -> str:
    message = str(error.message)
    for pattern, template in _PATTERNS:
        match = pattern.search(message)
        if match:
            groups = [_CONSTRAINTS.get(g, g) for g in match.groups()]
            return f"ligne {error.line} : {template.format(*groups)}"
    return f"ligne {error.line} : non conforme au schéma EDT_STS ({message})"
