"""``passerelle diagnostic`` (hidden): what the installed program can actually use.

Support and the frozen-build smoke test need to ask the *packaged* program
itself (no ``python -c`` there) whether its parts are present: Qt and its
French catalogue, the migrations, the keyring backends, OpenSSL, the
PostgreSQL driver, the package data. Nothing is written except what Qt and
keyring do on their own; no secret is read.

    passerelle diagnostic [--json] [--tester-tls]

Exit code 0 when every part the program needs was found, 1 otherwise (the
keyring being unavailable in this session is reported, not a failure: it
depends on the session, not on the installation).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import secrets
import ssl
import sys
import tempfile
from typing import Any

from app import __version__
from app.cli._common import print_json

# A qtbase string every catalogue translates; "Annuler" proves the French one loaded.
_QT_PROBE = ("QPlatformTheme", "Cancel")
_QT_PROBE_FR = "Annuler"

# The module of the vault app.security.keyring_policy selects on each platform.
_NATIVE_KEYRING_MODULE = {
    "win32": "keyring.backends.Windows",
    "darwin": "keyring.backends.macOS",
}
_LINUX_KEYRING_MODULE = "keyring.backends.SecretService"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diagnostic",
        # Hidden from the command list: a support tool, not a user command.
        help=argparse.SUPPRESS,
        description="Vérifier les composants de l'installation (assistance technique).",
    )
    parser.add_argument("--json", action="store_true", help="sortie JSON")
    parser.add_argument(
        "--tester-tls",
        action="store_true",
        help="établir une connexion TLS mutuelle en mémoire avec un certificat de test",
    )
    parser.set_defaults(handler=run)
    _hide_from_command_list(subparsers, "diagnostic")


def _hide_from_command_list(subparsers: Any, name: str) -> None:
    # argparse lists every sub-command in {a,b,c} and in the help even with
    # help=SUPPRESS; drop the pseudo-action it added for this one.
    actions = getattr(subparsers, "_choices_actions", [])
    subparsers._choices_actions = [a for a in actions if getattr(a, "dest", None) != name]


def run(args: argparse.Namespace) -> int:
    report: dict[str, Any] = {
        "version": __version__,
        "fige": bool(getattr(sys, "frozen", False)),
        "python": platform.python_version(),
        "plateforme": platform.platform(),
    }
    problems: list[str] = []
    for name, probe in (
        ("dossier_donnees", _data_dir),
        ("qt", _qt),
        ("migrations", _migrations),
        ("trousseau", _keyring),
        ("openssl", _openssl),
        ("postgresql", _postgresql),
        ("donnees_paquet", _package_data),
    ):
        report[name] = _run_probe(probe, problems, name)
    if args.tester_tls:
        report["tls"] = _run_probe(_tls_round_trip, problems, "tls")
    report["problemes"] = problems
    if args.json:
        print_json(report)
    else:
        _print_text(report)
    return 1 if problems else 0


def _run_probe(probe: Any, problems: list[str], name: str) -> dict[str, Any]:
    try:
        result: dict[str, Any] = probe()
    except Exception as exc:  # a diagnostic reports every failure instead of stopping
        result = {"ok": False, "erreur": f"{type(exc).__name__}: {exc}"}
    if not result.get("ok", True):
        problems.append(f"{name} : {result.get('erreur') or 'en échec'}")
    return result


def _data_dir() -> dict[str, Any]:
    from app import paths

    return {"ok": True, "chemin": str(paths.data_dir())}


def _qt() -> dict[str, Any]:
    from app.gui.diagnostic import qt_report

    return qt_report(_QT_PROBE, _QT_PROBE_FR)


def _migrations() -> dict[str, Any]:
    from app.store import migrate

    directory = migrate.migrations_dir()
    revisions = migrate.revisions()
    return {
        "ok": bool(revisions),
        "dossier": str(directory),
        "tete": migrate.head_revision(),
        "revisions": revisions,
    }


def _keyring() -> dict[str, Any]:
    import keyring

    from app.security import keyring_policy

    module_name = _NATIVE_KEYRING_MODULE.get(sys.platform, _LINUX_KEYRING_MODULE)
    try:
        importlib.import_module(module_name)
        module_present = True
    except ImportError:
        module_present = False
    current = keyring.get_keyring()
    reason = keyring_policy.refusal_reason(current)
    try:
        usable = type(keyring_policy.native_backend())
        native_usable = f"{usable.__module__}.{usable.__qualname__}"
    except Exception:  # refused here: reported below, the session decides
        native_usable = None
    return {
        # The installation is fine when the native backend's code is bundled;
        # whether a vault is reachable depends on the session.
        "ok": module_present,
        "courant": f"{type(current).__module__}.{type(current).__qualname__}",
        "accepte": reason is None,
        "raison_refus": reason,
        "module_natif": module_name,
        "module_natif_present": module_present,
        "natif_disponible": native_usable is not None,
        **({} if module_present else {"erreur": f"module {module_name} absent"}),
    }


def _openssl() -> dict[str, Any]:
    from cryptography.hazmat.backends.openssl.backend import backend

    return {
        "ok": True,
        "ssl": ssl.OPENSSL_VERSION,
        "cryptography": backend.openssl_version_text(),
    }


def _postgresql() -> dict[str, Any]:
    import psycopg

    implementation = psycopg.pq.__impl__
    return {
        "ok": implementation in {"binary", "c"},
        "psycopg": psycopg.__version__,
        "implementation": implementation,
        "libpq": psycopg.pq.version(),
    }


def _package_data() -> dict[str, Any]:
    from app.formats.sts import writer

    # An empty document against the bundled XSD: the schema must load and refuse it.
    problems = writer.edt_sts_problems(writer.XML_HEADER + b"<STS_EDT/>")
    return {"ok": bool(problems), "edt_sts.xsd": "chargé" if problems else "?"}


# ------------------------------------------------------------------ TLS check


def _tls_round_trip() -> dict[str, Any]:
    """Mutual TLS between two in-memory endpoints: no socket, no network.

    The client side is built exactly as for NetSynchro
    (``app.security.tls.client_ssl_context``), with a freshly generated
    certificate; the server demands and checks it.
    """
    import httpx

    from app.security.tls import client_ssl_context

    server_key, server_cert = _self_signed("localhost")
    client_key, client_cert = _self_signed("0000000X diagnostic")
    client = client_ssl_context(client_key, client_cert, [])
    client.load_verify_locations(cadata=_pem(server_cert))
    server = _server_context(server_key, server_cert, client_cert)

    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c_conn = client.wrap_bio(c_in, c_out, server_hostname="localhost")
    s_conn = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):
        for side, conn, out, peer_in in (
            ("client", c_conn, c_out, s_in),
            ("server", s_conn, s_out, c_in),
        ):
            if not done[side]:
                try:
                    conn.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
            data = out.read()
            if data:
                peer_in.write(data)
        if all(done.values()):
            break
    c_conn.write(b"ping")
    s_in.write(c_out.read())
    echoed = s_conn.read(4)
    peer = s_conn.getpeercert()
    # The context must also be accepted by the HTTP client the app uses.
    httpx.Client(verify=client).close()
    ok = all(done.values()) and echoed == b"ping" and bool(peer)
    return {
        "ok": ok,
        "protocole": c_conn.version(),
        "chiffrement": (c_conn.cipher() or ("?",))[0],
        "certificat_client_vu_par_le_serveur": bool(peer),
        "httpx": httpx.__version__,
        **({} if ok else {"erreur": "la poignée de main TLS n'a pas abouti"}),
    }


def _self_signed(common_name: str) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _pem(cert: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return str(cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))


def _server_context(key: Any, cert: Any, client_cert: Any) -> ssl.SSLContext:
    # The server side is a throwaway double; its key is handed to OpenSSL
    # encrypted, like the client's (engineering-notes §2).
    from cryptography.hazmat.primitives import serialization

    passphrase = secrets.token_urlsafe(24).encode("ascii")
    pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=_pem(client_cert))
    directory = tempfile.mkdtemp(prefix="passerelle-diag-")
    path = os.path.join(directory, "serveur.pem")
    try:
        with open(path, "wb") as handle:
            handle.write(pem)
        ctx.load_cert_chain(path, password=passphrase)
    finally:
        os.remove(path)
        os.rmdir(directory)
    return ctx


# ------------------------------------------------------------------- display


def _print_text(report: dict[str, Any]) -> None:
    qt = report["qt"]
    keyring_ = report["trousseau"]
    mig = report["migrations"]
    lines = [
        f"Passerelle {report['version']}" + (" (programme installé)" if report["fige"] else ""),
        f"Python {report['python']} — {report['plateforme']}",
        f"Dossier de données : {report['dossier_donnees'].get('chemin', '?')}",
        f"Qt {qt.get('qt', '?')} (PySide6 {qt.get('pyside6', '?')}), catalogue français : "
        + ("chargé" if qt.get("catalogue_fr") else "absent"),
        f"Structure de la base : révision {mig.get('tete', '?')} ({mig.get('dossier', '?')})",
        f"Trousseau : {keyring_.get('courant', '?')} — "
        + ("accepté" if keyring_.get("accepte") else f"refusé ({keyring_.get('raison_refus')})"),
        f"OpenSSL : {report['openssl'].get('ssl', '?')}; cryptography : "
        f"{report['openssl'].get('cryptography', '?')}",
        f"PostgreSQL : psycopg {report['postgresql'].get('psycopg', '?')} "
        f"({report['postgresql'].get('implementation', '?')})",
    ]
    if "tls" in report:
        tls = report["tls"]
        lines.append(
            "TLS mutuel en mémoire : "
            + (f"réussi ({tls.get('protocole')}, {tls.get('chiffrement')})" if tls.get("ok")
               else "en échec")
        )
    for problem in report["problemes"]:
        lines.append(f"PROBLÈME — {problem}")
    print("\n".join(lines))
