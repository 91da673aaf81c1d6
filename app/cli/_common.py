"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.services.context import AppContext, open_context


def open_base(args: argparse.Namespace) -> AppContext:
    return open_context(getattr(args, "base", None))


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def confirm(question: str) -> bool:
    """Ask on the terminal; without one (scripts, CI) the answer is no."""
    if not sys.stdin or not sys.stdin.isatty():
        return False
    answer = input(f"{question} [o/N] ").strip().lower()
    return answer in {"o", "oui", "y", "yes"}
