"""The package version, read without importing the application.

Used by the PyInstaller spec (Windows version resource), the Makefile and
build.ps1 (NSIS defines), so every artefact carries the version of
``app/__init__.py``.

    python packaging/version.py            -> 0.1.0
    python packaging/version.py --windows  -> 0.1.0.0
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_RELEASE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?")


def app_version(root: Path = ROOT) -> str:
    """``__version__`` of ``app/__init__.py`` (a plain string literal)."""
    tree = ast.parse((root / "app" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise SystemExit("app/__init__.py: __version__ introuvable")


def windows_version(version: str) -> tuple[int, int, int, int]:
    """The four 16-bit numbers Windows wants; pre-release suffixes are dropped.

    "0.1.0" -> (0, 1, 0, 0); "1.2.0rc1" -> (1, 2, 0, 0).
    """
    match = _RELEASE.match(version)
    if match is None:
        raise ValueError(f"version illisible : {version!r}")
    parts = tuple(int(p) if p is not None else 0 for p in match.groups())
    if any(p > 0xFFFF for p in parts):
        raise ValueError(f"version trop grande pour Windows : {version!r}")
    return parts[0], parts[1], parts[2], parts[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", action="store_true", help="four-part Windows form")
    args = parser.parse_args()
    version = app_version()
    print(".".join(map(str, windows_version(version))) if args.windows else version)


if __name__ == "__main__":
    main()
