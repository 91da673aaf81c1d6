"""Last-resort handler: log the traceback to a file, show a French dialog."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from app import paths

log = logging.getLogger(__name__)

_show_dialog = True


def write_crash_report(exc_type: type[BaseException], exc: BaseException,
                       tb: TracebackType | None) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = paths.logs_dir() / f"incident-{stamp}.log"
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    path.write_text(text, encoding="utf-8")
    return path


def _handle(exc_type: type[BaseException], exc: BaseException,
            tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.critical("unhandled exception", exc_info=(exc_type, exc, tb))
    try:
        report = write_crash_report(exc_type, exc, tb)
    except OSError:
        report = None
    if _show_dialog and threading.current_thread() is threading.main_thread():
        _show(report)


def _show(report: Path | None) -> None:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.instance() is None:
        return
    where = (
        QCoreApplication.translate("Incident", "Le détail a été enregistré dans :\n{0}").format(
            report
        )
        if report
        else ""
    )
    QMessageBox.critical(
        None,
        QCoreApplication.translate("Incident", "Erreur inattendue"),
        QCoreApplication.translate(
            "Incident",
            "Passerelle a rencontré une erreur inattendue. Vos données n'ont pas été modifiées "
            "par l'opération en cours.\n\nEnregistrez votre travail, puis transmettez ce fichier "
            "à votre assistance informatique.",
        )
        + ("\n\n" + where if where else ""),
    )


def install(*, show_dialog: bool = True) -> None:
    global _show_dialog
    _show_dialog = show_dialog
    sys.excepthook = _handle

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            _handle(args.exc_type, args.exc_value, args.exc_traceback)

    threading.excepthook = thread_hook
