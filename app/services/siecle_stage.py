"""Reading the two big SIECLE exports into the plan file's staging tables, here or in a helper.

Reading an export (one libxml2 pass, then a record object per record) is most of
the cost of a preview, and Python runs it on one core. When both big exports are
used, the Responsables export is therefore read by a helper process (``spawn``,
so it behaves the same on Windows and in the frozen program) while this process
reads the Élèves export and compares the students with the base: on two cores
the work overlaps. The helper writes the staging rows into a private SQLite file
of the preview's temporary folder and sends its progress, counts and anomalies
through a pipe; the rows are then copied into the plan file in one statement
per table.

The rows are the same either way: :func:`stage_responsables` does the work in
both cases. A refusal of the file (hostile or broken XML) comes back as the same
:class:`~app.formats.errors.FormatError`; any other failure of the helper (it
could not start, it died) makes the preview read the file here instead, so a
helper problem never costs the secretary her import.
"""

from __future__ import annotations

import contextlib
import marshal
import multiprocessing
import os
import sqlite3
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.domain.siecle import Anomaly
from app.formats.errors import FormatError
from app.formats.siecle import ElevesFile, ResponsablesFile
from app.formats.siecle.source import OpenedSource
from app.services.siecle_fields import (
    identity_key,
    link_row,
    person_row,
    plain,
    student_groups,
    student_options,
    student_row,
)

BATCH = 500
# Below this size the helper's start-up (a fresh interpreter, ~0.25 s; more on Windows)
# costs more than it saves: ≈ 800 students' responsables with their addresses.
HELPER_MIN_BYTES = 2_000_000
# "0": never use the helper process; "1": always (tests, smoke test); unset: by size.
HELPER_ENV = "PASSERELLE_SIECLE_PARALLELE"
# How often the waiting side looks at the cancel flag.
POLL_SECONDS = 0.05

STUDENT_COLUMNS = "eleve_id, ine, cle, dn, label, data"
# The staging tables of the Responsables export, in the plan file and in the helper's file:
# the persons (person_row, marshalled) and the links (link_row, marshalled), in export order.
RESPONSABLE_SCHEMA = """
CREATE TABLE p (seq INTEGER PRIMARY KEY, personne_id TEXT NOT NULL UNIQUE, data BLOB NOT NULL);
CREATE TABLE l (seq INTEGER PRIMARY KEY, eleve_id TEXT NOT NULL, personne_id TEXT NOT NULL,
                data BLOB NOT NULL);
CREATE INDEX l_eleve ON l(eleve_id);
"""
# The helper's files hold the same rows, without indexes: each is read in order, once. Two
# files, so the persons can be copied while the helper still writes the links.
_HELPER_SCHEMA = {
    "p": "CREATE TABLE p (seq INTEGER PRIMARY KEY, personne_id TEXT NOT NULL, data BLOB NOT NULL)",
    "l": "CREATE TABLE l (seq INTEGER PRIMARY KEY, eleve_id TEXT NOT NULL, "
    "personne_id TEXT NOT NULL, data BLOB NOT NULL)",
}

StageProgress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Staged:
    """What staging an export found besides its rows."""

    counts: dict[str, int]
    anomalies: list[Anomaly] = field(default_factory=list)
    avec_adresses: bool = False


def student_label(nom: str, prenom: str, division: Any) -> str:
    """« NOM Prénom (6A) »: shown in the preview and the report, never logged."""
    return f"{nom} {prenom}" + (f" ({division})" if division else "")


def stage_students(
    eleves: ElevesFile, sql: sqlite3.Connection, progress: StageProgress
) -> Staged:
    """Every student of ``eleves`` into table ``f`` of ``sql``, in export order."""
    total = eleves.record_count
    n = left = without_ine = 0
    divisions: set[str] = set()
    groups: set[str] = set()
    insert = f"INSERT INTO f ({STUDENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
    text = "Lecture des élèves"
    progress(0, total, text + "…")
    rows: list[tuple[Any, ...]] = []
    dumps = marshal.dumps
    for s in eleves.students():
        left += s.date_sortie is not None
        without_ine += s.ine is None
        if s.division is not None:
            divisions.add(s.division)
        groups.update(s.groups)
        data = [student_row(s), student_groups(s), student_options(s)]
        rows.append((
            s.eleve_id, s.ine, identity_key(s.nom, s.prenom), plain(s.date_naissance),
            student_label(s.nom, s.prenom, s.division), dumps(data),
        ))  # fmt: skip
        if len(rows) >= BATCH:
            sql.executemany(insert, rows)
            n += len(rows)
            rows.clear()
            progress(n, total, f"{text} : {n} / {total}")
    if rows:
        sql.executemany(insert, rows)
        n += len(rows)
    progress(n, total, f"{text} : {n} / {total}")
    counts = {
        "eleves": n,
        "eleves_sortis": left,
        "sans_ine": without_ine,
        "divisions": len(divisions),
        "groupes": len(groups),
    }
    return Staged(counts, eleves.anomalies, eleves.avec_adresses)


def stage_persons(
    responsables: ResponsablesFile, sql: sqlite3.Connection, progress: StageProgress
) -> int:
    """Every person of ``responsables`` into table ``p`` of ``sql``; returns how many."""
    dumps = marshal.dumps
    total = responsables.person_count
    text = "Lecture des responsables"
    progress(0, total, text + "…")
    n = 0
    for batch in batches(responsables.persons()):
        sql.executemany(
            "INSERT INTO p (personne_id, data) VALUES (?, ?)",
            [(p.personne_id, dumps(person_row(p))) for p in batch],
        )
        n += len(batch)
        progress(n, total, f"{text} : {n} / {total}")
    return n


def stage_links(
    responsables: ResponsablesFile, sql: sqlite3.Connection, progress: StageProgress
) -> Staged:
    """Every link of ``responsables`` into table ``l`` of ``sql`` (after its persons)."""
    dumps = marshal.dumps
    total = responsables.link_count
    text = "Lecture des liens élève – responsable"
    n = 0
    for batch in batches(responsables.links()):
        sql.executemany(
            "INSERT INTO l (eleve_id, personne_id, data) VALUES (?, ?, ?)",
            [(k.eleve_id, k.personne_id, dumps(link_row(k))) for k in batch],
        )
        n += len(batch)
        progress(n, total, f"{text} : {n} / {total}")
    counts = {"personnes": responsables.person_count, "liens": n}
    return Staged(counts, responsables.anomalies, responsables.avec_adresses)


def batches(items: Iterator[Any], size: int = BATCH) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (the unit of progress, cancel checks and executemany)."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def helper_wanted(responsables: ResponsablesFile) -> bool:
    """True when the export is a file big enough for the helper process to pay off."""
    setting = os.environ.get(HELPER_ENV, "")
    xml = responsables.source_path
    if setting == "0" or xml is None:
        return False
    if setting == "1":
        return True
    try:
        return xml.stat().st_size >= HELPER_MIN_BYTES
    except OSError:
        return False


class HelperFailed(Exception):
    """The helper process could not do its work for a reason that is not the file's."""


class ResponsablesInHelper:
    """The Responsables export being staged by a helper process into ``folder``.

    It writes the persons into :attr:`persons_path` and says so (:meth:`wait_persons`),
    then the links into :attr:`links_path` (:meth:`wait`). Use as a context manager:
    leaving it stops the helper if it still runs (cancel, error elsewhere) and removes
    its files.
    """

    def __init__(self, responsables: ResponsablesFile, folder: Path) -> None:
        xml = responsables.source_path
        assert xml is not None, "helper_wanted() said no"
        self.persons_path = folder / "responsables-personnes.sqlite"
        self.links_path = folder / "responsables-liens.sqlite"
        context = multiprocessing.get_context("spawn")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_helper_main,
            args=(send, str(xml), responsables.name, str(self.persons_path),
                  str(self.links_path)),
            name="passerelle-lecture-responsables",
            daemon=True,
        )  # fmt: skip
        try:
            self._process.start()
        except BaseException:
            self._receive.close()
            raise
        finally:
            send.close()  # the child has its own copy: EOF here once it exits

    def wait_persons(self, progress: StageProgress, check: Callable[[], None]) -> bool:
        """Wait until the persons are written; returns whether the file has addresses."""
        message = self._next("persons", progress, check)
        return bool(message[1])

    def wait(self, progress: StageProgress, check: Callable[[], None]) -> Staged:
        """Wait until the links are written too; what staging found."""
        result: Staged = self._next("done", progress, check)[1]
        return result

    def _next(
        self, wanted: str, progress: StageProgress, check: Callable[[], None]
    ) -> tuple[Any, ...]:
        """Forward the helper's progress until its ``wanted`` message; ``check`` raises to
        cancel. Raises FormatError when the file is refused, HelperFailed for anything else.
        """
        while True:
            check()
            try:
                if not self._receive.poll(POLL_SECONDS):
                    if not self._process.is_alive() and not self._receive.poll(0):
                        raise HelperFailed(f"arrêt du processus ({self._process.exitcode})")
                    continue
                message: tuple[Any, ...] = self._receive.recv()
            except (EOFError, OSError) as exc:
                raise HelperFailed(type(exc).__name__) from exc
            kind = message[0]
            if kind == wanted:
                return message
            if kind == "progress":
                progress(*message[1:])
            elif kind == "refused":
                raise FormatError(message[1], code=message[2])
            elif kind == "failed":
                raise HelperFailed(message[1])
            else:
                raise HelperFailed(f"message inattendu « {kind} »")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._receive.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(5)
        # Windows refuses to delete a file a dying process still holds; the preview's
        # folder is removed with everything in it anyway.
        for path in (self.persons_path, self.links_path):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def __enter__(self) -> ResponsablesInHelper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _scratch(path: str, table: str) -> sqlite3.Connection:
    sql = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF"):
        sql.execute(f"PRAGMA {pragma}")
    sql.execute(_HELPER_SCHEMA[table])
    sql.execute("BEGIN")
    return sql


def _helper_main(send: Connection, xml: str, name: str, persons: str, links: str) -> None:
    """The helper process: stage the persons, then the links; report through ``send``."""
    import gc

    from app.formats.siecle.header import read_header
    from app.services.gc_tuning import THRESHOLDS

    gc.set_threshold(*THRESHOLDS)  # this process only reads the file: see gc_tuning

    def progress(*values: Any) -> None:
        send.send(("progress", *values))

    try:
        opened = OpenedSource(Path(xml), name, None)
        with ResponsablesFile(opened, read_header(opened, None, None)) as responsables:
            for path, table in ((persons, "p"), (links, "l")):
                sql = _scratch(path, table)
                try:
                    if table == "p":
                        stage_persons(responsables, sql, progress)
                    else:
                        result = stage_links(responsables, sql, progress)
                    sql.execute("COMMIT")
                finally:
                    sql.close()
                if table == "p":
                    send.send(("persons", responsables.avec_adresses))
        send.send(("done", result))
    except FormatError as exc:
        send.send(("refused", exc.message, exc.code))
    except BaseException as exc:  # the parent reads the file itself
        # Where it failed, not the message: a message may quote a value of the file.
        frame = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" ({Path(frame[0].filename).name}:{frame[0].lineno})" if frame else ""
        send.send(("failed", type(exc).__name__ + where))
    finally:
        send.close()
