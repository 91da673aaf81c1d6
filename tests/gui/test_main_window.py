"""The main window: menus as declared, per-UAI commands, tabs, dialogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app import menus
from app.gui.dialogs import dialogs
from app.gui.hub import ESTABLISHMENTS, YEAR, hub
from app.gui.main_window import MainWindow
from app.services import base_admin, journal
from app.services.context import AppContext


def _menu_texts(window: MainWindow) -> list[str]:
    lines: list[str] = []

    def walk(menu: QMenu, depth: int) -> None:
        for action in menu.actions():
            if action.isSeparator():
                continue
            sub = action.menu()
            if isinstance(sub, QMenu):
                lines.append("  " * depth + action.text())
                walk(sub, depth + 1)
            else:
                mark = "" if action.isEnabled() else " [désactivée]"
                lines.append("  " * depth + action.text() + mark)

    for action in window.menuBar().actions():
        lines.append(action.text())
        sub = action.menu()
        assert isinstance(sub, QMenu)
        walk(sub, 1)
    return lines


def test_window_menus_match_the_declared_tree(qtbot: QtBot, ctx: AppContext) -> None:
    base_admin.add_establishment(ctx.db, "0750654D", "Lycée A")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    tree = menus.build_menu_tree(
        base_admin.school_year(ctx.db), base_admin.establishments(ctx.db), menus.AVAILABLE_ACTIONS
    )
    assert _menu_texts(window) == menus.render_tree(tree)


def test_every_available_action_has_a_handler(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert window.handlers.keys() >= menus.AVAILABLE_ACTIONS


def test_cite_scolaire_gets_one_command_per_establishment(qtbot: QtBot, ctx: AppContext) -> None:
    base_admin.add_establishment(ctx.db, "0750654D", "Lycée A")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert (menus.CERTIFICATE, "0750654D") in window.menu_actions
    base_admin.add_establishment(ctx.db, "0752524L", "Lycée B")
    hub.data_changed.emit(ESTABLISHMENTS)
    assert (menus.CERTIFICATE, "0752524L") in window.menu_actions
    assert (menus.SIECLE_CERTIFICATE, "0750654D") in window.menu_actions
    text = window.menu_actions[(menus.CERTIFICATE, "0752524L")].text()
    assert text == "Gérer le certificat pour NetSynchro – 0752524L Lycée B"


def test_year_change_relabels_the_send_commands(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    base_admin.set_school_year(ctx.db, 2030)
    hub.data_changed.emit(YEAR)
    text = window.menu_actions[(menus.SEND_WITH_ASSISTANT, None)].text()
    assert text == "Envoyer les emplois du temps de l'année 2030-2031 vers STSWEB avec l'assistant"
    assert "2030-2031" in window.status_year.text()


def test_unavailable_commands_are_disabled(qtbot: QtBot, ctx: AppContext) -> None:
    base_admin.add_establishment(ctx.db, "0750654D", "Lycée A")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    for (action, _uai), qaction in window.menu_actions.items():
        expected = action in menus.AVAILABLE_ACTIONS and action in window.handlers
        assert qaction.isEnabled() == expected


def test_tabs_and_empty_states(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["Élèves", "Emplois du temps", "Journal"]
    assert window.journal_view.stack.currentIndex() == 0  # empty state


def test_copy_base_from_the_menu(qtbot: QtBot, ctx: AppContext, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ma-copie.db"
    monkeypatch.setattr(dialogs, "save_file", lambda *a, **k: str(target))
    shown: list[Any] = []
    monkeypatch.setattr(dialogs, "information", lambda *a: shown.append(a))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.menu_actions[(menus.COPY_BASE, None)].trigger()
    assert target.exists()
    assert "ma-copie.db" in shown[0][2]
    assert window.journal_view.stack.currentIndex() == 1
    assert journal.entries(ctx.db)[0].nature == "copie_base"


def test_base_settings_dialog_adds_an_establishment(qtbot: QtBot, ctx: AppContext,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(dialogs, "warning", lambda _p, _t, text: warnings.append(text))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.menu_actions[(menus.BASE_SETTINGS, None)].trigger()
    dialog = window._settings_dialog
    dialog.uai.setText("0750654E")
    dialog.name.setText("Lycée A")
    dialog.add_button.click()
    assert "lettre de contrôle" in warnings[0]
    dialog.uai.setText("0750654D")
    dialog.add_button.click()
    assert dialog.list.count() == 1
    assert (menus.CERTIFICATE, "0750654D") in window.menu_actions
    dialog.year.setValue(2031)
    dialog._save()
    assert base_admin.school_year(ctx.db) == 2031
    assert "2031-2032" in window.status_year.text()


def test_base_settings_netsynchro_address(qtbot: QtBot, ctx: AppContext, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from app.demo.pki import DemoPKI
    from app.gui.base_settings import BaseSettingsDialog
    from app.services import netsynchro_settings

    ca = tmp_path / "ca.pem"
    ca.write_bytes(DemoPKI().ca_pem())
    monkeypatch.setattr(dialogs, "open_file", lambda *a, **k: str(ca))
    warnings: list[str] = []
    monkeypatch.setattr(dialogs, "warning", lambda _p, _t, text: warnings.append(text))
    dialog = BaseSettingsDialog(ctx.db)
    qtbot.addWidget(dialog)
    dialog.netsynchro_url.setText("http://pas-chiffre.fr")
    dialog._save()
    assert "https://" in warnings[0]
    dialog.netsynchro_url.setText("https://netsynchro.exemple.fr/")
    dialog.ca_button.click()
    dialog._save()
    saved = netsynchro_settings.load(ctx.db)
    assert saved.url == "https://netsynchro.exemple.fr"
    assert saved.ca_pem and saved.ca_pem.startswith("-----BEGIN CERTIFICATE-----")
