"""Shared plumbing of the STS readers: input opening (ZIP or not), streaming walk,
and tolerant value parsing that turns every bad value into a located FormatError."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.domain.school_year import is_valid_year
from app.formats.archive import ZIP_MAGIC, extract_single_xml, looks_like_zip, remove_extracted
from app.formats.errors import FormatError
from app.formats.xmlsafe import SafeIterparse

Element = Any  # lxml's _Element; lxml-stubs types iterparse items loosely
Input = str | Path | bytes
Handler = Callable[[Element], None]

EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@contextmanager
def open_xml(source: Input) -> Iterator[str | Path | bytes]:
    """Yield something SafeIterparse reads; a ZIP (path or bytes) is unpacked first."""
    if isinstance(source, bytes):
        if source[:4] in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
            handle, name = tempfile.mkstemp(prefix="pz-sts-", suffix=".zip")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(source)
                with open_xml(Path(name)) as inner:
                    yield inner
            finally:
                Path(name).unlink(missing_ok=True)
            return
        yield source
        return
    path = Path(source)
    try:
        is_zip = looks_like_zip(path)
    except OSError as exc:
        raise FormatError(
            f"Impossible de lire le fichier « {path.name} » : {exc.strerror or exc}.",
            code="FICHIER_ILLISIBLE",
        ) from exc
    if not is_zip:
        yield path
        return
    try:
        extracted = extract_single_xml(path)
    except FormatError:
        raise
    except (zlib.error, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        # archive.py maps the usual ZIP faults; a corrupt deflate stream raises zlib.error.
        raise FormatError(
            "Cette archive ZIP est endommagée : téléchargez-la de nouveau.",
            code="ZIP_ENDOMMAGE",
        ) from exc
    try:
        yield extracted
    finally:
        remove_extracted(extracted)


def walk(
    source: str | Path | bytes,
    on_root: Callable[[str], None],
    handlers: Mapping[tuple[str, ...], Handler],
) -> None:
    """Stream the document; call ``handlers[path]`` at the end of each matching element.

    Handled elements are released right after their handler, so memory stays flat.
    Unknown elements anywhere are ignored: real files gain elements over time.
    """
    stack: list[str] = []
    parser = SafeIterparse(source, events=("start", "end"))
    try:
        for event, element in parser:
            tag = element.tag if isinstance(element.tag, str) else ""
            if event == "start":
                stack.append(tag)
                if len(stack) == 1:
                    on_root(tag)
                continue
            handler = handlers.get(tuple(stack))
            if handler is not None:
                handler(element)
                SafeIterparse.release(element)
            stack.pop()
    finally:
        # An early refusal must not leave the file open (Windows could not delete it).
        parser.close()


def where(element: Element) -> str:
    line = getattr(element, "sourceline", None)
    return f" (ligne {line})" if line else ""


def text(element: Element, tag: str) -> str | None:
    """Trimmed text of the first child ``tag``; None when absent or empty (samples pad)."""
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    value = str(child.text).strip()
    return value or None


def attr(element: Element, name: str) -> str | None:
    value = element.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def required_attr(element: Element, name: str, what: str) -> str:
    value = attr(element, name)
    if value is None:
        raise FormatError(
            f"Un élément {element.tag} n'a pas d'attribut {name}{where(element)} : {what}.",
            code="STS_INCOMPLET",
        )
    return value


def required_text(element: Element, tag: str, what: str) -> str:
    value = text(element, tag)
    if value is None:
        raise FormatError(
            f"Il manque {tag} dans {element.tag}{where(element)} : {what}.",
            code="STS_INCOMPLET",
        )
    return value


def bad_value(element: Element, name: str, value: str, expected: str) -> FormatError:
    return FormatError(
        f"Valeur « {value} » incorrecte pour {name} dans {element.tag}{where(element)} : "
        f"{expected} attendu.",
        code="STS_VALEUR",
    )


def as_decimal(element: Element, name: str, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise bad_value(element, name, value, "un nombre d'heures (par exemple 4.00)") from None
    if not number.is_finite() or number < 0:
        raise bad_value(element, name, value, "un nombre d'heures positif")
    return number


def as_bool(element: Element, name: str, value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise bad_value(element, name, value, "true ou false")


def as_int(element: Element, name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise bad_value(element, name, value, "un nombre entier")
    return int(value)


def as_date(element: Element, name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        # fromisoformat also takes week dates (2025-W01-1) since 3.11: insist on AAAA-MM-JJ.
        if not _DATE_RE.match(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise bad_value(element, name, value, "une date AAAA-MM-JJ") from None


def as_year(element: Element, name: str, value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) == 4) or not is_valid_year(
        int(value)
    ):
        raise bad_value(element, name, value, "une année sur quatre chiffres (par exemple 2026)")
    return int(value)
