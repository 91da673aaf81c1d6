"""The Qt part of ``passerelle diagnostic`` (Qt stays under app/gui)."""

from __future__ import annotations

import sys
from typing import Any

import PySide6
from PySide6.QtCore import QCoreApplication, qVersion

from app.gui import i18n


def qt_report(probe: tuple[str, str], expected: str) -> dict[str, Any]:
    """Qt versions and whether the French catalogue translates ``probe``."""
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    loaded = i18n.install_french(app)
    sample = QCoreApplication.translate(*probe)
    ok = loaded and sample == expected
    return {
        "ok": ok,
        "pyside6": PySide6.__version__,
        "qt": qVersion(),
        "catalogue_fr": loaded,
        "exemple": sample,
        **({} if ok else {"erreur": "catalogue Qt français (qtbase_fr.qm) introuvable"}),
    }
