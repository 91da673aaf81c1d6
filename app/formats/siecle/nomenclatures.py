"""``BEE_NOMENCLATURES`` and ``BEE_STRUCTURES``: reference lists, streamed.

Both files are small (hundreds of records), so the readers return whole
tuples; they still stream the XML, so a hostile file cannot inflate memory.
Old Nomenclatures pad values with trailing spaces: :func:`fields` trims them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.domain.siecle import (
    Anomaly,
    Division,
    Groupe,
    Matiere,
    Mef,
    ModaliteElection,
    Nomenclature,
    Programme,
    Structures,
)
from app.formats.siecle import codes
from app.formats.siecle.source import OpenedSource, walk
from app.formats.siecle.values import BadDate, attr, fields, parse_date

_T = TypeVar("_T")

_LABELS = {
    "MEF": "Un MEF",
    "MATIERE": "Une matière",
    "MODALITE_ELECTION": "Une modalité d'élection",
    "DIVISION": "Une division",
    "GROUPE": "Un groupe",
}


class _Collector:
    """Keeps the first record of each code and reports missing and repeated codes."""

    def __init__(self, anomalies: list[Anomaly]) -> None:
        self.anomalies = anomalies
        self.seen: dict[str, set[str]] = {}

    def code(self, element: Any, attribute: str) -> str | None:
        tag = str(element.tag)
        code = attr(element, attribute)
        if code is None:
            self.anomalies.append(
                Anomaly(
                    codes.CODE_MANQUANT,
                    f"{_LABELS.get(tag, tag)} n'a pas de code ({attribute}) : ignoré.",
                    None,
                    "erreur",
                )
            )
            return None
        seen = self.seen.setdefault(tag, set())
        if code in seen:
            self.anomalies.append(
                Anomaly(
                    codes.CODE_EN_DOUBLE,
                    f"{_LABELS.get(tag, tag)} de code « {code} » apparaît plusieurs fois : seul "
                    "le premier est retenu.",
                    None,
                    "erreur",
                )
            )
            return None
        seen.add(code)
        return code


def _date_or_none(value: str | None) -> Any:
    try:
        return parse_date(value)
    except BadDate:
        return None  # a closing date is informative; a bad one must not lose the MEF


def read_nomenclature(opened: OpenedSource, anomalies: list[Anomaly]) -> Nomenclature:
    collector = _Collector(anomalies)
    mefs: list[Mef] = []
    matieres: list[Matiere] = []
    programmes: list[Programme] = []
    modalites: list[ModaliteElection] = []
    seen_programmes: set[tuple[str, str, str | None]] = set()
    for block, element in walk(opened):
        tag = element.tag
        if block == "MEFS" and tag == "MEF":
            _add(mefs, collector.code(element, "CODE_MEF"), element, _mef)
        elif block == "MATIERES" and tag == "MATIERE":
            _add(matieres, collector.code(element, "CODE_MATIERE"), element, _matiere)
        elif block == "MODALITES_ELECTION" and tag == "MODALITE_ELECTION":
            _add(modalites, collector.code(element, "CODE_MODALITE_ELECT"), element, _modalite)
        elif block == "PROGRAMMES" and tag == "PROGRAMME":
            f = fields(element)
            mef, matiere = f.get("CODE_MEF"), f.get("CODE_MATIERE")
            if mef is None or matiere is None:
                anomalies.append(
                    Anomaly(codes.CODE_MANQUANT,
                            "Un programme n'a pas de MEF ou de matière : ignoré.", None, "erreur")
                )
                continue
            key = (mef, matiere, f.get("CODE_MODALITE_ELECT"))
            # The key is the triple: the same subject may be both O and S for one MEF.
            if key in seen_programmes:
                anomalies.append(
                    Anomaly(
                        codes.CODE_EN_DOUBLE,
                        f"Le programme {mef} / {matiere} / {key[2] or '-'} apparaît plusieurs "
                        "fois : seul le premier est retenu.",
                        None,
                        "erreur",
                    )
                )
                continue
            seen_programmes.add(key)
            programmes.append(Programme(mef, matiere, key[2], f.get("HORAIRE")))
    return Nomenclature(tuple(mefs), tuple(matieres), tuple(programmes), tuple(modalites))


def _add(
    target: list[_T], code: str | None, element: Any, build: Callable[[str, dict[str, str]], _T]
) -> None:
    if code is not None:
        target.append(build(code, fields(element)))


def _mef(code: str, f: dict[str, str]) -> Mef:
    return Mef(
        code=code,
        formation=f.get("FORMATION"),
        libelle_long=f.get("LIBELLE_LONG"),
        libelle_edition=f.get("LIBELLE_EDITION"),
        mef_rattachement=f.get("MEF_RATTACHEMENT"),
        code_mefstat=f.get("CODE_MEFSTAT"),
        date_fermeture=_date_or_none(f.get("DATE_FERMETURE")),
    )


def _matiere(code: str, f: dict[str, str]) -> Matiere:
    return Matiere(
        code=code,
        code_gestion=f.get("CODE_GESTION"),
        libelle_court=f.get("LIBELLE_COURT"),
        libelle_long=f.get("LIBELLE_LONG"),
        libelle_edition=f.get("LIBELLE_EDITION"),
    )


def _modalite(code: str, f: dict[str, str]) -> ModaliteElection:
    return ModaliteElection(code, f.get("LIBELLE_COURT"), f.get("LIBELLE_LONG"))


def _codes_under(element: Any, container: str, item: str) -> tuple[str, ...]:
    """``CODE_MEF`` / ``CODE_STRUCTURE`` values of ``container/item`` children, in order."""
    found: list[str] = []
    for box in element:
        if box.tag != container:
            continue
        for entry in box:
            if entry.tag != item:
                continue
            code = fields(entry).get("CODE_MEF" if "MEF" in item else "CODE_STRUCTURE")
            if code is None:
                code = attr(entry, "CODE")  # the STS-Web flavour uses an attribute
            if code is not None and code not in found:
                found.append(code)
    return tuple(found)


def read_structures(opened: OpenedSource, anomalies: list[Anomaly]) -> Structures:
    collector = _Collector(anomalies)
    divisions: list[Division] = []
    groupes: list[Groupe] = []
    for block, element in walk(opened):
        tag = element.tag
        if block == "DIVISIONS" and tag == "DIVISION":
            code = collector.code(element, "CODE_STRUCTURE")
            if code is not None:
                divisions.append(
                    Division(
                        code,
                        fields(element).get("LIBELLE_LONG"),
                        _codes_under(element, "MEFS_APPARTENANCE", "MEF_APPARTENANCE"),
                    )
                )
        elif block == "GROUPES" and tag == "GROUPE":
            code = collector.code(element, "CODE_STRUCTURE")
            if code is not None:
                groupes.append(
                    Groupe(
                        code,
                        fields(element).get("LIBELLE_LONG"),
                        _codes_under(element, "MEFS_APPARTENANCE", "MEF_APPARTENANCE"),
                        _codes_under(element, "DIVISIONS_APPARTENANCE", "DIVISION_APPARTENANCE"),
                    )
                )
    known = {d.code for d in divisions}
    for groupe in groupes:
        for division in groupe.divisions:
            if division not in known:
                anomalies.append(
                    Anomaly(
                        codes.DIVISION_INCONNUE,
                        f"Le groupe « {groupe.code} » est rattaché à la division « {division} », "
                        "absente du fichier.",
                    )
                )
    return Structures(tuple(divisions), tuple(groupes))
