"""Build the QMenuBar from the menu tree declared in app.menus."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from app.menus import Command, Menu

Handler = Callable[[str | None], None]


def _tr(text: str) -> str:
    # Labels are French source strings; translate() keeps them translatable.
    return QCoreApplication.translate("Menus", text)


def populate(
    bar: QMenuBar, tree: Sequence[Menu], trigger: Callable[[Command], None], parent: QWidget
) -> dict[tuple[str, str | None], QAction]:
    """Fill ``bar``; return the actions by (action name, UAI) for tests and updates."""
    bar.clear()
    actions: dict[tuple[str, str | None], QAction] = {}

    def fill(menu: QMenu | QMenuBar, items: Sequence[Menu | Command | str]) -> None:
        for item in items:
            if isinstance(item, str):
                menu.addSeparator()
            elif isinstance(item, Menu):
                sub = menu.addMenu(_tr(item.label))
                sub.setObjectName(f"menu:{item.label}")
                fill(sub, item.items)
            else:
                action = QAction(_tr(item.label), parent)
                action.setEnabled(item.enabled)
                action.setObjectName(f"action:{item.action}:{item.uai or ''}")
                if item.shortcut:
                    action.setShortcut(QKeySequence(item.shortcut))
                action.triggered.connect(lambda _checked=False, c=item: trigger(c))
                menu.addAction(action)
                actions[(item.action, item.uai)] = action

    fill(bar, tree)
    return actions
