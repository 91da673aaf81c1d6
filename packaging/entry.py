"""Entry script of both frozen programs (Passerelle and passerelle-cli).

The same code as the ``passerelle`` console script: without a command the
window opens, with one the command runs.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    # A helper process (app.services.siecle_stage) is this same executable started
    # again: it must run its task and stop here, before the program's own start-up.
    multiprocessing.freeze_support()

import app.cli
from app.gui.launch import main

# The packaged program always carries the hidden support command the smoke
# test and the helpdesk rely on; a no-op once app.cli lists it itself.
if "app.cli.diagnostic" not in app.cli.COMMAND_MODULES:
    # (COMMAND_MODULES is a literal tuple, hence its fixed-length type)
    app.cli.COMMAND_MODULES = (  # type: ignore[assignment]
        *app.cli.COMMAND_MODULES,
        "app.cli.diagnostic",
    )

if __name__ == "__main__":
    sys.exit(main())
