"""``BEE_RESPONSABLES`` (ResponsablesSansAdresses / AvecAdresses): persons and links.

Like the Élèves file, the addresses come last, so a first streamed pass keeps
the addresses and the set of PERSONNE_IDs; persons and links are then streamed.

Old files (before 30/03/2018) give ``RESP_LEGAL`` 1|2|0 instead of
``NIVEAU_RESPONSABILITE``: 1 and 2 become niveau 1 (their rank kept in
``rang_legal``), 0 becomes niveau 3 (contact). See
:class:`~app.domain.siecle.ResponsableLink`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.domain.siecle import Anomaly, Responsable, ResponsableLink
from app.formats.siecle import codes
from app.formats.siecle.addresses import pack_address, unpack_address
from app.formats.siecle.source import OpenedSource, walk
from app.formats.siecle.values import attr, fields, parse_flag

_NIVEAUX = {"1": 1, "2": 2, "3": 3}
_RESP_LEGAL = {"1": (1, 1), "2": (1, 2), "0": (3, None)}  # → (niveau, rang_legal)


@dataclass(slots=True)
class ResponsableIndex:
    person_ids: set[str] = field(default_factory=set)
    addresses: dict[str, str] = field(default_factory=dict)  # packed
    has_addresses: bool = False
    person_records: int = 0
    link_records: int = 0


def build_index(opened: OpenedSource) -> ResponsableIndex:
    index = ResponsableIndex()
    for block, element in walk(opened):
        if block == "PERSONNES" and element.tag == "PERSONNE":
            index.person_records += 1
            personne_id = attr(element, "PERSONNE_ID")
            if personne_id is not None:
                index.person_ids.add(personne_id)
        elif block == "RESPONSABLES" and element.tag == "RESPONSABLE_ELEVE":
            index.link_records += 1
        elif block == "ADRESSES" and element.tag == "ADRESSE":
            index.has_addresses = True
            packed = pack_address(element)
            if packed is not None:
                index.addresses[packed[0]] = packed[1]
    return index


def _records(opened: OpenedSource, block_tag: str, tag: str, count: int) -> Iterator[Any]:
    items = walk(opened)
    remaining = count
    try:
        for block, element in items:
            if remaining <= 0:
                break  # pass 1 counted them: stop reading once all are seen
            if block == block_tag and element.tag == tag:
                remaining -= 1
                yield element
    finally:
        items.close()


def iter_persons(
    opened: OpenedSource, index: ResponsableIndex, anomalies: list[Anomaly]
) -> Iterator[Responsable]:
    seen: set[str] = set()
    for element in _records(opened, "PERSONNES", "PERSONNE", index.person_records):
        personne_id = attr(element, "PERSONNE_ID")
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
        if personne_id in seen:
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
        seen.add(personne_id)
        yield _person(personne_id, fields(element), index, anomalies)


def _person(
    personne_id: str, f: dict[str, str], index: ResponsableIndex, anomalies: list[Anomaly]
) -> Responsable:
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
        packed = index.addresses.get(adresse_id)
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
    seen: set[tuple[str, str]] = set()
    for element in _records(opened, "RESPONSABLES", "RESPONSABLE_ELEVE", index.link_records):
        # Here ELEVE_ID and PERSONNE_ID are child elements, not attributes.
        f = fields(element)
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
        if (eleve_id, personne_id) in seen:
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
        seen.add((eleve_id, personne_id))
        if personne_id not in index.person_ids:
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
