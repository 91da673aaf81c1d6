"""« … vers STSWEB sans l'assistant » and « Exporter les emplois du temps vers un fichier ».

Without the assistant, the same checks run silently off the GUI thread: if
something blocks, the list is shown and the assistant offered; otherwise one
confirmation, the send with its progress (cancellable until the upload
starts), and the compte rendu in a dialog. The send commands are not per
establishment, so a cité scolaire first picks one (:func:`choose_establishment`,
a seam the tests replace like ``dialogs``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QInputDialog, QWidget

from app.domain.models import Establishment
from app.errors import UserCancelled
from app.gui.dialogs import dialogs
from app.gui.hub import JOURNAL, TIMETABLE, hub
from app.gui.progress import TaskProgressDialog
from app.gui.sts_wizard import CompteRenduDialog, SendWizardDialog
from app.gui.tasks import Task, TaskControl, run_task
from app.services import base_admin
from app.services.sts import edt
from app.services.sts.edt import EdtSnapshot, ExportResult, Readiness
from app.services.sts.edt_file import suggested_name
from app.services.sts.send import SendResult, send_timetable
from app.services.sts_gui_support import failure_text
from app.store.database import Database

MAX_LISTED = 25


def _tr(text: str) -> str:
    return QCoreApplication.translate("EnvoiSTSWEB", text)


def ask_establishment(parent: QWidget | None, establishments: list[Establishment]) -> str | None:
    """Which establishment (modal; replaced in tests)."""
    labels = [e.label for e in establishments]
    label, ok = QInputDialog.getItem(parent, _tr("Établissement"),
                                     _tr("Pour quel établissement ?"), labels, 0, False)
    return establishments[labels.index(label)].uai if ok and label in labels else None


def choose_establishment(parent: QWidget | None, db: Database, uai: str | None) -> str | None:
    if uai is not None:
        return uai
    establishments = base_admin.establishments(db)
    if not establishments:
        dialogs.warning(parent, _tr("Passerelle"), _tr(
            "Aucun établissement dans la base : ajoutez-en un dans « Fichier > Paramètres de la "
            "base… »."))  # fmt: skip
        return None
    if len(establishments) == 1:
        return establishments[0].uai
    return ask_establishment(parent, establishments)


def blocking_list(readiness: Readiness) -> str:
    """The blocking problems, one per line, shortened past MAX_LISTED."""
    lines = [f"• {p}" for p in readiness.problems]
    lines += [f"• {s.description} : {s.reason_text}" for s in readiness.blocked]
    if len(lines) > MAX_LISTED:
        lines = [*lines[:MAX_LISTED],
                 _tr("… et {0} autre(s).").format(len(lines) - MAX_LISTED)]  # fmt: skip
    return "\n".join(lines)


class _Flow(QObject):
    """Keeps the running task, its progress dialog and the follow-up dialogs alive."""

    def __init__(self, parent: QWidget | None, db: Database) -> None:
        super().__init__(parent)
        self.widget = parent
        self.db = db
        self.task: Task | None = None
        self.progress: TaskProgressDialog | None = None
        self.dialog: Any = None

    def run(self, work: Callable[[TaskControl], Any], done: Callable[[Any], None], what: str,
            *, progress_label: str | None = None) -> None:  # fmt: skip
        def finished(result: Any, error: BaseException | None) -> None:
            self.task = None
            hub.data_changed.emit(JOURNAL)
            if isinstance(error, UserCancelled):
                return
            if error is not None:
                dialogs.warning(self.widget, what, failure_text(error, what))
                return
            done(result)

        self.task = run_task(work, finished, parent=self)
        if progress_label is not None:
            self.progress = TaskProgressDialog(self.task, what, progress_label, self.widget)


# The flows in progress: a menu handler returns at once, its flow lives on.
_flows: list[_Flow] = []


def _flow(parent: QWidget | None, db: Database) -> _Flow:
    flow = _Flow(parent, db)
    _flows[:] = [f for f in _flows if f.task is not None or f.dialog is not None]
    _flows.append(flow)
    return flow


def open_assistant(parent: QWidget | None, db: Database, uai: str | None) -> SendWizardDialog:
    dialog = SendWizardDialog(db, uai, parent)
    flow = _flow(parent, db)
    flow.dialog = dialog
    dialog.open()
    return dialog


def send_without_assistant(parent: QWidget | None, db: Database, uai: str | None) -> _Flow | None:
    code = choose_establishment(parent, db, uai)
    if code is None:
        return None
    flow = _flow(parent, db)
    title = _tr("Envoyer les emplois du temps vers STSWEB")

    def checked(readiness: Readiness) -> None:
        if not readiness.ready or readiness.summary is None:
            offer_assistant(readiness)
            return
        summary = readiness.summary
        if not dialogs.confirm(parent, title, _tr(
                "Envoyer {0} cours de {1} professeurs vers STSWEB ?").format(
                    summary.courses, summary.teachers)):  # fmt: skip
            return
        flow.run(lambda control: _send(db, code, control), sent, title,
                 progress_label=_tr("Vérification avant l'envoi…"))  # fmt: skip

    def offer_assistant(readiness: Readiness) -> None:
        if dialogs.confirm(parent, title, _tr(
                "L'envoi est impossible pour l'instant :\n\n{0}\n\nOuvrir l'assistant pour "
                "corriger ?").format(blocking_list(readiness))):  # fmt: skip
            flow.dialog = open_assistant(parent, db, code)

    def sent(result: SendResult) -> None:
        if result.blocked:
            offer_assistant(result.readiness)
            return
        hub.data_changed.emit(TIMETABLE)
        label = base_admin.require_establishment(db, code).label
        flow.dialog = CompteRenduDialog(result, label, parent)
        flow.dialog.open()

    flow.run(lambda _c: edt.check_before_send(db, code), checked,
             _tr("Vérification avant l'envoi"))  # fmt: skip
    return flow


def _send(db: Database, uai: str, control: TaskControl) -> SendResult:
    labels = {"verification": _tr("Vérification avant l'envoi…"),
              "envoi": _tr("Envoi du fichier à NetSynchro (ne peut plus être annulé)…"),
              "traitement": _tr("Traitement par STSWEB, attente du compte rendu…")}

    def progress(step: str, done: int, total: int | None) -> None:
        control.progress(done, total, labels.get(step, step))

    return send_timetable(db, uai, progress=progress, cancel=control.cancel_event)


def export_to_file(parent: QWidget | None, db: Database, uai: str | None) -> _Flow | None:
    code = choose_establishment(parent, db, uai)
    if code is None:
        return None
    flow = _flow(parent, db)
    title = _tr("Exporter les emplois du temps vers un fichier STSWEB")

    def checked(snap: EdtSnapshot) -> None:
        problems = edt.global_problems(snap)
        if problems:
            dialogs.warning(parent, title, "\n".join(problems))
            return
        report = snap.report
        if not report.exportable:
            dialogs.warning(parent, title, _tr(
                "Aucun cours n'est exportable : établissez les correspondances et mettez les "
                "cours en conformité (« … avec l'assistant »).\n\n{0}").format(
                    blocking_list(Readiness(False, [], report.blocked, None, snap))))  # fmt: skip
            return
        if report.blocked and not dialogs.confirm(parent, title, _tr(
                "{0} cours sur {1} ne sont pas exportables et seront laissés de côté. "
                "Continuer ?").format(len(report.blocked), len(report.statuses))):  # fmt: skip
            return
        target = dialogs.save_file(parent, title, _tr("Fichier EDT_STS (*.xml)"),
                                   str(Path.home() / suggested_name(snap.uai, snap.annee)))
        if not target:
            return
        flow.run(lambda _c: edt.export_to_file(db, code, Path(target)), written, title)

    def written(result: ExportResult) -> None:
        text = _tr("Fichier écrit :\n{0}\n\n{1} cours exportés").format(result.path,
                                                                        result.courses)
        text += (_tr(", {0} non exportables laissés de côté.").format(result.left_out)
                 if result.left_out else ".")  # fmt: skip
        dialogs.information(parent, title, text)

    flow.run(lambda _c: edt.snapshot(db, code), checked, _tr("Vérification avant l'export"))
    return flow
