"""Comparing names and labels the way a secretary would: accents, case and spacing ignored."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-'’_.]+")


def norm(text: str | None) -> str:
    """``"  Émilie-Anne  d'Orléans"`` → ``"emilie anne d orleans"``."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", plain.casefold()).strip()
