"""« Gérer le certificat pour NetSynchro »: the per-UAI window and the status-bar alerts.

Real parts: a SQLite base, DemoPKI certificates, the certificate store on an
in-memory keyring (the OS vault is not available headless), and a real HTTPS
sandbox with client certificates for « Tester la connexion ». Only the modal
dialogs are replaced, through the ``dialogs`` seam.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from cryptography.hazmat.primitives import hashes
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from app import menus
from app.demo.pki import DemoPKI, Issued, shared_pki
from app.domain.models import JournalKind, JournalResult
from app.domain.school_year import default_year
from app.gui.certificate_window import CertificateWindow, window_name
from app.gui.dialogs import dialogs
from app.gui.features_certificates import CertificateFeature
from app.gui.main_window import MainWindow
from app.netsynchro.sandbox import Sandbox
from app.security.memory_keyring import MemoryKeyring
from app.services import base_admin, certificates, journal, netsynchro_settings
from app.services.context import AppContext, open_context

UAI = "0750654D"
OTHER_UAI = "0752524L"
PASSWORD = "Mot-de-passe été 2025!"
WAIT = 10_000


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The OS keyring does not exist headless; the in-memory backend stands in for it."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The connection test must reach the loopback sandbox directly.
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                 "all_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def pki() -> DemoPKI:
    return shared_pki()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(
        tmp_path_factory.mktemp("bac-a-sable-gui"),
        year=default_year(),  # the year a fresh base takes (AppContext)
        establishments=[(UAI, "Collège de test")],
        students=20,
    )
    box.start()
    yield box
    box.faults.clear()
    box.stop()


@pytest.fixture
def base(ctx: AppContext) -> AppContext:
    base_admin.add_establishment(ctx.db, UAI, "Lycée A")
    return ctx


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "warning", lambda _p, title, text: shown.append((title, text)))
    return shown


@pytest.fixture
def confirms(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each confirm() pops the next answer from the list; the questions are recorded."""
    answers: list[Any] = []

    def confirm(_parent: Any, title: str, text: str) -> bool:
        answers.append((title, text))
        return bool(answers.pop(0))

    monkeypatch.setattr(dialogs, "confirm", confirm)
    return answers


def make_window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    feature = certificate_feature(window)
    qtbot.waitUntil(lambda: not feature.checking, timeout=WAIT)
    return window


def certificate_feature(window: MainWindow) -> CertificateFeature:
    feature = window.findChild(CertificateFeature)
    assert isinstance(feature, CertificateFeature)
    return feature


def open_certificate_window(
    qtbot: QtBot, window: MainWindow, uai: str = UAI, action: str = menus.CERTIFICATE
) -> CertificateWindow:
    window.menu_actions[(action, uai)].trigger()
    found = window.findChild(CertificateWindow, window_name(uai))
    assert isinstance(found, CertificateWindow)
    qtbot.waitUntil(lambda: found.idle, timeout=WAIT)
    return found


def write_p12(tmp_path: Path, issued: Issued, password: str = PASSWORD,
              name: str = "certificat.p12") -> Path:  # fmt: skip
    path = tmp_path / name
    path.write_bytes(issued.pkcs12(password.encode("utf-8"), "aes"))
    return path


def fill_and_import(qtbot: QtBot, win: CertificateWindow, path: Path, password: str,
                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(dialogs, "open_file", lambda *a, **k: str(path))
    win.browse_button.click()
    win.password_edit.setText(password)
    assert win.import_button.isEnabled()
    win.import_button.click()
    qtbot.waitUntil(lambda: win.idle, timeout=WAIT)


def visible_texts(win: CertificateWindow) -> list[str]:
    texts = [label.text() for label in win.findChildren(QLabel)]
    texts += [edit.toPlainText() for edit in win.findChildren(QPlainTextEdit)]
    texts += [win.windowTitle()]
    texts += [e.text() for e in win.findChildren(QLineEdit) if e is not win.password_edit]
    return texts


# -- import ----------------------------------------------------------------------------------


def test_import_button_needs_a_file_and_a_password(
    qtbot: QtBot, base: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(qtbot, base)
    win = open_certificate_window(qtbot, window)
    assert not win.import_button.isEnabled()
    seen: list[tuple[str, str]] = []

    def open_file(_parent: Any, title: str, filters: str, directory: str = "") -> str:
        seen.append((title, filters))
        return str(tmp_path / "certificat.p12")

    monkeypatch.setattr(dialogs, "open_file", open_file)
    win.browse_button.click()
    assert seen[0][1] == "Certificats (*.p12 *.pfx);;Tous les fichiers (*)"
    assert UAI in seen[0][0]
    assert win.file_edit.text().endswith("certificat.p12")
    assert not win.import_button.isEnabled()  # no password yet
    win.password_edit.setText("x")
    assert win.import_button.isEnabled()
    win.file_edit.clear()
    assert not win.import_button.isEnabled()  # no file
    # Nothing stored yet: no test, no deletion.
    assert not win.test_button.isEnabled()
    assert not win.delete_button.isEnabled()
    assert "Aucun certificat" in win.state_label.text()


def test_password_is_masked_with_a_show_toggle(qtbot: QtBot, base: AppContext) -> None:
    window = make_window(qtbot, base)
    win = open_certificate_window(qtbot, window)
    assert win.password_edit.echoMode() == QLineEdit.EchoMode.Password
    win.show_password.setChecked(True)
    assert win.password_edit.echoMode() == QLineEdit.EchoMode.Normal
    win.password_edit.setText("secret")
    win.close()  # closing forgets what was typed and masks again
    assert win.password_edit.text() == ""
    assert win.password_edit.echoMode() == QLineEdit.EchoMode.Password


def test_import_good_certificate(
    qtbot: QtBot, base: AppContext, pki: DemoPKI, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, warnings: list[tuple[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    issued = pki.issue_client(UAI, name="Lycée A")
    window = make_window(qtbot, base)
    assert "absent de ce poste" in certificate_feature(window).status_label.text()
    win = open_certificate_window(qtbot, window)
    assert win.windowTitle() == "Certificat NetSynchro – 0750654D Lycée A"
    assert not win.isModal()

    fill_and_import(qtbot, win, write_p12(tmp_path, issued), PASSWORD, monkeypatch)

    assert warnings == []
    assert win.info is not None
    assert win.holder.text() == f"{UAI} - Lycée A"
    assert win.uai_found.text() == UAI
    fingerprint = issued.cert.fingerprint(hashes.SHA256()).hex(":").upper()
    assert win.fingerprint.text().replace("\n", "") == fingerprint
    expected_to = issued.cert.not_valid_after_utc.astimezone().strftime("%d/%m/%Y à %H:%M")
    assert win.valid_to.text() == expected_to
    assert win.state_label.text() == f"Valable jusqu'au {expected_to}."
    assert int(win.days_left.text()) in (363, 364)
    assert "enregistré" in win.import_message.text()
    assert win.password_edit.text() == "" and win.file_edit.text() == ""
    assert win.test_button.isEnabled() and win.delete_button.isEnabled()
    # Stored on this PC (store + keyring), journaled, journal view refreshed.
    stored = certificates.certificate_info(UAI)
    assert stored is not None and stored.empreinte_sha256 == fingerprint
    entry = journal.entries(base.db)[0]
    assert (entry.nature, entry.resultat, entry.uai) == (
        JournalKind.CERTIFICATE_IMPORT, JournalResult.SUCCESS, UAI,
    )  # fmt: skip
    assert window.journal_view.model.entries[0].id == entry.id
    # The status bar no longer says "absent".
    qtbot.waitUntil(lambda: not certificate_feature(window).checking, timeout=WAIT)
    assert not certificate_feature(window).status_label.isVisible()
    # The password is shown nowhere and logged nowhere.
    assert all(PASSWORD not in text for text in visible_texts(win))
    assert PASSWORD not in caplog.text
    assert PASSWORD not in str(entry.details) + entry.resume


def test_wrong_password_is_refused_in_french(
    qtbot: QtBot, base: AppContext, pki: DemoPKI, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, warnings: list[tuple[str, str]],
) -> None:  # fmt: skip
    window = make_window(qtbot, base)
    win = open_certificate_window(qtbot, window)
    fill_and_import(qtbot, win, write_p12(tmp_path, pki.issue_client(UAI)), "mauvais",
                    monkeypatch)  # fmt: skip
    assert len(warnings) == 1
    title, text = warnings[0]
    assert title == "Certificat refusé"
    assert "le mot de passe est incorrect" in text
    assert "le mot de passe est incorrect" in win.import_message.text()
    assert certificates.certificate_info(UAI) is None
    assert "Aucun certificat" in win.state_label.text()
    assert journal.entries(base.db)[0].resultat == JournalResult.FAILURE
    # The file stays chosen so the secretary only retypes the password.
    assert win.file_edit.text().endswith("certificat.p12")


def test_expired_certificate_is_refused(
    qtbot: QtBot, base: AppContext, pki: DemoPKI, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, warnings: list[tuple[str, str]],
) -> None:  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    expired = pki.issue_client(UAI, not_before=now - dt.timedelta(days=400),
                               not_after=now - dt.timedelta(days=2))  # fmt: skip
    window = make_window(qtbot, base)
    win = open_certificate_window(qtbot, window)
    fill_and_import(qtbot, win, write_p12(tmp_path, expired), PASSWORD, monkeypatch)
    assert len(warnings) == 1 and "a expiré le" in warnings[0][1]
    assert certificates.certificate_info(UAI) is None
    assert not win.test_button.isEnabled()


@pytest.mark.parametrize("accept", [True, False])
def test_certificate_without_uai_asks_first(
    qtbot: QtBot, base: AppContext, pki: DemoPKI, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, confirms: list[Any], warnings: list[tuple[str, str]],
    accept: bool,
) -> None:  # fmt: skip
    issued = pki.issue_client(None, name="Secrétariat sans code")
    window = make_window(qtbot, base)
    win = open_certificate_window(qtbot, window)
    confirms.append(accept)
    fill_and_import(qtbot, win, write_p12(tmp_path, issued), PASSWORD, monkeypatch)
    qtbot.waitUntil(lambda: win.idle, timeout=WAIT)  # the retry, when accepted
    assert len(confirms) == 1
    title, question = confirms[0]
    assert title == "Certificat sans code UAI"
    assert "Secrétariat sans code" in question
    assert issued.cert.fingerprint(hashes.SHA256()).hex(":").upper() in question
    assert f"{UAI} – Lycée A" in question
    assert warnings == []
    stored = certificates.certificate_info(UAI)
    if accept:
        assert stored is not None and stored.uai_certificat is None
        assert win.uai_found.text().startswith("aucun (rattaché à 0750654D")
        entry = journal.entries(base.db)[0]
        assert entry.nature == JournalKind.CERTIFICATE_IMPORT and "sans code UAI" in entry.resume
    else:
        assert stored is None
        assert win.import_message.text() == "Certificat non enregistré."
        assert journal.entries(base.db) == []


# -- delete ----------------------------------------------------------------------------------


def test_delete_asks_for_confirmation(
    qtbot: QtBot, base: AppContext, pki: DemoPKI, confirms: list[Any],
) -> None:  # fmt: skip
    certificates.import_certificate(base.db, UAI, pki.issue_client(UAI).pkcs12(b"pw"), "pw")
    window = make_window(qtbot, base)
    win = open_certificate_window(qtbot, window)
    assert win.info is not None and win.delete_button.isEnabled()

    confirms.append(False)
    win.delete_button.click()
    qtbot.waitUntil(lambda: win.idle, timeout=WAIT)
    assert "Supprimer de ce poste le certificat NetSynchro de l'établissement 0750654D" in (
        confirms[0][1]
    )
    assert certificates.certificate_info(UAI) is not None

    confirms.clear()
    confirms.append(True)
    win.delete_button.click()
    qtbot.waitUntil(lambda: win.idle and win.info is None, timeout=WAIT)
    assert certificates.certificate_info(UAI) is None
    assert "Aucun certificat" in win.state_label.text()
    assert not win.details.isVisibleTo(win)
    assert not win.test_button.isEnabled() and not win.delete_button.isEnabled()
    entry = journal.entries(base.db)[0]
    assert entry.nature == JournalKind.CERTIFICATE_DELETE and entry.uai == UAI
    assert window.journal_view.model.entries[0].id == entry.id


# -- one window per establishment ---------------------------------------------------------


def test_cite_scolaire_commands_open_the_right_establishment(
    qtbot: QtBot, base: AppContext, pki: DemoPKI
) -> None:
    base_admin.add_establishment(base.db, OTHER_UAI, "Lycée B")
    certificates.import_certificate(
        base.db, OTHER_UAI, pki.issue_client(OTHER_UAI, name="Lycée B").pkcs12(b"pw"), "pw"
    )
    window = make_window(qtbot, base)
    other = open_certificate_window(qtbot, window, OTHER_UAI)
    assert other.uai == OTHER_UAI
    assert other.windowTitle() == "Certificat NetSynchro – 0752524L Lycée B"
    assert other.info is not None and other.info.uai_certificat == OTHER_UAI

    first = open_certificate_window(qtbot, window, UAI, menus.SIECLE_CERTIFICATE)
    assert first is not other and first.info is None

    # The SIECLE command of the same establishment re-raises the same window.
    other.close()
    again = open_certificate_window(qtbot, window, OTHER_UAI, menus.SIECLE_CERTIFICATE)
    assert again is other and again.isVisible()
    assert len(window.findChildren(CertificateWindow)) == 2


def test_single_establishment_command_carries_its_uai(qtbot: QtBot, base: AppContext) -> None:
    window = make_window(qtbot, base)
    assert window.menu_actions[(menus.CERTIFICATE, UAI)].isEnabled()
    assert window.menu_actions[(menus.SIECLE_CERTIFICATE, UAI)].isEnabled()
    win = open_certificate_window(qtbot, window, UAI, menus.SIECLE_CERTIFICATE)
    assert win.uai == UAI


# -- status bar and start-up warning --------------------------------------------------------


def test_expiring_certificate_in_the_status_bar(
    qtbot: QtBot, base: AppContext, pki: DemoPKI, confirms: list[Any],
    warnings: list[tuple[str, str]],
) -> None:  # fmt: skip
    base_admin.add_establishment(base.db, OTHER_UAI, "Lycée B")
    now = dt.datetime.now(dt.UTC)
    soon = pki.issue_client(UAI, not_after=now + dt.timedelta(days=12, hours=6))
    certificates.import_certificate(base.db, UAI, soon.pkcs12(b"pw"), "pw")
    window = make_window(qtbot, base)
    feature = certificate_feature(window)
    label = feature.status_label
    assert label.isVisibleTo(window)
    assert "Certificat <a href='0750654D'>0750654D</a> : expire dans 12 jour(s)" in label.text()
    assert "0752524L</a> : absent de ce poste" in label.text()
    assert "demandez son renouvellement" in label.toolTip()
    assert warnings == []  # only an expired certificate interrupts at start-up

    # The window shows the same state, in words and in colour.
    win = open_certificate_window(qtbot, window)
    assert win.state_label.text().startswith("Expire bientôt : dans 12 jour(s)")
    assert "#fff4ce" in win.state_label.styleSheet()
    assert "expire dans 12 jour(s)" in win.warnings.text()

    # The label follows the certificates (hub CERTIFICATES after a deletion).
    confirms.append(True)
    win.delete_button.click()
    qtbot.waitUntil(lambda: win.idle and not feature.checking, timeout=WAIT)
    assert "0750654D</a> : absent de ce poste" in label.text()

    # Its links open the window of that establishment.
    label.linkActivated.emit(OTHER_UAI)
    other = window.findChild(CertificateWindow, window_name(OTHER_UAI))
    assert isinstance(other, CertificateWindow) and other.isVisible()


def test_expired_certificate_warns_once_at_start_up(
    qtbot: QtBot, base: AppContext, pki: DemoPKI, monkeypatch: pytest.MonkeyPatch,
    warnings: list[tuple[str, str]],
) -> None:  # fmt: skip
    certificates.import_certificate(base.db, UAI, pki.issue_client(UAI).pkcs12(b"pw"), "pw")
    # A stored certificate cannot really age in a test: move the store's clock on.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    monkeypatch.setattr("app.security.certificates._now", lambda: later)
    window = make_window(qtbot, base)
    qtbot.waitUntil(lambda: bool(warnings), timeout=WAIT)
    assert warnings[0][0] == "Certificat NetSynchro expiré"
    assert "a expiré le" in warnings[0][1] and UAI in warnings[0][1]
    feature = certificate_feature(window)
    assert "0750654D</a> : expiré" in feature.status_label.text()
    assert "#b00020" in feature.status_label.text()

    win = open_certificate_window(qtbot, window)
    assert win.state_label.text().startswith("EXPIRÉ depuis le")
    assert "#b00020" in win.state_label.styleSheet()
    assert win.days_left.text() == "aucun (expiré)"
    # A new check (another certificate event) does not warn again.
    feature.check_alerts()
    qtbot.waitUntil(lambda: not feature.checking, timeout=WAIT)
    qtbot.wait(50)
    assert len(warnings) == 1


# -- shared base -----------------------------------------------------------------------------


def test_no_per_pc_note_on_a_local_base(qtbot: QtBot, base: AppContext) -> None:
    window = make_window(qtbot, base)
    assert open_certificate_window(qtbot, window).shared_note is None


@pytest.mark.postgres
def test_per_pc_note_on_a_shared_base(qtbot: QtBot, pg_url: str) -> None:
    ctx = open_context(pg_url)
    try:
        base_admin.add_establishment(ctx.db, UAI, "Lycée A")
        window = make_window(qtbot, ctx)
        win = open_certificate_window(qtbot, window)
        assert win.shared_note is not None
        assert "il est rangé sur ce poste" in win.shared_note.text()
        window.change_poller.stop()
    finally:
        ctx.close()


# -- « Tester la connexion » against the sandbox ----------------------------------------------


def _with_sandbox_certificate(ctx: AppContext, sandbox: Sandbox) -> None:
    certificates.import_certificate(
        ctx.db, UAI, sandbox.certificate_file(UAI).read_bytes(), sandbox.passwords[UAI]
    )


def test_connection_test_succeeds_against_the_sandbox(
    qtbot: QtBot, base: AppContext, sandbox: Sandbox
) -> None:
    netsynchro_settings.configure(base.db, sandbox.url, sandbox.ca_file.read_text())
    _with_sandbox_certificate(base, sandbox)
    window = make_window(qtbot, base)
    win = open_certificate_window(qtbot, window)
    assert sandbox.url in win.netsynchro_label.text()
    assert win.test_button.isEnabled()
    win.test_button.click()
    assert win.busy and win.busy_bar.isVisibleTo(win)
    assert not win.test_button.isEnabled() and not win.delete_button.isEnabled()
    qtbot.waitUntil(lambda: win.idle, timeout=WAIT)
    assert "Connexion réussie" in win.test_header.text()
    assert "✔ Établissement 0750654D accepté" in win.test_result.toPlainText()
    assert "Collège de test" in win.test_result.toPlainText()
    entry = journal.entries(base.db)[0]
    assert (entry.nature, entry.resultat) == (JournalKind.CONNECTION_TEST, JournalResult.SUCCESS)
    assert window.journal_view.model.entries[0].id == entry.id


def test_connection_test_to_an_unreachable_server(
    qtbot: QtBot, base: AppContext, sandbox: Sandbox
) -> None:
    netsynchro_settings.configure(base.db, "https://127.0.0.1:9/netsynchro",
                                  sandbox.ca_file.read_text())  # fmt: skip
    _with_sandbox_certificate(base, sandbox)
    window = make_window(qtbot, base)
    win = open_certificate_window(qtbot, window)
    win.test_button.click()
    qtbot.waitUntil(lambda: win.idle, timeout=WAIT)
    assert "Connexion impossible" in win.test_header.text()
    assert "✘ Serveur NetSynchro injoignable" in win.test_result.toPlainText()
    assert journal.entries(base.db)[0].resultat == JournalResult.FAILURE


def test_connection_test_without_netsynchro_address(
    qtbot: QtBot, base: AppContext, sandbox: Sandbox
) -> None:
    _with_sandbox_certificate(base, sandbox)
    window = make_window(qtbot, base)
    win = open_certificate_window(qtbot, window)
    assert "NetSynchro n'est pas configuré" in win.netsynchro_label.text()
    win.test_button.click()
    qtbot.waitUntil(lambda: win.idle, timeout=WAIT)
    assert "Test impossible" in win.test_header.text()
    assert "n'est pas configurée" in win.test_result.toPlainText()
    assert "Paramètres de la base" in win.test_result.toPlainText()
    entry = journal.entries(base.db)[0]
    assert entry.details["code"] == "NETSYNCHRO_NON_CONFIGURE"


def test_connection_test_can_be_left(
    qtbot: QtBot, base: AppContext, sandbox: Sandbox
) -> None:
    netsynchro_settings.configure(base.db, sandbox.url, sandbox.ca_file.read_text())
    _with_sandbox_certificate(base, sandbox)
    sandbox.faults.delay("GET */connexion/*", 1.5, count=1)
    try:
        window = make_window(qtbot, base)
        win = open_certificate_window(qtbot, window)
        win.test_button.click()
        assert win.abandon_button.isVisibleTo(win)
        win.abandon_button.click()
        assert not win.busy and win.test_button.isEnabled()
        assert "Test abandonné" in win.test_header.text()
        # The late answer (journaled by the service) does not overwrite the window.
        qtbot.waitUntil(lambda: len(journal.entries(base.db)) == 2, timeout=WAIT)
        qtbot.wait(100)
        assert "Test abandonné" in win.test_header.text()
    finally:
        sandbox.faults.clear()
