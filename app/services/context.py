"""The open base and what every use case needs next to it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.domain.school_year import default_year
from app.store import migrate
from app.store import settings as settings_store
from app.store.database import Database, resolve_base_url

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    db: Database

    def close(self) -> None:
        self.db.dispose()


def open_context(base: str | None = None, *, run_migrations: bool = True) -> AppContext:
    """Open (and create or upgrade) the base named by ``--base``/env/default."""
    db = Database(resolve_base_url(base))
    if run_migrations:
        migrate.upgrade(db)
        with db.write() as conn:
            if settings_store.get(conn, settings_store.SCHOOL_YEAR) is None:
                settings_store.set_value(conn, settings_store.SCHOOL_YEAR, str(default_year()))
    log.info("base opened (%s)", db.engine.dialect.name)
    return AppContext(db=db)
