"""Exclusive use of an establishment's data, on both engines, within one process.

Two Database objects on the same base stand for two PCs: each has its own
connections (PostgreSQL sessions) and its own lock file handle (SQLite).
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from app.errors import UserCancelled
from app.services.context import AppContext
from app.services.exclusive import (
    ExclusiveUseError,
    current_holder,
    exclusive_use,
)
from app.store.database import Database
from app.store.tables.foundation import verrous

from .conftest import UAI


def _take(db: Database, operation: str, **options: Any) -> None:
    with exclusive_use(db, UAI, operation=operation, **options):
        pass


def test_second_holder_is_refused_with_poste_and_operation(ctx: AppContext) -> None:
    other = Database(ctx.db.url)
    try:
        with exclusive_use(ctx.db, UAI, operation="Import SIECLE"):
            with pytest.raises(ExclusiveUseError) as caught:
                _take(other, "Import STSWEB")
            message = caught.value.message
            poste = socket.gethostname()[:120]
            assert message.startswith(
                f"Import SIECLE en cours sur le poste {poste} (celui-ci) depuis "
            )
            assert UAI in message
            holder = caught.value.holder
            assert holder is not None
            assert holder.poste == socket.gethostname()[:120]
            assert holder.pid == os.getpid()
            assert holder.operation == "Import SIECLE"
            # Another establishment stays free.
            with exclusive_use(other, "0752524L", operation="Import SIECLE"):
                pass
        # Released: the other PC gets it, and the holder row was removed.
        assert current_holder(ctx.db, UAI) is None
        with exclusive_use(other, UAI, operation="Import STSWEB"):
            assert current_holder(ctx.db, UAI) is not None
    finally:
        other.dispose()


def test_message_names_another_poste(ctx: AppContext) -> None:
    """The row written by the holder is what the refused PC reads and shows."""
    other = Database(ctx.db.url)
    try:
        with exclusive_use(ctx.db, UAI, operation="Envoi vers STSWEB"):
            with ctx.db.write() as conn:
                conn.execute(sa.update(verrous).values(poste="VIE-SCOLAIRE-2"))
            with pytest.raises(ExclusiveUseError) as caught:
                _take(other, "Import SIECLE")
        assert "Envoi vers STSWEB en cours sur le poste VIE-SCOLAIRE-2 depuis " in str(caught.value)
    finally:
        other.dispose()


def test_waiting_holder_gets_the_lock_once_released(ctx: AppContext) -> None:
    other = Database(ctx.db.url)
    release = threading.Event()
    waited: list[str] = []
    outcome: list[str] = []

    def waiter() -> None:
        def on_wait(busy: ExclusiveUseError) -> None:
            waited.append(busy.message)
            release.set()  # the waiter really waited: now let the holder finish

        with exclusive_use(other, UAI, operation="Import STSWEB", wait=120, on_wait=on_wait):
            outcome.append("acquis")

    try:
        with exclusive_use(ctx.db, UAI, operation="Import SIECLE"):
            thread = threading.Thread(target=waiter)
            thread.start()
            assert release.wait(60)
        thread.join(120)
        assert outcome == ["acquis"]
        assert waited and waited[0].startswith("Import SIECLE en cours")
    finally:
        other.dispose()


def test_waiting_can_be_cancelled(ctx: AppContext) -> None:
    other = Database(ctx.db.url)
    cancel = threading.Event()
    try:
        with exclusive_use(ctx.db, UAI, operation="Import SIECLE"), \
                pytest.raises(UserCancelled):
            _take(other, "Import STSWEB", wait=600, cancel=cancel,
                  on_wait=lambda _busy: cancel.set())
        assert current_holder(ctx.db, UAI) is None
    finally:
        other.dispose()


def test_stale_holder_row_is_overwritten(ctx: AppContext) -> None:
    """A row left by a crashed PC does not block: the free lock is what counts."""
    import datetime as dt

    with ctx.db.write() as conn:
        conn.execute(sa.insert(verrous).values(
            uai=UAI, operation="Import SIECLE", poste="POSTE-PLANTE", pid=999_999,
            depuis=dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC),
        ))
    with exclusive_use(ctx.db, UAI, operation="Import STSWEB"):
        holder = current_holder(ctx.db, UAI)
        assert holder is not None
        assert (holder.poste, holder.pid, holder.operation) == (
            socket.gethostname()[:120], os.getpid(), "Import STSWEB")


def test_exception_inside_releases(ctx: AppContext) -> None:
    with pytest.raises(RuntimeError), exclusive_use(ctx.db, UAI, operation="Import SIECLE"):
        raise RuntimeError("panne")
    with exclusive_use(ctx.db, UAI, operation="Import SIECLE"):
        pass
