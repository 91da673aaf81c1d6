"""Create the QApplication: identity, French catalogue, crash hook."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from app import APP_NAME, __version__
from app.gui import crash, i18n
from app.gui.resources import app_icon


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    i18n.install_french(app)
    return app


def install_crash_hook(*, show_dialog: bool = True) -> None:
    crash.install(show_dialog=show_dialog)
