"""One hardened lxml configuration for every XML Passerelle reads.

No DOCTYPE is accepted (our inputs never carry one), entities are never
resolved, nothing is fetched from the network, and libxml2's size limits stay on
(engineering-notes.md §4). Inputs are always bytes so the declared encoding
(ISO-8859-15 for SIECLE and STS) is honoured.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from app.formats.errors import FormatError

Source = str | Path | bytes | IO[bytes]


def hardened_parser(encoding: str | None = None) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        remove_pis=True,
        encoding=encoding,
    )


def _as_stream(source: Source) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, str | Path):
        return open(source, "rb")
    return source


def _check_prolog(head: bytes) -> None:
    """Refuse a DOCTYPE before lxml sees it: entity tricks live there."""
    probe = head.lstrip(b"\xef\xbb\xbf")
    if b"<!DOCTYPE" in probe.upper() or b"<!ENTITY" in probe.upper():
        raise FormatError(
            "Ce fichier contient une déclaration DOCTYPE ou ENTITY : les fichiers SIECLE et "
            "STSWEB n'en ont jamais. Il est refusé par sécurité.",
            code="XML_DOCTYPE",
        )


def _syntax_message(exc: Exception) -> str:
    text = str(exc)
    if "amplification" in text or "Detected an entity reference loop" in text:
        return (
            "Ce fichier XML contient des entités en cascade (attaque « billion laughs ») : "
            "refusé."
        )
    if "Resource limit" in text or "Excessive depth" in text or "huge" in text.lower():
        return "Ce fichier XML dépasse les limites de taille ou de profondeur autorisées : refusé."
    if "Document is empty" in text or "Start tag expected" in text:
        return "Ce fichier est vide ou n'est pas un fichier XML."
    if "encoding" in text.lower() or "Input is not proper" in text:
        return (
            "L'encodage de ce fichier XML ne correspond pas à son contenu (caractères "
            "illisibles). Reprenez l'export d'origine sans le modifier."
        )
    return f"Ce fichier n'est pas un XML valide ou il est tronqué ({text})."


def _syntax_code(exc: Exception) -> str:
    """Bytes that do not match the declared encoding are an encoding problem, not a
    broken file: give them their own code so callers can say so."""
    text = str(exc)
    if "encoding" in text.lower() or "Input is not proper" in text:
        return "XML_ENCODAGE"
    return "XML_INVALIDE"


class SafeIterparse:
    """``iterparse`` with the hardened settings, DOCTYPE refusal and clearing.

    Iterate over ``(event, element)``; call :meth:`release` once an element
    has been used so memory stays flat whatever the file size.
    """

    def __init__(
        self,
        source: Source,
        events: Iterable[str] = ("start", "end"),
        tag: str | Iterable[str] | None = None,
    ) -> None:
        self._stream = _as_stream(source)
        self._owns = not isinstance(source, bytes) and isinstance(source, str | Path)
        head = self._stream.read(4096)
        _check_prolog(head)
        self._stream.seek(0)
        kwargs: dict[str, Any] = {
            "events": tuple(events),
            "resolve_entities": False,
            "no_network": True,
            "load_dtd": False,
            "huge_tree": False,
            "remove_pis": True,
            # Comments carry nothing for a reader, and without them every child of a
            # record is an element: the record loops need not check.
            "remove_comments": True,
            # Indentation between elements is never read (values are trimmed, blank ones
            # are absent): not building those text nodes saves ~10 % of a parse.
            "remove_blank_text": True,
        }
        if tag is not None:
            kwargs["tag"] = tag
        self._it = etree.iterparse(self._stream, **kwargs)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        checked = False
        try:
            for event, element in self._it:
                if not checked:
                    # A DOCTYPE may hide after more than 4 KB of comments: refuse it at
                    # the first event, before the caller has used any record.
                    checked = True
                    if element.getroottree().docinfo.internalDTD is not None:
                        raise FormatError("Déclaration DOCTYPE refusée.", code="XML_DOCTYPE")
                yield event, element
        except etree.XMLSyntaxError as exc:
            raise FormatError(_syntax_message(exc), code=_syntax_code(exc)) from exc
        except (UnicodeDecodeError, LookupError) as exc:
            raise FormatError(_syntax_message(exc), code="XML_ENCODAGE") from exc
        finally:
            self.close()
        docinfo = getattr(self._it, "root", None)
        if docinfo is not None and docinfo.getroottree().docinfo.internalDTD is not None:
            raise FormatError("Déclaration DOCTYPE refusée.", code="XML_DOCTYPE")

    @staticmethod
    def release(element: Any) -> None:
        element.clear(keep_tail=True)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]

    def close(self) -> None:
        if self._owns:
            self._stream.close()

    def __enter__(self) -> SafeIterparse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_document(source: Source) -> Any:
    """Parse a whole (small) document with the hardened parser; return the root."""
    stream = _as_stream(source)
    try:
        data = stream.read()
    finally:
        if isinstance(source, str | Path):
            stream.close()
    _check_prolog(data[:4096])
    try:
        root = etree.fromstring(data, parser=hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise FormatError(_syntax_message(exc), code=_syntax_code(exc)) from exc
    except (UnicodeDecodeError, LookupError) as exc:
        raise FormatError(_syntax_message(exc), code="XML_ENCODAGE") from exc
    if root.getroottree().docinfo.internalDTD is not None:
        raise FormatError("Déclaration DOCTYPE refusée.", code="XML_DOCTYPE")
    return root


def root_tag(source: Source) -> str:
    """Name of the root element, read without parsing the whole file."""
    for event, element in SafeIterparse(source, events=("start",)):
        if event == "start":
            return str(element.tag)
    raise FormatError("Ce fichier est vide ou n'est pas un fichier XML.", code="XML_VIDE")
