"""The NetSynchro sandbox: a real HTTPS server with client certificates on loopback.

It plays both ministry sides for tests and the demo: its own CA stands in for
« Gestion Identité Numérique » and issues one password-protected PKCS#12 per
demo establishment; the server speaks the protocol of
``docs/netsynchro-protocol.md`` (exports, imports, tasks, errors), takes the
establishment from the client certificate and refuses any other UAI in the
URL, and serves realistic generated SIECLE and STS data.

Robustness: the TLS handshake runs in the connection's worker thread (a slow
or hostile client cannot stall the accept loop), worker threads are daemons,
each connection serves a bounded number of requests with an idle timeout, and
:meth:`Sandbox.stop` shuts every open connection down.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import socket
import ssl
import struct
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from cryptography import x509

from app.demo.pki import DemoPKI, Issued
from app.domain.school_year import default_year, is_valid_year
from app.domain.uai import is_valid_uai, validate_uai
from app.errors import PasserelleError
from app.formats.archive import extract_single_xml, looks_like_zip
from app.netsynchro import protocol
from app.netsynchro.protocol import Anomaly, AnomalyKind, Erreur, TaskReport, TaskState
from app.netsynchro.sandbox.checks import CheckResult, check_edt_sts, check_eleve_groupe
from app.netsynchro.sandbox.data import DemoData, Establishment
from app.netsynchro.sandbox.faults import Fault, FaultKind, Faults
from app.security.certificates import uais_in_certificate

log = logging.getLogger(__name__)

DEFAULT_ESTABLISHMENTS: tuple[tuple[str, str], ...] = (
    ("0750654D", "Collège Jean Moulin (démonstration)"),
    ("0920131T", "Lycée Marie Curie (démonstration)"),
)
BASE_PATH = "/netsynchro"
STATE_FILE = "etat.json"
FAULTS_FILE = "pannes.json"
CHUNK = 64 * 1024
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 15.0
MAX_REQUESTS_PER_CONNECTION = 200
MAX_UPLOAD = 64 * 1024 * 1024

_EXPORT_RE = re.compile(r"^/flux-netsync/exports/xml/([^/]+)/([^/]+)/([^/]+)$")
_IMPORT_RE = re.compile(r"^/flux-netsync/imports/prive/([^/]+)/([^/]+)/([^/]+)$")
_TASK_RE = re.compile(r"^/flux-netsync/taches/([^/]+)$")
_CONNECTION_RE = re.compile(r"^/flux-netsync/connexion/([^/]+)/([^/]+)$")

_PROXY_PAGE = (
    b"<!DOCTYPE html><html><head><title>Authentification requise</title></head>"
    b"<body><p>Veuillez vous identifier sur le portail.</p></body></html>"
)


@dataclass
class _Task:
    tache_id: uuid.UUID
    flux: str
    uai: str
    year: int
    digest: str
    path: Path
    received: dt.datetime
    ready_at: float
    result: CheckResult | None = None
    finished: dt.datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self) -> TaskReport:
        if self.result is None:
            return TaskReport(self.tache_id, self.flux, self.uai, self.year, TaskState.EN_COURS,
                              self.received)  # fmt: skip
        return TaskReport(
            self.tache_id, self.flux, self.uai, self.year, self.result.state, self.received,
            self.finished, self.result.counters, tuple(self.result.anomalies),
        )  # fmt: skip


@dataclass(frozen=True)
class RequestRecord:
    """One request as the sandbox saw it (status 0: no answer, connection cut)."""

    method: str
    path: str
    status: int
    uai: str


class Sandbox:
    """A local NetSynchro server. ``start()`` returns the base URL; ``stop()`` ends it."""

    def __init__(
        self,
        directory: str | Path,
        port: int = 0,
        year: int | None = None,
        establishments: Sequence[tuple[str, str]] = DEFAULT_ESTABLISHMENTS,
        seed: int = 2024,
        *,
        host: str = "127.0.0.1",
        students: int = 400,
        task_delay: float = 0.3,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port
        self.year = year if year is not None else default_year()
        self.seed = seed
        self.task_delay = task_delay
        self.establishments = [Establishment(validate_uai(u), n) for u, n in establishments]
        self.data = DemoData(self.directory / "donnees", self.establishments, self.year, seed,
                             students)  # fmt: skip
        self.faults = Faults(self.directory / FAULTS_FILE)
        self.pki = DemoPKI()
        self.ca_file = self.pki.write_ca_pem(self.directory / "ca.pem")
        self.client_certificates: dict[str, Issued] = {}
        self.passwords: dict[str, str] = {}
        self._tasks: dict[uuid.UUID, _Task] = {}
        self._tasks_lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._records_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> str:
        if self._httpd is not None:
            return self.url
        server_dir = self.directory / "serveur"
        cert_file, key_file = self.pki.issue_server(("localhost", "127.0.0.1")).write_pem_files(
            server_dir
        )
        self._issue_client_certificates()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=self.pki.ca_pem().decode("ascii"))
        context.load_cert_chain(cert_file, key_file)
        self._httpd = _Server((self.host, self.port), _Handler, self, context)
        self.port = self._httpd.server_address[1]
        self._url = f"https://{self.host}:{self.port}{BASE_PATH}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"bac-a-sable-{self.port}", daemon=True,
        )  # fmt: skip
        self._thread.start()
        self.write_state()
        log.info("bac à sable démarré port=%d etablissements=%d", self.port,
                 len(self.establishments))  # fmt: skip
        return self._url

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        log.info("bac à sable arrêté port=%d", self.port)

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the sandbox is not started")
        return self._url

    # -- certificates --------------------------------------------------------

    def _issue_client_certificates(self) -> None:
        target = self.directory / "certificats"
        target.mkdir(parents=True, exist_ok=True)
        for est in self.establishments:
            issued = self.pki.issue_client(est.uai, name=est.name)
            password = secrets.token_urlsafe(12)
            _write_private(target / f"{est.uai}.p12", issued.pkcs12(password.encode("utf-8")))
            self.client_certificates[est.uai] = issued
            self.passwords[est.uai] = password

    def certificate_file(self, uai: str) -> Path:
        return self.directory / "certificats" / f"{uai}.p12"

    def write_state(self) -> Path:
        """``etat.json``: what a client needs to connect (demo secrets included, by design)."""
        state = {
            "url": self.url,
            "ca": str(self.ca_file.resolve()),
            "annee": self.year,
            "certificats": {
                uai: {"fichier": str(self.certificate_file(uai).resolve()),
                      "mot_de_passe": self.passwords[uai]}
                for uai in self.passwords
            },
        }  # fmt: skip
        path = self.directory / STATE_FILE
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, ensure_ascii=False, indent=2)
        os.replace(tmp, path)
        return path

    # -- observation (tests) ------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._records_lock:
            return list(self._records)

    def clear_requests(self) -> None:
        with self._records_lock:
            self._records.clear()

    def _record(self, record: RequestRecord) -> None:
        with self._records_lock:
            self._records.append(record)

    def tasks(self) -> list[TaskReport]:
        with self._tasks_lock:
            return [t.report() for t in self._tasks.values()]

    # -- protocol ----------------------------------------------------------

    def _establishment(self, uai: str) -> Establishment | None:
        return next((e for e in self.establishments if e.uai == uai), None)

    def _register_task(
        self, tache_id: uuid.UUID, flux: str, uai: str, year: int, digest: str, body: Path
    ) -> tuple[_Task, bool]:
        """The task for this id, created if new; False when the id is already taken
        by a *different* upload."""
        with self._tasks_lock:
            task = self._tasks.get(tache_id)
            if task is not None:
                same = (task.flux, task.uai, task.year, task.digest) == (flux, uai, year, digest)
                body.unlink(missing_ok=True)
                return task, same
            final = body.with_name(f"{tache_id}.xml")
            if looks_like_zip(body):
                extracted = extract_single_xml(body, body.parent / f".{tache_id}")
                os.replace(extracted, final)
                shutil.rmtree(extracted.parent, ignore_errors=True)
                body.unlink(missing_ok=True)
            else:
                os.replace(body, final)
            task = _Task(tache_id, flux, uai, year, digest, final,
                         dt.datetime.now(dt.UTC).replace(microsecond=0),
                         time.monotonic() + self.task_delay)  # fmt: skip
            self._tasks[tache_id] = task
            log.info("tache creee tache=%s flux=%s uai=%s", tache_id, flux, uai)
            return task, True

    def _task_for(self, tache_id: uuid.UUID, uai: str) -> TaskReport | None:
        with self._tasks_lock:
            task = self._tasks.get(tache_id)
        # Another establishment's task does not exist, as far as this one knows.
        if task is None or task.uai != uai:
            return None
        with task.lock:
            if task.result is None and time.monotonic() >= task.ready_at:
                task.result = self._process(task)
                task.finished = dt.datetime.now(dt.UTC).replace(microsecond=0)
            return task.report()

    def _process(self, task: _Task) -> CheckResult:
        try:
            if task.flux == "edt-sts":
                return check_edt_sts(task.path, self.data.sts_data(task.uai), task.uai, task.year)
            return check_eleve_groupe(task.path, self.data.siecle_picture(task.uai), task.uai,
                                      task.year)  # fmt: skip
        except PasserelleError as exc:
            return CheckResult(TaskState.REJETEE, anomalies=[
                Anomaly(AnomalyKind.REJ, exc.code, exc.message, "fichier")])  # fmt: skip


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        sandbox: Sandbox,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(address, handler)
        self.sandbox = sandbox
        self.context = context
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake happens here, in the connection's own thread.
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.context.wrap_socket(request, server_side=True,
                                           do_handshake_on_connect=False)  # fmt: skip
        except OSError:
            return
        with self._connections_lock:
            self._connections.add(tls)
        try:
            try:
                tls.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                log.info("poignée de main TLS refusée : %s", getattr(exc, "reason", None) or exc)
                _linger(tls)
                return
            tls.settimeout(IDLE_TIMEOUT)
            _Handler(tls, client_address, self)
        finally:
            with self._connections_lock:
                self._connections.discard(tls)
            with contextlib.suppress(OSError):
                tls.close()

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("bac à sable : connexion terminée sur une erreur", exc_info=True)


def _linger(tls: ssl.SSLSocket) -> None:
    """After a refused handshake, read what the client already sent before closing.

    Closing with unread data makes the kernel send a TCP reset, which can
    overtake our TLS alert: the client would see "connection reset" instead of
    "certificate refused". TLS 1.3 clients send their request right after
    their half of the handshake, so there usually is unread data.
    """
    deadline = time.monotonic() + 1.0
    with contextlib.suppress(OSError):
        tls.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                # The raw socket's recv: the TLS session is dead, only bytes matter.
                if not socket.socket.recv(tls, CHUNK):
                    break
            except TimeoutError:
                continue


class _Abort(Exception):
    """The connection was deliberately cut (fault injection)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NetSynchro-BacASable/1.0"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.sandbox = self.server.sandbox
        self.cert_uai = ""
        self._method, self._rel, self._recorded = "", "", True
        der = self.connection.getpeercert(binary_form=True)
        if der:
            found = uais_in_certificate(x509.load_der_x509_certificate(der))
            self.cert_uai = found[0] if len(found) == 1 else ""

    def handle(self) -> None:
        # Bounded keep-alive loop: a client cannot hold a thread forever.
        self.close_connection = True
        self.handle_one_request()
        served = 1
        while (
            not self.close_connection
            and served < MAX_REQUESTS_PER_CONNECTION
            and not self.server.stopping.is_set()
        ):
            self.handle_one_request()
            served += 1

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("bac à sable : " + format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # requests are recorded by _record, never with their bodies

    # -- dispatch ------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        rel = path[len(BASE_PATH):] if path.startswith(BASE_PATH + "/") else path
        self._method, self._rel, self._recorded = method, rel, False
        try:
            fault = self.sandbox.faults.take(method, rel)
            if fault is not None and not self._apply_pre_fault(fault, method):
                return
            self._route(method, rel, fault)
        except _Abort:
            self.close_connection = True
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        finally:
            self._record(0)

    def _record(self, status: int) -> None:
        """Log the request once, *before* its last byte leaves: a test that has its
        answer must find it in :attr:`Sandbox.requests`."""
        if not self._recorded:
            self._recorded = True
            self.sandbox._record(RequestRecord(self._method, self._rel, status, self.cert_uai))

    def _apply_pre_fault(self, fault: Fault, method: str) -> bool:
        """Faults acting before the route; False when the request is finished."""
        if fault.kind is FaultKind.DELAY:
            if self.server.stopping.wait(fault.delay):
                raise _Abort()  # stopping: never answer after stop() began
            return True
        if fault.kind is FaultKind.CLOSE:
            self._record(0)
            raise _Abort()
        if fault.kind is FaultKind.STATUS:
            self._discard_body()
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.erreur is not None:
                self._send(fault.status, protocol.XML_TYPE + "; charset=UTF-8",
                           fault.erreur.to_xml(), extra=extra)  # fmt: skip
            else:
                self._send(fault.status, "text/plain; charset=utf-8", b"", extra=extra)
            return False
        if fault.kind is FaultKind.CONTENT_TYPE:
            self._discard_body()
            self._send(200, fault.content_type, _PROXY_PAGE)
            return False
        if fault.kind is FaultKind.RESET and method == "PUT":
            self._read_body_prefix(fault.after_bytes)
            self._reset()
        return True

    def _route(self, method: str, rel: str, fault: Fault | None) -> None:
        if method == "GET" and (m := _EXPORT_RE.match(rel)):
            return self._export(m.group(1), m.group(2), m.group(3), fault)
        if method == "PUT" and (m := _IMPORT_RE.match(rel)):
            return self._import(m.group(1), m.group(2), m.group(3), fault)
        if method == "GET" and (m := _TASK_RE.match(rel)):
            return self._task(m.group(1), fault)
        if method == "GET" and (m := _CONNECTION_RE.match(rel)):
            return self._connection(m.group(1), m.group(2), fault)
        self._discard_body()
        if any(r.match(rel) for r in (_EXPORT_RE, _IMPORT_RE, _TASK_RE, _CONNECTION_RE)):
            return self._erreur(405, Erreur.parametres("Méthode non prise en charge"))
        return self._erreur(404, Erreur.parametres("Ressource inconnue"))

    # -- checks shared by every resource -------------------------------------

    def _check_scope(self, uai: str, year_text: str) -> int | None:
        """The year if UAI, year and certificate allow the call; None once refused."""
        if not is_valid_uai(uai) or uai != uai.upper():
            self._erreur(400, Erreur.parametres("Le code UAI demandé n'est pas valide"))
            return None
        if not (len(year_text) == 4 and year_text.isdigit() and is_valid_year(int(year_text))):
            self._erreur(400, Erreur.parametres("L'année scolaire demandée n'est pas valide"))
            return None
        if uai != self.cert_uai or self.sandbox._establishment(uai) is None:
            self._erreur(403, Erreur.metier(
                f"Le certificat présenté ne donne pas accès à l'établissement {uai}"))  # fmt: skip
            return None
        year = int(year_text)
        if year != self.sandbox.year:
            self._erreur(404, Erreur.metier(
                f"Aucune source de données ne contient l'établissement {uai} avec l'année "
                f"{year} comme année scolaire en cours"))  # fmt: skip
            return None
        return year

    # -- resources -----------------------------------------------------------

    def _export(self, flux: str, uai: str, year_text: str, fault: Fault | None) -> None:
        if flux not in protocol.EXPORT_FLUX:
            return self._erreur(404, Erreur.parametres(f"Le flux d'export « {flux} » n'existe pas"))
        year = self._check_scope(uai, year_text)
        if year is None:
            return None
        zipped = self.headers.get(protocol.HEADER_ZIP, "false").strip().lower() == "true"
        source = self.sandbox.data.export_file(flux, uai, zipped=zipped)
        kind = protocol.ZIP_TYPE if zipped else f"{protocol.XML_TYPE}; charset=ISO-8859-15"
        log.info("export servi flux=%s uai=%s zip=%s octets=%d", flux, uai, zipped,
                 source.stat().st_size)  # fmt: skip
        self._send(200, kind, source, fault=fault)
        return None

    def _import(self, flux: str, uai: str, year_text: str, fault: Fault | None) -> None:
        if flux not in protocol.IMPORT_FLUX:
            self._discard_body()
            return self._erreur(404, Erreur.parametres(f"Le flux d'import « {flux} » n'existe pas"))
        year = self._check_scope(uai, year_text)
        if year is None:
            self._discard_body()
            return None
        try:
            tache_id = uuid.UUID(self.headers.get(protocol.HEADER_TACHE, ""))
        except ValueError:
            self._discard_body()
            return self._erreur(400, Erreur.parametres("L'en-tête tacheId est absent ou invalide"))
        if self.headers.get(protocol.HEADER_RNE, "").strip().upper() != uai:
            self._discard_body()
            return self._erreur(400, Erreur.parametres(
                "L'en-tête codeRne ne correspond pas à l'établissement de l'adresse"))  # fmt: skip
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            return self._erreur(411, Erreur.parametres("Content-Length obligatoire"))
        if int(length) > MAX_UPLOAD:
            self.close_connection = True
            return self._erreur(413, Erreur.parametres("Le fichier envoyé est trop volumineux"))
        if protocol.media_type(self.headers.get("Content-Type")) not in (
            protocol.XML_TYPE, protocol.ZIP_TYPE,
        ):  # fmt: skip
            self._discard_body()
            return self._erreur(415, Erreur.parametres("Type de contenu non pris en charge"))
        body, digest = self._receive_body(int(length))
        try:
            task, same = self.sandbox._register_task(tache_id, flux, uai, year, digest, body)
        except PasserelleError as exc:
            return self._erreur(400, Erreur.parametres(f"Archive refusée : {exc.message}"))
        if not same:
            return self._erreur(409, Erreur.metier(
                f"La tâche {tache_id} existe déjà pour un autre envoi"))  # fmt: skip
        if fault is not None and fault.kind is FaultKind.RESET_AFTER:
            self._reset()
        self._send(202, protocol.XML_TYPE + "; charset=UTF-8", task.report().to_xml(),
                   extra={"Location": self.sandbox.url + protocol.task_path(tache_id)})  # fmt: skip
        return None

    def _task(self, text: str, fault: Fault | None) -> None:
        try:
            tache_id = uuid.UUID(text)
        except ValueError:
            return self._erreur(400, Erreur.parametres("Identifiant de tâche invalide"))
        report = self.sandbox._task_for(tache_id, self.cert_uai)
        if report is None:
            return self._erreur(404, Erreur.parametres(f"La tâche {tache_id} est inconnue"))
        self._send(200, protocol.XML_TYPE + "; charset=UTF-8", report.to_xml(), fault=fault)
        return None

    def _connection(self, uai: str, year_text: str, fault: Fault | None) -> None:
        year = self._check_scope(uai, year_text)
        if year is None:
            return
        est = self.sandbox._establishment(uai)
        body = protocol.connection_body(uai, year, est.name if est else "")
        self._send(200, protocol.XML_TYPE + "; charset=UTF-8", body, fault=fault)

    # -- bodies ----------------------------------------------------------------

    def _receive_body(self, length: int) -> tuple[Path, str]:
        incoming = self.sandbox.directory / "imports"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".recu-", dir=incoming)
        digest = hashlib.sha256()
        left = length
        try:
            with os.fdopen(fd, "wb") as sink:
                while left > 0:
                    chunk = self.rfile.read(min(CHUNK, left))
                    if not chunk:
                        self._record(0)
                        raise _Abort()  # the client went away mid-upload: no task
                    digest.update(chunk)
                    sink.write(chunk)
                    left -= len(chunk)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Path(name), digest.hexdigest()

    def _read_body_prefix(self, count: int) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        with contextlib.suppress(OSError):
            self.rfile.read(min(count, length))

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return
        left = int(length)
        if left > MAX_UPLOAD:
            self.close_connection = True
            return
        while left > 0:
            chunk = self.rfile.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)

    def _erreur(self, status: int, erreur: Erreur) -> None:
        self._send(status, protocol.XML_TYPE + "; charset=UTF-8", erreur.to_xml())

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes | Path,
        *,
        fault: Fault | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        if fault is not None and fault.kind is FaultKind.BODY and fault.body is not None:
            body = fault.body
        size = body.stat().st_size if isinstance(body, Path) else len(body)
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        limit = size
        if fault is not None and fault.kind in (FaultKind.RESET, FaultKind.TRUNCATE):
            limit = min(size, fault.after_bytes)
        step = CHUNK
        if fault is not None and fault.kind is FaultKind.DRIP:
            step = max(1, fault.chunk)
        sent = 0
        with _open(body) as source:
            while sent < limit:
                chunk = source.read(min(step, limit - sent))
                if not chunk:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
                if step != CHUNK and self.server.stopping.wait(fault.interval if fault else 0):
                    raise _Abort()
        if fault is not None and fault.kind is FaultKind.RESET:
            # Let the client read what was sent: a reset discards data still unread
            # in its buffer, and this fault means "cut in the middle of the body".
            self.server.stopping.wait(0.2)
            self._reset()
        if fault is not None and fault.kind is FaultKind.TRUNCATE:
            # A clean close short of Content-Length: the client must notice.
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            raise _Abort()

    def _reset(self) -> None:
        """Cut the connection with a TCP reset (SO_LINGER 0), as a failing network would."""
        self._record(0)
        with contextlib.suppress(OSError, ValueError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))  # fmt: skip
            # The file objects hold references to the socket: while they are
            # open, close() would not release the descriptor (and no reset).
            self.rfile.close()
            self.wfile.close()
            socket.socket.close(self.connection)
        raise _Abort()


@contextlib.contextmanager
def _open(body: bytes | Path) -> Iterator[IO[bytes]]:
    if isinstance(body, Path):
        with open(body, "rb") as handle:
            yield handle
    else:
        yield io.BytesIO(body)
