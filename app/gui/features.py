"""Feature modules plug their menu handlers and tabs into the main window.

Each module listed here exposes ``install(window) -> dict[action, handler]``;
a handler receives the UAI of the command (or None).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

Handler = Callable[[str | None], None]

FEATURE_MODULES: tuple[str, ...] = (
    "app.gui.features_certificates",
    "app.gui.features_sts",
    "app.gui.features_students",
)


def install_all(window: MainWindow) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for name in FEATURE_MODULES:
        handlers.update(importlib.import_module(name).install(window))
    return handlers
