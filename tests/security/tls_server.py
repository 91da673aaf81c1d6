"""A real local HTTPS server requiring client certificates (``ssl`` + ``http.server``)."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from app.demo.pki import DemoPKI


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        der = self.request.getpeercert(True) if isinstance(self.request, ssl.SSLSocket) else None
        body = b""
        if der:
            cert = x509.load_der_x509_certificate(der)
            common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            body = str(common[0].value).encode("utf-8") if common else b""
        # Echo the client certificate's CN: proves the server really received it.
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # refused handshakes are the point of some tests


@contextmanager
def https_server(
    server_pki: DemoPKI,
    client_ca: DemoPKI,
    directory: Path,
    *,
    tls_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3,
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
) -> Iterator[int]:
    """Serve on 127.0.0.1 (port 0) with a ``server_pki`` certificate, trusting only
    client certificates issued by ``client_ca``; yields the port."""
    cert_path, key_path = server_pki.issue_server(hosts).write_pem_files(directory)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = tls_version
    ctx.maximum_version = tls_version
    ctx.load_cert_chain(cert_path, key_path)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=client_ca.ca_pem().decode("ascii"))
    server = _Server(("127.0.0.1", 0), _Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
