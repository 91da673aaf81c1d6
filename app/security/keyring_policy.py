"""Which OS keyring holds the certificate secrets, and which ones are refused.

keyring's automatic choice is unsafe for us: without D-Bus it silently falls
back to ``fail.Keyring``, ``PYTHON_KEYRING_BACKEND`` can select ``null.Keyring``
(every read returns None, i.e. "certificate lost"), and if keyrings.alt is
installed its *plaintext* file backend wins (engineering-notes §1). So the app
selects the native backend explicitly at start-up and every secret access goes
through :func:`secure_backend`, which refuses anything else.

Tests install :class:`app.security.memory_keyring.MemoryKeyring` with
``keyring.set_keyring``; it is accepted because it declares itself as an
explicit test backend (it is never discovered automatically).
"""

from __future__ import annotations

import logging
import sys

import keyring
import keyring.core
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend

from app.security.errors import KeyringUnavailable

log = logging.getLogger(__name__)

SERVICE = "Passerelle NetSynchro"

# Module/class pairs of real OS vaults. KWallet is accepted when already
# chosen (KDE sessions) but never selected by us.
_NATIVE = {
    ("keyring.backends.Windows", "WinVaultKeyring"),
    ("keyring.backends.macOS", "Keyring"),
    ("keyring.backends.SecretService", "Keyring"),
    ("keyring.backends.libsecret", "Keyring"),
    ("keyring.backends.kwallet", "DBusKeyring"),
}

_NATIVE_BY_PLATFORM = {
    "win32": "keyring.backends.Windows.WinVaultKeyring",
    "darwin": "keyring.backends.macOS.Keyring",
}

_HINT = {
    "win32": "le Gestionnaire d'identification de Windows n'est pas accessible",
    "darwin": "le trousseau d'accès de macOS n'est pas accessible",
}
_LINUX_HINT = (
    "aucun trousseau Secret Service (GNOME Keyring, KWallet…) n'est disponible dans "
    "cette session"
)


def _name(backend: KeyringBackend) -> tuple[str, str]:
    cls = type(backend)
    return cls.__module__, cls.__qualname__


def _is_test_backend(backend: KeyringBackend) -> bool:
    return bool(getattr(type(backend), "passerelle_test_backend", False))


def refusal_reason(backend: KeyringBackend) -> str | None:
    """Why ``backend`` may not hold secrets (French), or None when acceptable."""
    module, qualname = _name(backend)
    if module.startswith("keyrings.alt") or "plaintext" in qualname.lower():
        return (
            "le trousseau configuré enregistre les secrets dans un simple fichier "
            "(keyrings.alt), ce qui n'est pas sûr"
        )
    if module == "keyring.backends.fail":
        return _HINT.get(sys.platform, _LINUX_HINT)
    if module == "keyring.backends.null":
        return "le trousseau est désactivé (PYTHON_KEYRING_BACKEND ou keyringrc.cfg)"
    if isinstance(backend, ChainerBackend):
        members = list(backend.backends)
        if not members:
            return _HINT.get(sys.platform, _LINUX_HINT)
        for member in members:
            reason = refusal_reason(member)
            if reason is not None:
                return reason
        return None
    if (module, qualname) in _NATIVE or _is_test_backend(backend):
        return None
    return f"le trousseau « {module}.{qualname} » n'est pas un trousseau du système reconnu"


def _refuse(reason: str) -> KeyringUnavailable:
    return KeyringUnavailable(
        "Passerelle ne peut pas utiliser de façon sûre le trousseau du système, où "
        f"est gardé le secret du certificat NetSynchro : {reason}. Aucun certificat "
        "n'a été enregistré ni modifié. Ouvrez une session normale sur ce poste (ou "
        "demandez au service informatique d'activer le trousseau du système), puis "
        "recommencez."
    )


def native_backend() -> KeyringBackend:
    """The OS vault for this platform, checked to be usable right now."""
    name = _NATIVE_BY_PLATFORM.get(sys.platform, "keyring.backends.SecretService.Keyring")
    try:
        # load_keyring evaluates ``priority``, which raises when the vault is
        # unusable right now (no D-Bus session, no daemon, missing module).
        backend = keyring.core.load_keyring(name)
    except Exception as exc:  # backends raise RuntimeError, ImportError, D-Bus errors
        log.warning("native keyring unavailable: %s", type(exc).__name__)
        raise _refuse(_HINT.get(sys.platform, _LINUX_HINT)) from exc
    return backend


def install_native_keyring() -> KeyringBackend:
    """Select the platform's vault for the whole process (called at start-up)."""
    backend = native_backend()
    keyring.set_keyring(backend)
    log.info("keyring backend: %s.%s", *_name(backend))
    return backend


def secure_backend() -> KeyringBackend:
    """The current keyring backend, or :class:`KeyringUnavailable` if it is unsafe."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # discovery itself can fail on broken D-Bus setups
        raise _refuse(_HINT.get(sys.platform, _LINUX_HINT)) from exc
    reason = refusal_reason(backend)
    if reason is not None:
        log.warning("keyring backend refused: %s.%s", *_name(backend))
        raise _refuse(reason)
    return backend


def ensure_secure_keyring() -> KeyringBackend:
    """The current backend if acceptable, otherwise the native one, installed.

    For entry points (CLI commands) that may run before the GUI's start-up
    selection: an explicitly installed backend (a test's in-memory one, the
    app's native choice) is kept; an unsafe default (fail, null, keyrings.alt)
    is replaced by the OS vault, or refused when there is none.
    """
    try:
        return secure_backend()
    except KeyringUnavailable:
        return install_native_keyring()
