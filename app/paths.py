"""Where Passerelle keeps its files.

Everything lives in one per-user data directory (platformdirs), which
``PASSERELLE_DATA_DIR`` overrides for tests and portable installs.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_DATA_DIR = "PASSERELLE_DATA_DIR"
ENV_BASE = "PASSERELLE_BASE"
BASE_FILENAME = "passerelle.db"


def data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    path = Path(override) if override else Path(
        platformdirs.user_data_dir("Passerelle", appauthor=False, roaming=False)
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def _subdir(name: str) -> Path:
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_base_path() -> Path:
    return data_dir() / BASE_FILENAME


def copies_dir() -> Path:
    """Automatic and manual copies of the base."""
    return _subdir("copies")


def certificates_dir() -> Path:
    """Re-encrypted PKCS#12 files, one per UAI."""
    return _subdir("certificats")


def logs_dir() -> Path:
    return _subdir("journaux")


def reports_dir() -> Path:
    """Import reports and comptes rendus kept for the secretary."""
    return _subdir("rapports")
