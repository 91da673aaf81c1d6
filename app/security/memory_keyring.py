"""An in-memory keyring backend for tests (installed with ``keyring.set_keyring``).

It is deliberately *not viable* for keyring's automatic discovery (its
``priority`` raises), so importing this module can never make it the default
backend of a real session, where secrets would vanish at exit.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """A dict of ``(service, username) -> password``."""

    # Read by app.security.keyring_policy: explicitly installed test backend.
    passerelle_test_backend = True

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("MemoryKeyring is only installed explicitly (tests)")

    def __init__(self) -> None:
        # keyring's base __init__ is untyped; it only reads KEYRING_PROPERTY_* env vars.
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError("absent") from None
