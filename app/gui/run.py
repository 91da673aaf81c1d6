"""Starting the window: keyring choice, base or demo, crash hook, event loop."""

from __future__ import annotations

import gc
import logging
import os
import sys
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from app.errors import PasserelleError
from app.gui.application import create_application, install_crash_hook

log = logging.getLogger(__name__)


def _select_keyring() -> None:
    """Pick the platform's vault explicitly; without one, certificates explain why."""
    from app.security.keyring_policy import install_native_keyring

    try:
        install_native_keyring()
    except PasserelleError as exc:
        log.warning("no usable keyring at start-up (%s)", exc.code)


def _warn_if_network_sqlite(db: Any, window: Any) -> None:
    from app.gui.dialogs import dialogs
    from app.services.shared import NETWORK_SQLITE_WARNING, sqlite_on_network_share

    if sqlite_on_network_share(db):
        QTimer.singleShot(
            0, lambda: dialogs.warning(window, "Passerelle", NETWORK_SQLITE_WARNING)
        )


def run_window(base: str | None, *, demo: bool = False, close_after_ms: int | None = None) -> int:
    """Open the window on ``base`` (or the demo); return the event loop's exit code."""
    from app.gui.main_window import MainWindow

    app = create_application()
    _select_keyring()
    install_crash_hook(show_dialog=os.environ.get("PASSERELLE_NO_CRASH_DIALOG") != "1")
    banner: str | None = None
    try:
        if demo:
            from app.services.demo import demo_banner, open_demo

            ctx, session = open_demo(base)
            banner = demo_banner(session)
        else:
            from app.services.context import open_context

            ctx, session = open_context(base), None
    except PasserelleError as exc:
        QMessageBox.critical(None, "Passerelle", exc.message)
        return 1
    window = MainWindow(ctx, banner=banner)
    window.show()
    _warn_if_network_sqlite(ctx.db, window)
    # Start-up leaves ~100,000 long-lived objects (Qt wrappers, SQLAlchemy,
    # lxml); full GC passes over them stalled the event loop by 100-250 ms
    # during imports. Freezing them keeps later collections short.
    gc.collect()
    gc.freeze()
    if close_after_ms:
        QTimer.singleShot(close_after_ms, app.quit)
    try:
        code = app.exec()
    finally:
        if session is not None:
            session.close()
        ctx.close()
    log.info("window closed (%s)", code)
    sys.stdout.flush()
    return int(code)
