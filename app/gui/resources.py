"""Files under ``resources/``, from a source checkout or a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def app_icon() -> QIcon:
    path = resources_dir() / "icons" / "passerelle.png"
    return QIcon(str(path)) if path.exists() else QIcon()
