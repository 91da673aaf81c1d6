"""STSWEB and timetables in the main window: the « Emplois du temps » tab and four commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app import menus
from app.gui import sts_send
from app.gui.sts_retrieval_window import StsRetrievalWindow
from app.gui.views.timetable_view import TimetableView

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

Handler = Callable[[str | None], None]


def install(window: MainWindow) -> dict[str, Handler]:
    db = window.ctx.db
    view = TimetableView(db, window)
    old = window.timetable_tab
    if window.tabs.indexOf(old) >= 0:
        window.replace_tab(old, view, window.tr("Emplois du temps"))
    else:
        # Features are installed before the window adds its tabs: it will add ours.
        old.deleteLater()
    window.timetable_tab = view
    # Non-modal dialogs opened from the menus, kept alive here.
    opened: list[object] = []

    def retrieve(uai: str | None) -> None:
        dialog = StsRetrievalWindow(db, uai, window)
        opened[:] = [dialog]
        dialog.open()

    def with_assistant(uai: str | None) -> None:
        sts_send.open_assistant(window, db, uai)

    def without_assistant(uai: str | None) -> None:
        sts_send.send_without_assistant(window, db, uai)

    def export(uai: str | None) -> None:
        sts_send.export_to_file(window, db, uai)

    return {
        menus.RETRIEVE_STS: retrieve,
        menus.SEND_WITH_ASSISTANT: with_assistant,
        menus.SEND_WITHOUT_ASSISTANT: without_assistant,
        menus.EXPORT_EDT_FILE: export,
    }
