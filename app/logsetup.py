"""Rotating application logs in the data directory.

Logs carry identifiers (UAI, ELEVE_ID, counts), never personal data or secrets;
modules are written that way, this only decides where lines go.
"""

from __future__ import annotations

import logging
import logging.handlers
import os

from app import paths

LOG_FILE = "passerelle.log"
_configured = False


def setup_logging(*, console: bool = False, level: int = logging.INFO) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    root = logging.getLogger()
    root.setLevel(level)
    if os.environ.get("PASSERELLE_NO_LOG_FILE") != "1":
        try:
            handler: logging.Handler = logging.handlers.RotatingFileHandler(
                paths.logs_dir() / LOG_FILE, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        except OSError:
            handler = logging.NullHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
        )
        root.addHandler(handler)
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    # httpx logs full URLs at INFO; ours are enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
