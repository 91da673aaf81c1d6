"""Fault injection for the sandbox: make a route misbehave N times, then heal.

A fault matches a glob on ``"METHOD /flux-netsync/…"`` (the path relative to
the sandbox's base URL), e.g. ``"GET */exports/xml/sco-eleves-adr/*"`` or
``"PUT */imports/*"``. With ``count=N`` it applies to the next N matching
requests and then disappears, which is what retry tests need; ``count=None``
keeps it until :meth:`Faults.clear`.

Faults are set in-process (tests) or, for manual tries against a running
``passerelle bac-a-sable``, written as JSON in ``pannes.json`` next to
``etat.json`` (re-read whenever the file changes)::

    [{"route": "GET */exports/*", "kind": "status", "status": 503,
      "retry_after": "2", "count": 3}]
"""

from __future__ import annotations

import enum
import fnmatch
import json
import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.netsynchro.protocol import Erreur

log = logging.getLogger(__name__)


class FaultKind(enum.StrEnum):
    DELAY = "delay"  # wait, then answer normally (timeouts)
    STATUS = "status"  # answer this status, with an <erreur> body if given
    RESET = "reset"  # TCP reset after `after_bytes` of the body (response, or request for PUT)
    RESET_AFTER = "reset_after"  # process the request fully, then reset instead of answering
    TRUNCATE = "truncate"  # full Content-Length, only `after_bytes` sent, clean close
    CONTENT_TYPE = "content_type"  # a proxy-like HTML page with this Content-Type
    BODY = "body"  # replace the body (corrupt ZIP, garbage XML…), normal headers
    DRIP = "drip"  # send the body `chunk` bytes every `interval` seconds
    CLOSE = "close"  # close the connection without answering


@dataclass(frozen=True)
class Fault:
    route: str
    kind: FaultKind
    count: int | None = None
    delay: float = 0.0
    status: int = 503
    erreur: Erreur | None = None
    retry_after: str | None = None
    after_bytes: int = 0
    content_type: str = "text/html; charset=utf-8"
    body: bytes | None = None
    chunk: int = 1024
    interval: float = 0.05

    def matches(self, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(f"{method} {path}", self.route)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        erreur = data.get("erreur")
        body = data.get("body")
        return cls(
            route=str(data["route"]),
            kind=FaultKind(data["kind"]),
            count=None if data.get("count") is None else int(data["count"]),
            delay=float(data.get("delay", 0.0)),
            status=int(data.get("status", 503)),
            erreur=Erreur(**erreur) if isinstance(erreur, dict) else None,
            retry_after=None if data.get("retry_after") is None else str(data["retry_after"]),
            after_bytes=int(data.get("after_bytes", 0)),
            content_type=str(data.get("content_type", "text/html; charset=utf-8")),
            body=body.encode("utf-8") if isinstance(body, str) else None,
            chunk=int(data.get("chunk", 1024)),
            interval=float(data.get("interval", 0.05)),
        )


class Faults:
    """The active faults of one sandbox; every method is thread-safe."""

    def __init__(self, admin_file: Path | None = None) -> None:
        self._lock = threading.Lock()
        # [fault, uses left or None]: identical faults are separate entries.
        self._entries: list[list[Any]] = []
        self._admin_file = admin_file
        self._admin_mtime: float | None = None

    # -- generic -----------------------------------------------------------

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._entries.append([fault, fault.count])
        return fault

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [entry[0] for entry in self._entries]

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, consuming one of its uses."""
        self._reload_admin_file()
        with self._lock:
            for index, entry in enumerate(self._entries):
                fault: Fault = entry[0]
                if not fault.matches(method, path):
                    continue
                left: int | None = entry[1]
                if left is not None:
                    if left <= 1:
                        del self._entries[index]
                    else:
                        entry[1] = left - 1
                return fault
        return None

    # -- shortcuts ---------------------------------------------------------

    def delay(self, route: str, seconds: float, *, count: int | None = None) -> Fault:
        return self.add(Fault(route, FaultKind.DELAY, count, delay=seconds))

    def status(
        self,
        route: str,
        status: int,
        *,
        erreur: Erreur | None = None,
        retry_after: str | None = None,
        count: int | None = None,
    ) -> Fault:
        return self.add(
            Fault(route, FaultKind.STATUS, count, status=status, erreur=erreur,
                  retry_after=retry_after)
        )  # fmt: skip

    def erreur(
        self, route: str, erreur: Erreur, *, status: int = 500, count: int | None = None
    ) -> Fault:
        return self.status(route, status, erreur=erreur, count=count)

    def reset(self, route: str, *, after_bytes: int = 0, count: int | None = None) -> Fault:
        return self.add(Fault(route, FaultKind.RESET, count, after_bytes=after_bytes))

    def reset_after_processing(self, route: str, *, count: int | None = None) -> Fault:
        return self.add(Fault(route, FaultKind.RESET_AFTER, count))

    def truncate(self, route: str, *, after_bytes: int, count: int | None = None) -> Fault:
        return self.add(Fault(route, FaultKind.TRUNCATE, count, after_bytes=after_bytes))

    def content_type(
        self, route: str, content_type: str = "text/html; charset=utf-8", *,
        count: int | None = None,
    ) -> Fault:  # fmt: skip
        return self.add(Fault(route, FaultKind.CONTENT_TYPE, count, content_type=content_type))

    def body(self, route: str, body: bytes, *, count: int | None = None) -> Fault:
        return self.add(Fault(route, FaultKind.BODY, count, body=body))

    def drip(
        self, route: str, *, chunk: int = 1024, interval: float = 0.05, count: int | None = None
    ) -> Fault:
        return self.add(Fault(route, FaultKind.DRIP, count, chunk=chunk, interval=interval))

    def close(self, route: str, *, count: int | None = None) -> Fault:
        return self.add(Fault(route, FaultKind.CLOSE, count))

    # -- admin file --------------------------------------------------------

    def _reload_admin_file(self) -> None:
        if self._admin_file is None:
            return
        try:
            mtime = self._admin_file.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime == self._admin_mtime:
            return
        self._admin_mtime = mtime
        try:
            entries = json.loads(self._admin_file.read_text(encoding="utf-8"))
            faults = [Fault.from_json(e) for e in entries]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("pannes.json ignoré : %s", exc)
            return
        self.clear()
        for fault in faults:
            self.add(replace(fault))
        log.info("pannes.json chargé : %d panne(s)", len(faults))
