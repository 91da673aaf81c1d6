"""Which SIECLE value goes to which column, under which French label, for which ticked data.

Values travel between the reader, the plan file and the base in one plain form
(:func:`plain`): ``str``, ``int``, ``bool``, ``None``, and dates as ISO text.
Comparing plain forms is what makes a re-import of the same files write nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import unicodedata
from typing import Any

from app.domain.siecle import Address, Responsable, ResponsableLink, Student

Plain = str | int | bool | None

# (column, French label) per group of ticked data. ``eleve_id`` is updated when a
# student was matched by INE or identity and SIECLE gave it a new ELEVE_ID.
IDENTITY_FIELDS: tuple[tuple[str, str], ...] = (
    ("eleve_id", "Identifiant SIECLE (ELEVE_ID)"),
    ("elenoet", "Numéro interne (ELENOET)"),
    ("ine", "INE"),
    ("nom", "Nom de famille"),
    ("nom_usage", "Nom d'usage"),
    ("prenom", "Prénom"),
    ("prenom2", "Deuxième prénom"),
    ("prenom3", "Troisième prénom"),
    ("date_naissance", "Date de naissance"),
    ("sexe", "Sexe"),
    ("code_mef", "MEF"),
    ("code_regime", "Régime"),
    ("code_statut", "Statut"),
    ("doublement", "Redoublement"),
    ("date_entree", "Date d'entrée"),
    ("date_sortie", "Date de sortie (SIECLE)"),
    ("motif_sortie", "Motif de sortie"),
    ("id_prv_ele", "Identifiant privé"),
    ("code_pays_naissance", "Pays de naissance"),
    ("ville_naissance", "Ville de naissance"),
    ("code_commune_insee_naissance", "Commune de naissance (INSEE)"),
    ("mel", "Courriel"),
    ("tel_personnel", "Téléphone personnel"),
    ("tel_portable", "Téléphone portable"),
    ("tel_professionnel", "Téléphone professionnel"),
    ("accepte_sms", "Accepte les SMS"),
)
ADDRESS_FIELDS: tuple[tuple[str, str], ...] = (
    ("adr_id", "Adresse (identifiant)"),
    ("adr_ligne1", "Adresse, ligne 1"),
    ("adr_ligne2", "Adresse, ligne 2"),
    ("adr_ligne3", "Adresse, ligne 3"),
    ("adr_ligne4", "Adresse, ligne 4"),
    ("adr_boite_postale", "Boîte postale"),
    ("adr_code_postal", "Code postal"),
    ("adr_libelle_postal", "Commune"),
    ("adr_commune_etrangere", "Commune étrangère"),
    ("adr_code_commune_insee", "Commune (INSEE)"),
    ("adr_code_departement", "Département"),
    ("adr_code_pays", "Pays"),
    ("adr_libelle_pays", "Pays (libellé)"),
)
PERSON_FIELDS: tuple[tuple[str, str], ...] = (
    ("civilite", "Civilité"),
    ("nom", "Nom de famille"),
    ("nom_usage", "Nom d'usage"),
    ("prenom", "Prénom"),
    ("tel_personnel", "Téléphone personnel"),
    ("tel_portable", "Téléphone portable"),
    ("tel_professionnel", "Téléphone professionnel"),
    ("mel", "Courriel"),
    ("accepte_sms", "Accepte les SMS"),
    ("communication_adresse", "Communication de l'adresse"),
    ("profession", "Profession (PCS)"),
)
LINK_FIELDS: tuple[str, ...] = (
    "code_parente", "niveau", "rang_legal", "paie_frais", "percoit_aides", "heberge_eleve",
    "contact_prioritaire",
)  # fmt: skip

LABELS: dict[str, str] = {
    **dict(IDENTITY_FIELDS),
    **dict(ADDRESS_FIELDS),
    "division": "Division",
    "groupes": "Groupes",
    "options": "Options",
    "sorti_le": "Sorti le",
}
DATE_COLUMNS = frozenset({"date_naissance", "date_entree", "date_sortie", "sorti_le"})

SEXES = {"M": "Masculin", "F": "Féminin"}
NIVEAUX = {1: "Responsable légal", 2: "Personne en charge", 3: "Contact"}
# CODE_REGIME's first digit gives the family (siecle-formats.md §2, from GEPI's mapping).
_REGIME_FAMILIES = {
    "0": "Externe libre",
    "1": "Externe surveillé",
    "2": "Demi-pensionnaire",
    "3": "Interne",
    "4": "Interne-externé",
    "5": "Interne hébergé",
    "6": "Demi-pensionnaire hors établissement",
}
_REGIME_EXACT = {
    "29": "Demi-pensionnaire au ticket",
    "38": "Demi-interne",
    "39": "Interne week-end",
}
# Observed CODE_PARENTE values (siecle-formats.md §3 says they are unverified): codes kept as is
# when unknown.
PARENTES = {
    "10": "Mère", "20": "Père", "37": "Frère / sœur", "38": "Ascendant", "39": "Autre membre de "
    "la famille", "41": "Éducateur", "42": "Assistant familial", "50": "Garde d'enfant",
    "51": "Aide sociale à l'enfance", "70": "Élève lui-même", "90": "Autre lien",
}  # fmt: skip


def regime_label(code: str | None) -> str | None:
    if not code:
        return None
    label = _REGIME_EXACT.get(code) or _REGIME_FAMILIES.get(code[0])
    return f"{label} ({code})" if label else code


def plain(value: Any) -> Plain:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value  # type: ignore[no-any-return]


def to_db(column: str, value: Plain) -> Any:
    """Plain form back to what the column stores (ISO text → date)."""
    if column in DATE_COLUMNS and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def display(column: str, value: Plain) -> str:
    """A value as the secretary reads it in the preview and the report."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if column in DATE_COLUMNS and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if column == "sexe" and isinstance(value, str):
        return SEXES.get(value, value)
    if column == "code_regime" and isinstance(value, str):
        return regime_label(value) or ""
    return str(value)


_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})


# Names repeat a lot within a school: a bounded cache saves most of the Unicode work.
@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case-, accent- and punctuation-free form: « Lebœuf-Noël » → « leboeufnoel »."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub("", stripped.casefold())


def identity_key(nom: str, prenom: str) -> str:
    return f"{fold(nom)}|{fold(prenom)}"


def _address_values(address: Address | None, adresse_id: str | None) -> dict[str, Plain]:
    if address is None:
        empty: dict[str, Plain] = {column: None for column, _ in ADDRESS_FIELDS}
        return empty | {"adr_id": adresse_id}
    return {
        "adr_id": address.adresse_id,
        "adr_ligne1": address.ligne1,
        "adr_ligne2": address.ligne2,
        "adr_ligne3": address.ligne3,
        "adr_ligne4": address.ligne4,
        "adr_boite_postale": address.boite_postale,
        "adr_code_postal": address.code_postal,
        "adr_libelle_postal": address.libelle_postal,
        "adr_commune_etrangere": address.commune_etrangere,
        "adr_code_commune_insee": address.code_commune_insee,
        "adr_code_departement": address.code_departement,
        "adr_code_pays": address.code_pays,
        "adr_libelle_pays": address.libelle_pays,
    }


STUDENT_COLUMNS: tuple[str, ...] = (
    *(c for c, _ in IDENTITY_FIELDS), *(c for c, _ in ADDRESS_FIELDS), "division",
)  # fmt: skip


_IDENTITY_GETTER = operator.attrgetter(*(c for c, _ in IDENTITY_FIELDS))
_PERSON_GETTER = operator.attrgetter(*(c for c, _ in PERSON_FIELDS))
_ADDRESS_GETTER = operator.attrgetter(
    "adresse_id", "ligne1", "ligne2", "ligne3", "ligne4", "boite_postale", "code_postal",
    "libelle_postal", "commune_etrangere", "code_commune_insee", "code_departement", "code_pays",
    "libelle_pays",
)  # fmt: skip  (ADDRESS_FIELDS order)
_IDENTITY_DATES = tuple(i for i, (c, _) in enumerate(IDENTITY_FIELDS) if c in DATE_COLUMNS)
_NO_ADDRESS: tuple[None, ...] = (None,) * (len(ADDRESS_FIELDS) - 1)


def _address_row(address: Address | None, adresse_id: str | None) -> tuple[Plain, ...]:
    if address is None:
        return (adresse_id, *_NO_ADDRESS)
    return _ADDRESS_GETTER(address)


def student_row(s: Student) -> list[Plain]:
    """:func:`student_values` as a list in STUDENT_COLUMNS order (cheaper to spill)."""
    row: list[Plain] = list(_IDENTITY_GETTER(s))
    for i in _IDENTITY_DATES:
        value = row[i]
        if value is not None:
            row[i] = value.isoformat()  # type: ignore[union-attr]
    row.extend(_address_row(s.address, s.adresse_id))
    row.append(s.division)
    return row


def student_values(s: Student) -> dict[str, Plain]:
    """Every column a Student can fill, in plain form (addresses included)."""
    values: dict[str, Plain] = {column: plain(getattr(s, column)) for column, _ in IDENTITY_FIELDS}
    values.update(_address_values(s.address, s.adresse_id))
    values["division"] = s.division
    return values


def student_groups(s: Student) -> list[str]:
    return sorted(set(s.groups))


def student_options(s: Student) -> list[list[Plain]]:
    """``[num, modalité, matière]`` in export order (the position is the key)."""
    return [[o.num, o.modalite, o.code_matiere] for o in s.options]


def person_values(p: Responsable) -> dict[str, Plain]:
    return dict(zip(PERSON_COLUMNS, person_row(p), strict=True))


PERSON_COLUMNS: tuple[str, ...] = (*(c for c, _ in PERSON_FIELDS), *(c for c, _ in ADDRESS_FIELDS))


def person_row(p: Responsable) -> tuple[Plain, ...]:
    """:func:`person_values` as a tuple (PERSON_FIELDS then ADDRESS_FIELDS order).

    Persons have no date field, so the values are already in plain form."""
    return (*_PERSON_GETTER(p), *_address_row(p.address, p.adresse_id))


def link_row(link: ResponsableLink) -> tuple[Plain, ...]:
    """:func:`link_values` as a tuple in LINK_FIELDS order."""
    return (
        link.code_parente, link.niveau_responsabilite, link.rang_legal, link.paie_frais,
        link.percoit_aides, link.heberge_eleve, link.contact_prioritaire,
    )  # fmt: skip


def link_values(link: ResponsableLink) -> dict[str, Plain]:
    return {
        "code_parente": link.code_parente,
        "niveau": link.niveau_responsabilite,
        "rang_legal": link.rang_legal,
        "paie_frais": link.paie_frais,
        "percoit_aides": link.percoit_aides,
        "heberge_eleve": link.heberge_eleve,
        "contact_prioritaire": link.contact_prioritaire,
    }


def format_options(options: list[list[Plain]] | list[tuple[Plain, ...]]) -> str:
    return ", ".join(f"{o[2]} ({o[1]})" if o[1] else str(o[2]) for o in options)


def format_address(values: dict[str, Any]) -> str | None:
    parts = [
        values.get(k)
        for k in ("adr_ligne1", "adr_ligne2", "adr_ligne3", "adr_ligne4", "adr_boite_postale")
    ]
    town = " ".join(
        str(v) for v in (values.get("adr_code_postal"), values.get("adr_libelle_postal")) if v
    )
    lines = [str(p) for p in parts if p]
    if town:
        lines.append(town)
    foreign = values.get("adr_commune_etrangere")
    if foreign:
        lines.append(str(foreign))
    country = values.get("adr_libelle_pays")
    if country and values.get("adr_code_pays") not in (None, "100"):
        lines.append(str(country))
    return ", ".join(lines) or None
