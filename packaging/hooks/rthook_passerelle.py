"""PyInstaller runtime hook: runs before the application in the frozen build.

- ``PASSERELLE_FROZEN=1`` tells child processes and logs that this is the
  packaged program (``sys.frozen`` says it to the process itself).
- Windows, windowed ``Passerelle.exe``: there is no console, so ``sys.stdout``
  and ``sys.stderr`` are None and any ``print`` (``--version``, a CLI command,
  argparse errors) would raise. When started from a terminal we attach to the
  parent console so the output is visible; otherwise the streams go to
  ``os.devnull``. Scripts should still use ``passerelle-cli.exe``, which waits
  for the command to finish (a GUI-subsystem program returns the prompt at once).
"""

from __future__ import annotations

import os
import sys

os.environ["PASSERELLE_FROZEN"] = "1"


def _attach_parent_console() -> bool:
    import ctypes

    attach_parent_process = -1
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    return bool(kernel32.AttachConsole(attach_parent_process))


def _reopen_streams() -> None:
    if sys.stdout is not None and sys.stderr is not None:
        return  # console executable, or streams redirected by the caller
    target = os.devnull
    if sys.platform == "win32":
        try:
            if _attach_parent_console():
                target = "CONOUT$"
        except OSError:
            pass
    if sys.stdout is None:
        sys.stdout = open(target, "w", encoding="utf-8", errors="replace")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(target, "w", encoding="utf-8", errors="replace")  # noqa: SIM115


_reopen_streams()
