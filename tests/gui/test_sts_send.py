"""The send assistant and « sans l'assistant », end to end against the real HTTPS sandbox
(client certificates, loopback), on a real SQLite base; dialogs through the seam."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import QComboBox, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from app.domain.models import JournalKind
from app.domain.school_year import default_year
from app.gui import sts_send
from app.gui.dialogs import dialogs
from app.gui.sts_wizard import NO_MATCH, CompteRenduDialog, SendWizardDialog
from app.netsynchro.sandbox import Sandbox
from app.security.memory_keyring import MemoryKeyring
from app.services import base_admin, certificates, journal, netsynchro_settings
from app.services.context import AppContext
from app.services.sts import courses, retrieval, timetable_import
from app.services.sts.courses import CourseDraft
from app.services.sts_wizard import Step

UAI = "0750654D"
WAIT = 30_000


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
def _no_proxy_nor_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                 "all_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    # Saving the compte rendu opens it in the browser: not during tests.
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: True)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path_factory.mktemp("bac-a-sable-edt"), year=default_year(),
                  establishments=[(UAI, "Collège de test")], students=20,
                  task_delay=0.2)  # fmt: skip
    box.start()
    yield box
    box.faults.clear()
    box.stop()


@pytest.fixture
def base(ctx: AppContext, sandbox: Sandbox) -> AppContext:
    """STS data retrieved by NetSynchro from the sandbox, the demo timetable built on it."""
    base_admin.add_establishment(ctx.db, UAI, "Collège de test")
    netsynchro_settings.configure(ctx.db, sandbox.url, sandbox.ca_file.read_text())
    certificates.import_certificate(ctx.db, UAI, sandbox.certificate_file(UAI).read_bytes(),
                                    sandbox.passwords[UAI])  # fmt: skip
    retrieval.retrieve_by_netsynchro(ctx.db, UAI)
    timetable_import.import_demo(ctx.db, UAI)
    return ctx


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "warning", lambda _p, _t, text: shown.append(text))
    return shown


def _wizard(qtbot: QtBot, ctx: AppContext) -> SendWizardDialog:
    dialog = SendWizardDialog(ctx.db, UAI)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.wizard is not None and dialog.task is None, timeout=WAIT)
    return dialog


def _idle(qtbot: QtBot, dialog: SendWizardDialog) -> None:
    qtbot.waitUntil(lambda: dialog.task is None, timeout=WAIT)


def _step(dialog: SendWizardDialog) -> Step:
    # A function call, so the type checker does not keep the step narrowed across clicks.
    assert dialog.wizard is not None
    return dialog.wizard.step


def _answer_yes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    questions: list[str] = []

    def confirm(_p: Any, _t: str, text: str) -> bool:
        questions.append(text)
        return True

    monkeypatch.setattr(dialogs, "confirm", confirm)
    return questions


def _teacherless_course(ctx: AppContext) -> int:
    data = courses.resources(ctx.db, UAI)
    model = data.courses[0]
    return courses.add_course(ctx.db, UAI, CourseDraft(
        model.matiere_id, model.structure_id, model.day, model.start, model.duration,
        model.alternance_id))  # fmt: skip


def test_navigation_follows_the_logic_and_a_correspondance_edited_in_place_persists(
    qtbot: QtBot, base: AppContext, warnings: list[str]
) -> None:
    dialog = _wizard(qtbot, base)
    assert "Suivant" in dialog.next_button.text()
    assert "Précédent" in dialog.back_button.text()
    assert dialog.wizard is not None and dialog.wizard.step is Step.ETABLISSEMENT
    assert not dialog.back_button.isEnabled() and dialog.next_button.isEnabled()
    assert "récupérées le" in dialog.freshness.text().lower()

    dialog.next_button.click()
    assert _step(dialog) is Step.CORRESPONDANCES
    assert dialog.back_button.isEnabled() and dialog.next_button.isEnabled()
    table = dialog.correspondances.tables["enseignant"]
    used = {t for c in dialog.wizard.snapshot.data.courses for t in c.teacher_ids}
    model = table.model()
    row = next(r for r in range(table.rowCount())
               if model.index(r, 0).data(Qt.ItemDataRole.UserRole + 1) in used)  # fmt: skip
    local_id = model.index(row, 0).data(Qt.ItemDataRole.UserRole + 1)
    original = model.index(row, 1).data(Qt.ItemDataRole.UserRole)
    assert original

    def edit_in_place(key: str) -> None:
        current = dialog.correspondances.tables["enseignant"]
        index = current.model().index(row, 1)
        delegate = dialog.correspondances.delegate
        editor = delegate.createEditor(current.viewport(), QStyleOptionViewItem(), index)
        assert isinstance(editor, QComboBox)
        delegate.setEditorData(editor, index)
        editor.setCurrentIndex(editor.findData(key))
        delegate.setModelData(editor, current.model(), index)
        _idle(qtbot, dialog)

    # The picker lists every STS person; the ones nobody matched are in bold.
    probe = dialog.correspondances.delegate.createEditor(
        table.viewport(), QStyleOptionViewItem(), table.model().index(row, 1))
    assert isinstance(probe, QComboBox)
    view = dialog.correspondances.views["enseignant"]
    assert probe.count() == len(view.sts_items) + 1
    unmatched = [i for i in view.sts_items if i.unmatched]
    if unmatched:
        font = probe.itemData(probe.findData(unmatched[0].key), Qt.ItemDataRole.FontRole)
        assert isinstance(font, QFont) and font.bold()

    edit_in_place(NO_MATCH)
    assert courses.resources(base.db, UAI).teachers[local_id].sts_code is None
    assert not dialog.next_button.isEnabled()  # a used teacher has no match any more
    assert "sans correspondance" in dialog.message.text()
    assert "Enregistré dans la base" in dialog.correspondances.result.text()

    edit_in_place(original)
    teacher = courses.resources(base.db, UAI).teachers[local_id]
    assert (teacher.sts_code, teacher.origine) == (original, "manuel")
    assert dialog.next_button.isEnabled()
    dialog.back_button.click()
    assert dialog.wizard.step is Step.ETABLISSEMENT
    assert not warnings


def test_non_exportable_courses_are_listed_and_fixed_from_the_assistant(
    qtbot: QtBot, base: AppContext
) -> None:
    course_id = _teacherless_course(base)
    dialog = _wizard(qtbot, base)
    dialog.next_button.click()
    dialog.next_button.click()
    assert dialog.wizard is not None and dialog.wizard.step is Step.CONFORMITE
    assert dialog.blocked.rowCount() == 1
    reason = dialog.blocked.item(0, 1)
    assert reason is not None and "pas de professeur" in reason.text()
    assert not dialog.next_button.isEnabled()

    dialog.open_course()
    course_dialog = dialog._child
    from app.gui.course_dialog import CourseDialog

    assert isinstance(course_dialog, CourseDialog) and course_dialog.course is not None
    assert course_dialog.course.id == course_id
    teacher = next(iter(dialog.wizard.snapshot.data.teachers))
    course_dialog.set_teachers({teacher})
    course_dialog.save()
    qtbot.waitUntil(lambda: dialog.blocked.rowCount() == 0 and dialog.task is None,
                    timeout=WAIT)  # fmt: skip
    assert dialog.next_button.isEnabled()


def test_send_from_the_assistant_to_the_sandbox(
    qtbot: QtBot, base: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    warnings: list[str],
) -> None:  # fmt: skip
    dialog = _wizard(qtbot, base)
    for _ in range(3):
        dialog.next_button.click()
        _idle(qtbot, dialog)
    assert dialog.wizard is not None and dialog.wizard.step is Step.RECAPITULATIF
    assert "cours" in dialog.summary.text() and dialog.teacher_hours.rowCount() > 0
    assert dialog.structure_hours.rowCount() > 0
    dialog.next_button.click()
    assert _step(dialog) is Step.ENVOI
    assert not dialog.next_button.isEnabled()
    dialog.send_button.click()
    assert dialog.sending and not dialog.back_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.sending, timeout=WAIT)
    assert not warnings, warnings
    assert _step(dialog) is Step.COMPTE_RENDU
    assert dialog.stack.currentWidget() is dialog.compte_rendu
    assert "accepté" in dialog.compte_rendu.state.text()
    assert "Services lus" in dialog.compte_rendu.counters.text()
    assert "journal des échanges" in dialog.compte_rendu.note.text()
    assert not dialog.back_button.isEnabled() and dialog.close_button.text() == "Terminer"
    entry = journal.entries(base.db)[0]
    assert entry.nature == JournalKind.EDT_SEND

    target = tmp_path / "cr.html"
    monkeypatch.setattr(dialogs, "save_file", lambda *a, **k: str(target))
    dialog.compte_rendu.save_report()
    assert "Compte rendu d'envoi" in target.read_text(encoding="utf-8")


def test_send_without_the_assistant_to_the_sandbox(
    qtbot: QtBot, base: AppContext, monkeypatch: pytest.MonkeyPatch, warnings: list[str]
) -> None:
    questions = _answer_yes(monkeypatch)
    data = courses.resources(base.db, UAI)
    teachers = {t for c in data.courses for t in c.teacher_ids}
    flow = sts_send.send_without_assistant(None, base.db, None)
    assert flow is not None
    qtbot.waitUntil(lambda: isinstance(flow.dialog, CompteRenduDialog) or bool(warnings),
                    timeout=WAIT)  # fmt: skip
    assert not warnings, warnings
    assert questions == [
        f"Envoyer {len(data.courses)} cours de {len(teachers)} professeurs vers STSWEB ?"
    ]
    assert isinstance(flow.dialog, CompteRenduDialog)
    qtbot.addWidget(flow.dialog)
    assert "accepté" in flow.dialog.widget.state.text()
    assert journal.entries(base.db)[0].nature == JournalKind.EDT_SEND


def test_blocked_send_lists_the_reasons_and_offers_the_assistant(
    qtbot: QtBot, base: AppContext, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox
) -> None:
    _teacherless_course(base)
    questions = _answer_yes(monkeypatch)
    sandbox.clear_requests()
    flow = sts_send.send_without_assistant(None, base.db, UAI)
    assert flow is not None
    qtbot.waitUntil(lambda: flow.dialog is not None, timeout=WAIT)
    assert len(questions) == 1
    assert "pas de professeur" in questions[0] and "Ouvrir l'assistant" in questions[0]
    assert isinstance(flow.dialog, SendWizardDialog)
    qtbot.addWidget(flow.dialog)
    # Nothing reached the server.
    assert not [r for r in sandbox.requests if "/imports/" in r.path]
