"""Smoke test of the frozen program (PyInstaller onedir), before any packaging.

    python packaging/smoke_test.py [packaging/dist/Passerelle]

Runs the *packaged* executables the way a secretary's PC and the helpdesk
would, on a fresh temporary data directory:

- ``passerelle-cli --version`` and ``menus`` (same output as from source);
- a first command on an empty data directory creates the base: the bundled
  Alembic migrations must be found and bring it to the head revision;
- ``passerelle-cli diagnostic --json --tester-tls``: Qt and its French
  catalogue, keyring backends, OpenSSL, psycopg's C implementation, package
  data, a mutual-TLS handshake through ``app.security.tls``;
- inside a private D-Bus session with an unlocked gnome-keyring (when both
  are installed, as in CI): the native Secret Service backend is usable;
- the window opens and quits by itself (``--fermer-apres``), on the default
  base and on the demo;
- on Linux, every bundled shared library resolves its dependencies.

Any stderr line not on the whitelist below fails the run (qutebrowser's
build_release.py does the same), and so does an ERROR or traceback in the
application log. Works on Windows too (build.ps1 runs it on the runner).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))

from version import app_version  # noqa: E402

IS_WIN = sys.platform == "win32"
EXE = ".exe" if IS_WIN else ""

# Lines Qt or D-Bus print on their own and that say nothing about the build.
HARMLESS_STDERR = [
    re.compile(p)
    for p in (
        r"^This plugin does not support propagateSizeHints\(\)$",  # offscreen platform
        r"^QStandardPaths: XDG_RUNTIME_DIR not set",
        r"^QStandardPaths: wrong permissions on runtime directory",
        r"^dbus-daemon\[\d+\]: .*Failed to set fd limit",  # unprivileged dbus-run-session
        r"^$",
    )
]
# In the application log: errors and tracebacks always fail; warnings fail only
# when they point at something missing from the bundle (warnings about the
# keyring of a headless session are expected here).
SERIOUS_LOG = re.compile(r" (ERROR|CRITICAL) |Traceback")
PACKAGING_LOG = re.compile(
    r" WARNING .*(translations not found|No module named|ModuleNotFoundError|ImportError"
    r"|FileNotFoundError|plugin)",
    re.IGNORECASE,
)


class SmokeFailure(Exception):
    pass


@dataclass
class Run:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.argv)}\n  -> code {self.code} en {self.seconds:.2f} s\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )


@dataclass
class Smoke:
    dist: Path
    env: dict[str, str]
    timeout: float
    results: list[tuple[str, bool, float, str]] = field(default_factory=list)

    @property
    def cli(self) -> Path:
        return self.dist / f"passerelle-cli{EXE}"

    @property
    def gui(self) -> Path:
        return self.dist / f"Passerelle{EXE}"

    def run(self, exe: Path, *args: str, env: dict[str, str] | None = None,
            wrapper: Sequence[str] = ()) -> Run:
        argv = [*wrapper, str(exe), *args]
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                argv, env=env or self.env, capture_output=True, text=True, encoding="utf-8",
                errors="replace", timeout=self.timeout, stdin=subprocess.DEVNULL,
                cwd=self.env["PASSERELLE_DATA_DIR"],
            )
        except subprocess.TimeoutExpired as exc:
            raise SmokeFailure(f"{' '.join(argv)} : pas terminé en {self.timeout:.0f} s") from exc
        run = Run(argv, proc.returncode, proc.stdout, proc.stderr,
                  time.perf_counter() - started)
        unexpected = [
            line for line in run.stderr.splitlines()
            if not any(p.search(line) for p in HARMLESS_STDERR)
        ]
        if unexpected:
            raise SmokeFailure("ligne inattendue sur stderr :\n  " + "\n  ".join(unexpected)
                               + "\n" + run.describe())
        return run

    def check(self, name: str, test: Callable[[], str]) -> None:
        started = time.perf_counter()
        try:
            detail = test()
            ok = True
        except SmokeFailure as exc:
            detail, ok = str(exc), False
        except AssertionError as exc:
            detail, ok = f"vérification en échec : {exc}", False
        self.results.append((name, ok, time.perf_counter() - started, detail))
        status = "ok  " if ok else "ÉCHEC"
        summary = detail.splitlines()[0] if ok and detail else ""
        print(f"[{status}] {name} ({time.perf_counter() - started:.1f} s) {summary}", flush=True)
        if not ok:
            print(detail, flush=True)


def _expect(run: Run, code: int = 0) -> Run:
    if run.code != code:
        raise SmokeFailure(f"code de sortie {run.code} au lieu de {code}\n{run.describe()}")
    return run


# --------------------------------------------------------------------- checks


def check_version(s: Smoke) -> str:
    run = _expect(s.run(s.cli, "--version"))
    expected = f"Passerelle {app_version()}"
    assert run.stdout.strip() == expected, f"{run.stdout!r} != {expected!r}"
    return run.stdout.strip()


def check_menus(s: Smoke) -> str:
    frozen = _expect(s.run(s.cli, "menus")).stdout
    source = subprocess.run(
        [sys.executable, "-m", "app.cli", "menus"], cwd=ROOT, capture_output=True, text=True,
        encoding="utf-8", env={**s.env, "PYTHONPATH": str(ROOT), "PYTHONUTF8": "1"},
        timeout=s.timeout, check=True,
    ).stdout
    assert frozen == source, f"menus différents du code source :\n{frozen}\n---\n{source}"
    return f"{len(frozen.splitlines())} lignes, identiques au code source"


def check_fresh_base(s: Smoke) -> str:
    from app.store.migrate import head_revision

    data_dir = Path(s.env["PASSERELLE_DATA_DIR"]) / "base-neuve"
    base = data_dir / "passerelle.db"
    env = {**s.env, "PASSERELLE_DATA_DIR": str(data_dir)}
    run = _expect(s.run(s.cli, "etablissement", "lister", "--json", env=env))
    assert json.loads(run.stdout) == [], run.stdout
    with sqlite3.connect(base) as conn:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision == head_revision(), f"révision {revision} != {head_revision()}"
    check_log(Smoke(s.dist, env, s.timeout))
    return f"base créée à la révision {revision}"


def check_diagnostic(s: Smoke) -> str:
    from app.store.migrate import head_revision

    run = _expect(s.run(s.cli, "diagnostic", "--json", "--tester-tls"))
    report = json.loads(run.stdout)
    assert report["problemes"] == [], report["problemes"]
    assert report["fige"] is True, "le programme ne se voit pas comme installé (sys.frozen)"
    assert report["version"] == app_version()
    assert report["qt"]["catalogue_fr"] and report["qt"]["exemple"] == "Annuler", report["qt"]
    assert report["migrations"]["tete"] == head_revision(), report["migrations"]
    assert Path(report["migrations"]["dossier"]).resolve().is_relative_to(s.dist.resolve()), (
        f"migrations lues hors du programme : {report['migrations']['dossier']}"
    )
    assert report["trousseau"]["module_natif_present"], report["trousseau"]
    assert report["postgresql"]["implementation"] == "binary", report["postgresql"]
    assert report["tls"]["ok"] and report["tls"]["certificat_client_vu_par_le_serveur"]
    return (
        f"Qt {report['qt']['qt']}, {report['openssl']['ssl']}, "
        f"trousseau {report['trousseau']['courant']}, TLS {report['tls']['protocole']}"
    )


def check_secret_service(s: Smoke) -> str:
    """The frozen SecretStorage/jeepney reach a real gnome-keyring over D-Bus."""
    dbus = shutil.which("dbus-run-session")
    daemon = shutil.which("gnome-keyring-daemon")
    if IS_WIN or not dbus or not daemon:
        return "ignoré (dbus-run-session ou gnome-keyring-daemon absent)"
    home = Path(tempfile.mkdtemp(prefix="passerelle-smoke-keyring-"))
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {**s.env, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_RUNTIME_DIR": str(runtime)}
    script = (
        'printf %s smoke | gnome-keyring-daemon --unlock --components=secrets >/dev/null && '
        'exec "$0" diagnostic --json'
    )
    try:
        run = _expect(s.run(s.cli, env=env, wrapper=[dbus, "--", "sh", "-c", script]))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    keyring_report = json.loads(run.stdout)["trousseau"]
    assert keyring_report["natif_disponible"], keyring_report
    assert keyring_report["accepte"], keyring_report
    return f"trousseau {keyring_report['courant']} accepté"


def check_siecle_helper(s: Smoke) -> str:
    """« Récupérer les données des élèves » in the frozen program, with the helper process
    that reads the Responsables export (a second start of the executable)."""
    from app.demo.siecle import write_siecle
    from app.domain.school_year import default_year

    uai = "0750654D"
    data_dir = Path(s.env["PASSERELLE_DATA_DIR"]) / "siecle"
    env = {**s.env, "PASSERELLE_DATA_DIR": str(data_dir), "PASSERELLE_SIECLE_PARALLELE": "1"}
    _expect(s.run(s.cli, "etablissement", "ajouter", uai, "Collège du test", env=env))
    written = write_siecle(data_dir / "exports", uai, default_year(), 300, 7)
    files = sorted(str(p) for p in written.values())
    run = _expect(s.run(s.cli, "eleves", "recuperer", uai, "--fichiers", *files, "--apercu",
                        "--json", env=env))  # fmt: skip
    report = json.loads(run.stdout)
    assert report["crees"] == 300, report
    log = (data_dir / "journaux" / "passerelle.log").read_text(encoding="utf-8")
    assert "read by the helper process" in log and "reading here" not in log, (
        f"le processus auxiliaire n'a pas lu les responsables :\n{log}"
    )
    return f"aperçu de 300 élèves en {run.seconds:.1f} s, responsables lus par un second processus"


def check_window(s: Smoke) -> str:
    run = _expect(s.run(s.gui, "--fermer-apres", "1500"))
    return f"fenêtre ouverte puis fermée en {run.seconds:.1f} s"


def check_demo(s: Smoke) -> str:
    run = _expect(s.run(s.gui, "--fermer-apres", "1500", "demo"))
    demo = Path(s.env["PASSERELLE_DATA_DIR"]) / "demo" / "passerelle-demo.db"
    assert demo.is_file(), "base de démonstration non créée"
    return f"démonstration ouverte puis fermée en {run.seconds:.1f} s"


def check_log(s: Smoke) -> str:
    logs = sorted((Path(s.env["PASSERELLE_DATA_DIR"]) / "journaux").glob("passerelle.log*"))
    assert logs, "aucun journal de l'application"
    bad = []
    for path in logs:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if SERIOUS_LOG.search(line) or PACKAGING_LOG.search(line):
                bad.append(line)
    assert not bad, "journal :\n  " + "\n  ".join(bad)
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in logs)
    return f"{lines} lignes, sans erreur"


def check_shared_libraries(s: Smoke) -> str:
    """Every bundled ELF library finds its dependencies (Linux only)."""
    if not sys.platform.startswith("linux") or not shutil.which("ldd"):
        return "ignoré (Linux seulement)"
    internal = s.dist / "_internal"
    libs = [p for p in internal.rglob("*.so*") if p.is_file() and not p.is_symlink()]
    env = {**os.environ,
           "LD_LIBRARY_PATH": f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}"}

    def missing(path: Path) -> list[str]:
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env).stdout
        return [f"{path.relative_to(s.dist)}: {line.strip()}"
                for line in out.splitlines() if "not found" in line]

    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [m for found in pool.map(missing, libs) for m in found]
    assert not problems, "bibliothèques introuvables :\n  " + "\n  ".join(problems)
    return f"{len(libs)} bibliothèques, dépendances résolues"


CHECKS: list[tuple[str, Callable[[Smoke], str]]] = [
    ("version", check_version),
    ("base neuve et migrations", check_fresh_base),
    ("menus", check_menus),
    ("diagnostic", check_diagnostic),
    ("élèves SIECLE (processus auxiliaire)", check_siecle_helper),
    ("trousseau Secret Service", check_secret_service),
    ("fenêtre", check_window),
    ("démonstration", check_demo),
    ("journal de l'application", check_log),
    ("bibliothèques partagées", check_shared_libraries),
]


def smoke_env(data_dir: Path, platform: str | None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PASSERELLE_BASE",
                     "PYTHON_KEYRING_BACKEND", "QT_PLUGIN_PATH", "LD_LIBRARY_PATH"}
    }
    env["PASSERELLE_DATA_DIR"] = str(data_dir)
    env["PASSERELLE_NO_CRASH_DIALOG"] = "1"
    if platform:
        env["QT_QPA_PLATFORM"] = platform
    if not IS_WIN:
        runtime = data_dir.parent / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke test of the frozen Passerelle.")
    parser.add_argument("dist", nargs="?", type=Path, default=ROOT / "packaging/dist/Passerelle")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per command")
    parser.add_argument(
        "--platform",
        default=None if IS_WIN or os.environ.get("DISPLAY") else "offscreen",
        help="QT_QPA_PLATFORM for the runs (offscreen without a display)",
    )
    args = parser.parse_args(argv)
    args.dist = args.dist.resolve()
    if not (args.dist / f"passerelle-cli{EXE}").is_file():
        print(f"programme introuvable dans {args.dist} : lancez d'abord PyInstaller",
              file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="passerelle-smoke-"))
    data_dir = workdir / "donnees"
    data_dir.mkdir()
    smoke = Smoke(args.dist, smoke_env(data_dir, args.platform), args.timeout)
    print(f"Smoke test de {args.dist} (données : {data_dir})", flush=True)
    started = time.perf_counter()
    try:
        for name, check in CHECKS:
            smoke.check(name, lambda check=check: check(smoke))  # type: ignore[misc]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    failed = [name for name, ok, _, _ in smoke.results if not ok]
    total = time.perf_counter() - started
    print(f"{len(smoke.results) - len(failed)} passed, {len(failed)} failed "
          f"({total:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
