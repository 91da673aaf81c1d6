"""``ADRESSES/ADRESSE`` blocks, identical in the Élèves and Responsables exports.

They come last in the file, so the readers keep them between passes; each is
packed into one string (a dataclass per address costs five times as much), and
unpacked only when its student or person is handed out.
"""

from __future__ import annotations

from typing import Any

from app.domain.siecle import Address
from app.formats.siecle.values import attr, fields

_TAGS = (
    "LIGNE1_ADRESSE", "LIGNE2_ADRESSE", "LIGNE3_ADRESSE", "LIGNE4_ADRESSE", "BOITE_POSTALE",
    "CODE_POSTAL", "LIBELLE_POSTAL", "COMMUNE_ETRANGERE", "CODE_COMMUNE_INSEE",
    "CODE_DEPARTEMENT", "CODE_PAYS", "LL_PAYS",
)  # fmt: skip
_SEP = "\x00"  # cannot occur in XML text, so it cannot collide with a value


def pack_address(element: Any) -> tuple[str, str] | None:
    """``(ADRESSE_ID, packed)``; ``None`` without ADRESSE_ID: nothing could point at it."""
    adresse_id = attr(element, "ADRESSE_ID")
    if adresse_id is None:
        return None
    get = fields(element).get
    return adresse_id, _SEP.join([get(tag, "") for tag in _TAGS])


def unpack_address(adresse_id: str, packed: str) -> Address:
    values = [value or None for value in packed.split(_SEP)]
    return Address(adresse_id, *values)
