"""NetSynchro client: exports (GET), imports (PUT) and task polling over mutual TLS.

One :class:`NetSynchroClient` per establishment: its ``ssl.SSLContext`` holds
that establishment's certificate (built by the certificate service) and the
CA bundle the server certificate is verified against. Nothing here reads or
writes a secret, and logs carry only the UAI, the flux, sizes and statuses,
never a body.

Retries: connection failures and 502/503/504 are retried with exponential
backoff plus jitter, honouring ``Retry-After``; 4xx answers, METIER errors and
certificate refusals never are (they would fail the same way again). An upload
keeps its ``tacheId`` across retries, so the server sees one task however many
times the request is sent.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import os
import random
import shutil
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Self, TypeVar

import httpx

from app.domain.school_year import is_valid_year, year_label
from app.domain.uai import validate_uai
from app.errors import PasserelleError, UserCancelled
from app.formats.archive import extract_single_xml
from app.formats.errors import FormatError
from app.netsynchro import protocol
from app.netsynchro.errors import (
    ClientCertificateExpired,
    ClientCertificateRefused,
    ConnectionInterrupted,
    CorruptZip,
    InvalidResponse,
    NetSynchroError,
    NetSynchroTimeout,
    ServerCertificateUntrusted,
    ServerErrorResponse,
    ServerUnavailable,
    ServerUnreachable,
    TaskRejected,
    TooLarge,
    TruncatedBody,
    UAIRefused,
    WrongContentType,
    YearRefused,
)
from app.netsynchro.protocol import Erreur, TaskReport, TaskState

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]
T = TypeVar("T")

CHUNK = 64 * 1024
DEFAULT_MAX_EXPORT = 512 * 1024 * 1024  # a big lycée's students with addresses is ~20 MB
DEFAULT_MAX_UPLOAD = 64 * 1024 * 1024
ERROR_BODY_LIMIT = 64 * 1024  # an <erreur> is a few hundred bytes; never buffer more
TASK_BODY_LIMIT = 8 * 1024 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(connect=15.0, read=60.0, write=60.0, pool=15.0)

# OpenSSL reasons, as they appear in ssl.SSLError texts, that mean the server
# refused our certificate. TLS 1.2 reports them during the handshake
# (httpx.ConnectError); TLS 1.3 only on the first read or write after it
# (httpx.ReadError / WriteError / RemoteProtocolError), so we match the reason,
# not the exception class.
_EXPIRED_ALERTS = ("ALERT_CERTIFICATE_EXPIRED",)
_REFUSED_ALERTS = (
    "ALERT_CERTIFICATE_REQUIRED",
    "ALERT_HANDSHAKE_FAILURE",
    "ALERT_BAD_CERTIFICATE",
    "ALERT_UNKNOWN_CA",
    "ALERT_CERTIFICATE_UNKNOWN",
    "ALERT_CERTIFICATE_REVOKED",
    "ALERT_UNSUPPORTED_CERTIFICATE",
    "ALERT_ACCESS_DENIED",
    "PEER DID NOT RETURN A CERTIFICATE",
)
_UNTRUSTED = ("CERTIFICATE_VERIFY_FAILED", "HOSTNAME MISMATCH", "IP ADDRESS MISMATCH")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently transient failures are retried."""

    attempts: int = 4  # total tries, first one included
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: float = 0.25  # ± this fraction, so many PCs do not retry in lockstep
    max_retry_after: float = 300.0  # a longer Retry-After is treated as "not now"

    def backoff(self, retry: int) -> float:
        delay = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        spread = random.uniform(-self.jitter, self.jitter)
        return float(max(0.0, delay * (1 + spread)))


@dataclass(frozen=True)
class ConnectionDiagnosis:
    """What :meth:`NetSynchroClient.test_connection` found, step by step."""

    uai: str
    year: int
    server_reached: bool
    handshake_ok: bool
    uai_accepted: bool
    year_accepted: bool
    error: PasserelleError | None = None
    establishment: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def text_fr(self) -> str:
        def line(done: bool, yes: str, no: str) -> str:
            return f"✔ {yes}" if done else f"✘ {no}"

        lines = [
            line(self.server_reached, "Serveur NetSynchro joignable",
                 "Serveur NetSynchro injoignable"),
            line(self.handshake_ok, "Connexion sécurisée établie (certificats acceptés)",
                 "Connexion sécurisée impossible (certificat refusé ou serveur non reconnu)"),
            line(self.uai_accepted, f"Établissement {self.uai} accepté",
                 f"Établissement {self.uai} refusé"),
            line(self.year_accepted, f"Année scolaire {year_label(self.year)} ouverte",
                 f"Année scolaire {year_label(self.year)} refusée"),
        ]  # fmt: skip
        if self.error is not None:
            lines.append("")
            lines.append(self.error.message)
        elif self.establishment:
            lines.append(f"Établissement : {self.establishment}")
        return "\n".join(lines)


class NetSynchroClient:
    """Talks to one NetSynchro server on behalf of one establishment."""

    def __init__(
        self,
        base_url: str,
        ssl_context: ssl.SSLContext,
        *,
        uai: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        trust_env: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.uai = validate_uai(uai) if uai else None
        self.retry = retry or RetryPolicy()
        # verify=<SSLContext> is the only non-deprecated way to do mutual TLS
        # with httpx 0.28 (engineering-notes §2): the context carries both the
        # client certificate and the trusted CAs.
        self._http = httpx.Client(
            verify=ssl_context,
            timeout=timeout,
            follow_redirects=False,
            trust_env=trust_env,
            headers={"Accept-Encoding": "identity", "User-Agent": "Passerelle"},
        )

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- exports -----------------------------------------------------------

    def export(
        self,
        flux: str,
        uai: str,
        year: int,
        *,
        zipped: bool = True,
        destination_dir: str | Path,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        max_bytes: int = DEFAULT_MAX_EXPORT,
    ) -> Path:
        """Download one export and return the path of its XML file.

        The body goes straight to a temporary file (never whole in memory), is
        checked against Content-Length, then unzipped with the archive
        module's safeguards. The result is ``{flux}_{UAI}_{AAAA}.xml`` in
        ``destination_dir``, replaced atomically; on any failure nothing is
        left behind.
        """
        uai = self._check_params(uai, year)
        if flux not in protocol.EXPORT_FLUX:
            raise ValueError(f"unknown export flux {flux!r}")
        destination = Path(destination_dir)
        destination.mkdir(parents=True, exist_ok=True)
        url = self.base_url + protocol.export_path(flux, uai, year)
        headers = {protocol.HEADER_ZIP: "true" if zipped else "false"}
        started = time.monotonic()

        def attempt() -> Path:
            request = self._http.build_request("GET", url, headers=headers)
            response = self._send(request, cancel)
            try:
                self._raise_for_status(response, uai=uai, year=year, expected=(200,))
                return self._receive_export(
                    response, flux, uai, year, destination, progress, cancel, max_bytes
                )
            finally:
                response.close()

        path = self._with_retries(f"export {flux}", attempt, cancel)
        log.info(
            "export reçu flux=%s uai=%s annee=%s octets=%d duree=%.1fs",
            flux, uai, year, path.stat().st_size, time.monotonic() - started,
        )  # fmt: skip
        return path

    def _receive_export(
        self,
        response: httpx.Response,
        flux: str,
        uai: str,
        year: int,
        destination: Path,
        progress: Progress | None,
        cancel: threading.Event | None,
        max_bytes: int,
    ) -> Path:
        kind = protocol.media_type(response.headers.get("content-type"))
        if kind not in (protocol.XML_TYPE, "text/xml", protocol.ZIP_TYPE):
            raise WrongContentType(kind)
        if response.headers.get("content-encoding", "identity").lower() != "identity":
            # We asked for identity; a transformed body would defeat the size checks.
            raise WrongContentType(f"{kind} ({response.headers['content-encoding']})")
        expected = _content_length(response)
        if expected is not None and expected > max_bytes:
            raise TooLarge(max_bytes, details=f"Content-Length {expected}")
        fd, tmp_name = tempfile.mkstemp(prefix=".telechargement-", suffix=".part", dir=destination)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as sink:
                received = self._stream_body(response, sink, expected, progress, cancel, max_bytes)
            if expected is not None and received != expected:
                raise TruncatedBody(received, expected)
            log.debug("corps reçu flux=%s uai=%s octets=%d", flux, uai, received)
            final = destination / f"{flux}_{uai}_{year:04d}.xml"
            if kind == protocol.ZIP_TYPE:
                self._unzip(tmp, final, max_bytes)
            else:
                _check_looks_like_xml(tmp, kind)
                os.replace(tmp, final)
            return final
        finally:
            tmp.unlink(missing_ok=True)

    def _stream_body(
        self,
        response: httpx.Response,
        sink: IO[bytes],
        expected: int | None,
        progress: Progress | None,
        cancel: threading.Event | None,
        max_bytes: int,
    ) -> int:
        received = 0
        try:
            # iter_raw: the bytes exactly as sent, so counts compare with Content-Length;
            # no chunk size, so progress and cancel follow the network, not a 64 KiB buffer.
            for chunk in response.iter_raw():
                if cancel is not None and cancel.is_set():
                    raise UserCancelled()
                received += len(chunk)
                if received > max_bytes:
                    raise TooLarge(max_bytes, details=f"plus de {received} octets")
                sink.write(chunk)
                if progress is not None:
                    progress(received, expected)
        except httpx.TimeoutException as exc:
            raise NetSynchroTimeout(details=_describe(exc)) from exc
        except httpx.TransportError as exc:
            # The headers arrived, so the handshake and the certificate were
            # fine: a failure now is a cut in the middle of the body.
            ssl_error = _certificate_error(exc)
            if ssl_error is not None:
                raise ssl_error from exc
            raise TruncatedBody(received, expected, details=_describe(exc)) from exc
        if cancel is not None and cancel.is_set():
            raise UserCancelled()  # pressed during the last chunk: still nothing is kept
        return received

    @staticmethod
    def _unzip(archive: Path, final: Path, max_bytes: int) -> None:
        workdir = Path(tempfile.mkdtemp(prefix=".extraction-", dir=final.parent))
        try:
            try:
                extracted = extract_single_xml(archive, workdir, max_size=max_bytes)
            except FormatError as exc:
                if exc.code == "ZIP_TROP_GROS":
                    raise TooLarge(max_bytes, details=exc.code) from exc
                raise CorruptZip(exc.message, details=exc.code) from exc
            os.replace(extracted, final)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    # -- imports -----------------------------------------------------------

    def upload(
        self,
        flux: str,
        uai: str,
        year: int,
        data: str | Path | bytes,
        *,
        tache_id: uuid.UUID | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        max_bytes: int = DEFAULT_MAX_UPLOAD,
    ) -> uuid.UUID:
        """PUT one file to an import resource; return the task id (202 Accepted).

        Pass the ``tache_id`` of an earlier attempt to resend the same
        import: the server answers for the existing task instead of creating
        a second one. The file is streamed from disk, never loaded whole.
        """
        uai = self._check_params(uai, year)
        if flux not in protocol.IMPORT_FLUX:
            raise ValueError(f"unknown import flux {flux!r}")
        tache_id = tache_id or uuid.uuid4()
        size = len(data) if isinstance(data, bytes) else Path(data).stat().st_size
        if size > max_bytes:
            raise TooLarge(max_bytes, details=f"{size} octets")
        head = data[:4] if isinstance(data, bytes) else _read_head(Path(data))
        zipped = head.startswith(b"PK\x03\x04")
        headers = {
            protocol.HEADER_TACHE: str(tache_id),
            protocol.HEADER_RNE: uai,
            "Content-Type": protocol.ZIP_TYPE if zipped else protocol.XML_TYPE,
            "Content-Length": str(size),
            protocol.HEADER_ZIP: "true" if zipped else "false",
        }
        url = self.base_url + protocol.import_path(flux, uai, year)

        def attempt() -> uuid.UUID:
            body = _body_chunks(data, size, progress, cancel)
            request = self._http.build_request("PUT", url, headers=headers, content=body)
            response = self._send(request, cancel)
            try:
                self._raise_for_status(response, uai=uai, year=year, expected=(200, 201, 202))
            finally:
                response.close()
            return tache_id

        self._with_retries(f"envoi {flux}", attempt, cancel)
        log.info("envoi accepté flux=%s uai=%s annee=%s octets=%d tache=%s",
                 flux, uai, year, size, tache_id)  # fmt: skip
        return tache_id

    # -- tasks -------------------------------------------------------------

    def task(self, tache_id: uuid.UUID, *, cancel: threading.Event | None = None) -> TaskReport:
        """Read the task resource once (state, and the compte rendu when finished)."""
        url = self.base_url + protocol.task_path(tache_id)

        def attempt() -> TaskReport:
            response = self._send(self._http.build_request("GET", url), cancel)
            try:
                self._raise_for_status(response, uai=self.uai or "", year=None, expected=(200,))
                body = _read_limited(response, TASK_BODY_LIMIT)
            finally:
                response.close()
            try:
                report = TaskReport.from_xml(body)
            except (ValueError, PasserelleError) as exc:
                raise InvalidResponse(details=f"tache {tache_id}: {type(exc).__name__}") from exc
            if report.tache_id != tache_id:
                raise InvalidResponse(details=f"tache {report.tache_id} au lieu de {tache_id}")
            return report

        return self._with_retries("suivi de tâche", attempt, cancel)

    def wait_for_task(
        self,
        tache_id: uuid.UUID,
        *,
        timeout: float = 600.0,
        poll_initial: float = 1.0,
        poll_max: float = 15.0,
        cancel: threading.Event | None = None,
    ) -> TaskReport:
        """Poll until the task is finished; return its report.

        Raises :class:`TaskRejected` (carrying the report) when the server
        rejected the file, and :class:`NetSynchroTimeout` when it is still
        working after ``timeout`` seconds (it goes on server-side; poll later).
        """
        deadline = time.monotonic() + timeout
        delay = poll_initial
        while True:
            report = self.task(tache_id, cancel=cancel)
            if report.done:
                log.info(
                    "tache terminee tache=%s etat=%s lus=%d rejetes=%d anomalies=%d",
                    tache_id, report.state, report.counters.lus, report.counters.rejetes,
                    len(report.anomalies),
                )  # fmt: skip
                if report.state is TaskState.REJETEE:
                    raise TaskRejected(report)
                return report
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NetSynchroTimeout(
                    "Le serveur NetSynchro n'a pas encore fini de traiter l'envoi. Le "
                    "traitement continue de son côté : consultez son compte rendu plus tard.",
                    details=f"tache {tache_id}",
                )
            self._pause(min(delay, remaining), cancel)
            delay = min(poll_max, delay * 1.6)

    # -- diagnosis ---------------------------------------------------------

    def test_connection(self, uai: str, year: int) -> ConnectionDiagnosis:
        """Check, in order: server reached, TLS handshake, UAI accepted, year open.

        Never raises a :class:`NetSynchroError`: the answer is the diagnosis.
        """
        uai = validate_uai(uai)
        url = self.base_url + protocol.connection_path(uai, year)
        steps = {"reached": False, "handshake": False, "uai": False, "year": False}

        def attempt() -> str:
            response = self._send(self._http.build_request("GET", url), None)
            steps["reached"] = steps["handshake"] = True
            try:
                self._raise_for_status(response, uai=uai, year=year, expected=(200,))
                body = _read_limited(response, ERROR_BODY_LIMIT)
            finally:
                response.close()
            return protocol.parse_connection(body)

        try:
            # One try: a diagnosis answers now, it does not wait out an outage.
            name = attempt()
        except (ServerUnreachable, NetSynchroTimeout, ConnectionInterrupted) as exc:
            return ConnectionDiagnosis(uai, year, False, False, False, False, exc)
        except (ServerCertificateUntrusted, ClientCertificateRefused) as exc:
            return ConnectionDiagnosis(uai, year, True, False, False, False, exc)
        except UAIRefused as exc:
            return ConnectionDiagnosis(uai, year, True, True, False, False, exc)
        except YearRefused as exc:
            return ConnectionDiagnosis(uai, year, True, True, True, False, exc)
        except NetSynchroError as exc:
            return ConnectionDiagnosis(
                uai, year, steps["reached"], steps["handshake"], False, False, exc
            )
        log.info("test de connexion réussi uai=%s annee=%s", uai, year)
        return ConnectionDiagnosis(uai, year, True, True, True, True, None, name)

    # -- plumbing ----------------------------------------------------------

    def _check_params(self, uai: str, year: int) -> str:
        uai = validate_uai(uai)
        if self.uai is not None and uai != self.uai:
            # Checked locally: the certificate in this client is another
            # establishment's, the server would refuse anyway.
            raise UAIRefused(0, None, uai)
        if not is_valid_year(year):
            raise YearRefused(0, None, year)
        return uai

    def _send(self, request: httpx.Request, cancel: threading.Event | None) -> httpx.Response:
        if cancel is not None and cancel.is_set():
            raise UserCancelled()
        try:
            return self._http.send(request, stream=True)
        except _Cancelled as exc:
            raise UserCancelled() from exc
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                raise ServerUnreachable(details=_describe(exc)) from exc
            raise NetSynchroTimeout(details=_describe(exc)) from exc
        except httpx.TransportError as exc:
            raise _transport_error(exc) from exc

    def _raise_for_status(
        self,
        response: httpx.Response,
        *,
        uai: str,
        year: int | None,
        expected: tuple[int, ...],
    ) -> None:
        status = response.status_code
        log.debug("réponse %s %s statut=%d", response.request.method, _route(response), status)
        if status in expected:
            return
        erreur: Erreur | None = None
        if protocol.media_type(response.headers.get("content-type")) in (
            protocol.XML_TYPE,
            "text/xml",
        ):
            with contextlib.suppress(httpx.TransportError, PasserelleError):
                erreur = Erreur.from_xml(_read_limited(response, ERROR_BODY_LIMIT))
        log.warning(
            "refus du serveur %s statut=%d uai=%s code=%s type=%s",
            _route(response), status, uai or "-",
            erreur.code if erreur else "-", erreur.type if erreur else "-",
        )  # fmt: skip
        raise _status_error(status, erreur, response.headers.get("retry-after"), uai, year)

    def _with_retries(
        self, what: str, attempt: Callable[[], T], cancel: threading.Event | None
    ) -> T:
        tries = 0
        while True:
            tries += 1
            if cancel is not None and cancel.is_set():
                raise UserCancelled()
            try:
                return attempt()
            except NetSynchroError as exc:
                if not exc.retryable or tries >= self.retry.attempts:
                    raise
                retry_after = exc.retry_after
                if retry_after is not None and retry_after > self.retry.max_retry_after:
                    raise
                delay = retry_after if retry_after is not None else self.retry.backoff(tries)
                log.warning(
                    "%s : essai %d/%d échoué (%s), nouvel essai dans %.1f s",
                    what, tries, self.retry.attempts, exc.code, delay,
                )  # fmt: skip
                self._pause(delay, cancel)

    def _pause(self, seconds: float, cancel: threading.Event | None) -> None:
        """Wait between tries; a cancel ends the wait at once."""
        if cancel is None:
            time.sleep(seconds)
        elif cancel.wait(seconds):
            raise UserCancelled()


# --- helpers ------------------------------------------------------------------


class _Cancelled(Exception):
    """Raised from inside the request body iterator; turned into UserCancelled."""


def _body_chunks(
    data: str | Path | bytes,
    size: int,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> Iterator[bytes]:
    sent = 0
    if isinstance(data, bytes):
        source: IO[bytes] | _BytesReader = _BytesReader(data)
    else:
        source = open(data, "rb")  # noqa: SIM115 - closed in the finally below
    try:
        while chunk := source.read(CHUNK):
            if cancel is not None and cancel.is_set():
                raise _Cancelled()
            sent += len(chunk)
            yield chunk
            if progress is not None:
                progress(sent, size)
    finally:
        source.close()


class _BytesReader:
    """Chunks of a bytes object without copying it into a BytesIO."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._pos = 0

    def read(self, n: int) -> bytes:
        chunk = bytes(self._view[self._pos : self._pos + n])
        self._pos += len(chunk)
        return chunk

    def close(self) -> None:
        self._view.release()


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(4)


def _read_limited(response: httpx.Response, limit: int) -> bytes:
    buffer = bytearray()
    for chunk in response.iter_raw(CHUNK):
        buffer += chunk
        if len(buffer) > limit:
            raise InvalidResponse(details=f"réponse de plus de {limit} octets")
    return bytes(buffer)


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError as exc:
        raise InvalidResponse(details="Content-Length illisible") from exc
    if length < 0:
        raise InvalidResponse(details="Content-Length négatif")
    return length


def _check_looks_like_xml(path: Path, kind: str) -> None:
    with open(path, "rb") as f:
        head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        raise WrongContentType(f"{kind} (contenu non XML)")


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _status_error(
    status: int, erreur: Erreur | None, retry_after: str | None, uai: str, year: int | None
) -> NetSynchroError:
    if status in (502, 503, 504):
        error = ServerUnavailable(status, erreur)
        error.retry_after = _parse_retry_after(retry_after)
        return error
    if status == 403:
        return UAIRefused(status, erreur, uai)
    if status == 404 and erreur is not None and erreur.type == protocol.METIER:
        # "No data source where this establishment has this year": the year is
        # not (or no longer) open for it.
        return YearRefused(status, erreur, year)
    if status == 400 and erreur is not None:
        # Both published parameter errors share code and type; only the detail
        # says which parameter was wrong, so it picks the explanation we add.
        detail = erreur.detail.lower()
        if "rne" in detail or "uai" in detail:
            return UAIRefused(status, erreur, uai)
        if "année" in detail or "annee" in detail:
            return YearRefused(status, erreur, year)
    if status == 413:
        return TooLarge(0, details=f"HTTP 413 {erreur.message if erreur else ''}")
    return ServerErrorResponse(status, erreur)


def _exception_text(exc: BaseException) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(str(current))
        reason = getattr(current, "reason", None)  # set by OpenSSL, absent when built by hand
        if isinstance(current, ssl.SSLError) and reason:
            parts.append(str(reason))
        current = current.__cause__ or current.__context__
    return " | ".join(parts).upper().replace(" ", "_")


def _certificate_error(exc: BaseException) -> NetSynchroError | None:
    text = _exception_text(exc)
    details = _describe(exc)
    if any(reason.replace(" ", "_") in text for reason in _UNTRUSTED):
        return ServerCertificateUntrusted(details)
    if any(reason in text for reason in _EXPIRED_ALERTS):
        return ClientCertificateExpired(details)
    if any(reason.replace(" ", "_") in text for reason in _REFUSED_ALERTS):
        return ClientCertificateRefused(details)
    return None


def _transport_error(exc: httpx.TransportError) -> NetSynchroError:
    """Map a failure before any response arrived."""
    certificate = _certificate_error(exc)
    if certificate is not None:
        return certificate
    if isinstance(exc, httpx.ConnectError):
        return ServerUnreachable(_describe(exc))
    # ReadError / WriteError / RemoteProtocolError without a TLS alert: the
    # connection was cut (reset, proxy, server restart). Retryable; an upload
    # is safe to resend because it keeps its tacheId.
    return ConnectionInterrupted(_describe(exc))


def _describe(exc: BaseException) -> str:
    """A short technical description for ``details`` (no body content in it)."""
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _route(response: httpx.Response) -> str:
    # The path names the flux, UAI and year only: safe to log.
    return response.request.url.path
