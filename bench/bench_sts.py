"""STS / timetable benchmark: 150 teachers, 40 divisions, 60 groupes, ~2,500 courses in a
real SQLite base. Target: compliance check + EDT_STS generation ≤ 0.5 s."""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from app.demo.sts import generate_sts_data, generate_timetable
from app.services import base_admin
from app.services.context import open_context
from app.services.sts import edt, retrieval, timetable_import
from app.services.sts.compliance import check
from app.services.sts.edt_file import build_file

UAI = "0771991W"
YEAR = 2025
RUNS = 5
T = TypeVar("T")


def _best(action: Callable[[], T]) -> tuple[tuple[float, float], T]:
    """Best wall-clock and best CPU time of RUNS runs (CPU time shows the cost when the
    machine is busy with other work; wall-clock is what the secretary waits)."""
    walls, cpus, result = [], [], None
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    return (min(walls), min(cpus)), result


def _once(action: Callable[[], T]) -> tuple[tuple[float, float], T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return (time.perf_counter() - wall, time.process_time() - cpu), result


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-sts-") as workdir:
        os.environ["PASSERELLE_DATA_DIR"] = str(Path(workdir) / "donnees")
        ctx = open_context(str(Path(workdir) / "base.db"))
        db = ctx.db
        base_admin.set_school_year(db, YEAR)
        base_admin.add_establishment(db, UAI, "Cité scolaire (banc d'essai)")
        sts = generate_sts_data(UAI, YEAR, 2024, n_teachers=150, n_divisions=40, n_groups=60,
                                target_courses=2500)  # fmt: skip
        timetable = generate_timetable(sts, 7)

        sts_load, _ = _once(lambda: retrieval.store_sts_data(db, sts, source="demo"))
        tt_load, done = _once(lambda: timetable_import.load_timetable(
            db, UAI, YEAR, timetable, source="banc d'essai"))

        snap = edt.snapshot(db, UAI)
        read_time, _ = _best(lambda: edt.snapshot(db, UAI))
        check_time, report = _best(lambda: check(snap.data, snap.sts))
        file_time, edt_file = _best(lambda: build_file(snap.data, snap.sts, report))
        total_time, (ready, _) = _best(lambda: edt.readiness(db, UAI))
        assert ready.ready, "the benchmark timetable must be fully exportable"

        tracemalloc.start()
        edt.readiness(db, UAI)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        ctx.close()

    rows = [
        ("Données STS dans la base (copie + transaction)", sts_load),
        (f"Emploi du temps dans la base ({done.courses} cours)", tt_load),
        ("Lecture de la base (emploi du temps + STS)", read_time),
        ("Vérification de conformité", check_time),
        (f"Génération du fichier EDT_STS ({len(edt_file.data) // 1024} Kio, validé)", file_time),
        ("Conformité + fichier, lecture de la base comprise", total_time),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"{sts.service_count} services, {len(sts.individus)} personnels, "
          f"{len(sts.divisions)} divisions, {len(sts.groupes)} groupes, {done.courses} cours "
          f"(meilleur de {RUNS} ; charge de la machine : {os.getloadavg()[0]:.1f})")
    print(f"{'Étape':<{width}}  {'durée':>10}  {'temps CPU':>10}")
    for label, (wall, cpu) in rows:
        print(f"{label:<{width}}  {wall * 1000:7.1f} ms  {cpu * 1000:7.1f} ms")
    print(f"{'Mémoire maximale (tracemalloc), conformité + fichier':<{width}}  "
          f"{peak / 1024 / 1024:6.1f} Mio")
    verdict = "atteint" if total_time[0] <= 0.5 else (
        "atteint en temps CPU" if total_time[1] <= 0.5 else "NON ATTEINT")
    print(f"Objectif conformité + fichier ≤ 500 ms : {verdict}")
