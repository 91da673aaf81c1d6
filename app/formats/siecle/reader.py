"""Opening a SIECLE export: header first, then streamed records; or a one-call summary.

See the package docstring for the API and its guarantees.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from app.domain.siecle import (
    Anomaly,
    Nomenclature,
    Responsable,
    ResponsableLink,
    SiecleHeader,
    SiecleKind,
    Structures,
    Student,
)
from app.formats.errors import FormatError
from app.formats.siecle import eleves, nomenclatures, responsables
from app.formats.siecle.header import read_header
from app.formats.siecle.source import OpenedSource, Source, open_source


class SiecleFile(ABC):
    """An opened SIECLE export whose header has been checked.

    Records are read on demand, in streamed passes over the file; ``anomalies``
    holds those of the passes made so far. Use it as a context manager: a ZIP is
    extracted to a temporary file that :meth:`close` deletes.
    """

    def __init__(self, opened: OpenedSource, header: SiecleHeader) -> None:
        self._opened = opened
        self.header = header

    @property
    def name(self) -> str:
        return self._opened.name

    @property
    def source_path(self) -> Path | None:
        """The XML file on disk (a ZIP's extracted member), or None for bytes in memory."""
        xml = self._opened.xml
        return xml if isinstance(xml, Path) else None

    @property
    def kind(self) -> SiecleKind:
        return self.header.kind

    @property
    def anomalies(self) -> list[Anomaly]:
        return []

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Read every record and count what the summary reports for this kind."""

    def close(self) -> None:
        self._opened.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ElevesFile(SiecleFile):
    """``BEE_ELEVES``: :meth:`students` streams complete students (two passes)."""

    def __init__(self, opened: OpenedSource, header: SiecleHeader) -> None:
        super().__init__(opened, header)
        self._index: eleves.StudentIndex | None = None
        self._pass_anomalies: list[Anomaly] = []

    def _get_index(self) -> eleves.StudentIndex:
        if self._index is None:
            self._index = eleves.build_index(self._opened)
        return self._index

    @property
    def avec_adresses(self) -> bool:
        """True for ElevesAvecAdresses (an ADRESSES block is present)."""
        return self._get_index().has_addresses

    @property
    def record_count(self) -> int:
        """Number of ELEVE elements (read by the first pass), for progress bars."""
        return self._get_index().eleve_records

    @property
    def anomalies(self) -> list[Anomaly]:
        index = self._index.anomalies if self._index is not None else []
        return [*index, *self._pass_anomalies]

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        super().close()

    def students(self) -> Iterator[Student]:
        index = self._get_index()
        self._pass_anomalies = []  # a new pass reports afresh, never twice
        return eleves.iter_students(self._opened, index, self._pass_anomalies)

    def counts(self) -> dict[str, int]:
        return self.counts_and_ids()[0]

    def counts_and_ids(self) -> tuple[dict[str, int], frozenset[str]]:
        """Counts, plus every ELEVE_ID read (for :func:`links_to_unknown_students`)."""
        total = left = without_ine = 0
        divisions: set[str] = set()
        groups: set[str] = set()
        ids: set[str] = set()
        for student in self.students():
            total += 1
            ids.add(student.eleve_id)
            left += student.date_sortie is not None
            without_ine += student.ine is None
            if student.division is not None:
                divisions.add(student.division)
            groups.update(student.groups)
        counts = {
            "eleves": total,
            "eleves_sortis": left,
            "sans_ine": without_ine,
            "divisions": len(divisions),
            "groupes": len(groups),
        }
        return counts, frozenset(ids)


class ResponsablesFile(SiecleFile):
    """``BEE_RESPONSABLES``: :meth:`persons` and :meth:`links` each stream one pass."""

    def __init__(self, opened: OpenedSource, header: SiecleHeader) -> None:
        super().__init__(opened, header)
        self._index: responsables.ResponsableIndex | None = None
        self._person_anomalies: list[Anomaly] = []
        self._link_anomalies: list[Anomaly] = []

    def _get_index(self) -> responsables.ResponsableIndex:
        if self._index is None:
            self._index = responsables.build_index(self._opened)
        return self._index

    @property
    def avec_adresses(self) -> bool:
        return self._get_index().has_addresses

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        super().close()

    @property
    def person_count(self) -> int:
        return self._get_index().person_records

    @property
    def link_count(self) -> int:
        return self._get_index().link_records

    @property
    def anomalies(self) -> list[Anomaly]:
        return [*self._person_anomalies, *self._link_anomalies]

    def persons(self) -> Iterator[Responsable]:
        index = self._get_index()
        self._person_anomalies = []
        return responsables.iter_persons(self._opened, index, self._person_anomalies)

    def links(self) -> Iterator[ResponsableLink]:
        index = self._get_index()
        self._link_anomalies = []
        return responsables.iter_links(self._opened, index, self._link_anomalies)

    def counts(self) -> dict[str, int]:
        return {
            "personnes": sum(1 for _ in self.persons()),
            "liens": sum(1 for _ in self.links()),
        }


class NomenclaturesFile(SiecleFile):
    def __init__(self, opened: OpenedSource, header: SiecleHeader) -> None:
        super().__init__(opened, header)
        self._data: Nomenclature | None = None
        self._anomalies: list[Anomaly] = []

    @property
    def anomalies(self) -> list[Anomaly]:
        return list(self._anomalies)

    def read(self) -> Nomenclature:
        if self._data is None:
            self._data = nomenclatures.read_nomenclature(self._opened, self._anomalies)
        return self._data

    def counts(self) -> dict[str, int]:
        data = self.read()
        return {"mefs": len(data.mefs), "matieres": len(data.matieres)}


class StructuresFile(SiecleFile):
    def __init__(self, opened: OpenedSource, header: SiecleHeader) -> None:
        super().__init__(opened, header)
        self._data: Structures | None = None
        self._anomalies: list[Anomaly] = []

    @property
    def anomalies(self) -> list[Anomaly]:
        return list(self._anomalies)

    def read(self) -> Structures:
        if self._data is None:
            self._data = nomenclatures.read_structures(self._opened, self._anomalies)
        return self._data

    def counts(self) -> dict[str, int]:
        data = self.read()
        return {"divisions": len(data.divisions), "groupes": len(data.groupes)}


AnySiecleFile = ElevesFile | ResponsablesFile | NomenclaturesFile | StructuresFile

_CLASSES: dict[SiecleKind, type[AnySiecleFile]] = {
    SiecleKind.ELEVES: ElevesFile,
    SiecleKind.RESPONSABLES: ResponsablesFile,
    SiecleKind.NOMENCLATURES: NomenclaturesFile,
    SiecleKind.STRUCTURES: StructuresFile,
}


def read_siecle(
    source: Source,
    *,
    expected_uai: str | None = None,
    expected_year: int | None = None,
    name: str | None = None,
) -> AnySiecleFile:
    """Open ``source`` (XML or ZIP, path or bytes) and check its header.

    Raises :class:`FormatError` for every refusal (not XML, not SIECLE, other
    establishment or year…). ``name`` is the file name shown in messages.
    """
    opened = open_source(source, name)
    try:
        header = read_header(opened, expected_uai, expected_year)
    except BaseException:
        opened.close()
        raise
    return _CLASSES[header.kind](opened, header)


_F = TypeVar("_F", bound=SiecleFile)


def _read_kind(
    cls: type[_F],
    kind: SiecleKind,
    source: Source,
    expected_uai: str | None,
    expected_year: int | None,
    name: str | None,
) -> _F:
    opened = read_siecle(
        source, expected_uai=expected_uai, expected_year=expected_year, name=name
    )
    if isinstance(opened, cls):
        return opened
    opened.close()
    raise FormatError(
        f"Le fichier « {opened.name} » est un export {opened.kind.label_fr} "
        f"({opened.kind.value}) ; un export {kind.label_fr} ({kind.value}) est attendu.",
        code="SIECLE_TYPE_INATTENDU",
    )


def read_eleves(
    source: Source, *, expected_uai: str | None = None, expected_year: int | None = None,
    name: str | None = None,
) -> ElevesFile:  # fmt: skip
    return _read_kind(ElevesFile, SiecleKind.ELEVES, source, expected_uai, expected_year, name)


def read_responsables(
    source: Source, *, expected_uai: str | None = None, expected_year: int | None = None,
    name: str | None = None,
) -> ResponsablesFile:  # fmt: skip
    return _read_kind(
        ResponsablesFile, SiecleKind.RESPONSABLES, source, expected_uai, expected_year, name
    )


def read_nomenclatures(
    source: Source, *, expected_uai: str | None = None, expected_year: int | None = None,
    name: str | None = None,
) -> NomenclaturesFile:  # fmt: skip
    return _read_kind(
        NomenclaturesFile, SiecleKind.NOMENCLATURES, source, expected_uai, expected_year, name
    )


def read_structures(
    source: Source, *, expected_uai: str | None = None, expected_year: int | None = None,
    name: str | None = None,
) -> StructuresFile:  # fmt: skip
    return _read_kind(
        StructuresFile, SiecleKind.STRUCTURES, source, expected_uai, expected_year, name
    )


@dataclass(frozen=True, slots=True)
class FileSummary:
    """What :func:`analyse` found: header, counts for that kind, anomalies.

    ``eleve_ids`` is filled for an Élèves export only, for cross-file checks.
    """

    fichier: str
    header: SiecleHeader
    counts: dict[str, int] = field(default_factory=dict)
    anomalies: tuple[Anomaly, ...] = ()
    eleve_ids: frozenset[str] = frozenset()

    @property
    def kind(self) -> SiecleKind:
        return self.header.kind


def analyse(
    source: Source,
    *,
    expected_uai: str | None = None,
    expected_year: int | None = None,
    name: str | None = None,
) -> FileSummary:
    """Read a whole export in streamed passes and summarise it (never holds all records)."""
    with read_siecle(
        source, expected_uai=expected_uai, expected_year=expected_year, name=name
    ) as opened:
        ids: frozenset[str] = frozenset()
        if isinstance(opened, ElevesFile):
            counts, ids = opened.counts_and_ids()
        else:
            counts = opened.counts()
        return FileSummary(opened.name, opened.header, counts, tuple(opened.anomalies), ids)
