"""Bring a base to the current schema at start-up, after an automatic copy."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.errors import StoreError
from app.store.database import Database

log = logging.getLogger(__name__)


def migrations_dir() -> Path:
    # Frozen builds unpack package data next to the code (PyInstaller _MEIPASS).
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "app" / "store" / "migrations"
    return Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, *, backup: bool = True) -> str | None:
    """Run pending migrations; return the path of the copy made first, if any.

    Alembic's transactional DDL means a failing migration leaves the base at its
    previous revision; the copy is a second safety net for SQLite.
    """
    current = current_revision(db)
    head = head_revision()
    if current == head:
        return None
    copy_path: str | None = None
    if backup and current is not None:
        from app.store.backup import automatic_copy

        made = automatic_copy(db, reason=f"avant-migration-{current}")
        copy_path = str(made) if made else None
    log.info("migrating base from %s to %s", current, head)
    cfg = _config()
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as exc:
        log.exception("migration failed")
        raise StoreError(
            "La mise à jour de la structure de la base a échoué ; la base est restée dans son "
            "état précédent." + (f" Une copie a été faite : {copy_path}" if copy_path else ""),
            code="BASE_MIGRATION",
        ) from exc
    return copy_path


def upgrade_to(db: Database, revision: str) -> None:
    """Upgrade to a given revision (tests of the upgrade path)."""
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]
