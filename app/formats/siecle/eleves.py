"""``BEE_ELEVES`` (ElevesSansAdresses / ElevesAvecAdresses): streamed students.

The file lists ELEVES first, then OPTIONS, STRUCTURES and ADRESSES, each keyed
by ELEVE_ID / ADRESSE_ID. To hand out complete :class:`Student` records with
ONE parse of the file and a memory that does not grow with the school:

1. :func:`build_index` parses the file once (lxml filters the record tags in C)
   and spills each ELEVE's fields, each student's division, groups and options
   and each address into a private SQLite file (:mod:`.spill`);
2. :func:`iter_students` streams one SQL join over that file, in export order,
   and builds the students (any number of times, without re-parsing).

The class is the structure with ``TYPE_STRUCTURE = D``, never the first one
listed (Pix's files put G before D); with several D, the last wins, as in GEPI
and Pix, and an anomaly says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from app.domain.siecle import Address, Anomaly, Student, StudentOption
from app.formats.siecle import codes
from app.formats.siecle.addresses import pack_address, unpack_address
from app.formats.siecle.source import OpenedSource, walk_records
from app.formats.siecle.spill import Spill, pack_fields, unpack_fields
from app.formats.siecle.values import BadDate, attr, fields, parse_date, parse_flag, parse_int

_SEXES: dict[str, Literal["M", "F"]] = {"1": "M", "2": "F"}
# Every record block of BEE_ELEVES: each pass must see (and so release) all of them.
RECORD_TAGS = ("ELEVE", "OPTION", "STRUCTURES_ELEVE", "ADRESSE", "BOURSE")
_BATCH = 500
# The ELEVE children the reader uses; the others are never read, so never spilled.
ELEVE_TAGS = (
    "ID_NATIONAL", "INE_RNIE", "INE_BEA", "ELENOET", "NOM_DE_FAMILLE", "NOM", "NOM_USAGE",
    "PRENOM", "PRENOM2", "PRENOM3", "DATE_NAISS", "CODE_SEXE", "CODE_MEF", "CODE_REGIME",
    "CODE_STATUT", "DOUBLEMENT", "DATE_ENTREE", "DATE_SORTIE", "CODE_MOTIF_SORTIE", "ID_PRV_ELE",
    "CODE_PAYS", "VILLE_NAISS", "CODE_COMMUNE_INSEE_NAISS", "MEL", "TEL_PERSONNEL",
    "TEL_PORTABLE", "TEL_PROFESSIONNEL", "ACCEPTE_SMS", "ADRESSE_ID",
)  # fmt: skip

_SCHEMA = """
CREATE TABLE eleve (seq INTEGER PRIMARY KEY, eleve_id TEXT, elenoet_attr TEXT,
                    fields TEXT NOT NULL, adresse_id TEXT, dup INTEGER NOT NULL DEFAULT 0,
                    ine TEXT);
CREATE TABLE ids (eleve_id TEXT PRIMARY KEY);
CREATE TABLE structures (eleve_id TEXT PRIMARY KEY, division TEXT, groups TEXT);
CREATE TABLE options (eleve_id TEXT PRIMARY KEY, options TEXT NOT NULL);
CREATE TABLE adresse (adresse_id TEXT PRIMARY KEY, packed TEXT NOT NULL);
"""


@dataclass(slots=True)
class StudentIndex:
    """What the single pass leaves: the spill file, a few counters, the join anomalies."""

    spill: Spill
    has_addresses: bool = False
    eleve_records: int = 0
    anomalies: list[Anomaly] = field(default_factory=list)
    # INE shared by several kept students -> ELEVE_ID of the first one (small: duplicates only).
    ine_owner: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        self.spill.close()


def build_index(opened: OpenedSource) -> StudentIndex:
    index = StudentIndex(Spill(_SCHEMA))
    try:
        _fill(index, opened)
    except BaseException:
        index.close()
        raise
    return index


def _fill(index: StudentIndex, opened: OpenedSource) -> None:
    sql = index.spill.conn
    pending: list[tuple[Any, ...]] = []
    addresses: list[tuple[str, str]] = []
    # Structures and options are merged with an earlier block of the same student (rare):
    # read from the spill with one query per batch, not one per record.
    structures: list[tuple[str, list[tuple[str | None, str]]]] = []
    options: list[tuple[str, list[dict[str, str]]]] = []

    def flush() -> None:
        if pending:
            sql.executemany(
                "INSERT INTO eleve (eleve_id, elenoet_attr, fields, adresse_id, dup, ine) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                pending,
            )
            pending.clear()
        if addresses:
            sql.executemany("INSERT OR REPLACE INTO adresse VALUES (?, ?)", addresses)
            addresses.clear()
        if options:
            _index_options(index, options)
            options.clear()
        if structures:
            _index_structures(index, structures)
            structures.clear()

    current_block = ""
    for block, element in walk_records(opened, RECORD_TAGS):
        if block != current_block:
            flush()  # anomalies stay in file order from one block to the next
            current_block = block
        tag = element.tag
        if block == "ELEVES" and tag == "ELEVE":
            index.eleve_records += 1
            pending.append(_eleve_row(element))
        elif block == "STRUCTURES" and tag == "STRUCTURES_ELEVE":
            eleve_id = attr(element, "ELEVE_ID")
            if eleve_id is not None:
                structures.append((eleve_id, _structure_items(element)))
        elif block == "OPTIONS" and tag == "OPTION":
            eleve_id = attr(element, "ELEVE_ID")
            if eleve_id is not None:
                options.append(
                    (eleve_id, [fields(line) for line in element if line.tag == "OPTIONS_ELEVE"])
                )
        elif block == "ADRESSES" and tag == "ADRESSE":
            index.has_addresses = True
            packed = pack_address(element)
            if packed is not None:
                addresses.append(packed)
        if (len(pending) >= _BATCH or len(addresses) >= _BATCH or len(structures) >= _BATCH
                or len(options) >= _BATCH):  # fmt: skip
            flush()
    flush()
    # The first ELEVE with an id keeps it, whatever else is wrong with it; later ones are
    # duplicates. Found in SQL once the file is read (no per-record query).
    sql.execute(
        "UPDATE eleve SET dup = 1 WHERE seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER() OVER "
        "(PARTITION BY eleve_id ORDER BY seq) AS rank FROM eleve WHERE eleve_id IS NOT NULL) "
        "WHERE rank > 1)"
    )
    sql.execute("INSERT OR IGNORE INTO ids SELECT eleve_id FROM eleve WHERE eleve_id IS NOT NULL")
    _check_orphans(index)
    # One kept student per INE: the first (in export order) owns it, the others are reported.
    for ine, eleve_id in sql.execute(
        "SELECT ine, eleve_id FROM eleve WHERE seq IN (SELECT min(seq) FROM eleve "
        "WHERE ine IS NOT NULL AND dup = 0 GROUP BY ine HAVING count(*) > 1)"
    ):
        index.ine_owner[ine] = eleve_id
    index.spill.commit()


def _eleve_row(element: Any) -> tuple[Any, ...]:
    eleve_id = attr(element, "ELEVE_ID")
    f = fields(element)
    dup = 0
    ine = None
    # Only kept students (with an id and a name) own an INE; duplicates are excluded later.
    if eleve_id is not None and (f.get("NOM_DE_FAMILLE") or f.get("NOM")) and f.get("PRENOM"):
        ine = _ine_of(f)
    return (eleve_id, attr(element, "ELENOET"), pack_fields(f, ELEVE_TAGS), f.get("ADRESSE_ID"),
            dup, ine)  # fmt: skip


def _ine_of(f: dict[str, str]) -> str | None:
    # ID_NATIONAL carries the current INE since 2017; older exports only had the others.
    ine = f.get("ID_NATIONAL") or f.get("INE_RNIE") or f.get("INE_BEA")
    return ine.upper() if ine else None


def _structure_items(element: Any) -> list[tuple[str | None, str]]:
    """``(CODE_STRUCTURE, TYPE_STRUCTURE upper-cased)`` of each STRUCTURE child."""
    items: list[tuple[str | None, str]] = []
    for structure in element:
        if structure.tag != "STRUCTURE":
            continue
        f = fields(structure)
        items.append((f.get("CODE_STRUCTURE"), f.get("TYPE_STRUCTURE", "").upper()))
    return items


def _spilled(index: StudentIndex, table: str, columns: str, ids: list[str]) -> dict[str, Any]:
    """The rows of ``table`` already spilled for ``ids``, by ELEVE_ID (one query)."""
    marks = ",".join("?" * len(ids))
    return {
        row[0]: row[1:]
        for row in index.spill.conn.execute(
            f"SELECT eleve_id, {columns} FROM {table} WHERE eleve_id IN ({marks})", ids
        )
    }


def _index_structures(
    index: StudentIndex, batch: list[tuple[str, list[tuple[str | None, str]]]]
) -> None:
    known = _spilled(index, "structures", "division, groups", list({e for e, _ in batch}))
    rows: dict[str, tuple[str, str | None, str | None]] = {}
    for eleve_id, items in batch:
        previous_division: str | None = None
        groups: list[str] = []
        existing = known.get(eleve_id)
        if existing is not None:
            index.anomalies.append(
                Anomaly(
                    codes.STRUCTURES_EN_DOUBLE,
                    f"L'élève ELEVE_ID {eleve_id} a plusieurs blocs de structures "
                    "(STRUCTURES_ELEVE) : ils sont fusionnés.",
                    eleve_id,
                )
            )
            previous_division = existing[0]
            groups = json.loads(existing[1]) if existing[1] else []
        divisions: list[str] = []
        for code, kind in items:
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
                        f"L'élève ELEVE_ID {eleve_id} est inscrit dans la structure « {code} » "
                        f"de type « {kind or 'vide'} » (D ou G attendu) : elle est ignorée.",
                        eleve_id,
                    )
                )
        all_divisions = ([previous_division] if previous_division else []) + divisions
        if len(set(all_divisions)) > 1:
            index.anomalies.append(
                Anomaly(
                    codes.PLUSIEURS_DIVISIONS,
                    f"L'élève ELEVE_ID {eleve_id} est inscrit dans plusieurs divisions "
                    f"({', '.join(all_divisions)}) : la dernière, {all_divisions[-1]}, est "
                    "retenue.",
                    eleve_id,
                )
            )
        division = all_divisions[-1] if all_divisions else None
        if division is None and not groups and existing is None:
            continue
        groups_text = json.dumps(groups, ensure_ascii=False) if groups else None
        rows[eleve_id] = (eleve_id, division, groups_text)
        known[eleve_id] = (division, groups_text)
    index.spill.conn.executemany(
        "INSERT OR REPLACE INTO structures VALUES (?, ?, ?)", list(rows.values())
    )


def _index_options(index: StudentIndex, batch: list[tuple[str, list[dict[str, str]]]]) -> None:
    known = _spilled(index, "options", "options", list({e for e, _ in batch}))
    rows: dict[str, tuple[str, str]] = {}
    for eleve_id, lines in batch:
        existing = known.get(eleve_id)
        options: list[list[Any]] = json.loads(existing[0]) if existing else []
        for f in lines:
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
            options.append(
                [parse_int(f.get("NUM_OPTION")), f.get("CODE_MODALITE_ELECT"), matiere]
            )
        if options:
            text = json.dumps(options, ensure_ascii=False)
            rows[eleve_id] = (eleve_id, text)
            known[eleve_id] = (text,)
    index.spill.conn.executemany(
        "INSERT OR REPLACE INTO options VALUES (?, ?)", list(rows.values())
    )


def _check_orphans(index: StudentIndex) -> None:
    sql = index.spill.conn
    for (eleve_id,) in sql.execute(
        "SELECT eleve_id FROM structures WHERE (division IS NOT NULL OR groups IS NOT NULL) "
        "AND eleve_id NOT IN (SELECT eleve_id FROM ids) ORDER BY eleve_id"
    ):
        index.anomalies.append(
            Anomaly(
                codes.STRUCTURES_ELEVE_INCONNU,
                f"Des structures sont données pour l'élève ELEVE_ID {eleve_id}, absent de "
                "la liste des élèves : elles sont ignorées.",
                eleve_id,
            )
        )
    for (eleve_id,) in sql.execute(
        "SELECT eleve_id FROM options WHERE eleve_id NOT IN (SELECT eleve_id FROM ids) "
        "ORDER BY eleve_id"
    ):
        index.anomalies.append(
            Anomaly(
                codes.OPTIONS_ELEVE_INCONNU,
                f"Des options sont données pour l'élève ELEVE_ID {eleve_id}, absent de la "
                "liste des élèves : elles sont ignorées.",
                eleve_id,
            )
        )


class _StudentReader:
    """One spilled ELEVE (fields, joined structures, options, address) → one :class:`Student`."""

    def __init__(self, index: StudentIndex, anomalies: list[Anomaly]) -> None:
        self.index = index
        self.anomalies = anomalies
        # A school has a few hundred distinct group/option lists: decode each once.
        self._decoded: dict[str, Any] = {}

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

    def groups(self, text: str | None) -> tuple[str, ...]:
        if not text:
            return ()
        found = self._decoded.get(text)
        if found is None:
            found = self._decoded[text] = tuple(json.loads(text))
        return found

    def options(self, text: str | None) -> tuple[StudentOption, ...]:
        if not text:
            return ()
        key = "o" + text
        found = self._decoded.get(key)
        if found is None:
            found = self._decoded[key] = tuple(StudentOption(*o) for o in json.loads(text))
        return found

    def read(self, row: tuple[Any, ...]) -> Student | None:
        eleve_id, elenoet_attr, fields_text, dup, division, groups, options, packed = row
        if eleve_id is None:
            self.refuse(
                codes.ELEVE_SANS_ID,
                "Un élève du fichier n'a pas d'identifiant ELEVE_ID : il est ignoré.",
                None,
            )
            return None
        if dup:
            self.refuse(
                codes.ELEVE_EN_DOUBLE,
                f"L'identifiant ELEVE_ID {eleve_id} apparaît plusieurs fois : seul le premier "
                "élève est retenu.",
                eleve_id,
            )
            return None
        f = unpack_fields(fields_text, ELEVE_TAGS)
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
        return self._student(eleve_id, elenoet_attr, f, nom, prenom, division,
                             self.groups(groups), self.options(options), packed)  # fmt: skip

    def _student(
        self, eleve_id: str, elenoet_attr: str | None, f: dict[str, str], nom: str, prenom: str,
        division: str | None, groups: tuple[str, ...], options: tuple[StudentOption, ...],
        packed: str | None,
    ) -> Student:  # fmt: skip
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
        if division is None and date_sortie is None:
            self.warn(
                codes.SANS_DIVISION,
                f"L'élève ELEVE_ID {eleve_id} n'est inscrit dans aucune division (classe) : "
                "l'affectation n'est peut-être pas encore saisie dans SIECLE.",
                eleve_id,
            )
        return Student(
            eleve_id=eleve_id,
            elenoet=self._elenoet(eleve_id, elenoet_attr, f),
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
            groups=groups,
            options=options,
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
            address=self._address(eleve_id, f.get("ADRESSE_ID"), packed),
        )

    def _ine(self, eleve_id: str, f: dict[str, str]) -> str | None:
        ine = _ine_of(f)
        if ine is None:
            self.warn(codes.INE_MANQUANT, f"L'élève ELEVE_ID {eleve_id} n'a pas d'INE.", eleve_id)
            return None
        owner = self.index.ine_owner.get(ine, eleve_id)
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

    def _elenoet(self, eleve_id: str, attribute: str | None, f: dict[str, str]) -> str | None:
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

    def _address(
        self, eleve_id: str, adresse_id: str | None, packed: str | None
    ) -> Address | None:
        if adresse_id is None or not self.index.has_addresses:
            return None
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
    """Students in export order, from the spill (``opened`` was parsed by build_index)."""
    reader = _StudentReader(index, anomalies)
    cursor = index.spill.conn.execute(
        "SELECT e.eleve_id, e.elenoet_attr, e.fields, e.dup, s.division, s.groups, o.options, "
        "a.packed FROM eleve e "
        "LEFT JOIN structures s ON s.eleve_id = e.eleve_id AND e.dup = 0 "
        "LEFT JOIN options o ON o.eleve_id = e.eleve_id AND e.dup = 0 "
        "LEFT JOIN adresse a ON a.adresse_id = e.adresse_id AND e.dup = 0 "
        "ORDER BY e.seq"
    )
    try:
        while rows := cursor.fetchmany(_BATCH):
            for row in rows:
                student = reader.read(row)
                if student is not None:
                    yield student
    finally:
        cursor.close()
