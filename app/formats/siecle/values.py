"""Value helpers shared by the SIECLE readers: trimmed fields, dates, flags.

SIECLE writes an absent tag for NULL and an empty tag for an empty string
(siecle-formats.md §1); both become ``None`` here. Old Nomenclatures pad values
with trailing spaces, so every value is trimmed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

DATE_RE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")

_TRUE = frozenset({"1", "true", "o", "oui", "vrai"})
_FALSE = frozenset({"0", "false", "n", "non", "faux"})


class BadDate(ValueError):
    """A present but malformed dd/mm/yyyy value (the caller turns it into an Anomaly)."""


def fields(element: Any) -> dict[str, str]:
    """Direct children as ``{TAG: trimmed text}``; empty values are left out.

    The parser removes comments and processing instructions (xmlsafe), so every
    child is an element. When a tag repeats, the last one wins, like SIECLE's own
    readers. One comprehension: this runs for every record of every file.
    """
    return {
        child.tag: value for child in element if (text := child.text) and (value := text.strip())
    }


def attr(element: Any, name: str) -> str | None:
    value = element.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def parse_date(value: str | None) -> dt.date | None:
    """``dd/mm/yyyy`` → date; ``None`` when absent; :class:`BadDate` when malformed."""
    if value is None:
        return None
    match = DATE_RE.fullmatch(value)
    if match is None:
        raise BadDate(value)
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise BadDate(value) from exc


def parse_flag(value: str | None) -> bool | None:
    """SIECLE flags are ``0/1`` in old files and ``true/false`` since 2018."""
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


_INT_RE = re.compile(r"-?[0-9]{1,9}")


def parse_int(value: str | None) -> int | None:
    if value is None or _INT_RE.fullmatch(value) is None:
        return None
    return int(value)
