"""Students feature: the « Élèves » tab and « Récupérer les données des élèves »."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from app import menus
from app.gui.features import Handler
from app.gui.students_import_window import StudentsImportWindow
from app.gui.views.students_view import StudentsView

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class StudentsFeature(QObject):
    """Owns the tab and the one import window of a main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("fonction_eleves")
        self._window = window
        self.import_window: StudentsImportWindow | None = None
        self.view = StudentsView(window.ctx.db, on_import=lambda: self.open_import(None))
        old = window.students_tab
        window.students_tab = self.view
        if window.tabs.indexOf(old) >= 0:
            window.replace_tab(old, self.view, window.tr("Élèves"))
        else:
            # install() runs before the window adds its tabs: the window will
            # add ours in place of the placeholder.
            old.deleteLater()

    def open_import(self, uai: str | None) -> None:
        """One window at a time: a second command brings the open one forward."""
        if self.import_window is None:
            self.import_window = StudentsImportWindow(self._window.ctx.db, self._window, uai)
        self.import_window.show()
        self.import_window.raise_()
        self.import_window.activateWindow()


def feature_of(window: MainWindow) -> StudentsFeature:
    found = window.findChild(StudentsFeature, "fonction_eleves")
    assert found is not None, "features_students not installed"
    return found


def install(window: MainWindow) -> dict[str, Handler]:
    feature = StudentsFeature(window)
    return {menus.RETRIEVE_STUDENTS: feature.open_import}
