"""The « Élèves » tab: empty state, search, filters, students who left, detail pane."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.demo.siecle import write_siecle
from app.gui.hub import STUDENTS, hub
from app.gui.views.students_view import StudentsView, fold
from app.services import base_admin
from app.services.context import AppContext
from app.services.students_import import (
    FromFiles,
    ImportOptions,
    StudentRow,
    apply,
    list_students,
    prepare,
    student_detail,
)

UAI = "0750654D"
OTHER_UAI = "0920131T"
YEAR = 2026
WAIT = 60_000


def import_students(ctx: AppContext, directory: Path, n: int, *, uai: str = UAI,
                    seed: int = 5) -> None:  # fmt: skip
    """Through the real services, as the import window does."""
    files = write_siecle(directory, uai, YEAR, n, seed, zipped=True)
    preview = prepare(ctx.db, uai, FromFiles(tuple(files.values())), ImportOptions())
    try:
        apply(ctx.db, preview)
    finally:
        preview.close()


@pytest.fixture
def base(ctx: AppContext) -> AppContext:
    base_admin.set_school_year(ctx.db, YEAR)
    base_admin.add_establishment(ctx.db, UAI, "Collège Jean Moulin")
    return ctx


def make_view(qtbot: QtBot, ctx: AppContext) -> StudentsView:
    view = StudentsView(ctx.db)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: not view.is_loading, timeout=WAIT)
    return view


def shown(view: StudentsView) -> list[StudentRow]:
    return list(view.model.rows)


def test_empty_base_shows_the_way_to_the_menu_command(qtbot: QtBot, base: AppContext) -> None:
    opened: list[bool] = []
    view = StudentsView(base.db, on_import=lambda: opened.append(True))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: not view.is_loading, timeout=WAIT)
    assert view.stack.currentIndex() == 1
    assert "Récupérer les données des élèves" in view.empty.body.text()
    view.import_button.click()
    assert opened == [True]


def test_list_search_and_class_filter(qtbot: QtBot, base: AppContext, tmp_path: Path) -> None:
    import_students(base, tmp_path / "s", 60)
    view = make_view(qtbot, base)
    rows = list_students(base.db)
    assert view.stack.currentIndex() == 2
    assert view.model.rowCount() == len(rows) == 60
    assert view.count.text().startswith("60 élèves")
    assert view.establishment.isHidden()  # one establishment: no choice to make
    assert view.model.headerData(2, Qt.Orientation.Horizontal) == "Né(e) le"

    # Search by name, accent- and case-insensitive, and by INE.
    target = next(r for r in rows if r.ine)
    view.search.setText(fold(target.nom).upper())
    assert target in shown(view)
    assert all(fold(target.nom) in fold(f"{r.nom} {r.prenom}") for r in shown(view))
    view.search.setText(target.ine or "")
    assert shown(view) == [target]
    assert view.count.text() == "1 élève"
    view.search.setText("zzzz-personne")
    assert view.model.rowCount() == 0
    assert view.count.text() == "Aucun élève ne correspond"
    view.search.clear()

    # Class filter, from divisions().
    names = [view.division.itemText(i) for i in range(1, view.division.count())]
    assert names and target.division in names
    view.division.setCurrentIndex(view.division.findData(target.division))
    expected = sorted(r.id for r in rows if r.division == target.division)
    assert sorted(r.id for r in shown(view)) == expected
    view.division.setCurrentIndex(0)
    assert view.model.rowCount() == 60


def test_sorting_by_column(qtbot: QtBot, base: AppContext, tmp_path: Path) -> None:
    import_students(base, tmp_path / "s", 60)
    view = make_view(qtbot, base)
    view.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    births = [r.date_naissance for r in shown(view) if r.date_naissance]
    assert births == sorted(births)
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    names = [fold(r.nom) for r in shown(view)]
    assert names == sorted(names, reverse=True)


def test_students_who_left_are_greyed_and_can_be_hidden(
    qtbot: QtBot, base: AppContext, tmp_path: Path
) -> None:
    import_students(base, tmp_path / "a", 60)
    import_students(base, tmp_path / "b", 50)  # ten are no longer in SIECLE
    view = make_view(qtbot, base)
    rows = list_students(base.db)
    left = [r for r in rows if r.sorti_le is not None]
    assert len(left) >= 10
    assert view.count.text() == f"{len(rows)} élèves ({len(left)} sortis)"
    row = view.model.row_of(left[0].id)
    assert view.model.data(view.model.index(row, 0), Qt.ItemDataRole.ForegroundRole) is not None
    assert view.model.data(view.model.index(row, 6))  # « Sorti(e) le »

    view.show_left.setChecked(False)
    assert view.model.rowCount() == len(rows) - len(left)
    assert all(r.sorti_le is None for r in shown(view))
    assert view.count.text() == (
        f"{len(rows) - len(left)} élèves affichés ({len(left)} sortis masqués)"
    )


def test_detail_pane_shows_responsables_options_and_history(
    qtbot: QtBot, base: AppContext, tmp_path: Path
) -> None:
    import_students(base, tmp_path / "s", 30)
    view = make_view(qtbot, base)
    detail = next(d for d in (student_detail(base.db, r.id) for r in list_students(base.db))
                  if d.responsables and d.options)  # fmt: skip
    with qtbot.waitSignal(view.detail_shown, timeout=WAIT):
        assert view.select_student(detail.row.id)
    text = view.detail.toPlainText()
    responsable = detail.responsables[0]
    assert responsable.nom in text
    if responsable.lien:
        assert responsable.lien in text
    if responsable.telephone:
        assert responsable.telephone in text
    assert detail.options[0] in text
    assert "Historique des classes" in text
    assert detail.row.nom in text

    # A search that hides the student clears the pane rather than showing a stale card.
    view.search.setText("zzzz-personne")
    assert view.detail.toPlainText() == ""


def test_refreshes_after_an_import_and_keeps_the_filters(
    qtbot: QtBot, base: AppContext, tmp_path: Path
) -> None:
    view = make_view(qtbot, base)
    assert view.stack.currentIndex() == 1
    import_students(base, tmp_path / "s", 40)
    view.show_left.setChecked(False)
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        hub.data_changed.emit(STUDENTS)
    assert view.stack.currentIndex() == 2
    assert view.model.total == 40
    assert not view.show_left.isChecked()


def test_cite_scolaire_filters_by_establishment(
    qtbot: QtBot, base: AppContext, tmp_path: Path
) -> None:
    base_admin.add_establishment(base.db, OTHER_UAI, "Lycée Jean Moulin")
    import_students(base, tmp_path / "a", 30)
    import_students(base, tmp_path / "b", 20, uai=OTHER_UAI, seed=9)
    view = make_view(qtbot, base)
    assert view.establishment.isVisibleTo(view)
    assert view.model.rowCount() == 50
    view.establishment.setCurrentIndex(view.establishment.findData(OTHER_UAI))
    assert view.model.rowCount() == 20
    assert all(r.uai == OTHER_UAI for r in shown(view))
    other_divisions = {r.division for r in list_students(base.db, uai=OTHER_UAI)}
    listed = {view.division.itemData(i) for i in range(1, view.division.count())}
    assert listed == other_divisions
