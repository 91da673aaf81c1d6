"""The demo: a base holding a cité scolaire of two establishments.

``make demo`` / ``passerelle demo`` open the window on it (and, once the
NetSynchro sandbox is wired in, on a local sandbox serving its data).
"""

from __future__ import annotations

from pathlib import Path

from app import paths
from app.domain.models import Establishment
from app.services import base_admin
from app.services.context import AppContext, open_context
from app.store import settings as settings_store

DEMO_ESTABLISHMENTS = (
    Establishment(uai="0690001B", nom="Collège Jean Moulin (démo)"),
    Establishment(uai="0690002C", nom="Lycée Jean Moulin (démo)"),
)


def demo_dir() -> Path:
    path = paths.data_dir() / "demo"
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_demo_base(base: str | None = None) -> AppContext:
    """Open (creating on first use) the demo base; an explicit ``base`` wins."""
    ctx = open_context(base or str(demo_dir() / "passerelle-demo.db"))
    existing = {e.uai for e in base_admin.establishments(ctx.db)}
    for e in DEMO_ESTABLISHMENTS:
        if e.uai not in existing:
            base_admin.add_establishment(ctx.db, e.uai, e.nom)
    with ctx.db.write() as conn:
        settings_store.set_value(conn, settings_store.DEMO, "1")
    return ctx


class DemoSession:
    """What the demo started next to the base; closed when the window closes."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.lines: list[str] = []

    def close(self) -> None:
        """Nothing to stop until the sandbox is attached."""


def open_demo(base: str | None = None) -> tuple[AppContext, DemoSession]:
    ctx = open_demo_base(base)
    session = DemoSession(ctx)
    session.lines.append(f"Base de démonstration : {ctx.db.describe()}")
    return ctx, session


def demo_banner(session: DemoSession) -> str:
    return "Démonstration — " + " · ".join(session.lines)
