"""Entry point of the windowed executable (no console)."""

from __future__ import annotations

import sys


def main() -> int:
    from app.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
