"""The Responsables export read by a helper process (app.services.siecle_stage), on both engines.

The helper is a real ``spawn`` process: these tests check that it gives exactly
what reading in this process gives (rows, counts, anomalies in order), that a
refusal of the file is the same refusal, that a helper that dies or cannot write
makes the preview read the file here instead, and that a cancel stops it.
"""

from __future__ import annotations

import logging
import multiprocessing
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

from app.errors import PasserelleError, UserCancelled
from app.formats.siecle import read_responsables
from app.services import siecle_stage
from app.services import students_import as si
from app.services.context import AppContext

from .builders import UAI, Eleve, Lien, Personne, eleves_xml, responsables_xml, write
from .conftest import data_dump

ALL = si.ImportOptions(donnees=frozenset(si.DataChoice) - {si.DataChoice.NOMENCLATURES})


@pytest.fixture
def files(tmp_path: Path, year: int) -> list[Path]:
    students = [
        Eleve(str(100 + i), f"NOM{i}", f"Prénom{i}", ine=f"{i:09d}AA",
              adresse=(f"{i} rue Hugo", "75011", "PARIS"))
        for i in range(40)
    ]  # fmt: skip
    persons = [
        Personne(f"P{i}", f"NOM{i}", f"Hélène{i}", tel=f"+3360000{i:04d}",
                 adresse=(f"{i} rue Hugo", "75011", "PARIS") if i % 3 else None)
        for i in range(40)
    ] + [Personne("P1", "DOUBLON", "Même identifiant")]  # fmt: skip
    links = [Lien(str(100 + i), f"P{i}", parente="10" if i % 2 else "20") for i in range(40)]
    links += [
        Lien("999", "P3"),  # a student the Élèves export does not have
        Lien("101", "PX"),  # a person the file does not have
        Lien("102", "P2"),  # the same link twice
        Lien("103", "P5", niveau="7"),  # an unknown level of responsibility
    ]
    return [
        write(tmp_path, "e.xml", eleves_xml(students, year)),
        write(tmp_path, "r.xml", responsables_xml(persons, links, year)),
    ]


def prepare(ctx: AppContext, paths: list[Path], **kwargs: Any) -> si.ImportPreview:
    return si.prepare(ctx.db, UAI, si.FromFiles(tuple(paths)), ALL, **kwargs)


def summary(preview: si.ImportPreview) -> dict[str, Any]:
    """Everything a preview says, for comparing two ways of reading."""
    return {
        "counts": (preview.crees, preview.mis_a_jour, preview.sortis, preview.inchanges),
        "other": preview.other_changes,
        "anomalies": [(a.code, a.message_fr, a.eleve_id, a.severity) for a in preview.anomalies],
        "changes": list(preview.iter_changes()),
        "files": preview.files,
        "blocking": preview.blocking,
    }


def read_here(
    ctx: AppContext, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The summary of a preview read without the helper, then the helper forced on."""
    monkeypatch.setenv(siecle_stage.HELPER_ENV, "0")
    here = prepare(ctx, files)
    try:
        return summary(here)
    finally:
        here.close()
        monkeypatch.setenv(siecle_stage.HELPER_ENV, "1")


def no_helper_left() -> bool:
    return not [p for p in multiprocessing.active_children() if p.name.startswith("passerelle")]


def test_helper_reads_exactly_what_this_process_reads(
    ctx: AppContext, files: list[Path], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    expected = read_here(ctx, files, monkeypatch)
    with caplog.at_level(logging.INFO, logger="app.services.siecle_plan"):
        helped = prepare(ctx, files)
    # Really read by the helper, not by the fallback here.
    assert [r.getMessage() for r in caplog.records if "helper" in r.getMessage()] == [
        "siecle responsables read by the helper process (41 persons)"  # P1 twice
    ]
    try:
        assert summary(helped) == expected
        codes = {a[0] for a in expected["anomalies"]}
        assert {"LIEN_ELEVE_INCONNU", "LIEN_PERSONNE_INCONNUE", "LIEN_EN_DOUBLE",
                "PERSONNE_EN_DOUBLE", "NIVEAU_RESPONSABILITE_INVALIDE"} <= codes  # fmt: skip
        assert expected["other"]["responsables_crees"] == 40
        si.apply(ctx.db, helped)
    finally:
        helped.close()
    assert no_helper_left()
    # What the helper's preview wrote is what reading here finds: nothing left to change,
    # whichever way the files are read again.
    for mode in ("0", "1"):
        monkeypatch.setenv(siecle_stage.HELPER_ENV, mode)
        again = prepare(ctx, files)
        try:
            assert not again.has_changes and again.inchanges == 40
        finally:
            again.close()


def test_a_broken_responsables_file_is_refused_the_same_way(
    ctx: AppContext, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = files[1].read_bytes()
    files[1].write_bytes(data[: data.index(b"<RESPONSABLES>") + 200])  # cut in a record
    before = data_dump(ctx.db)
    refusals = []
    for mode in ("0", "1"):
        monkeypatch.setenv(siecle_stage.HELPER_ENV, mode)
        with pytest.raises(PasserelleError) as caught:
            prepare(ctx, files)
        refusals.append((caught.value.code, caught.value.message))
    assert refusals[0] == refusals[1]
    assert refusals[0][0] == "XML_INVALIDE" and "tronqué" in refusals[0][1]
    assert data_dump(ctx.db) == before
    assert no_helper_left()


@pytest.mark.parametrize("blocked", ["dossier", "liens"])
def test_a_helper_that_cannot_write_makes_the_preview_read_here(
    ctx: AppContext, files: list[Path], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, tmp_path: Path, blocked: str,
) -> None:  # fmt: skip
    """« dossier »: it fails before any row; « liens »: after the persons, which were
    copied and compared already (their anomalies are then read again here)."""
    expected = read_here(ctx, files, monkeypatch)
    real_init = siecle_stage.ResponsablesInHelper.__init__

    def cannot_write(self: Any, responsables: Any, folder: Path) -> None:
        if blocked == "dossier":
            folder = tmp_path / "absent"  # no such folder
        else:
            (folder / "responsables-liens.sqlite").mkdir()  # not a file it can create
        real_init(self, responsables, folder)

    monkeypatch.setattr(siecle_stage.ResponsablesInHelper, "__init__", cannot_write)
    with caplog.at_level(logging.INFO, logger="app.services.siecle_plan"):
        helped = prepare(ctx, files)
    try:
        assert summary(helped) == expected
    finally:
        helped.close()
    [warning] = [r.getMessage() for r in caplog.records if "helper" in r.getMessage()]
    assert "OperationalError" in warning and "reading here" in warning
    assert no_helper_left()


def test_a_helper_killed_midway_makes_the_preview_read_here(
    ctx: AppContext, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = read_here(ctx, files, monkeypatch)
    killed: list[int] = []

    def progress(done: int, total: int, text: str) -> None:
        if not killed:
            for process in multiprocessing.active_children():
                if process.name == "passerelle-lecture-responsables":
                    process.kill()
                    killed.append(process.pid or 0)

    helped = prepare(ctx, files, progress=progress)
    try:
        assert killed and summary(helped) == expected
    finally:
        helped.close()
    assert no_helper_left()


def test_cancel_while_the_helper_reads(
    ctx: AppContext, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(siecle_stage.HELPER_ENV, "1")
    previews_before = set(Path(tempfile.gettempdir()).glob("passerelle-siecle-*"))
    cancel = threading.Event()
    texts: list[str] = []

    def progress(done: int, total: int, text: str) -> None:
        texts.append(text)
        if text.startswith("Lecture des responsables"):
            cancel.set()  # « Annuler » while the helper reads

    with pytest.raises(UserCancelled):
        prepare(ctx, files, progress=progress, cancel=cancel)
    assert any(t.startswith("Lecture des responsables") for t in texts)
    assert no_helper_left()
    # The preview's folder (plan file, the helper's file) is gone with it.
    assert set(Path(tempfile.gettempdir()).glob("passerelle-siecle-*")) == previews_before


def test_helper_is_used_for_big_files_only(
    files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(siecle_stage.HELPER_ENV, raising=False)
    with read_responsables(files[1]) as small:
        assert not siecle_stage.helper_wanted(small)
        monkeypatch.setattr(siecle_stage, "HELPER_MIN_BYTES", files[1].stat().st_size)
        assert siecle_stage.helper_wanted(small)
        monkeypatch.setenv(siecle_stage.HELPER_ENV, "0")
        assert not siecle_stage.helper_wanted(small)
    with read_responsables(files[1].read_bytes()) as in_memory:
        monkeypatch.setenv(siecle_stage.HELPER_ENV, "1")
        assert not siecle_stage.helper_wanted(in_memory)  # nothing on disk to hand over
