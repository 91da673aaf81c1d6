"""Refusals raised by the security layer; every message is French and final.

Codes (``error.code``):

- ``KEYRING_INDISPONIBLE``: no acceptable OS keyring (or it refused to work).
- ``CERTIFICAT_TROP_GROS``, ``CERTIFICAT_ILLISIBLE``, ``CERTIFICAT_MOT_DE_PASSE``,
  ``CERTIFICAT_SANS_CLE``, ``CERTIFICAT_SANS_CERTIFICAT``, ``CERTIFICAT_CLE_DIFFERENTE``,
  ``CERTIFICAT_PAS_ENCORE_VALIDE``, ``CERTIFICAT_EXPIRE``, ``CERTIFICAT_USAGE``,
  ``CERTIFICAT_AUTRE_UAI``: the offered file is refused, nothing was stored.
- ``CERTIFICAT_SANS_UAI``: :class:`CertificateNeedsConfirmation`, the caller asks
  the user and retries with ``confirm_without_uai=True``.
- ``CERTIFICAT_ABSENT``: no certificate stored for that UAI.
- ``CERTIFICAT_ENREGISTRE_ILLISIBLE``: the stored file or its keyring secret is
  gone or damaged; the user imports the certificate again.
- ``CERTIFICAT_ENREGISTREMENT``: writing the file failed (disk, rights).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.errors import PasserelleError

if TYPE_CHECKING:
    from app.security.certificates import CertificateInfo


class KeyringUnavailable(PasserelleError):
    code = "KEYRING_INDISPONIBLE"


class CertificateError(PasserelleError):
    code = "CERTIFICAT"


class CertificateNeedsConfirmation(PasserelleError):
    """No UAI was found in the certificate: the user must confirm it is theirs.

    ``info`` describes the certificate (titulaire, émetteur, dates, empreinte)
    so the confirmation dialog can show what is being accepted.
    """

    code = "CERTIFICAT_SANS_UAI"

    def __init__(self, message: str, info: CertificateInfo) -> None:
        super().__init__(message, code=self.code)
        self.info = info
