"""Import of students from SIECLE (« Récupérer les données des élèves »): API for the GUI and CLI.

Two steps, so the secretary sees what will change before anything is written:

1. :func:`prepare` reads the files (or downloads them through NetSynchro into
   a temporary folder), checks them (UAI, school year of the base, hostile
   XML…), and compares them with the base. It WRITES NOTHING and returns an
   :class:`ImportPreview` (counts, changes per student, anomalies, blocking
   reasons). Refusals raise :class:`~app.errors.PasserelleError` (a
   :class:`~app.formats.errors.FormatError` for files).
2. :func:`apply` writes the preview in ONE transaction through
   :func:`app.services.exclusive.run_import` (automatic copy of the base,
   journal entry, ``eleves`` change counter). A failure or a cancel leaves the
   base exactly as it was.

Both run off the GUI thread; ``progress(done, total or -1, texte)`` is called
often and ``cancel`` is checked between small batches.

Students are never deleted: absent or leaving students are marked « sortis ».
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.domain.siecle import Anomaly
from app.store.database import Database

if TYPE_CHECKING:  # the TLS stack is imported only when NetSynchro is used
    from app.netsynchro.client import RetryPolicy
    from app.security.certificates import CertificateStore


class DataChoice(StrEnum):
    """The data the secretary ticks, as SIECLE offers them."""

    ELEVES = "eleves"  # élèves (identité, scolarité)
    ADRESSES_ELEVES = "adresses_eleves"
    STRUCTURES = "structures"  # classes et groupes
    OPTIONS = "options"
    RESPONSABLES = "responsables"
    ADRESSES_RESPONSABLES = "adresses_responsables"
    NOMENCLATURES = "nomenclatures"  # MEF, matières


DATA_LABELS: dict[DataChoice, str] = {
    DataChoice.ELEVES: "Élèves (identité, scolarité)",
    DataChoice.ADRESSES_ELEVES: "Adresses des élèves",
    DataChoice.STRUCTURES: "Classes et groupes",
    DataChoice.OPTIONS: "Options",
    DataChoice.RESPONSABLES: "Responsables",
    DataChoice.ADRESSES_RESPONSABLES: "Adresses des responsables",
    DataChoice.NOMENCLATURES: "Nomenclatures (MEF, matières)",
}

ALL_DATA: frozenset[DataChoice] = frozenset(DataChoice)


@dataclass(frozen=True)
class ImportOptions:
    """What to import and how: create new students, update known ones, mark leavers."""

    donnees: frozenset[DataChoice] = ALL_DATA
    creer: bool = True
    mettre_a_jour: bool = True
    marquer_sortis: bool = True


@dataclass(frozen=True)
class FromFiles:
    """SIECLE exports chosen by the user (XML or the ZIPs SIECLE gives)."""

    paths: tuple[Path, ...]


@dataclass(frozen=True)
class FromNetSynchro:
    """Download the needed exports through NetSynchro (the establishment's certificate)."""


Source = FromFiles | FromNetSynchro

Progress = Callable[[int, int, str], None]
"""(done, total or -1 when unknown, French text)."""


@dataclass(frozen=True)
class FieldChange:
    field: str  # French label, e.g. « Division »
    old: str
    new: str


ChangeKind = Literal["creation", "mise_a_jour", "sortie"]


@dataclass(frozen=True)
class StudentChange:
    eleve_id: str
    label: str  # « NOM Prénom (6A) », for display only: never logged nor journaled
    kind: ChangeKind
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class FileInfo:
    name: str
    kind: str  # French label of the export: « Élèves », « Responsables »…
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class ImportPreview:
    """What :func:`apply` would do. Call :meth:`close` when done (removes temporary files)."""

    uai: str
    annee: int
    source_label: str
    files: list[FileInfo]
    crees: int
    mis_a_jour: int
    sortis: int
    inchanges: int
    changes: list[StudentChange]
    anomalies: list[Anomaly]
    blocking: list[str]  # French reasons that forbid applying; empty when it can be applied
    options: ImportOptions = field(default_factory=ImportOptions)
    # Counts of the other data (responsables, liens, divisions…) that would change.
    other_changes: dict[str, int] = field(default_factory=dict)
    # ``changes`` keeps the first 5,000 (a GUI list); this is the full number, and
    # :meth:`iter_changes` (used by the report) yields every one of them.
    changes_total: int = 0
    _plan: object | None = field(default=None, repr=False)
    _tempdir: Path | None = field(default=None, repr=False)

    @property
    def can_apply(self) -> bool:
        return not self.blocking

    @property
    def has_changes(self) -> bool:
        students = self.crees or self.mis_a_jour or self.sortis
        return bool(students or any(self.other_changes.values()))

    def iter_changes(self) -> Iterator[StudentChange]:
        from app.services import siecle_plan

        return siecle_plan.iter_changes(self)

    def close(self) -> None:
        """Remove the temporary files (downloads, spill files). Safe to call twice."""
        from app.services import siecle_plan

        siecle_plan.close_preview(self)


@dataclass(frozen=True)
class ImportResult:
    crees: int
    mis_a_jour: int
    sortis: int
    inchanges: int
    anomalies: int
    journal_id: int | None
    copy_path: Path | None
    other_changes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StudentRow:
    id: int
    uai: str
    eleve_id: str
    ine: str | None
    nom: str
    prenom: str
    date_naissance: dt.date | None
    division: str | None
    regime: str | None  # label
    sorti_le: dt.date | None


@dataclass(frozen=True)
class ResponsableInfo:
    nom: str
    prenom: str
    lien: str | None  # parenté, French label
    niveau: str | None  # « Responsable légal », « Personne en charge », « Contact »
    telephone: str | None = None
    mel: str | None = None
    adresse: str | None = None
    paie_frais: bool | None = None
    civilite: str | None = None


@dataclass(frozen=True)
class StudentDetail:
    row: StudentRow
    sexe: str | None
    mef: str | None  # « code – libellé »
    options: list[str]
    groupes: list[str]
    responsables: list[ResponsableInfo]
    historique: list[str]  # « 6A du 01/09/2025 au 15/01/2026 », newest last
    adresse: str | None
    statut: str | None = None
    date_entree: dt.date | None = None
    motif_sortie: str | None = None


# --- functions --------------------------------------------------------------------------


def missing_files(paths: Sequence[Path], options: ImportOptions) -> list[str]:
    """French messages naming the exports the ticked data need and that ``paths`` lack.

    Reads only the headers (root element) of the files; a file that cannot be
    read is not counted (prepare() will report why).
    """
    from app.services import siecle_plan

    return siecle_plan.missing_files(paths, options)


def netsynchro_available(
    db: Database, uai: str, *, store: CertificateStore | None = None
) -> tuple[bool, str]:
    """(True, "") when NetSynchro can be used for ``uai``; else (False, French reason).

    Reasons: platform address not configured, no certificate for the
    establishment, certificate expired or not yet valid.
    """
    from app.services import siecle_plan

    return siecle_plan.netsynchro_available(db, uai, store=store)


def prepare(
    db: Database,
    uai: str,
    source: Source,
    options: ImportOptions,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    store: CertificateStore | None = None,
    retry: RetryPolicy | None = None,
) -> ImportPreview:
    """Read (or download), check and compare with the base; writes nothing.

    Raises PasserelleError (FormatError for files, NetSynchroError for the
    network) for refusals, UserCancelled when ``cancel`` is set. ``store`` and
    ``retry`` are for tests and special set-ups (default: the OS keyring, the
    client's retry policy).
    """
    from app.services import siecle_plan
    from app.services.gc_tuning import fewer_collections

    with fewer_collections():
        return siecle_plan.prepare(
            db, uai, source, options, progress=progress, cancel=cancel, store=store, retry=retry
        )


def apply(
    db: Database,
    preview: ImportPreview,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ImportResult:
    """Write ``preview`` in one transaction (copy of the base first, journal entry).

    Raises PasserelleError when ``preview.blocking`` is not empty or the base
    changed since the preview, UserCancelled when cancelled (nothing written).
    """
    from app.services import siecle_apply
    from app.services.gc_tuning import fewer_collections

    with fewer_collections():
        return siecle_apply.apply(db, preview, progress=progress, cancel=cancel)


def write_report(
    preview: ImportPreview,
    result: ImportResult | None,
    path: Path,
    fmt: Literal["html", "csv"],
) -> Path:
    """Write the preview (and the result, once applied) as an HTML or CSV report."""
    from app.services import siecle_report

    return siecle_report.write_report(preview, result, path, fmt)


def list_students(
    db: Database,
    *,
    uai: str | None = None,
    division: str | None = None,
    search: str = "",
    include_left: bool = True,
) -> list[StudentRow]:
    """Students of the base, sorted by division then name; ``search`` ignores case and accents."""
    from app.services import siecle_queries

    return siecle_queries.list_students(
        db, uai=uai, division=division, search=search, include_left=include_left
    )


def divisions(db: Database, uai: str | None = None) -> list[str]:
    from app.services import siecle_queries

    return siecle_queries.divisions(db, uai)


def student_detail(db: Database, student_id: int) -> StudentDetail:
    from app.services import siecle_queries

    return siecle_queries.student_detail(db, student_id)


__all__ = [
    "ALL_DATA",
    "DATA_LABELS",
    "DataChoice",
    "FieldChange",
    "FileInfo",
    "FromFiles",
    "FromNetSynchro",
    "ImportOptions",
    "ImportPreview",
    "ImportResult",
    "Progress",
    "ResponsableInfo",
    "Source",
    "StudentChange",
    "StudentDetail",
    "StudentRow",
    "apply",
    "divisions",
    "list_students",
    "missing_files",
    "netsynchro_available",
    "prepare",
    "student_detail",
    "write_report",
]
