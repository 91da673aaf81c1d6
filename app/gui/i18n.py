"""Qt's own strings in French (« Suivant », « Annuler », file dialogs)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

_translators: list[QTranslator] = []


def _candidate_dirs() -> list[Path]:
    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        dirs.insert(0, Path(frozen_root) / "resources" / "translations")
    dirs.append(Path(__file__).resolve().parents[2] / "resources" / "translations")
    return dirs


def install_french(app: QCoreApplication) -> bool:
    """Load qtbase_fr; returns False (and logs) when the catalogue is missing."""
    QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.France))
    for name in ("qtbase_fr", "qt_fr"):
        for directory in _candidate_dirs():
            translator = QTranslator(app)
            if translator.load(name, str(directory)):
                app.installTranslator(translator)
                _translators.append(translator)
                return True
    log.warning("Qt French translations not found")
    return False
