"""Fixtures for the shared-base tests: an opened base with one establishment, worker processes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.services import base_admin
from app.services.context import AppContext, open_context
from app.store.database import Database
from app.store.tables.foundation import parametres

UAI = "0750654D"
WORKER = Path(__file__).with_name("_worker.py")


@pytest.fixture
def ctx(base_url: str) -> Iterator[AppContext]:
    context = open_context(base_url)
    base_admin.add_establishment(context.db, UAI, "Lycée Élisa-Lemonnier")
    yield context
    context.close()


@pytest.fixture
def pg_ctx(pg_url: str) -> Iterator[AppContext]:
    context = open_context(pg_url)
    base_admin.add_establishment(context.db, UAI, "Lycée Élisa-Lemonnier")
    yield context
    context.close()


class Worker:
    """Another Passerelle process importing into the same base (tests/shared/_worker.py)."""

    def __init__(self, url: str, *, rows: int, wait: float, tag: str, pause: bool) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), url, UAI, str(rows), str(wait), tag,
             "1" if pause else "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def expect(self, line: str) -> None:
        assert self.proc.stdout is not None
        got = self.proc.stdout.readline().strip()
        assert got == line, f"worker said {got!r}, expected {line!r}"

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def result(self) -> dict[str, Any]:
        out, _ = self.proc.communicate(timeout=120)
        value: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return value

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


def tagged_rows(db: Database, tag: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(parametres).where(
                    parametres.c.cle.startswith(f"{tag}:")
                )
            ).scalar_one()
        )
