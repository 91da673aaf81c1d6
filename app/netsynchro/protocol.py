"""The NetSynchro protocol as Passerelle speaks it: names, URLs and XML bodies.

Shared by the client and the sandbox so both sides agree by construction.
``docs/netsynchro-protocol.md`` says which parts follow the ministry's
published resources and which ones the project modelled itself.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from app.formats.errors import FormatError
from app.formats.xmlsafe import parse_document

# --- resources ----------------------------------------------------------------

ROOT = "/flux-netsync"
EXPORT_FLUX = ("sco-nomenclatures", "sco-structures", "sco-eleves-adr", "sco-responsables-adr",
               "sts-emp")  # fmt: skip
IMPORT_FLUX = ("edt-sts", "eleve-groupe")

HEADER_ZIP = "Compression-Zip"
HEADER_TACHE = "tacheId"
HEADER_RNE = "codeRne"

XML_TYPE = "application/xml"
ZIP_TYPE = "application/zip"
EXPORT_ENCODING = "ISO-8859-15"


def export_path(flux: str, uai: str, year: int) -> str:
    return f"{ROOT}/exports/xml/{flux}/{uai}/{year:04d}"


def import_path(flux: str, uai: str, year: int) -> str:
    return f"{ROOT}/imports/prive/{flux}/{uai}/{year:04d}"


def task_path(tache_id: uuid.UUID) -> str:
    return f"{ROOT}/taches/{tache_id}"


def connection_path(uai: str, year: int) -> str:
    """Modelled: a cheap resource that checks certificate, UAI and year, nothing else."""
    return f"{ROOT}/connexion/{uai}/{year:04d}"


def connection_body(uai: str, year: int, name: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<connexion><uai>{escape(uai)}</uai>'
        f"<annee>{year:04d}</annee><etablissement>{escape(name)}</etablissement></connexion>\n"
    ).encode()


def parse_connection(data: bytes) -> str:
    """The establishment's name from a ``<connexion>`` body ("" if absent)."""
    root = parse_document(data)
    if root.tag != "connexion":
        raise FormatError("Réponse inattendue du serveur.", code="NS_REPONSE")
    return _text(root, "etablissement")


def media_type(content_type: str | None) -> str:
    """``application/xml; charset=…`` → ``application/xml`` (lower case)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


# --- <erreur> ---------------------------------------------------------------------

ERREUR_INATTENDUE = "ERREUR_INATTENDUE"
ERREUR_TRAITEMENT = "ERREUR_TRAITEMENT"
TECHNIQUE = "TECHNIQUE"
METIER = "METIER"


@dataclass(frozen=True)
class Erreur:
    """The published error body: ``<erreur><code/><detail/><message/><type/></erreur>``."""

    code: str
    type: str
    detail: str
    message: str

    @classmethod
    def parametres(cls, detail: str) -> Erreur:
        """A call whose parameters are invalid (TECHNIQUE)."""
        return cls(ERREUR_INATTENDUE, TECHNIQUE, detail, f"Paramètres d'appel invalides ({detail})")

    @classmethod
    def metier(cls, detail: str) -> Erreur:
        """A refusal by business rules (METIER): retrying cannot help."""
        return cls(ERREUR_TRAITEMENT, METIER, detail, f"Erreur métier ({detail})")

    @classmethod
    def technique(cls, detail: str) -> Erreur:
        return cls(ERREUR_INATTENDUE, TECHNIQUE, detail, f"Erreur technique ({detail})")

    def to_xml(self) -> bytes:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<erreur><code>{escape(self.code)}</code>'
            f"<detail>{escape(self.detail)}</detail><message>{escape(self.message)}</message>"
            f"<type>{escape(self.type)}</type></erreur>\n"
        )
        return body.encode("utf-8")

    @classmethod
    def from_xml(cls, data: bytes) -> Erreur | None:
        """Parse an ``<erreur>`` body; None if the body is anything else."""
        try:
            root = parse_document(data)
        except FormatError:
            return None
        if root.tag != "erreur":
            return None
        return cls(
            code=_text(root, "code"),
            type=_text(root, "type"),
            detail=_text(root, "detail"),
            message=_text(root, "message"),
        )


# --- tasks and comptes rendus ---------------------------------------------------


class TaskState(enum.StrEnum):
    EN_COURS = "EN_COURS"
    TERMINEE = "TERMINEE"
    REJETEE = "REJETEE"


class AnomalyKind(enum.StrEnum):
    PAR = "PAR"  # partly imported: part of the item was dropped
    MOD = "MOD"  # imported after the server changed a value
    REJ = "REJ"  # rejected as a whole


@dataclass(frozen=True)
class Anomaly:
    kind: AnomalyKind
    code: str
    message: str
    reference: str = ""  # what the anomaly is about, e.g. « SERVICE 3A/020700 »


@dataclass(frozen=True)
class Counters:
    lus: int = 0
    complets: int = 0
    partiels: int = 0
    rejetes: int = 0


@dataclass(frozen=True)
class TaskReport:
    """The task resource: its state and, once finished, the compte rendu."""

    tache_id: uuid.UUID
    flux: str
    uai: str
    year: int
    state: TaskState
    received: dt.datetime | None = None
    finished: dt.datetime | None = None
    counters: Counters = Counters()
    anomalies: tuple[Anomaly, ...] = field(default_factory=tuple)

    @property
    def done(self) -> bool:
        return self.state is not TaskState.EN_COURS

    def anomalies_of(self, kind: AnomalyKind) -> list[Anomaly]:
        return [a for a in self.anomalies if a.kind is kind]

    def to_xml(self) -> bytes:
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<tache>',
            f"<id>{self.tache_id}</id><flux>{escape(self.flux)}</flux>",
            f"<uai>{escape(self.uai)}</uai><annee>{self.year:04d}</annee>",
            f"<etat>{self.state.value}</etat>",
        ]
        if self.received is not None:
            parts.append(f"<recu>{self.received.isoformat()}</recu>")
        if self.finished is not None:
            parts.append(f"<termine>{self.finished.isoformat()}</termine>")
        if self.done:
            c = self.counters
            parts.append(
                f"<compteRendu><compteurs><lus>{c.lus}</lus><complets>{c.complets}</complets>"
                f"<partiels>{c.partiels}</partiels><rejetes>{c.rejetes}</rejetes></compteurs>"
                "<anomalies>"
            )
            for a in self.anomalies:
                parts.append(
                    f"<anomalie><type>{a.kind.value}</type><code>{escape(a.code)}</code>"
                    f"<reference>{escape(a.reference)}</reference>"
                    f"<message>{escape(a.message)}</message></anomalie>"
                )
            parts.append("</anomalies></compteRendu>")
        parts.append("</tache>\n")
        return "".join(parts).encode("utf-8")

    @classmethod
    def from_xml(cls, data: bytes) -> TaskReport:
        """Parse a ``<tache>`` body; raises ValueError/FormatError when malformed."""
        root = parse_document(data)
        if root.tag != "tache":
            raise ValueError(f"root {root.tag!r} is not <tache>")
        report = root.find("compteRendu")
        counters = Counters()
        anomalies: list[Anomaly] = []
        if report is not None:
            counts = report.find("compteurs")
            if counts is not None:
                counters = Counters(
                    lus=int(_text(counts, "lus") or 0),
                    complets=int(_text(counts, "complets") or 0),
                    partiels=int(_text(counts, "partiels") or 0),
                    rejetes=int(_text(counts, "rejetes") or 0),
                )
            for node in report.iterfind("anomalies/anomalie"):
                anomalies.append(
                    Anomaly(
                        kind=AnomalyKind(_text(node, "type")),
                        code=_text(node, "code"),
                        message=_text(node, "message"),
                        reference=_text(node, "reference"),
                    )
                )
        return cls(
            tache_id=uuid.UUID(_text(root, "id")),
            flux=_text(root, "flux"),
            uai=_text(root, "uai"),
            year=int(_text(root, "annee")),
            state=TaskState(_text(root, "etat")),
            received=_date(_text(root, "recu")),
            finished=_date(_text(root, "termine")),
            counters=counters,
            anomalies=tuple(anomalies),
        )


def _text(node: Any, tag: str) -> str:
    child = node.find(tag)
    if child is None or child.text is None:
        return ""
    return str(child.text).strip()


def _date(text: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None
