from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.uai import CHECK_LETTERS, check_letter, find_uais, is_valid_uai, validate_uai
from app.errors import InvalidUAI


@pytest.mark.parametrize("uai", ["0750654D", "0752524L", "0920131T", "0690001B"])
def test_known_uais_are_valid(uai: str) -> None:
    assert is_valid_uai(uai)
    assert validate_uai(uai.lower()) == uai


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0750654E", "la lettre de contrôle est « D »"),
        ("075065D", "7 chiffres"),
        ("07506541D", "7 chiffres"),
        ("ABCDEFGH", "7 chiffres"),
        ("", "7 chiffres"),
    ],
)
def test_invalid_uais_get_a_french_reason(text: str, fragment: str) -> None:
    with pytest.raises(InvalidUAI) as err:
        validate_uai(text)
    assert fragment in err.value.message


@given(st.integers(min_value=0, max_value=9_999_999))
def test_exactly_one_letter_is_accepted(number: int) -> None:
    digits = f"{number:07d}"
    valid = [letter for letter in CHECK_LETTERS if is_valid_uai(digits + letter)]
    assert valid == [check_letter(digits)]
    assert not any(is_valid_uai(digits + letter) for letter in "IOQ")


def test_find_uais_in_free_text() -> None:
    text = "CN=NetSynchro 0750654D, OU=0750654E,serialNumber=UAI-0920131T;x10750654D"
    assert find_uais(text) == ["0750654D", "0920131T"]
