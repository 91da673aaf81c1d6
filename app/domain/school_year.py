"""School years are named by their first calendar year (AAAA = 2026 for 2026-2027)."""

from __future__ import annotations

import datetime as dt

FIRST_MONTH = 9  # a school year starts in September
MIN_YEAR = 2000
MAX_YEAR = 2099


def default_year(today: dt.date | None = None) -> int:
    """September onward belongs to this year's school year, earlier to last year's."""
    today = today or dt.date.today()
    return today.year if today.month >= FIRST_MONTH else today.year - 1


def year_label(year: int) -> str:
    return f"{year}-{year + 1}"


def is_valid_year(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of the school year (1 September to 31 August)."""
    return dt.date(year, 9, 1), dt.date(year + 1, 8, 31)
