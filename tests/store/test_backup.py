"""Copies of the base: manual, automatic (kept ten), restore round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import paths
from app.errors import StoreError
from app.services import base_admin, journal
from app.services.context import open_context
from app.store import backup


def test_copy_and_restore_round_trip(sqlite_url: str, tmp_path: Path) -> None:
    ctx = open_context(sqlite_url)
    try:
        base_admin.add_establishment(ctx.db, "0750654D", "Lycée A")
        copy = base_admin.copy_base(ctx.db, tmp_path / "copie.db")
        base_admin.add_establishment(ctx.db, "0752524L", "Lycée B")
        assert len(base_admin.establishments(ctx.db)) == 2

        saved = base_admin.restore_base(ctx.db, copy)

        assert [e.uai for e in base_admin.establishments(ctx.db)] == ["0750654D"]
        assert saved is not None and saved.exists()
        kinds = [e.nature for e in journal.entries(ctx.db)]
        assert kinds[0] == "restauration_base"
    finally:
        ctx.close()


def test_restore_refuses_a_file_that_is_not_a_base(sqlite_url: str, tmp_path: Path) -> None:
    ctx = open_context(sqlite_url)
    try:
        base_admin.add_establishment(ctx.db, "0750654D", "Lycée A")
        bogus = tmp_path / "pas-une-base.db"
        bogus.write_bytes(b"bonjour")
        with pytest.raises(StoreError, match="n'est pas une copie de base Passerelle"):
            base_admin.restore_base(ctx.db, bogus)
        with pytest.raises(StoreError, match="n'existe pas"):
            base_admin.restore_base(ctx.db, tmp_path / "absent.db")
        assert [e.uai for e in base_admin.establishments(ctx.db)] == ["0750654D"]
    finally:
        ctx.close()


def test_automatic_copies_keep_the_last_ten(sqlite_url: str) -> None:
    ctx = open_context(sqlite_url)
    try:
        made = [backup.automatic_copy(ctx.db, reason=f"import {i}") for i in range(13)]
        autos = sorted(paths.copies_dir().glob("auto-*.db"))
        assert len(autos) == 10
        assert made[-1] in autos and made[0] not in autos
    finally:
        ctx.close()


def test_postgresql_copy_explains_pg_dump(pg_url: str) -> None:
    ctx = open_context(pg_url)
    try:
        with pytest.raises(StoreError, match="pg_dump"):
            base_admin.copy_base(ctx.db)
        assert backup.automatic_copy(ctx.db, reason="import") is None
    finally:
        ctx.close()
