"""The menu tree, declared as data.

The window builds its QMenus from this tree and ``passerelle menus`` prints it,
so both always agree. Labels mirror EDT/PRONOTE (« Fichier > IMPORTS/EXPORTS »).
Commands whose feature is not available are listed but disabled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.domain.models import Establishment
from app.domain.school_year import year_label

SEPARATOR = "-"


@dataclass(frozen=True)
class Command:
    """A leaf: ``action`` names the handler, ``uai`` the establishment it targets."""

    label: str
    action: str
    enabled: bool = True
    uai: str | None = None
    shortcut: str | None = None


@dataclass(frozen=True)
class Menu:
    label: str
    items: tuple[Menu | Command | str, ...] = field(default_factory=tuple)


# Actions (stable names the GUI maps to handlers).
COPY_BASE = "copier_base"
BASE_SETTINGS = "parametres_base"
JOURNAL = "journal"
QUIT = "quitter"
CERTIFICATE = "certificat"
SEND_WITH_ASSISTANT = "envoyer_edt_assistant"
SEND_WITHOUT_ASSISTANT = "envoyer_edt_sans_assistant"
SIECLE_CERTIFICATE = "certificat_siecle"
RETRIEVE_STUDENTS = "recuperer_eleves"
RETRIEVE_STS = "recuperer_sts"
EXPORT_EDT_FILE = "exporter_edt_fichier"
ABOUT = "a_propos"

ALL_ACTIONS = frozenset(
    {
        COPY_BASE,
        BASE_SETTINGS,
        JOURNAL,
        QUIT,
        CERTIFICATE,
        SEND_WITH_ASSISTANT,
        SEND_WITHOUT_ASSISTANT,
        SIECLE_CERTIFICATE,
        RETRIEVE_STUDENTS,
        RETRIEVE_STS,
        EXPORT_EDT_FILE,
        ABOUT,
    }
)


def _per_establishment(
    label: str, action: str, establishments: Sequence[Establishment], enabled: bool
) -> tuple[Command, ...]:
    """One command, or one per establishment in a cité scolaire."""
    if len(establishments) == 1:
        return (Command(label, action, enabled, uai=establishments[0].uai),)
    if not establishments:
        return (Command(label, action, False),)
    return tuple(
        Command(f"{label} – {e.uai} {e.nom}", action, enabled, uai=e.uai) for e in establishments
    )


def build_menu_tree(
    year: int, establishments: Sequence[Establishment], available: Iterable[str]
) -> tuple[Menu, ...]:
    """``available`` lists the actions whose feature exists in this build."""
    ready = set(available)
    label = year_label(year)

    def on(action: str) -> bool:
        return action in ready

    send_with = f"Envoyer les emplois du temps de l'année {label} vers STSWEB avec l'assistant"
    send_without = f"Envoyer les emplois du temps de l'année {label} vers STSWEB sans l'assistant"
    netsynchro = Menu(
        "Avec NetSynchro",
        (
            *_per_establishment(
                "Gérer le certificat pour NetSynchro", CERTIFICATE, establishments, on(CERTIFICATE)
            ),
            Command(send_with, SEND_WITH_ASSISTANT, on(SEND_WITH_ASSISTANT)),
            Command(send_without, SEND_WITHOUT_ASSISTANT, on(SEND_WITHOUT_ASSISTANT)),
        ),
    )
    siecle = Menu(
        "SIECLE",
        (
            *_per_establishment(
                "Gestion du certificat NetSynchro",
                SIECLE_CERTIFICATE,
                establishments,
                on(SIECLE_CERTIFICATE),
            ),
            Command("Récupérer les données des élèves", RETRIEVE_STUDENTS, on(RETRIEVE_STUDENTS)),
        ),
    )
    stsweb = Menu(
        "STSWEB",
        (
            Command("Récupérer les données de STSWEB", RETRIEVE_STS, on(RETRIEVE_STS)),
            Command(
                "Exporter les emplois du temps vers un fichier STSWEB…",
                EXPORT_EDT_FILE,
                on(EXPORT_EDT_FILE),
            ),
        ),
    )
    fichier = Menu(
        "Fichier",
        (
            Command("Créer une copie de la base…", COPY_BASE, on(COPY_BASE)),
            Command("Paramètres de la base…", BASE_SETTINGS, on(BASE_SETTINGS)),
            SEPARATOR,
            Menu("IMPORTS/EXPORTS", (netsynchro, siecle, stsweb)),
            SEPARATOR,
            Command("Journal des échanges", JOURNAL, on(JOURNAL)),
            SEPARATOR,
            Command("Quitter", QUIT, on(QUIT), shortcut="Ctrl+Q"),
        ),
    )
    aide = Menu("Aide", (Command("À propos de Passerelle", ABOUT, on(ABOUT)),))
    return (fichier, aide)


def render_tree(menus: Sequence[Menu]) -> list[str]:
    """One line per menu or command, two spaces per level, disabled ones marked."""
    lines: list[str] = []

    def walk(items: Sequence[Menu | Command | str], depth: int) -> None:
        for item in items:
            if isinstance(item, str):
                continue
            indent = "  " * depth
            if isinstance(item, Menu):
                lines.append(f"{indent}{item.label}")
                walk(item.items, depth + 1)
            else:
                suffix = "" if item.enabled else " [désactivée]"
                lines.append(f"{indent}{item.label}{suffix}")

    walk(menus, 0)
    return lines


# Actions whose feature exists in this build; the others show disabled.
AVAILABLE_ACTIONS = frozenset(
    {COPY_BASE, BASE_SETTINGS, JOURNAL, QUIT, ABOUT, CERTIFICATE, SIECLE_CERTIFICATE,
     RETRIEVE_STS, SEND_WITH_ASSISTANT, SEND_WITHOUT_ASSISTANT, EXPORT_EDT_FILE,
     RETRIEVE_STUDENTS}
)
