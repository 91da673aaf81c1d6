"""Alembic environment: always run with a connection handed over by the app."""

from __future__ import annotations

from alembic import context

import app.store.tables  # noqa: F401 - registers every table on the metadata
from app.store.metadata import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the app never runs Alembic offline
    raise RuntimeError("Passerelle runs its migrations through app.store.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite ALTERs become copy-and-move
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
