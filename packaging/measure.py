"""Measure the frozen build: payload size, compressed size, start-up time.

    python packaging/measure.py [packaging/dist/Passerelle] [--runs 5] [--json FILE]

Prints a table for packaging/README.md; asserts nothing (CONTRIBUTING: speed
is measured, never asserted). Start-up is the wall time of
``Passerelle --fermer-apres 1``: the one-shot timer only fires once the event
loop runs, i.e. after the main window has been shown, so it is "double-click
to window" plus a quick shutdown. The first run is reported apart (cold file
cache on a fresh machine; warm afterwards). ``passerelle-cli --version``
(imports the command modules, no Qt) is measured the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = ".exe" if sys.platform == "win32" else ""


def payload_bytes(dist: Path) -> int:
    """Bytes on disk, symlinks counted once (as their target)."""
    total = 0
    for path in dist.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def targz_bytes(dist: Path) -> tuple[int, float]:
    """Size of ``tar czf`` of the folder (gzip level 6, like tar's default)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "payload.tar.gz"
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            tar.add(dist, arcname=dist.name)
        return archive.stat().st_size, time.perf_counter() - started


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user+sys of the child) of one run."""
    before = os.times()
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def startup(argv: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    samples = [timed(argv, env) for _ in range(runs + 1)]
    first, rest = samples[0], samples[1:]
    return {
        "premier_s": round(first[0], 3),
        "mediane_s": round(statistics.median(w for w, _ in rest), 3),
        "min_s": round(min(w for w, _ in rest), 3),
        "cpu_mediane_s": round(statistics.median(c for _, c in rest), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Measure the frozen Passerelle build.")
    parser.add_argument("dist", nargs="?", type=Path, default=ROOT / "packaging/dist/Passerelle")
    parser.add_argument("--runs", type=int, default=5, help="warm runs after the first")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    args.dist = args.dist.resolve()

    with tempfile.TemporaryDirectory(prefix="passerelle-mesure-") as data:
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
        env.update(PASSERELLE_DATA_DIR=data, PASSERELLE_NO_CRASH_DIALOG="1")
        if sys.platform != "win32" and not os.environ.get("DISPLAY"):
            env["QT_QPA_PLATFORM"] = "offscreen"
        # Create the base first: the first start of a new install migrates it.
        subprocess.run([str(args.dist / f"passerelle-cli{EXE}"), "annee"], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        window = startup([str(args.dist / f"Passerelle{EXE}"), "--fermer-apres", "1"], env,
                         args.runs)
        cli = startup([str(args.dist / f"passerelle-cli{EXE}"), "--version"], env, args.runs)

    size = payload_bytes(args.dist)
    compressed, tar_seconds = targz_bytes(args.dist)
    numbers = {
        "plateforme": sys.platform,
        "charge_moyenne_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "payload_octets": size,
        "targz_octets": compressed,
        "fenetre": window,
        "cli_version": cli,
    }
    mib = 1024 * 1024
    print()
    print("| mesure | valeur |")
    print("|---|---|")
    print(f"| dossier installé (payload) | {size / mib:.1f} Mo |")
    print(f"| tar.gz du dossier | {compressed / mib:.1f} Mo ({tar_seconds:.0f} s) |")
    print(f"| démarrage jusqu'à la fenêtre, 1er lancement | {window['premier_s']:.2f} s |")
    print(f"| démarrage jusqu'à la fenêtre, médiane de {args.runs} | {window['mediane_s']:.2f} s "
          f"(min {window['min_s']:.2f} s, CPU {window['cpu_mediane_s']:.2f} s) |")
    print(f"| passerelle-cli --version, médiane | {cli['mediane_s']:.2f} s "
          f"(CPU {cli['cpu_mediane_s']:.2f} s) |")
    if numbers["charge_moyenne_1min"] is not None:
        print(f"| charge de la machine (1 min) | {numbers['charge_moyenne_1min']:.1f} |")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
