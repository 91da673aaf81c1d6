"""Opening a SIECLE export (XML or SIECLE's ZIP) and walking its records as a stream.

The walker yields the root element first, then ``PARAMETRES`` when it closes,
then every record (an element at depth 3 under ``DONNEES``: ``ELEVE``,
``PERSONNE``, ``MEF``…) with the name of its block, and releases each one as
soon as the consumer moves on, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

from app.formats.archive import ZIP_MAGIC, extract_single_xml, remove_extracted
from app.formats.errors import FormatError
from app.formats.xmlsafe import SafeIterparse

ROOT = "#racine"
PARAMETRES = "PARAMETRES"
DONNEES = "DONNEES"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
UTF8_BOM = b"\xef\xbb\xbf"
_HEAD = 4096
_DECL_RE = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")

Source = str | os.PathLike[str] | bytes


class OpenedSource:
    """The XML to parse (a path or bytes), its display name and what to clean up."""

    def __init__(self, xml: Path | bytes, name: str, extracted: Path | None) -> None:
        self.xml = xml
        self.name = name
        self._extracted = extracted
        head = xml[:_HEAD] if isinstance(xml, bytes) else _read_head(xml)
        self.declared_encoding = declared_encoding(head)

    def close(self) -> None:
        if self._extracted is not None:
            remove_extracted(self._extracted)
            self._extracted = None


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(_HEAD)
    except OSError as exc:
        raise _unreadable(path.name, exc) from exc


def _unreadable(name: str, exc: OSError) -> FormatError:
    reason = exc.strerror or type(exc).__name__
    return FormatError(
        f"Impossible de lire le fichier « {name} » ({reason}).", code="FICHIER_ILLISIBLE"
    )


def declared_encoding(head: bytes) -> str | None:
    """The encoding named in the XML declaration; refuse one Python does not know.

    Only what libxml2 will honour matters, but an unknown name is refused here
    with a clear message instead of a libxml2 error (Pix does the same).
    """
    probe = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    match = _DECL_RE.match(probe)
    if match is None:
        return None
    name = match.group(1).decode("ascii", errors="replace").strip()
    try:
        # A NUL in the name raises ValueError; rot13 and friends are not text encodings.
        known = codecs.lookup(name)._is_text_encoding
    except (LookupError, ValueError):
        known = False
    if not known:
        shown = "".join(c if c.isprintable() else "?" for c in name)[:40]
        raise FormatError(
            f"Ce fichier déclare l'encodage « {shown} », qui n'est pas pris en charge "
            "(les exportations SIECLE sont en ISO-8859-15). Reprenez l'export d'origine.",
            code="XML_ENCODAGE_INCONNU",
        )
    return name


def open_source(source: Source, name: str | None = None) -> OpenedSource:
    """Accept a path to an XML or ZIP file, or the bytes of either.

    A ZIP goes through :mod:`app.formats.archive` (one XML member, bomb and
    traversal guards); the extracted copy is deleted by :meth:`OpenedSource.close`.
    """
    if isinstance(source, bytes):
        display = name or "données reçues"
        if not source:
            raise _empty(display)
        if source[:4] in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
            return _open_zip_bytes(source, display)
        return OpenedSource(source, display, None)
    path = Path(source)
    display = name or path.name
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise _unreadable(display, exc) from exc
    if size == 0:
        raise _empty(display)
    if magic in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        extracted = extract_single_xml(path)
        return OpenedSource(extracted, display, extracted)
    return OpenedSource(path, display, None)


def _open_zip_bytes(data: bytes, display: str) -> OpenedSource:
    # archive.py works on paths: spill the archive to a private temporary file.
    fd, tmp = tempfile.mkstemp(prefix="pz-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        extracted = extract_single_xml(tmp)
    finally:
        os.unlink(tmp)
    return OpenedSource(extracted, display, extracted)


def _empty(name: str) -> FormatError:
    return FormatError(
        f"Le fichier « {name} » est vide (0 octet) : l'export ou le téléchargement n'a pas "
        "abouti. Refaites l'export dans SIECLE.",
        code="FICHIER_VIDE",
    )


def walk(opened: OpenedSource) -> Generator[tuple[str, Any], None, None]:
    """Yield ``(ROOT, root)``, ``(PARAMETRES, el)`` and ``(block, record)`` items.

    Elements are valid only until the next item: they are cleared right after.
    Encoding errors are re-worded with what the file declares.
    """
    stack: list[str] = []
    try:
        with SafeIterparse(opened.xml, events=("start", "end")) as parser:
            for event, element in parser:
                if event == "start":
                    if not stack:
                        yield ROOT, element
                    stack.append(element.tag)
                    continue
                depth = len(stack) - 1
                stack.pop()
                if depth == 3 and stack[1] == DONNEES:
                    yield stack[2], element
                    SafeIterparse.release(element)
                elif depth == 1 and element.tag == PARAMETRES:
                    yield PARAMETRES, element
                    SafeIterparse.release(element)
                elif depth == 1 or (depth == 2 and stack[1] == DONNEES):
                    # Blocks are released too; PARAMETRES' children must live until it ends.
                    SafeIterparse.release(element)
    except FormatError as exc:
        if exc.code == "XML_ENCODAGE":
            raise _encoding_error(opened) from exc
        raise
    except OSError as exc:
        raise _unreadable(opened.name, exc) from exc


def walk_records(
    opened: OpenedSource, tags: tuple[str, ...]
) -> Generator[tuple[str, Any], None, None]:
    """Like :func:`walk`, for the record passes: only ``(block, record)`` items whose tag is
    in ``tags``.

    lxml filters the events in C (``tag=``), so Python sees one event per record
    instead of two per child element: the difference between a few microseconds and
    a few dozen per student. ``tags`` must name every big record block the pass
    goes through (even those it skips), because only the records it sees are
    released; the header was checked by an earlier pass, so no ROOT or PARAMETRES.
    """
    try:
        with SafeIterparse(opened.xml, events=("end",), tag=tags) as parser:
            # Records of one block share their parent: check it once per block, not per record.
            known_block: Any = None
            block_tag = ""
            release = SafeIterparse.release
            for _event, element in parser:
                block = element.getparent()
                if block is None:
                    continue
                if block is not known_block:
                    donnees = block.getparent()
                    if donnees is None or donnees.tag != DONNEES:
                        continue  # same tag deeper down (never in SIECLE files, but be strict)
                    known_block = block
                    block_tag = block.tag
                yield block_tag, element
                release(element)
    except FormatError as exc:
        if exc.code == "XML_ENCODAGE":
            raise _encoding_error(opened) from exc
        raise
    except OSError as exc:
        raise _unreadable(opened.name, exc) from exc


def _encoding_error(opened: OpenedSource) -> FormatError:
    declared = opened.declared_encoding
    if declared is None:
        message = (
            f"Le fichier « {opened.name} » ne déclare pas son encodage et n'est pas en UTF-8 "
            "(il a sans doute été ouvert puis ré-enregistré). Reprenez l'export SIECLE "
            "d'origine, qui déclare ISO-8859-15."
        )
    else:
        message = (
            f"Le fichier « {opened.name} » déclare l'encodage « {declared} » mais contient "
            "des caractères qui n'y correspondent pas (il a sans doute été modifié). "
            "Reprenez l'export SIECLE d'origine."
        )
    return FormatError(message, code="XML_ENCODAGE")
