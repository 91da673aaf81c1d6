"""UAI (ex-RNE) codes: 7 digits and a modulo-23 check letter."""

from __future__ import annotations

import re

from app.errors import InvalidUAI

CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI_RE = re.compile(r"^\d{7}[A-Z]$")
# Finds candidates inside free text (certificate subjects): not glued to other codes.
UAI_IN_TEXT_RE = re.compile(r"(?<![0-9A-Z])\d{7}[A-HJ-NPR-Z](?![0-9A-Z])")


def check_letter(digits: str) -> str:
    if len(digits) != 7 or not digits.isdigit():
        raise ValueError("a UAI starts with exactly 7 digits")
    return CHECK_LETTERS[int(digits) % 23]


def normalize_uai(text: str) -> str:
    return text.strip().upper()


def is_valid_uai(text: str) -> bool:
    uai = normalize_uai(text)
    return bool(_UAI_RE.match(uai)) and check_letter(uai[:7]) == uai[7]


def validate_uai(text: str) -> str:
    """Return the normalised UAI or raise :class:`InvalidUAI` with a French message."""
    uai = normalize_uai(text)
    if not _UAI_RE.match(uai):
        raise InvalidUAI(
            f"« {text.strip()} » n'est pas un code UAI : il faut 7 chiffres suivis d'une "
            "lettre (par exemple 0750654D)."
        )
    expected = check_letter(uai[:7])
    if uai[7] != expected:
        raise InvalidUAI(
            f"Le code UAI « {uai} » est incorrect : pour {uai[:7]} la lettre de contrôle "
            f"est « {expected} », pas « {uai[7]} ». Vérifiez la saisie."
        )
    return uai


def find_uais(text: str) -> list[str]:
    """Valid UAIs found in free text, in order, without duplicates."""
    found: list[str] = []
    for match in UAI_IN_TEXT_RE.finditer(text.upper()):
        candidate = match.group(0)
        if is_valid_uai(candidate) and candidate not in found:
            found.append(candidate)
    return found
