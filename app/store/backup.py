"""Copies of a SQLite base: automatic (before imports and migrations) and manual.

Copies use SQLite's online backup API, so they are consistent even while WAL
holds uncommitted pages. PostgreSQL bases are copied with the server's tools
(pg_dump), which the message explains instead of pretending.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
from pathlib import Path

from app import paths
from app.errors import StoreError
from app.store.database import Database

log = logging.getLogger(__name__)

KEEP_AUTOMATIC = 10
_AUTO_PREFIX = "auto-"

PG_COPY_MESSAGE = (
    "Cette base est partagée sur un serveur PostgreSQL : ses copies se font sur le serveur "
    "avec pg_dump (par exemple « pg_dump -Fc -f passerelle.dump NOM_DE_LA_BASE »), "
    "en général par le service informatique. Voir docs/deploiement-reseau.md."
)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40] or "copie"


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def _sqlite_source(db: Database) -> Path:
    path = db.sqlite_path
    if path is None:
        raise StoreError(PG_COPY_MESSAGE, code="BASE_COPIE_PG")
    return path


def copy_sqlite_file(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(destination.name + ".tmp")
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(tmp))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(destination)


def manual_copy(db: Database, destination: Path | None = None) -> Path:
    """« Fichier > Créer une copie de la base… »: a copy kept until the user deletes it."""
    source = _sqlite_source(db)
    if destination is None:
        destination = paths.copies_dir() / f"copie-{_stamp()}.db"
    elif destination.is_dir():
        destination = destination / f"passerelle-copie-{_stamp()}.db"
    if destination.resolve() == source.resolve():
        raise StoreError("La copie ne peut pas remplacer la base elle-même.", code="BASE_COPIE")
    try:
        copy_sqlite_file(source, destination)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"La copie de la base n'a pas pu être écrite dans « {destination} » ({exc}).",
            code="BASE_COPIE",
        ) from exc
    log.info("manual copy written")
    return destination


def automatic_copy(db: Database, *, reason: str) -> Path | None:
    """Copy made before an import or a migration; the last ten are kept.

    Returns None for PostgreSQL, where the transaction is the safety net and the
    server's own backups are the copies.
    """
    if db.sqlite_path is None:
        log.info("automatic copy skipped: PostgreSQL base (%s)", reason)
        return None
    if not db.sqlite_path.exists():
        return None
    destination = paths.copies_dir() / f"{_AUTO_PREFIX}{_stamp()}-{_slug(reason)}.db"
    try:
        copy_sqlite_file(db.sqlite_path, destination)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            "La copie automatique de la base a échoué : rien n'a été importé. Vérifiez "
            f"l'espace disque ({exc}).",
            code="BASE_COPIE",
        ) from exc
    prune_automatic_copies()
    return destination


def list_copies() -> list[Path]:
    return sorted(paths.copies_dir().glob("*.db"), key=lambda p: p.stat().st_mtime, reverse=True)


def prune_automatic_copies(keep: int = KEEP_AUTOMATIC) -> None:
    autos = sorted(paths.copies_dir().glob(f"{_AUTO_PREFIX}*.db"), key=lambda p: p.name)
    for old in autos[:-keep] if keep else autos:
        old.unlink(missing_ok=True)


def check_is_passerelle_base(path: Path) -> None:
    if not path.is_file():
        raise StoreError(f"Le fichier « {path} » n'existe pas.", code="BASE_RESTAURATION")
    try:
        with open(path, "rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                raise StoreError(
                    f"« {path.name} » n'est pas une copie de base Passerelle.",
                    code="BASE_RESTAURATION",
                )
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(
            f"« {path.name} » est endommagé ou n'est pas une base SQLite ({exc}).",
            code="BASE_RESTAURATION",
        ) from exc
    if not {"alembic_version", "etablissements", "journal"} <= names:
        raise StoreError(
            f"« {path.name} » n'est pas une copie de base Passerelle.", code="BASE_RESTAURATION"
        )


def restore(db: Database, copy: Path) -> Path | None:
    """Replace the base's content by a copy, after copying the current base.

    The engine is disposed first so no pooled connection keeps the old pages.
    Returns the automatic copy of the replaced base.
    """
    target = _sqlite_source(db)
    check_is_passerelle_base(copy)
    if copy.resolve() == target.resolve():
        raise StoreError("Cette copie est la base elle-même.", code="BASE_RESTAURATION")
    saved = automatic_copy(db, reason="avant-restauration")
    db.dispose()
    src = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    db.dispose()
    return saved
