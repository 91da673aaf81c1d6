"""A killed import (power cut, task manager) leaves the base exactly as it was.

A real process runs ``passerelle eleves recuperer`` on a big generated export;
the test hook PASSERELLE_TEST_PAUSE_APPLY makes it stop inside the write
transaction, after the students are written; the test then SIGKILLs it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.demo.siecle import write_siecle
from app.services import base_admin
from app.services import students_import as si
from app.services.context import open_context
from app.services.siecle_apply import PAUSE_ENV

from .builders import UAI
from .conftest import dump

# Runs the CLI with this command group registered, whether or not the lead has
# already listed app.cli.eleves in COMMAND_MODULES.
RUNNER = (
    "import sys, app.cli as c\n"
    "if 'app.cli.eleves' not in c.COMMAND_MODULES:\n"
    "    c.COMMAND_MODULES = (*c.COMMAND_MODULES, 'app.cli.eleves')\n"
    "sys.exit(c.main(sys.argv[1:]))\n"
)


def cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, *args], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.slow
def test_kill_inside_the_transaction_leaves_the_base_intact(tmp_path: Path, data_dir: Path) -> None:
    base = tmp_path / "base.db"
    url = f"sqlite:///{base}"
    ctx = open_context(url)
    base_admin.add_establishment(ctx.db, UAI, "Collège")
    year = base_admin.school_year(ctx.db)
    small = write_siecle(tmp_path / "petit", UAI, year, 40, seed=5)
    preview = si.prepare(ctx.db, UAI, si.FromFiles(tuple(small.values())), si.ImportOptions())
    si.apply(ctx.db, preview)
    preview.close()
    before = dump(ctx.db)
    ctx.close()

    big = write_siecle(tmp_path / "gros", UAI, year, 3000, seed=6, zipped=True)
    marker = tmp_path / "dans-la-transaction"
    env = {**os.environ, PAUSE_ENV: str(marker), "PASSERELLE_DATA_DIR": str(data_dir)}
    proc = cli(["--base", url, "eleves", "recuperer", UAI, "--json",
                "--fichiers", *map(str, big.values())], env)  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the import never reached its transaction"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    with sqlite3.connect(base) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    ctx = open_context(url)
    try:
        after = dump(ctx.db)
        # The lock row says who held it; the next holder overwrites it (exclusive.py).
        before.pop("verrous"), after.pop("verrous")
        assert after == before
        # And the establishment is usable again: the killed holder's lock died with it.
        preview = si.prepare(ctx.db, UAI, si.FromFiles(tuple(big.values())), si.ImportOptions())
        result = si.apply(ctx.db, preview)
        preview.close()
        # Same seed family, different seed: the 40 first students are replaced by 3,000 others.
        assert result.crees > 0
        assert len(si.list_students(ctx.db, uai=UAI, include_left=False)) >= 2900
    finally:
        ctx.close()
