"""Typed NetSynchro failures, each with a French message for the secretary.

Callers catch :class:`NetSynchroError` for "the exchange failed" and the
subclasses when they must react differently (offer to re-import the
certificate, ask for another year…). Cancellation is not an error: it is
:class:`app.errors.UserCancelled`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.errors import PasserelleError

if TYPE_CHECKING:
    from app.netsynchro.protocol import Erreur, TaskReport


class NetSynchroError(PasserelleError):
    code = "NS_ERREUR"
    retryable = False  # the client retries only errors that may go away by themselves
    retry_after: float | None = None  # seconds the server asked us to wait, if it did


class ServerUnreachable(NetSynchroError):
    code = "NS_INJOIGNABLE"
    retryable = True

    def __init__(self, details: str = "") -> None:
        super().__init__(
            "Le serveur NetSynchro est injoignable. Vérifiez la connexion à Internet (ou au "
            "réseau de l'établissement) et l'adresse du serveur, puis réessayez.",
            details=details,
        )


class ConnectionInterrupted(NetSynchroError):
    code = "NS_CONNEXION_INTERROMPUE"
    retryable = True

    def __init__(self, details: str = "") -> None:
        super().__init__(
            "La connexion avec le serveur NetSynchro a été coupée pendant l'échange. "
            "Rien n'a été enregistré ; réessayez dans quelques minutes.",
            details=details,
        )


class ServerCertificateUntrusted(NetSynchroError):
    code = "NS_SERVEUR_NON_RECONNU"

    def __init__(self, details: str = "") -> None:
        super().__init__(
            "Le serveur contacté n'a pas présenté un certificat reconnu : ce n'est peut-être "
            "pas le vrai serveur NetSynchro. Par sécurité, la connexion a été refusée. "
            "Vérifiez l'adresse du serveur et le fichier des autorités de confiance.",
            details=details,
        )


class ClientCertificateRefused(NetSynchroError):
    code = "NS_CERTIFICAT_REFUSE"

    def __init__(self, details: str = "") -> None:
        super().__init__(
            "Le serveur NetSynchro a refusé le certificat de l'établissement (certificat "
            "absent, révoqué ou délivré par une autre autorité). Importez de nouveau le "
            "certificat obtenu dans « Gestion Identité Numérique ».",
            details=details,
        )


class ClientCertificateExpired(ClientCertificateRefused):
    code = "NS_CERTIFICAT_EXPIRE"

    def __init__(self, details: str = "") -> None:
        NetSynchroError.__init__(
            self,
            "Le certificat de l'établissement a expiré et le serveur NetSynchro l'a refusé. "
            "Demandez-en un nouveau dans « Gestion Identité Numérique », puis importez-le.",
            details=details,
        )


class ServerErrorResponse(NetSynchroError):
    """The server answered with an error status, usually with an ``<erreur>`` body."""

    code = "NS_ERREUR_SERVEUR"

    def __init__(
        self,
        status: int,
        erreur: Erreur | None = None,
        message: str | None = None,
    ) -> None:
        self.status = status
        self.erreur = erreur
        if message is None:
            if erreur is not None and erreur.message:
                message = f"Le serveur NetSynchro a refusé la demande : « {erreur.message} »"
            else:
                message = (
                    f"Le serveur NetSynchro a répondu par une erreur (code HTTP {status}). "
                    "Réessayez plus tard ; si cela continue, contactez l'assistance."
                )
        details = f"HTTP {status}" + (f" {erreur.code}/{erreur.type}" if erreur else "")
        super().__init__(message, details=details)

    @property
    def server_message(self) -> str:
        return self.erreur.message if self.erreur else ""


def _with_server_text(text: str, erreur: Erreur | None) -> str:
    if erreur is not None and erreur.message:
        return f"{text} Message du serveur : « {erreur.message} »"
    return text


class ServerUnavailable(ServerErrorResponse):
    code = "NS_INDISPONIBLE"
    retryable = True

    def __init__(self, status: int, erreur: Erreur | None = None) -> None:
        super().__init__(
            status,
            erreur,
            _with_server_text(
                "Le serveur NetSynchro est momentanément indisponible (maintenance ou "
                "surcharge). Réessayez un peu plus tard.",
                erreur,
            ),
        )


class UAIRefused(ServerErrorResponse):
    code = "NS_UAI_REFUSE"

    def __init__(self, status: int, erreur: Erreur | None = None, uai: str = "") -> None:
        super().__init__(
            status,
            erreur,
            _with_server_text(
                f"Le serveur NetSynchro refuse l'établissement {uai or 'demandé'} : le "
                "certificat utilisé n'est pas celui de cet établissement, ou le code UAI est "
                "incorrect. Utilisez le certificat de l'établissement concerné.",
                erreur,
            ),
        )


class YearRefused(ServerErrorResponse):
    code = "NS_ANNEE_REFUSEE"

    def __init__(self, status: int, erreur: Erreur | None = None, year: int | None = None) -> None:
        label = f"{year}-{year + 1}" if year is not None else "demandée"
        super().__init__(
            status,
            erreur,
            _with_server_text(
                f"Le serveur NetSynchro refuse l'année scolaire {label} : ce n'est pas une "
                "année ouverte pour cet établissement dans SIECLE/STSWEB. Vérifiez l'année "
                "choisie (en période de préparation de rentrée, deux années sont possibles).",
                erreur,
            ),
        )


class TruncatedBody(NetSynchroError):
    code = "NS_REPONSE_TRONQUEE"
    retryable = True

    def __init__(self, received: int, expected: int | None, details: str = "") -> None:
        self.received = received
        self.expected = expected
        super().__init__(
            "Le fichier reçu du serveur NetSynchro est incomplet (la connexion a été coupée "
            "pendant le téléchargement). Il a été supprimé ; relancez la récupération.",
            details=details or f"reçu {received} octets sur {expected}",
        )


class WrongContentType(NetSynchroError):
    code = "NS_TYPE_INATTENDU"

    def __init__(self, content_type: str) -> None:
        self.content_type = content_type
        super().__init__(
            "Le serveur a renvoyé autre chose qu'un fichier XML ou ZIP (peut-être une page "
            "d'un proxy ou d'un portail de connexion). Vérifiez l'adresse du serveur "
            "NetSynchro et la configuration du proxy.",
            details=f"Content-Type: {content_type or '(absent)'}",
        )


class CorruptZip(NetSynchroError):
    code = "NS_ZIP_ENDOMMAGE"

    def __init__(self, reason: str = "", details: str = "") -> None:
        text = "L'archive ZIP reçue du serveur NetSynchro est inutilisable"
        super().__init__(f"{text} : {reason}" if reason else f"{text}.", details=details)


class NetSynchroTimeout(NetSynchroError):
    code = "NS_DELAI_DEPASSE"

    def __init__(self, message: str | None = None, details: str = "") -> None:
        super().__init__(
            message
            or "Le serveur NetSynchro met trop de temps à répondre. Réessayez plus tard ; "
            "rien n'a été modifié.",
            details=details,
        )


class TooLarge(NetSynchroError):
    code = "NS_TROP_VOLUMINEUX"

    def __init__(self, limit: int, details: str = "") -> None:
        self.limit = limit
        super().__init__(
            "Le fichier dépasse la taille maximale autorisée "
            f"({limit / 1_000_000:.0f} Mo) : il a été refusé par sécurité.",
            details=details,
        )


class InvalidResponse(NetSynchroError):
    code = "NS_REPONSE_INVALIDE"

    def __init__(self, details: str = "") -> None:
        super().__init__(
            "La réponse du serveur NetSynchro est illisible. Réessayez plus tard ; si cela "
            "continue, contactez l'assistance.",
            details=details,
        )


class TaskRejected(NetSynchroError):
    code = "NS_ENVOI_REJETE"

    def __init__(self, report: TaskReport) -> None:
        self.report = report
        reasons = [a.message for a in report.anomalies if a.kind.value == "REJ"][:3]
        text = "Le serveur NetSynchro a rejeté l'envoi : rien n'a été pris en compte."
        if reasons:
            text += " Motif : " + " ; ".join(reasons)
        super().__init__(text, details=f"tache {report.tache_id}")
