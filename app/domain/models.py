"""Plain records shared by the store, the services and the interfaces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Establishment:
    uai: str
    nom: str

    @property
    def label(self) -> str:
        return f"{self.uai} – {self.nom}"


class JournalKind(StrEnum):
    """What an exchange was; stored as text in the journal."""

    SIECLE_IMPORT = "import_siecle"
    STS_IMPORT = "import_sts"
    EDT_IMPORT = "import_edt"
    EDT_EXPORT = "export_edt"
    EDT_SEND = "envoi_edt"
    CERTIFICATE_IMPORT = "certificat_import"
    CERTIFICATE_DELETE = "certificat_suppression"
    CONNECTION_TEST = "test_connexion"
    BASE_COPY = "copie_base"
    BASE_RESTORE = "restauration_base"
    BASE_MIGRATE = "migration_base"
    SETTINGS = "parametres"


KIND_LABELS: dict[str, str] = {
    JournalKind.SIECLE_IMPORT: "Import SIECLE",
    JournalKind.STS_IMPORT: "Import STSWEB",
    JournalKind.EDT_IMPORT: "Import d'emploi du temps",
    JournalKind.EDT_EXPORT: "Export STSWEB (fichier)",
    JournalKind.EDT_SEND: "Envoi vers STSWEB",
    JournalKind.CERTIFICATE_IMPORT: "Certificat importé",
    JournalKind.CERTIFICATE_DELETE: "Certificat supprimé",
    JournalKind.CONNECTION_TEST: "Test de connexion",
    JournalKind.BASE_COPY: "Copie de la base",
    JournalKind.BASE_RESTORE: "Restauration de la base",
    JournalKind.BASE_MIGRATE: "Transfert de la base",
    JournalKind.SETTINGS: "Paramètres",
}


class JournalResult(StrEnum):
    SUCCESS = "succes"
    WARNING = "avertissement"
    FAILURE = "echec"
    CANCELLED = "annule"


RESULT_LABELS: dict[str, str] = {
    JournalResult.SUCCESS: "Réussi",
    JournalResult.WARNING: "Réussi avec avertissements",
    JournalResult.FAILURE: "Échec",
    JournalResult.CANCELLED: "Annulé",
}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: int
    horodatage: dt.datetime
    uai: str | None
    nature: str
    resultat: str
    resume: str
    details: dict[str, Any] = field(default_factory=dict)
    poste: str = ""

    @property
    def nature_label(self) -> str:
        return KIND_LABELS.get(self.nature, self.nature)

    @property
    def resultat_label(self) -> str:
        return RESULT_LABELS.get(self.resultat, self.resultat)
