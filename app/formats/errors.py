"""Typed errors of the pure parsers: every reader raises only :class:`FormatError`."""

from __future__ import annotations

from app.errors import PasserelleError


class FormatError(PasserelleError):
    """A file that cannot be read or is refused; ``code`` names the check."""

    code = "FORMAT"
