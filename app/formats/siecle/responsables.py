"""``BEE_RESPONSABLES`` (ResponsablesSansAdresses / AvecAdresses): persons and links.

Like the Élèves file, the addresses come last: one parse spills persons, links
and addresses into a private SQLite file (:mod:`.spill`), then persons and
links are streamed from it, joined with their addresses, with flat memory.

Old files (before 30/03/2018) give ``RESP_LEGAL`` 1|2|0 instead of
``NIVEAU_RESPONSABILITE``: 1 and 2 become niveau 1 (their rank kept in
``rang_legal``), 0 becomes niveau 3 (contact). See
:class:`~app.domain.siecle.ResponsableLink`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.domain.siecle import Anomaly, Responsable, ResponsableLink
from app.formats.siecle import codes
from app.formats.siecle.addresses import pack_address, unpack_address
from app.formats.siecle.source import OpenedSource, walk_records
from app.formats.siecle.spill import Spill, pack_fields, unpack_fields
from app.formats.siecle.values import attr, fields, parse_flag

_NIVEAUX = {"1": 1, "2": 2, "3": 3}
# Every record block of BEE_RESPONSABLES: each pass must see (and so release) all of them.
RECORD_TAGS = ("PERSONNE", "RESPONSABLE_ELEVE", "ADRESSE")
_RESP_LEGAL = {"1": (1, 1), "2": (1, 2), "0": (3, None)}  # → (niveau, rang_legal)


_BATCH = 500
# The children the reader uses; the others are never read, so never spilled.
PERSONNE_TAGS = (
    "NOM_DE_FAMILLE", "NOM", "PRENOM", "LC_CIVILITE", "LL_CIVILITE", "NOM_USAGE",
    "TEL_PERSONNEL", "TEL_PORTABLE", "TEL_PROFESSIONNEL", "MEL", "ACCEPTE_SMS",
    "COMMUNICATION_ADRESSE", "CODE_PROFESSION", "ADRESSE_ID",
)  # fmt: skip
LIEN_TAGS = (
    "ELEVE_ID", "PERSONNE_ID", "CODE_PARENTE", "NIVEAU_RESPONSABILITE", "RESP_LEGAL",
    "PAIE_FRAIS_SCOLAIRES", "RESP_FINANCIER", "PERS_PAIEMENT", "PERCOIT_LES_AIDES",
    "HEBERGE_ELEVE", "A_CONTACTER_EN_PRIORITE", "PERS_CONTACT",
)  # fmt: skip
_SCHEMA = """
CREATE TABLE personne (seq INTEGER PRIMARY KEY, personne_id TEXT, fields TEXT NOT NULL,
                       adresse_id TEXT, dup INTEGER NOT NULL DEFAULT 0);
CREATE TABLE pids (personne_id TEXT PRIMARY KEY);
CREATE TABLE lien (seq INTEGER PRIMARY KEY, eleve_id TEXT, personne_id TEXT,
                   fields TEXT NOT NULL);
CREATE TABLE adresse (adresse_id TEXT PRIMARY KEY, packed TEXT NOT NULL);
"""


@dataclass(slots=True)
class ResponsableIndex:
    spill: Spill
    has_addresses: bool = False
    person_records: int = 0
    link_records: int = 0

    def close(self) -> None:
        self.spill.close()


def build_index(opened: OpenedSource) -> ResponsableIndex:
    index = ResponsableIndex(Spill(_SCHEMA))
    try:
        _fill(index, opened)
    except BaseException:
        index.close()
        raise
    return index


def _fill(index: ResponsableIndex, opened: OpenedSource) -> None:
    sql = index.spill.conn
    persons: list[tuple[Any, ...]] = []
    links: list[tuple[str | None, str | None, str]] = []
    addresses: list[tuple[str, str]] = []

    def flush() -> None:
        sql.executemany(
            "INSERT INTO personne (personne_id, fields, adresse_id) VALUES (?, ?, ?)",
            persons,
        )
        sql.executemany("INSERT INTO lien (eleve_id, personne_id, fields) VALUES (?, ?, ?)", links)
        sql.executemany("INSERT OR REPLACE INTO adresse VALUES (?, ?)", addresses)
        persons.clear()
        links.clear()
        addresses.clear()

    for block, element in walk_records(opened, RECORD_TAGS):
        if block == "PERSONNES" and element.tag == "PERSONNE":
            index.person_records += 1
            f = fields(element)
            persons.append(
                (attr(element, "PERSONNE_ID"), pack_fields(f, PERSONNE_TAGS), f.get("ADRESSE_ID"))
            )
        elif block == "RESPONSABLES" and element.tag == "RESPONSABLE_ELEVE":
            index.link_records += 1
            f = fields(element)
            links.append((f.get("ELEVE_ID"), f.get("PERSONNE_ID"), pack_fields(f, LIEN_TAGS)))
        elif block == "ADRESSES" and element.tag == "ADRESSE":
            index.has_addresses = True
            packed = pack_address(element)
            if packed is not None:
                addresses.append(packed)
        if len(persons) + len(links) + len(addresses) >= _BATCH:
            flush()
    flush()
    # The first PERSONNE with an id keeps it; later ones are duplicates. Found in SQL once
    # the file is read (no per-record query).
    sql.execute(
        "UPDATE personne SET dup = 1 WHERE seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER() "
        "OVER (PARTITION BY personne_id ORDER BY seq) AS rank FROM personne "
        "WHERE personne_id IS NOT NULL) WHERE rank > 1)"
    )
    sql.execute(
        "INSERT OR IGNORE INTO pids SELECT personne_id FROM personne WHERE personne_id IS NOT NULL"
    )
    index.spill.commit()


def _rows(index: ResponsableIndex, query: str) -> Iterator[tuple[Any, ...]]:
    cursor = index.spill.conn.execute(query)
    try:
        while rows := cursor.fetchmany(_BATCH):
            yield from rows
    finally:
        cursor.close()


def iter_persons(
    opened: OpenedSource, index: ResponsableIndex, anomalies: list[Anomaly]
) -> Iterator[Responsable]:
    """Persons in export order, from the spill (``opened`` was parsed by build_index)."""
    query = (
        "SELECT p.personne_id, p.fields, p.dup, a.packed FROM personne p LEFT JOIN adresse a "
        "ON a.adresse_id = p.adresse_id ORDER BY p.seq"
    )
    for personne_id, fields_text, dup, packed in _rows(index, query):
        if personne_id is None:
            anomalies.append(
                Anomaly(
                    codes.PERSONNE_SANS_ID,
                    "Une personne du fichier n'a pas d'identifiant PERSONNE_ID : elle est "
                    "ignorée.",
                    None,
                    "erreur",
                )
            )
            continue
        if dup:
            anomalies.append(
                Anomaly(
                    codes.PERSONNE_EN_DOUBLE,
                    f"L'identifiant PERSONNE_ID {personne_id} apparaît plusieurs fois : seule "
                    "la première personne est retenue.",
                    None,
                    "erreur",
                )
            )
            continue
        yield _person(personne_id, unpack_fields(fields_text, PERSONNE_TAGS), index, packed,
                      anomalies)  # fmt: skip


def _person(
    personne_id: str, f: dict[str, str], index: ResponsableIndex, packed: str | None,
    anomalies: list[Anomaly],
) -> Responsable:  # fmt: skip
    nom = f.get("NOM_DE_FAMILLE") or f.get("NOM")
    prenom = f.get("PRENOM")
    if nom is None or prenom is None:
        # Kept: some responsables are services (ASE…) typed without a first name.
        anomalies.append(
            Anomaly(
                codes.PERSONNE_SANS_NOM,
                f"La personne PERSONNE_ID {personne_id} n'a pas de nom ou de prénom.",
            )
        )
    adresse_id = f.get("ADRESSE_ID")
    address = None
    if adresse_id is not None and index.has_addresses:
        if packed is not None:
            address = unpack_address(adresse_id, packed)
        else:
            anomalies.append(
                Anomaly(
                    codes.ADRESSE_INCONNUE,
                    f"L'adresse {adresse_id} de la personne PERSONNE_ID {personne_id} n'est "
                    "pas dans le fichier.",
                )
            )
    return Responsable(
        personne_id=personne_id,
        civilite=f.get("LC_CIVILITE") or f.get("LL_CIVILITE"),
        nom=nom or "",
        nom_usage=f.get("NOM_USAGE"),
        prenom=prenom or "",
        tel_personnel=f.get("TEL_PERSONNEL"),
        tel_portable=f.get("TEL_PORTABLE"),
        tel_professionnel=f.get("TEL_PROFESSIONNEL"),
        mel=f.get("MEL"),
        accepte_sms=parse_flag(f.get("ACCEPTE_SMS")),
        communication_adresse=parse_flag(f.get("COMMUNICATION_ADRESSE")),
        profession=f.get("CODE_PROFESSION"),
        adresse_id=adresse_id,
        address=address,
    )


def iter_links(
    opened: OpenedSource, index: ResponsableIndex, anomalies: list[Anomaly]
) -> Iterator[ResponsableLink]:
    # Duplicates and unknown persons are found by SQL over the spill, not with sets that
    # would grow with the school.
    query = (
        "SELECT fields, ROW_NUMBER() OVER (PARTITION BY eleve_id, personne_id ORDER BY seq), "
        "personne_id IN (SELECT personne_id FROM pids) FROM lien ORDER BY seq"
    )
    for fields_text, rank, known in _rows(index, query):
        # Here ELEVE_ID and PERSONNE_ID are child elements, not attributes.
        f = unpack_fields(fields_text, LIEN_TAGS)
        eleve_id = f.get("ELEVE_ID")
        personne_id = f.get("PERSONNE_ID")
        if eleve_id is None or personne_id is None:
            anomalies.append(
                Anomaly(
                    codes.LIEN_INCOMPLET,
                    "Un lien responsable-élève n'a pas d'ELEVE_ID ou de PERSONNE_ID : il est "
                    "ignoré.",
                    eleve_id,
                    "erreur",
                )
            )
            continue
        if rank > 1:
            anomalies.append(
                Anomaly(
                    codes.LIEN_EN_DOUBLE,
                    f"La personne PERSONNE_ID {personne_id} est liée deux fois à l'élève "
                    f"ELEVE_ID {eleve_id} : seul le premier lien est retenu.",
                    eleve_id,
                    "erreur",
                )
            )
            continue
        if not known:
            anomalies.append(
                Anomaly(
                    codes.LIEN_PERSONNE_INCONNUE,
                    f"L'élève ELEVE_ID {eleve_id} est lié à la personne PERSONNE_ID "
                    f"{personne_id}, absente du fichier.",
                    eleve_id,
                )
            )
        yield _link(eleve_id, personne_id, f, anomalies)


def _link(
    eleve_id: str, personne_id: str, f: dict[str, str], anomalies: list[Anomaly]
) -> ResponsableLink:
    niveau: int | None = None
    rang: int | None = None
    raw_niveau = f.get("NIVEAU_RESPONSABILITE")
    raw_legal = f.get("RESP_LEGAL")
    if raw_niveau is not None:
        niveau = _NIVEAUX.get(raw_niveau)
    elif raw_legal is not None and raw_legal in _RESP_LEGAL:
        niveau, rang = _RESP_LEGAL[raw_legal]
    if niveau is None:
        shown = raw_niveau or raw_legal
        detail = f"« {shown} »" if shown else "absent"
        anomalies.append(
            Anomaly(
                codes.NIVEAU_RESPONSABILITE_INVALIDE,
                f"Le niveau de responsabilité de la personne PERSONNE_ID {personne_id} pour "
                f"l'élève ELEVE_ID {eleve_id} est {detail}.",
                eleve_id,
            )
        )
    paie = f.get("PAIE_FRAIS_SCOLAIRES") or f.get("RESP_FINANCIER") or f.get("PERS_PAIEMENT")
    contact = f.get("A_CONTACTER_EN_PRIORITE") or f.get("PERS_CONTACT")
    return ResponsableLink(
        eleve_id=eleve_id,
        personne_id=personne_id,
        code_parente=f.get("CODE_PARENTE"),
        niveau_responsabilite=niveau,
        rang_legal=rang,
        paie_frais=parse_flag(paie),
        percoit_aides=parse_flag(f.get("PERCOIT_LES_AIDES")),
        heberge_eleve=parse_flag(f.get("HEBERGE_ELEVE")),
        contact_prioritaire=parse_flag(contact),
    )
