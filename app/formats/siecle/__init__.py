"""Readers of SIECLE (BEE) XML exports: Élèves, Responsables, Nomenclatures, Structures.

Pure layer: no database, no Qt. Every reader raises only
:class:`~app.formats.errors.FormatError` (stable ``code``, French ``message``);
per-record problems are :class:`~app.domain.siecle.Anomaly` items instead.

API
---
``read_siecle(source, *, expected_uai=None, expected_year=None, name=None) -> AnySiecleFile``
    ``source`` is a path or bytes, XML or SIECLE's ZIP (exactly one XML member,
    through :mod:`app.formats.archive`). The kind comes from the root element.
    Only the root and ``PARAMETRES`` are read here: every refusal (not XML, an
    STSWEB file, other UAI, other year, bad check letter…) happens before any
    record is used. The result is one of:

    - :class:`ElevesFile` — ``.students()`` streams complete :class:`Student`
      records (division, groups, options, address joined);
    - :class:`ResponsablesFile` — ``.persons()`` and ``.links()``;
    - :class:`NomenclaturesFile` / :class:`StructuresFile` — ``.read()``.

    Each has ``.header`` (:class:`SiecleHeader`: root, uai, annee…), ``.kind``,
    ``.anomalies`` (those of the passes made so far) and ``.close()``; use it
    as a context manager.
``read_eleves`` / ``read_responsables`` / ``read_nomenclatures`` / ``read_structures``
    Same, typed, refusing another kind (``SIECLE_TYPE_INATTENDU``).
``analyse(source, ...) -> FileSummary``
    Reads everything in streamed passes; counts and anomalies, no records kept.
``links_to_unknown_students(student_ids, links)`` / ``inconsistent_headers(headers)``
    Cross-file checks.

Memory
------
Records are streamed (``SafeIterparse`` with ``tag=`` filters + ``release``).
Because a SIECLE file puts OPTIONS, STRUCTURES and ADRESSES after the students,
the Élèves and Responsables readers parse the file ONCE and spill records and
join data into a private temporary SQLite file (:mod:`.spill`, page cache
capped), then hand records out from one SQL join: memory does not grow with
the number of students, and a second ``students()`` call does not re-parse.

Codes are listed in :mod:`app.formats.siecle.codes`.
"""

from __future__ import annotations

from app.formats.siecle.checks import inconsistent_headers, links_to_unknown_students
from app.formats.siecle.reader import (
    AnySiecleFile,
    ElevesFile,
    FileSummary,
    NomenclaturesFile,
    ResponsablesFile,
    SiecleFile,
    StructuresFile,
    analyse,
    read_eleves,
    read_nomenclatures,
    read_responsables,
    read_siecle,
    read_structures,
)

__all__ = [
    "AnySiecleFile",
    "ElevesFile",
    "FileSummary",
    "NomenclaturesFile",
    "ResponsablesFile",
    "SiecleFile",
    "StructuresFile",
    "analyse",
    "inconsistent_headers",
    "links_to_unknown_students",
    "read_eleves",
    "read_nomenclatures",
    "read_responsables",
    "read_siecle",
    "read_structures",
]
