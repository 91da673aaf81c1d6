from __future__ import annotations

import datetime as dt

import pytest

from app.domain.school_year import default_year, year_label


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 9, 1), 2026),
        (dt.date(2026, 12, 2), 2026),
        (dt.date(2027, 8, 31), 2026),
        (dt.date(2027, 1, 15), 2026),
        (dt.date(2026, 8, 31), 2025),
    ],
)
def test_default_year_switches_in_september(today: dt.date, expected: int) -> None:
    assert default_year(today) == expected


def test_label() -> None:
    assert year_label(2026) == "2026-2027"
