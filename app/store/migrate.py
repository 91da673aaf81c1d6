"""Bring a base to the current schema at start-up, after an automatic copy."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from app.errors import StoreError
from app.store.database import Database

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

# The newest revision. Checking it without Alembic keeps Alembic's import
# (a few hundred ms) off every start-up of an up-to-date base; a test keeps
# it equal to the scripts' head.
HEAD = "0003"


def migrations_dir() -> Path:
    # Frozen builds unpack package data next to the code (PyInstaller _MEIPASS).
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "app" / "store" / "migrations"
    return Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(db: Database, *, backup: bool = True) -> str | None:
    """Run pending migrations; return the path of the copy made first, if any.

    Alembic's transactional DDL means a failing migration leaves the base at its
    previous revision; the copy is a second safety net for SQLite.
    """
    current = current_revision(db)
    if current == HEAD:
        return None
    head = head_revision()
    copy_path: str | None = None
    if backup and current is not None:
        from app.store.backup import automatic_copy

        made = automatic_copy(db, reason=f"avant-migration-{current}")
        copy_path = str(made) if made else None
    log.info("migrating base from %s to %s", current, head)
    from alembic import command

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
    from alembic import command

    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]
