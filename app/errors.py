"""Error taxonomy shared by every layer.

A :class:`PasserelleError` carries a message already written in French for the
secretary; the GUI and the CLI show it as is. Anything else that escapes is a
bug: the crash hook logs it and shows a generic French dialog.
"""

from __future__ import annotations


class PasserelleError(Exception):
    """A refusal or failure the user must read: ``message`` is French."""

    code: str = "ERREUR"

    def __init__(self, message: str, *, code: str | None = None, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def __str__(self) -> str:
        return self.message


class UserCancelled(Exception):
    """The user cancelled; callers stop quietly and leave everything as it was."""


class InvalidUAI(PasserelleError):
    code = "UAI_INVALIDE"


class StoreError(PasserelleError):
    code = "BASE"
