"""``BEE_ELEVES`` (ElevesSansAdresses / ElevesAvecAdresses): streamed students.

The file lists ELEVES first, then OPTIONS, STRUCTURES and ADRESSES, each keyed
by ELEVE_ID / ADRESSE_ID. To hand out complete :class:`Student` records without
holding the students, reading takes two streamed passes:

1. :func:`build_index` skips the ELEVE elements and keeps, per student, only the
   division, group codes and options (interned: a few hundred distinct tuples
   for a whole school) plus the addresses;
2. :func:`iter_students` streams the ELEVE elements and joins them.

The class is the structure with ``TYPE_STRUCTURE = D``, never the first one
listed (Pix's files put G before D); with several D, the last wins, as in GEPI
and Pix, and an anomaly says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from app.domain.siecle import Address, Anomaly, Student, StudentOption
from app.formats.siecle import codes
from app.formats.siecle.addresses import pack_address, unpack_address
from app.formats.siecle.source import OpenedSource, walk
from app.formats.siecle.values import BadDate, attr, fields, parse_date, parse_flag, parse_int

_T = TypeVar("_T")
_SEXES: dict[str, Literal["M", "F"]] = {"1": "M", "2": "F"}


@dataclass(slots=True)
class StudentIndex:
    """What pass 1 keeps: small per-student tuples, interned, and the addresses."""

    divisions: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    options: dict[str, tuple[StudentOption, ...]] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)  # packed
    has_addresses: bool = False
    eleve_records: int = 0
    anomalies: list[Anomaly] = field(default_factory=list)
    _interned: dict[Any, Any] = field(default_factory=dict)

    def intern(self, value: _T) -> _T:
        # Thousands of students share the same group and option tuples: keep one copy.
        return self._interned.setdefault(value, value)  # type: ignore[no-any-return]


def build_index(opened: OpenedSource) -> StudentIndex:
    index = StudentIndex()
    structures_seen: set[str] = set()
    student_ids: set[str] = set()
    for block, element in walk(opened):
        if block == "ELEVES" and element.tag == "ELEVE":
            index.eleve_records += 1
            eleve_id = attr(element, "ELEVE_ID")
            if eleve_id is not None:
                student_ids.add(eleve_id)
        elif block == "STRUCTURES" and element.tag == "STRUCTURES_ELEVE":
            _index_structures(index, element, structures_seen)
        elif block == "OPTIONS" and element.tag == "OPTION":
            _index_options(index, element)
        elif block == "ADRESSES" and element.tag == "ADRESSE":
            index.has_addresses = True
            packed = pack_address(element)
            if packed is not None:
                index.addresses[packed[0]] = packed[1]
    _check_orphans(index, student_ids)
    return index


def _index_structures(index: StudentIndex, element: Any, seen: set[str]) -> None:
    eleve_id = attr(element, "ELEVE_ID")
    if eleve_id is None:
        return
    if eleve_id in seen:
        index.anomalies.append(
            Anomaly(
                codes.STRUCTURES_EN_DOUBLE,
                f"L'élève ELEVE_ID {eleve_id} a plusieurs blocs de structures "
                "(STRUCTURES_ELEVE) : ils sont fusionnés.",
                eleve_id,
            )
        )
    seen.add(eleve_id)
    divisions: list[str] = []
    groups = list(index.groups.get(eleve_id, ()))
    for structure in element:
        if structure.tag != "STRUCTURE":
            continue
        f = fields(structure)
        code = f.get("CODE_STRUCTURE")
        kind = f.get("TYPE_STRUCTURE", "").upper()
        if code is None:
            continue
        if kind == "D":
            divisions.append(code)
        elif kind == "G":
            if code not in groups:
                groups.append(code)
        else:
            index.anomalies.append(
                Anomaly(
                    codes.TYPE_STRUCTURE_INCONNU,
                    f"L'élève ELEVE_ID {eleve_id} est inscrit dans la structure « {code} » de "
                    f"type « {kind or 'vide'} » (D ou G attendu) : elle est ignorée.",
                    eleve_id,
                )
            )
    previous = index.divisions.get(eleve_id)
    all_divisions = ([previous] if previous else []) + divisions
    if len(set(all_divisions)) > 1:
        index.anomalies.append(
            Anomaly(
                codes.PLUSIEURS_DIVISIONS,
                f"L'élève ELEVE_ID {eleve_id} est inscrit dans plusieurs divisions "
                f"({', '.join(all_divisions)}) : la dernière, {all_divisions[-1]}, est retenue.",
                eleve_id,
            )
        )
    if all_divisions:
        index.divisions[eleve_id] = index.intern(all_divisions[-1])
    if groups:
        index.groups[eleve_id] = index.intern(tuple(groups))


def _index_options(index: StudentIndex, element: Any) -> None:
    eleve_id = attr(element, "ELEVE_ID")
    if eleve_id is None:
        return
    options = list(index.options.get(eleve_id, ()))
    for line in element:
        if line.tag != "OPTIONS_ELEVE":
            continue
        f = fields(line)
        matiere = f.get("CODE_MATIERE")
        if matiere is None:
            index.anomalies.append(
                Anomaly(
                    codes.OPTION_INCOMPLETE,
                    f"Une option de l'élève ELEVE_ID {eleve_id} n'a pas de code matière : "
                    "elle est ignorée.",
                    eleve_id,
                )
            )
            continue
        option = StudentOption(
            parse_int(f.get("NUM_OPTION")), f.get("CODE_MODALITE_ELECT"), matiere
        )
        options.append(index.intern(option))
    if options:
        index.options[eleve_id] = index.intern(tuple(options))


def _check_orphans(index: StudentIndex, student_ids: set[str]) -> None:
    for eleve_id in sorted((set(index.divisions) | set(index.groups)) - student_ids):
        index.anomalies.append(
            Anomaly(
                codes.STRUCTURES_ELEVE_INCONNU,
                f"Des structures sont données pour l'élève ELEVE_ID {eleve_id}, absent de "
                "la liste des élèves : elles sont ignorées.",
                eleve_id,
            )
        )
    for eleve_id in sorted(set(index.options) - student_ids):
        index.anomalies.append(
            Anomaly(
                codes.OPTIONS_ELEVE_INCONNU,
                f"Des options sont données pour l'élève ELEVE_ID {eleve_id}, absent de la "
                "liste des élèves : elles sont ignorées.",
                eleve_id,
            )
        )


class _StudentReader:
    """Pass 2: one ELEVE element → one :class:`Student`, with its anomalies."""

    def __init__(self, index: StudentIndex, anomalies: list[Anomaly]) -> None:
        self.index = index
        self.anomalies = anomalies
        self.seen_ids: set[str] = set()
        self.ine_owner: dict[str, str] = {}

    def warn(self, code: str, message: str, eleve_id: str | None) -> None:
        self.anomalies.append(Anomaly(code, message, eleve_id, "avertissement"))

    def refuse(self, code: str, message: str, eleve_id: str | None) -> None:
        self.anomalies.append(Anomaly(code, message, eleve_id, "erreur"))

    def date(self, f: dict[str, str], tag: str, eleve_id: str) -> Any:
        try:
            return parse_date(f.get(tag))
        except BadDate as exc:
            self.warn(
                codes.DATE_INVALIDE,
                f"La date {tag} de l'élève ELEVE_ID {eleve_id} est mal formée (« {exc} », "
                "format JJ/MM/AAAA attendu) : elle est ignorée.",
                eleve_id,
            )
            return None

    def read(self, element: Any) -> Student | None:
        eleve_id = attr(element, "ELEVE_ID")
        if eleve_id is None:
            self.refuse(
                codes.ELEVE_SANS_ID,
                "Un élève du fichier n'a pas d'identifiant ELEVE_ID : il est ignoré.",
                None,
            )
            return None
        if eleve_id in self.seen_ids:
            self.refuse(
                codes.ELEVE_EN_DOUBLE,
                f"L'identifiant ELEVE_ID {eleve_id} apparaît plusieurs fois : seul le premier "
                "élève est retenu.",
                eleve_id,
            )
            return None
        self.seen_ids.add(eleve_id)
        f = fields(element)
        nom = f.get("NOM_DE_FAMILLE") or f.get("NOM")  # NOM before the 2016 schema
        prenom = f.get("PRENOM")
        if nom is None or prenom is None:
            self.refuse(
                codes.ELEVE_SANS_NOM,
                f"L'élève ELEVE_ID {eleve_id} n'a pas de nom de famille ou de prénom : il est "
                "ignoré.",
                eleve_id,
            )
            return None
        return self._student(eleve_id, element, f, nom, prenom)

    def _student(
        self, eleve_id: str, element: Any, f: dict[str, str], nom: str, prenom: str
    ) -> Student:
        ine = self._ine(eleve_id, f)
        sexe = self._sexe(eleve_id, f)
        date_naissance = self.date(f, "DATE_NAISS", eleve_id)
        if date_naissance is None and "DATE_NAISS" not in f:
            self.warn(
                codes.DATE_NAISSANCE_MANQUANTE,
                f"L'élève ELEVE_ID {eleve_id} n'a pas de date de naissance.",
                eleve_id,
            )
        date_sortie = self.date(f, "DATE_SORTIE", eleve_id)
        division = self.index.divisions.get(eleve_id)
        if division is None and date_sortie is None:
            self.warn(
                codes.SANS_DIVISION,
                f"L'élève ELEVE_ID {eleve_id} n'est inscrit dans aucune division (classe) : "
                "l'affectation n'est peut-être pas encore saisie dans SIECLE.",
                eleve_id,
            )
        return Student(
            eleve_id=eleve_id,
            elenoet=self._elenoet(eleve_id, element, f),
            ine=ine,
            nom=nom,
            nom_usage=f.get("NOM_USAGE"),
            prenom=prenom,
            prenom2=f.get("PRENOM2"),
            prenom3=f.get("PRENOM3"),
            date_naissance=date_naissance,
            sexe=sexe,
            code_mef=f.get("CODE_MEF"),
            code_regime=f.get("CODE_REGIME"),
            code_statut=f.get("CODE_STATUT"),
            doublement=parse_flag(f.get("DOUBLEMENT")),
            date_entree=self.date(f, "DATE_ENTREE", eleve_id),
            date_sortie=date_sortie,
            motif_sortie=f.get("CODE_MOTIF_SORTIE"),
            division=division,
            groups=self.index.groups.get(eleve_id, ()),
            options=self.index.options.get(eleve_id, ()),
            id_prv_ele=f.get("ID_PRV_ELE"),
            code_pays_naissance=f.get("CODE_PAYS"),
            ville_naissance=f.get("VILLE_NAISS"),
            code_commune_insee_naissance=f.get("CODE_COMMUNE_INSEE_NAISS"),
            mel=f.get("MEL"),
            tel_personnel=f.get("TEL_PERSONNEL"),
            tel_portable=f.get("TEL_PORTABLE"),
            tel_professionnel=f.get("TEL_PROFESSIONNEL"),
            accepte_sms=parse_flag(f.get("ACCEPTE_SMS")),
            adresse_id=f.get("ADRESSE_ID"),
            address=self._address(eleve_id, f.get("ADRESSE_ID")),
        )

    def _ine(self, eleve_id: str, f: dict[str, str]) -> str | None:
        # ID_NATIONAL carries the current INE since 2017; older exports only had the others.
        ine = f.get("ID_NATIONAL") or f.get("INE_RNIE") or f.get("INE_BEA")
        if ine is None:
            self.warn(codes.INE_MANQUANT, f"L'élève ELEVE_ID {eleve_id} n'a pas d'INE.", eleve_id)
            return None
        ine = ine.upper()
        owner = self.ine_owner.setdefault(ine, eleve_id)
        if owner != eleve_id:
            self.warn(
                codes.INE_EN_DOUBLE,
                f"L'élève ELEVE_ID {eleve_id} a le même INE que l'élève ELEVE_ID {owner}.",
                eleve_id,
            )
        return ine

    def _sexe(self, eleve_id: str, f: dict[str, str]) -> Literal["M", "F"] | None:
        code = f.get("CODE_SEXE")
        if code is None:
            self.warn(
                codes.SEXE_MANQUANT, f"L'élève ELEVE_ID {eleve_id} n'a pas de sexe (CODE_SEXE).",
                eleve_id,
            )
            return None
        sexe = _SEXES.get(code)
        if sexe is None:
            self.warn(
                codes.SEXE_INVALIDE,
                f"Le code sexe de l'élève ELEVE_ID {eleve_id} est « {code} » (1 ou 2 attendu) : "
                "il est ignoré.",
                eleve_id,
            )
        return sexe

    def _elenoet(self, eleve_id: str, element: Any, f: dict[str, str]) -> str | None:
        attribute = attr(element, "ELENOET")
        child = f.get("ELENOET")
        if attribute is not None and child is not None and attribute != child:
            # Seen in real data; nothing says which is right. The element is kept, being
            # the field the specification describes.
            self.warn(
                codes.ELENOET_DIFFERENT,
                f"L'élève ELEVE_ID {eleve_id} a deux numéros ELENOET différents ({attribute} "
                f"et {child}) : {child} est retenu.",
                eleve_id,
            )
        return child or attribute

    def _address(self, eleve_id: str, adresse_id: str | None) -> Address | None:
        if adresse_id is None or not self.index.has_addresses:
            return None
        packed = self.index.addresses.get(adresse_id)
        if packed is None:
            self.warn(
                codes.ADRESSE_INCONNUE,
                f"L'adresse {adresse_id} de l'élève ELEVE_ID {eleve_id} n'est pas dans le "
                "fichier.",
                eleve_id,
            )
            return None
        return unpack_address(adresse_id, packed)


def iter_students(
    opened: OpenedSource, index: StudentIndex, anomalies: list[Anomaly]
) -> Iterator[Student]:
    reader = _StudentReader(index, anomalies)
    remaining = index.eleve_records
    items = walk(opened)
    try:
        for block, element in items:
            if remaining <= 0:
                break  # pass 1 counted them: the rest of the file holds no student
            if block != "ELEVES" or element.tag != "ELEVE":
                continue
            remaining -= 1
            student = reader.read(element)
            if student is not None:
                yield student
    finally:
        items.close()
