"""Starting the window: ``passerelle`` (no command) and ``passerelle demo``."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser(
        "demo", help="ouvrir l'application sur une base de démonstration (cité scolaire)"
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    return run_gui(args, demo=True)


def run_gui(args: argparse.Namespace, *, demo: bool = False) -> int:
    # Qt lives under app/gui only; imported here so CLI commands never load it.
    from app.gui.run import run_window

    return run_window(args.base, demo=demo, close_after_ms=args.fermer_apres)
