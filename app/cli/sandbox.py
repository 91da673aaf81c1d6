"""``passerelle bac-a-sable``: run the local NetSynchro sandbox until Ctrl-C.

It prints the URL and writes ``<dossier>/etat.json`` (URL, CA file, year and,
per demo establishment, the .p12 file and its generated password) so the
application or a tester can connect to it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from app.domain.school_year import year_label


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "bac-a-sable",
        help="lancer le serveur NetSynchro local de démonstration",
        description="Lance sur cet ordinateur (127.0.0.1) un faux serveur NetSynchro avec ses "
        "propres certificats, pour essayer Passerelle sans toucher aux vrais serveurs. "
        "Ctrl-C l'arrête.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=handler)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=0, metavar="N",
        help="port d'écoute (0, par défaut : un port libre au hasard)",
    )  # fmt: skip
    parser.add_argument(
        "--dossier", type=Path, default=None, metavar="D",
        help="dossier du bac à sable : certificats, données, etat.json "
        "(par défaut : bac-a-sable/ dans le dossier de données)",
    )  # fmt: skip
    parser.add_argument("--annee", type=int, default=None, metavar="AAAA",
                        help="année scolaire servie (par défaut : l'année en cours)")  # fmt: skip
    parser.add_argument("--graine", type=int, default=2024, metavar="N",
                        help="graine des données générées (mêmes données à chaque lancement)")


def handler(args: argparse.Namespace) -> int:
    from app.netsynchro.sandbox import Sandbox

    directory = args.dossier
    if directory is None:
        from app.paths import data_dir

        directory = data_dir() / "bac-a-sable"
    if not 0 <= args.port <= 65535:
        print("Le port doit être compris entre 0 et 65535.", file=sys.stderr)
        return 2
    sandbox = Sandbox(directory, port=args.port, year=args.annee, seed=args.graine)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, on_signal)
    try:
        try:
            url = sandbox.start()
        except OSError as exc:
            print(f"Le bac à sable n'a pas pu démarrer (port {args.port} occupé ?) : {exc}",
                  file=sys.stderr)  # fmt: skip
            return 1
        state = Path(directory) / "etat.json"
        print(f"Bac à sable NetSynchro en service : {url}")
        print(f"Année scolaire : {year_label(sandbox.year)}")
        print(f"État (certificats et mots de passe de démonstration) : {state}")
        print("Ctrl-C pour arrêter.", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
    print("Bac à sable arrêté.")
    return 0


if __name__ == "__main__":  # lets tests and scripts run it without the full CLI
    _parser = argparse.ArgumentParser(prog="bac-a-sable")
    add_arguments(_parser)
    sys.exit(handler(_parser.parse_args()))
