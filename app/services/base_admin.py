"""Base-wide use cases: school year, establishments, copies of the base."""

from __future__ import annotations

from pathlib import Path

from app.domain.models import Establishment, JournalKind, JournalResult
from app.domain.school_year import default_year, is_valid_year, year_label
from app.domain.uai import validate_uai
from app.errors import PasserelleError
from app.services import journal
from app.services.changes import ESTABLISHMENTS, YEAR, bump_revision
from app.store import backup, migrate
from app.store import establishments as establishments_store
from app.store import settings as settings_store
from app.store.database import Database


def school_year(db: Database) -> int:
    with db.read() as conn:
        value = settings_store.get(conn, settings_store.SCHOOL_YEAR)
    return int(value) if value and value.isdigit() else default_year()


def set_school_year(db: Database, year: int) -> None:
    if not is_valid_year(year):
        raise PasserelleError(
            f"L'année {year} n'est pas valable : donnez la première année de l'année scolaire "
            "sur 4 chiffres (par exemple 2026 pour 2026-2027).",
            code="ANNEE_INVALIDE",
        )
    with db.write() as conn:
        previous = settings_store.get(conn, settings_store.SCHOOL_YEAR)
        settings_store.set_value(conn, settings_store.SCHOOL_YEAR, str(year))
        if previous != str(year):
            bump_revision(conn, YEAR)
    if previous != str(year):
        journal.record(
            db,
            JournalKind.SETTINGS,
            JournalResult.SUCCESS,
            f"Année scolaire de la base : {year_label(year)}",
            details={"avant": previous, "apres": year},
        )


def establishments(db: Database) -> list[Establishment]:
    with db.read() as conn:
        return establishments_store.list_all(conn)


def add_establishment(db: Database, uai: str, nom: str) -> Establishment:
    code = validate_uai(uai)
    nom = " ".join(nom.split())
    if not nom:
        raise PasserelleError("Donnez le nom de l'établissement.", code="NOM_MANQUANT")
    with db.write() as conn:
        if establishments_store.get(conn, code) is not None:
            raise PasserelleError(
                f"L'établissement {code} est déjà dans la base.", code="UAI_EXISTANT"
            )
        establishment = Establishment(uai=code, nom=nom[:200])
        establishments_store.add(conn, establishment)
        bump_revision(conn, ESTABLISHMENTS)
    return establishment


def require_establishment(db: Database, uai: str) -> Establishment:
    code = validate_uai(uai)
    with db.read() as conn:
        found = establishments_store.get(conn, code)
    if found is None:
        raise PasserelleError(
            f"L'établissement {code} n'est pas dans cette base. Ajoutez-le d'abord "
            f"(passerelle etablissement ajouter {code} NOM).",
            code="UAI_INCONNU",
        )
    return found


def copy_base(db: Database, destination: Path | None = None) -> Path:
    path = backup.manual_copy(db, destination)
    journal.record(
        db,
        JournalKind.BASE_COPY,
        JournalResult.SUCCESS,
        f"Copie de la base créée : {path.name}",
        details={"fichier": str(path)},
    )
    return path


def restore_base(db: Database, copy: Path) -> Path | None:
    saved = backup.restore(db, copy)
    # An older copy may predate the current schema.
    migrate.upgrade(db, backup=False)
    journal.record(
        db,
        JournalKind.BASE_RESTORE,
        JournalResult.SUCCESS,
        f"Base restaurée depuis {copy.name}",
        details={"copie": str(copy), "base_remplacee_copiee_dans": str(saved) if saved else None},
    )
    return saved
