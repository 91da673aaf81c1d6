"""The demo: a base holding a cité scolaire of two establishments, and a
local NetSynchro sandbox serving generated data for both.

``make demo`` / ``passerelle demo`` open the window on it; the banner says
where each demo certificate is and its password, so a newcomer can do the
whole flow by hand (import the certificate, retrieve students and STS data,
send the timetable).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app import paths
from app.domain.models import Establishment
from app.services import base_admin, netsynchro_settings
from app.services.context import AppContext, open_context
from app.store import settings as settings_store

if TYPE_CHECKING:
    from app.netsynchro.sandbox import Sandbox

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

    def __init__(self, ctx: AppContext, sandbox: Sandbox | None = None) -> None:
        self.ctx = ctx
        self.sandbox = sandbox
        self.lines: list[str] = []

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()


def start_sandbox(ctx: AppContext) -> Sandbox:
    """Start the local NetSynchro on loopback and point the demo base at it.

    The sandbox makes a new CA and new certificate passwords at each start, so
    the base's CA setting is refreshed every time.
    """
    from app.netsynchro.sandbox import Sandbox

    year = base_admin.school_year(ctx.db)
    sandbox = Sandbox(
        demo_dir() / "bac-a-sable",
        port=0,
        year=year,
        establishments=[(e.uai, e.nom) for e in DEMO_ESTABLISHMENTS],
    )
    url = sandbox.start()
    try:
        ca_pem = sandbox.ca_file.read_text(encoding="ascii")
        netsynchro_settings.configure(ctx.db, url, ca_pem)
    except BaseException:
        sandbox.stop()
        raise
    return sandbox


def open_demo(
    base: str | None = None, *, with_sandbox: bool = True
) -> tuple[AppContext, DemoSession]:
    ctx = open_demo_base(base)
    sandbox = start_sandbox(ctx) if with_sandbox else None
    session = DemoSession(ctx, sandbox)
    session.lines.append(f"Base de démonstration : {ctx.db.describe()}")
    if sandbox is not None:
        session.lines.append(f"NetSynchro local (bac à sable) : {sandbox.url}")
        for e in DEMO_ESTABLISHMENTS:
            session.lines.append(
                f"Certificat {e.uai} : {sandbox.certificate_file(e.uai)} "
                f"— mot de passe : {sandbox.passwords[e.uai]}"
            )
    return ctx, session


def demo_banner(session: DemoSession) -> str:
    lines = ["<b>Démonstration</b> — rien n'est envoyé aux serveurs du ministère.", *session.lines]
    if session.sandbox is not None:
        lines.append(
            "Pour commencer : « Fichier &gt; IMPORTS/EXPORTS &gt; Avec NetSynchro &gt; Gérer le "
            "certificat pour NetSynchro », choisissez le fichier ci-dessus et son mot de passe."
        )
    return "<br>".join(lines)
