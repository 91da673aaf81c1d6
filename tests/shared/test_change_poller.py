"""The GUI change poller: a commit from another connection reaches the hub."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.gui import hub as hub_module
from app.gui.change_poller import ChangePoller
from app.gui.hub import hub
from app.services import changes
from app.services.changes import STUDENTS, bump_revision
from app.services.context import AppContext
from app.store.database import Database

pytestmark = pytest.mark.gui


def test_commit_elsewhere_emits_data_changed(qtbot: QtBot, ctx: AppContext) -> None:
    poller = ChangePoller(ctx.db, interval_ms=50)
    poller.start()
    other = Database(ctx.db.url)
    try:
        qtbot.waitUntil(lambda: poller.ready, timeout=30_000)
        with qtbot.waitSignal(
            hub.data_changed, timeout=30_000, check_params_cb=lambda topic: topic == STUDENTS
        ), other.write() as conn:
            bump_revision(conn, STUDENTS)
    finally:
        poller.stop()
        other.dispose()


def test_unreachable_server_is_reported_once_in_the_status_bar(qtbot: QtBot) -> None:
    # Nothing listens on port 1: the poll fails like a server gone mid-session.
    db = Database("postgresql+psycopg://passerelle:secret@127.0.0.1:1/passerelle")
    poller = ChangePoller(db, interval_ms=50)
    messages: list[str] = []
    hub.status_message.connect(messages.append)
    try:
        poller.start()
        qtbot.waitUntil(lambda: bool(messages), timeout=30_000)
        assert messages[0].startswith("Impossible de se connecter au serveur de la base")
        assert "secret" not in messages[0]
    finally:
        poller.stop()
        hub.status_message.disconnect(messages.append)
        db.dispose()


def test_topics_are_the_hubs() -> None:
    for name in ("STUDENTS", "TIMETABLE", "STS", "JOURNAL", "ESTABLISHMENTS", "YEAR"):
        assert getattr(changes, name) == getattr(hub_module, name)
