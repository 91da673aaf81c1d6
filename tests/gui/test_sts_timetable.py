"""STSWEB retrieval window, the « Emplois du temps » tab, the course dialog, the week grid
and the export to an EDT_STS file — on a real SQLite base, through the dialogs seam."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from app import menus
from app.demo.sts import generate_sts_edt
from app.domain.models import JournalKind
from app.formats.sts.reader import read_edt_sts
from app.gui.course_dialog import CourseDialog
from app.gui.dialogs import dialogs
from app.gui.main_window import MainWindow
from app.gui.sts_retrieval_window import StsRetrievalWindow
from app.gui.views.timetable_view import TimetableView
from app.gui.views.week_grid import WEEK_A, WEEK_ALL, WEEK_B, GridBlock, WeekGrid
from app.services import base_admin, journal
from app.services.context import AppContext
from app.services.sts import courses, retrieval, timetable_import
from app.services.sts.timetable_store import WEEK_A as ALT_A
from app.store import settings as settings_store

UAI = "0750654D"
WAIT = 20_000


@pytest.fixture
def base(ctx: AppContext) -> AppContext:
    base_admin.add_establishment(ctx.db, UAI, "Collège de test")
    return ctx


@pytest.fixture
def sts_file(base: AppContext, tmp_path: Path) -> Path:
    year = base_admin.school_year(base.db)
    path = tmp_path / f"sts_emp_{UAI}_{year}.xml"
    path.write_bytes(generate_sts_edt(UAI, year, 11))
    return path


@pytest.fixture
def with_timetable(base: AppContext, sts_file: Path) -> AppContext:
    retrieval.retrieve_from_file(base.db, UAI, sts_file)
    timetable_import.import_demo(base.db, UAI)
    return base


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"information": [], "warning": []}
    monkeypatch.setattr(dialogs, "information",
                        lambda _p, _t, text: seen["information"].append(text))
    monkeypatch.setattr(dialogs, "warning", lambda _p, _t, text: seen["warning"].append(text))
    return seen


def _view(qtbot: QtBot, ctx: AppContext) -> TimetableView:
    view = TimetableView(ctx.db)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.loading is None, timeout=WAIT)
    return view


# -- retrieval --------------------------------------------------------------------------------


def test_retrieval_from_a_file_shows_the_counts(
    qtbot: QtBot, base: AppContext, sts_file: Path, monkeypatch: pytest.MonkeyPatch,
    shown: dict[str, list[str]],
) -> None:  # fmt: skip
    monkeypatch.setattr(dialogs, "open_file", lambda *a, **k: str(sts_file))
    window = StsRetrievalWindow(base.db, UAI)
    qtbot.addWidget(window)
    # No certificate on this PC: NetSynchro is disabled and says why.
    assert not window.by_netsynchro.isEnabled()
    assert window.netsynchro_reason.text()
    assert "Aucune donnée STSWEB" in window.freshness.text()
    window.browse()
    assert window.by_file.isChecked() and window.start_button.isEnabled()
    window.start_button.click()
    qtbot.waitUntil(lambda: window.task is None, timeout=WAIT)
    assert window.last_result is not None and not shown["warning"]
    counts = window.last_result.counts
    assert f"{counts['individus']} personnels" in window.status.text()
    assert f"{counts['services']} services" in window.status.text()
    assert counts["services"] > 0
    assert "récupérées le" in window.freshness.text()
    assert journal.entries(base.db)[0].nature == JournalKind.STS_IMPORT


def test_retrieval_of_another_establishments_file_is_refused_in_french(
    qtbot: QtBot, base: AppContext, tmp_path: Path, shown: dict[str, list[str]],
) -> None:  # fmt: skip
    year = base_admin.school_year(base.db)
    other = tmp_path / f"sts_emp_0920131T_{year}.xml"
    other.write_bytes(generate_sts_edt("0920131T", year, 3))
    window = StsRetrievalWindow(base.db, UAI)
    qtbot.addWidget(window)
    window.path.setText(str(other))
    window.by_file.setChecked(True)
    window.start()
    qtbot.waitUntil(lambda: window.task is None, timeout=WAIT)
    assert window.last_result is None
    assert shown["warning"] and "0920131T" in shown["warning"][0]
    assert "rien n'a été modifié" in window.status.text()


# -- the tab -------------------------------------------------------------------------------------


def test_the_tab_replaces_the_empty_state_and_loads_the_demo_timetable(
    qtbot: QtBot, base: AppContext, shown: dict[str, list[str]],
) -> None:  # fmt: skip
    with base.db.write() as conn:
        settings_store.set_value(conn, settings_store.DEMO, "1")
    window = MainWindow(base)
    qtbot.addWidget(window)
    view = window.timetable_tab
    assert isinstance(view, TimetableView)
    assert window.tabs.tabText(window.tabs.indexOf(view)) == "Emplois du temps"
    qtbot.waitUntil(lambda: view.loading is None and view.snapshot is not None, timeout=WAIT)
    assert view.stack.currentWidget() is view.empty
    assert not view.demo_button.isHidden()
    view.demo_button.click()
    qtbot.waitUntil(lambda: view.busy is None and bool(shown["information"]), timeout=WAIT)
    qtbot.waitUntil(lambda: view.loading is None and view.model.rowCount() > 0, timeout=WAIT)
    assert view.stack.currentWidget() is view.pages
    total = view.model.rowCount()
    assert f"{total} cours importés" in shown["information"][0]
    assert view.table.model().headerData(8, view.table.horizontalHeader().orientation()) == \
        "STSWEB"
    # Filters: one class keeps only its courses.
    first = view.model.lines[0].course
    view.f_structure.setCurrentIndex(view.f_structure.findData(first.structure_id))
    assert 0 < view.proxy.rowCount() < total
    view.f_structure.setCurrentIndex(0)
    view.f_text.setText("texte introuvable")
    assert view.proxy.rowCount() == 0
    for action in (menus.RETRIEVE_STS, menus.SEND_WITH_ASSISTANT, menus.SEND_WITHOUT_ASSISTANT,
                   menus.EXPORT_EDT_FILE):  # fmt: skip
        assert window.menu_actions[(action, None)].isEnabled()


def test_non_exportable_course_shows_its_reason(
    qtbot: QtBot, with_timetable: AppContext
) -> None:
    data = courses.resources(with_timetable.db, UAI)
    course = data.courses[0]
    teacher = data.teachers[course.teacher_ids[0]]
    from app.services.sts import edt

    edt.set_correspondance(with_timetable.db, UAI, "enseignant", teacher.id, None)
    view = _view(qtbot, with_timetable)
    row = next(r for r in range(view.model.rowCount())
               if view.model.lines[r].id == course.id)  # fmt: skip
    index = view.model.index(row, 8)
    assert index.data() == "Non exportable"
    assert "n'a pas de correspondance" in index.data(3)  # ToolTipRole
    assert "non exportables" in view.count_label.text()


def test_add_edit_and_delete_a_course(
    qtbot: QtBot, with_timetable: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = with_timetable.db
    view = _view(qtbot, with_timetable)
    before = view.model.rowCount()
    data = view.data
    assert data is not None

    # Add: a refusal (no teacher chosen is allowed, but the course after midnight is not).
    dialog = CourseDialog(db, UAI, data, None, view)
    qtbot.addWidget(dialog)
    subject = next(iter(data.subjects.values()))
    dialog.subject.setCurrentIndex(dialog.subject.findData(subject.id))
    dialog.start.setTime(dialog.start.time().fromString("23:30", "HH:mm"))
    dialog.duration.setTime(dialog.duration.time().fromString("02:00", "HH:mm"))
    dialog.save()
    qtbot.waitUntil(lambda: dialog._task is None, timeout=WAIT)
    assert "après minuit" in dialog.error.text()
    assert len(courses.resources(db, UAI).courses) == before

    teacher = next(iter(data.teachers.values()))
    dialog.start.setTime(dialog.start.time().fromString("17:00", "HH:mm"))
    dialog.duration.setTime(dialog.duration.time().fromString("01:30", "HH:mm"))
    dialog.set_teachers({teacher.id})
    saved: list[int] = []
    dialog.saved.connect(saved.append)
    dialog.save()
    qtbot.waitUntil(lambda: bool(saved), timeout=WAIT)
    added = next(c for c in courses.resources(db, UAI).courses if c.id == saved[0])
    assert (added.start, added.duration, added.teacher_ids) == (17 * 60, 90, (teacher.id,))
    qtbot.waitUntil(lambda: view.loading is None and view.model.rowCount() == before + 1,
                    timeout=WAIT)  # fmt: skip

    # Edit: the dialog opens on the course's values; move it to Wednesday.
    course = next(c for c in view.data.courses if c.id == saved[0]) if view.data else None
    assert course is not None
    edit = CourseDialog(db, UAI, view.data, course, view) if view.data else None
    assert edit is not None
    qtbot.addWidget(edit)
    assert edit.day.currentData() == added.day and edit.draft().teacher_ids == (teacher.id,)
    edit.day.setCurrentIndex(edit.day.findData(3))
    done: list[int] = []
    edit.saved.connect(done.append)
    edit.save()
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
    assert next(c for c in courses.resources(db, UAI).courses if c.id == saved[0]).day == 3

    # Delete, after a confirmation.
    qtbot.waitUntil(lambda: view.loading is None and any(
        line.id == saved[0] and line.course.day == 3 for line in view.model.lines), timeout=WAIT)
    questions: list[str] = []

    def confirm(_p: Any, _t: str, text: str) -> bool:
        questions.append(text)
        return True

    monkeypatch.setattr(dialogs, "confirm", confirm)
    row = next(r for r in range(view.proxy.rowCount())
               if view.proxy.index(r, 0).data(view.proxy.sortRole() + 1) == saved[0])  # fmt: skip
    view.table.selectRow(row)
    assert view.selected_ids() == [saved[0]]
    view.delete_button.click()
    qtbot.waitUntil(lambda: view.busy is None, timeout=WAIT)
    assert questions and "Supprimer ce cours" in questions[0]
    assert all(c.id != saved[0] for c in courses.resources(db, UAI).courses)
    qtbot.waitUntil(lambda: view.loading is None and view.model.rowCount() == before,
                    timeout=WAIT)  # fmt: skip


# -- week grid -------------------------------------------------------------------------------------


def test_week_grid_lays_out_a_and_b_weeks_side_by_side(qtbot: QtBot) -> None:
    grid = WeekGrid()
    qtbot.addWidget(grid)
    grid.resize(800, 500)
    grid.set_blocks([
        GridBlock(1, 1, 8 * 60, 60, "MATHS", week=None),
        GridBlock(2, 1, 9 * 60, 60, "SVT", week=WEEK_A),
        GridBlock(3, 1, 9 * 60, 60, "PHYS", week=WEEK_B),
        GridBlock(4, 2, 10 * 60, 120, "EPS", exportable=False, tooltip="non exportable"),
    ])  # fmt: skip
    placed = {b.course_id: rect for b, rect in grid.placed_blocks()}
    assert set(placed) == {1, 2, 3, 4}
    assert placed[2].top() == placed[3].top() and placed[2].right() <= placed[3].left()
    assert placed[1].width() > placed[2].width()
    assert placed[4].height() > placed[1].height() * 1.9
    grid.set_week(WEEK_A)
    assert {b.course_id for b in grid.shown_blocks()} == {1, 2, 4}
    grid.set_week(WEEK_ALL)
    activated: list[int] = []
    grid.course_activated.connect(activated.append)
    assert grid.block_at(placed[4].center()) is not None
    assert grid.block_at(QPointF(1, 1)) is None
    image = grid.grab().toImage()
    assert not image.isNull() and image.width() == 800


def test_week_grid_of_a_class_in_the_tab(qtbot: QtBot, with_timetable: AppContext) -> None:
    view = _view(qtbot, with_timetable)
    view.resize(1000, 700)
    view.pages.setCurrentIndex(1)
    data = view.data
    assert data is not None
    structure_id = int(view.grid_resource.currentData())
    expected = [c for c in data.courses if c.structure_id == structure_id]
    assert len(view.grid.placed_blocks()) == len(expected) > 0
    image = view.grid.grab().toImage()
    assert image.width() > 0 and image.height() > 0
    fortnightly = [c for c in expected if data.alternances[c.alternance_id].code == ALT_A]
    view.grid_week.setCurrentIndex(view.grid_week.findData(WEEK_B))
    assert len(view.grid.shown_blocks()) == len(expected) - len(fortnightly)
    # Teachers: the same grid per teacher.
    view.grid_kind.setCurrentIndex(view.grid_kind.findData("teacher"))
    teacher_id = int(view.grid_resource.currentData())
    view.grid_week.setCurrentIndex(0)
    assert len(view.grid.placed_blocks()) == sum(1 for c in data.courses
                                                 if teacher_id in c.teacher_ids)  # fmt: skip


# -- export -----------------------------------------------------------------------------------


def test_export_writes_a_valid_edt_sts_file(
    qtbot: QtBot, with_timetable: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    shown: dict[str, list[str]],
) -> None:  # fmt: skip
    from app.gui import sts_send

    suggested: list[Any] = []
    target = tmp_path / "sortie" / "export.xml"
    target.parent.mkdir()

    def save_file(_p: Any, _t: str, _f: str, name: str = "") -> str:
        suggested.append(name)
        return str(target)

    monkeypatch.setattr(dialogs, "save_file", save_file)
    monkeypatch.setattr(dialogs, "confirm", lambda *a: True)
    window = MainWindow(with_timetable)
    qtbot.addWidget(window)
    flow = sts_send.export_to_file(window, with_timetable.db, None)
    assert flow is not None
    qtbot.waitUntil(lambda: bool(shown["information"]) or bool(shown["warning"]), timeout=WAIT)
    assert not shown["warning"]
    year = base_admin.school_year(with_timetable.db)
    assert Path(suggested[0]).name == f"emp_sts_{UAI}_{year}.xml"
    timetable = read_edt_sts(target, expected_uai=UAI, expected_year=year)
    exported = len(timetable.courses())
    assert exported > 0
    assert str(target) in shown["information"][0]
    assert f"{exported} cours exportés" in shown["information"][0]
