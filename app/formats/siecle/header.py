"""Root-element detection and ``PARAMETRES`` checks: the refusals of a SIECLE file.

Everything here raises :class:`FormatError` with a stable code; nothing is read
past ``PARAMETRES``, so a wrong file is refused before any record is used.
"""

from __future__ import annotations

from typing import Any

from app.domain.school_year import is_valid_year, year_label
from app.domain.siecle import SiecleHeader, SiecleKind
from app.domain.uai import is_valid_uai, normalize_uai, validate_uai
from app.errors import InvalidUAI
from app.formats.errors import FormatError
from app.formats.siecle.source import PARAMETRES, ROOT, OpenedSource, walk
from app.formats.siecle.values import BadDate, attr, fields, parse_date

KNOWN_ROOTS = frozenset(kind.value for kind in SiecleKind)
# Roots of files a secretary may give by mistake, with what they really are.
_OTHER_FILES = {
    "STS_EDT": "une exportation STSWEB (STS_EDT, services et emplois du temps)",
    "EDT_STS": "un fichier d'emploi du temps destiné à STSWEB (EDT_STS)",
    "IMPORT_ELEVES": "un fichier d'import des liens élève-groupe (logiciel d'emploi du temps)",
}


def check_root(tag: Any, name: str) -> SiecleKind:
    tag = str(tag)
    if tag in KNOWN_ROOTS:
        return SiecleKind(tag)
    if tag in _OTHER_FILES:
        raise FormatError(
            f"Le fichier « {name} » est {_OTHER_FILES[tag]}, pas une exportation SIECLE. "
            "Utilisez l'import STSWEB pour ce fichier.",
            code="SIECLE_FICHIER_STS",
        )
    if tag.startswith("BEE_"):
        raise FormatError(
            f"Le fichier « {name} » est une exportation SIECLE de type « {tag} », que "
            "Passerelle ne lit pas : donnez l'export Élèves, Responsables, Nomenclatures ou "
            "Structures.",
            code="SIECLE_TYPE_NON_PRIS_EN_CHARGE",
        )
    shown = tag if len(tag) <= 60 else tag[:60] + "…"
    raise FormatError(
        f"Le fichier « {name} » n'a pas l'air d'être une exportation SIECLE : sa racine est "
        f"« {shown} », elle devrait être BEE_ELEVES, BEE_RESPONSABLES, BEE_NOMENCLATURES ou "
        "BEE_STRUCTURES.",
        code="SIECLE_TYPE_INCONNU",
    )


def read_header(
    opened: OpenedSource, expected_uai: str | None = None, expected_year: int | None = None
) -> SiecleHeader:
    """Read the root and ``PARAMETRES`` only, and apply every file-level refusal."""
    items = walk(opened)
    root: str | None = None
    version: str | None = None
    try:
        for key, element in items:
            if key == ROOT:
                root = check_root(element.tag, opened.name).value
                version = attr(element, "VERSION")
                continue
            if key == PARAMETRES and root is not None:
                return _header(root, version, fields(element), opened.name, expected_uai,
                               expected_year)
            break  # a record before PARAMETRES: the header is missing
    finally:
        items.close()
    raise FormatError(
        f"Le fichier « {opened.name} » n'a pas de bloc PARAMETRES (établissement, année) : "
        "ce n'est pas une exportation SIECLE complète.",
        code="SIECLE_SANS_PARAMETRES",
    )


def _header(
    root: str,
    version: str | None,
    params: dict[str, str],
    name: str,
    expected_uai: str | None,
    expected_year: int | None,
) -> SiecleHeader:
    uai = _check_uai(params.get("UAJ"), name, expected_uai)
    annee = _check_year(params.get("ANNEE_SCOLAIRE"), name, expected_year)
    try:
        date_export = parse_date(params.get("DATE_EXPORT"))
    except BadDate:
        date_export = None  # informative only: never a reason to refuse the file
    return SiecleHeader(
        root=root,
        version=version,
        uai=uai,
        annee=annee,
        date_export=date_export,
        horodatage=params.get("HORODATAGE"),
    )


def _check_uai(value: str | None, name: str, expected: str | None) -> str:
    if value is None:
        raise FormatError(
            f"Le fichier « {name} » ne comporte pas de numéro UAI (balise UAJ) : impossible de "
            "savoir de quel établissement il vient.",
            code="SIECLE_SANS_UAJ",
        )
    if not is_valid_uai(value):
        try:
            validate_uai(value)
            detail = ""
        except InvalidUAI as exc:
            detail = " " + exc.message
        raise FormatError(
            f"Le numéro UAI du fichier « {name} » est invalide.{detail}",
            code="SIECLE_UAJ_INVALIDE",
        )
    uai = normalize_uai(value)
    if expected is not None and normalize_uai(expected) != uai:
        raise FormatError(
            f"Le fichier « {name} » est issu de l'établissement {uai} et non de "
            f"{normalize_uai(expected)}, celui de la base : il est refusé.",
            code="SIECLE_UAI_DIFFERENT",
        )
    return uai


def _check_year(value: str | None, name: str, expected: int | None) -> int:
    year = int(value) if value is not None and value.isascii() and value.isdigit() else None
    if year is None or not is_valid_year(year):
        shown = f"« {value} »" if value is not None else "absente"
        raise FormatError(
            f"L'année scolaire du fichier « {name} » est invalide ({shown}) : il faut l'année "
            "de la rentrée sur quatre chiffres.",
            code="SIECLE_ANNEE_INVALIDE",
        )
    if expected is not None and year != expected:
        hint = ""
        if year == expected - 1:
            hint = " C'est sans doute l'export de l'an dernier : refaites-le après la bascule."
        elif year == expected + 1:
            hint = " C'est l'export de l'année en préparation."
        raise FormatError(
            f"Ce fichier concerne l'année {year_label(year)}, la base est en "
            f"{year_label(expected)} : il est refusé.{hint}",
            code="SIECLE_ANNEE_DIFFERENTE",
        )
    return year
