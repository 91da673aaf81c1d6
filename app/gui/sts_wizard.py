"""« Envoyer les emplois du temps … vers STSWEB avec l'assistant »: the Qt layer.

All decisions (which step, whether Suivant/Précédent are allowed, what
blocks) belong to :class:`app.services.sts_wizard.SendWizard`; this module
only renders its six steps and runs its methods off the GUI thread, one at a
time. It is a QDialog with its own « Précédent »/« Suivant » buttons bound to
``can_go_back``/``can_go_next`` (as Electrum does), because the send step
must lock navigation while it runs, which QWizard does not model.

Nothing here writes to the base on its own: automatic matching, a manual
correspondance, a retrieval or a send each start from a button or an edit,
and their result is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFont, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.school_year import year_label
from app.errors import UserCancelled
from app.gui.course_dialog import CourseDialog
from app.gui.dialogs import dialogs
from app.gui.hub import JOURNAL, TIMETABLE, hub
from app.gui.sts_retrieval_window import StsRetrievalWindow
from app.gui.tasks import Task, TaskControl, run_task
from app.netsynchro.protocol import AnomalyKind, TaskReport, TaskState
from app.services import base_admin
from app.services.sts.compliance import HoursLine
from app.services.sts.correspondances import KindCorrespondances
from app.services.sts.edt import SendSummary
from app.services.sts.report_html import KIND_TEXT, STATE_TEXT, report_html
from app.services.sts.send import SendResult
from app.services.sts_gui_support import SOURCE_LABELS, failure_text
from app.services.sts_wizard import SendWizard, Step
from app.store.database import Database

NO_MATCH = ""  # combo data of « (aucune correspondance) »
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1  # local id on the first column


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _cell(text: str, *, tooltip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if tooltip:
        item.setToolTip(tooltip)
    return item


def _hours(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


# ---------------------------------------------------------------- compte rendu


class CompteRenduWidget(QWidget):
    """The server's compte rendu: state, counters, anomalies; print or save it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compte_rendu")
        self.report: TaskReport | None = None
        self.etablissement = ""
        self.report_path: Path | None = None
        self.state = QLabel()
        self.state.setObjectName("etat")
        self.state.setWordWrap(True)
        self.counters = QLabel()
        self.anomalies = _table([self.tr("Type"), self.tr("Concerne"), self.tr("Message"),
                                 self.tr("Code")])  # fmt: skip
        self.anomalies.setObjectName("anomalies")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.print_button = QPushButton(self.tr("Imprimer…"))
        self.save_button = QPushButton(self.tr("Enregistrer le compte rendu…"))
        self.print_button.clicked.connect(self.print_report)
        self.save_button.clicked.connect(self.save_report)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addWidget(self.counters)
        layout.addWidget(QLabel(self.tr("Anomalies signalées par STSWEB :")))
        layout.addWidget(self.anomalies, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)

    def show_result(self, result: SendResult, etablissement: str) -> None:
        assert result.report is not None
        self.report, self.etablissement, self.report_path = (result.report, etablissement,
                                                             result.report_path)
        report = result.report
        if report.state is TaskState.REJETEE:
            verdict = self.tr("L'envoi a été rejeté par STSWEB : rien n'a été importé.")
        elif report.anomalies:
            verdict = self.tr("L'envoi a été accepté avec des anomalies (voir ci-dessous).")
        else:
            verdict = self.tr("L'envoi a été accepté sans anomalie.")
        self.state.setText(f"<b>{STATE_TEXT[report.state]}</b> — {verdict}")
        c = report.counters
        self.counters.setText(
            self.tr("Services lus : {0} — complets : {1} — partiels : {2} — rejetés : {3}")
            .format(c.lus, c.complets, c.partiels, c.rejetes)
        )
        order = {AnomalyKind.REJ: 0, AnomalyKind.PAR: 1, AnomalyKind.MOD: 2}
        anomalies = sorted(report.anomalies, key=lambda a: order[a.kind])
        self.anomalies.setRowCount(len(anomalies))
        for row, a in enumerate(anomalies):
            for column, text in enumerate((KIND_TEXT[a.kind], a.reference, a.message, a.code)):
                self.anomalies.setItem(row, column, _cell(text, tooltip=a.message))
        where = (self.tr(" et dans le fichier {0}").format(result.report_path)
                 if result.report_path else "")  # fmt: skip
        self.note.setText(self.tr("Ce compte rendu est conservé dans le journal des échanges{0}.")
                          .format(where))  # fmt: skip

    def html(self) -> str:
        assert self.report is not None
        return report_html(self.report, self.etablissement)

    def save_report(self) -> None:
        if self.report is None:
            return
        name = self.report_path.name if self.report_path else "compte-rendu-stsweb.html"
        target = dialogs.save_file(self, self.tr("Enregistrer le compte rendu"),
                                   self.tr("Page web (*.html)"), str(Path.home() / name))
        if not target:
            return
        try:
            Path(target).write_text(self.html(), encoding="utf-8")
        except OSError as exc:
            dialogs.warning(self, self.tr("Enregistrer le compte rendu"),
                            self.tr("Le fichier n'a pas pu être écrit : {0}").format(exc.strerror))
            return
        # Opening it gives the secretary the browser's own « Imprimer » too.
        QDesktopServices.openUrl(QUrl.fromLocalFile(target))

    def print_report(self) -> None:  # pragma: no cover - modal system dialog
        if self.report is None:
            return
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        if QPrintDialog(printer, self).exec() == QDialog.DialogCode.Accepted:
            document = QTextDocument()
            document.setHtml(self.html())
            document.print_(printer)


class CompteRenduDialog(QDialog):
    """The compte rendu alone (« sans l'assistant »)."""

    def __init__(self, result: SendResult, etablissement: str,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("dialogue_compte_rendu")
        self.setWindowTitle(self.tr("Compte rendu de l'envoi vers STSWEB"))
        self.resize(760, 480)
        self.widget = CompteRenduWidget(self)
        self.widget.show_result(result, etablissement)
        close = QPushButton(self.tr("Fermer"))
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.widget, 1)
        layout.addLayout(row)


# ------------------------------------------------------------ correspondances


class MatchDelegate(QStyledItemDelegate):
    """Edits the STSWEB column in place with a combo of the STS items; the ones no local
    item uses yet are in bold (as in EDT's picker)."""

    def __init__(self, page: CorrespondancesPage) -> None:
        super().__init__(page)
        self.page = page

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:  # fmt: skip
        view = self.page.view_for(index)
        combo = QComboBox(parent)
        combo.addItem(self.page.tr("(aucune correspondance)"), NO_MATCH)
        bold = QFont(combo.font())
        bold.setBold(True)
        for item in view.sts_items if view else ():
            combo.addItem(item.label, item.key)
            if item.unmatched:
                combo.setItemData(combo.count() - 1, bold, Qt.ItemDataRole.FontRole)
        return combo

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QComboBox)
        key = index.data(Qt.ItemDataRole.UserRole)
        editor.setCurrentIndex(max(0, editor.findData(key or NO_MATCH)))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:  # fmt: skip
        assert isinstance(editor, QComboBox)
        key = str(editor.currentData() or NO_MATCH)
        if key != (index.data(Qt.ItemDataRole.UserRole) or NO_MATCH):
            # The base is written by the page (off the GUI thread); the cell follows the result.
            self.page.choose(index, key or None)


class CorrespondancesPage(QWidget):
    def __init__(self, dialog: SendWizardDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.views: dict[str, KindCorrespondances] = {}
        intro = QLabel(self.tr(
            "Chaque élément de l'emploi du temps doit correspondre à un élément de STSWEB, sinon "
            "ses cours ne sont pas envoyés. Double-cliquez dans la colonne « STSWEB » pour "
            "choisir ; les éléments STSWEB encore sans correspondance sont en gras."))
        intro.setWordWrap(True)
        self.auto_button = QPushButton(self.tr("Établir les correspondances automatiquement"))
        self.auto_button.setToolTip(self.tr("Modifie la base : associe les éléments de même nom "
                                            "ou de même code, sans toucher à vos choix."))
        self.auto_button.clicked.connect(dialog.auto_match)
        self.result = QLabel()
        self.result.setObjectName("resultat_correspondances")
        self.result.setWordWrap(True)
        self.tabs = QTabWidget()
        self.tables: dict[str, QTableWidget] = {}
        self.delegate = MatchDelegate(self)
        row = QHBoxLayout()
        row.addWidget(self.auto_button)
        row.addWidget(self.result, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.tabs, 1)

    def show_views(self, kinds: dict[str, KindCorrespondances], used_missing: dict[str, int]
                   ) -> None:  # fmt: skip
        self.views = kinds
        current = self.tabs.currentIndex()
        self.tabs.clear()
        self.tables.clear()
        for kind, view in kinds.items():
            table = _table([self.tr("Emploi du temps"), self.tr("STSWEB"), self.tr("Origine")])
            table.setObjectName(f"correspondances_{kind}")
            table.setProperty("kind", kind)
            table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
            table.setItemDelegateForColumn(1, self.delegate)
            table.setRowCount(len(view.local_items))
            for r, item in enumerate(view.local_items):
                local = _cell(item.label if item.label == item.code else
                              f"{item.label} ({item.code})")  # fmt: skip
                local.setData(ITEM_ROLE, item.id)
                match = QTableWidgetItem(item.sts_label or self.tr("— aucune —"))
                match.setData(Qt.ItemDataRole.UserRole, item.sts_key if item.matched else None)
                if not item.matched:
                    match.setForeground(Qt.GlobalColor.darkRed)
                origin = {"auto": self.tr("automatique"), "manuel": self.tr("choisie")}.get(
                    item.origine or "", "")
                table.setItem(r, 0, local)
                table.setItem(r, 1, match)
                table.setItem(r, 2, _cell(origin))
            label = view.label
            if view.missing:
                label = self.tr("{0} ({1} sans correspondance)").format(view.label, view.missing)
            self.tabs.addTab(self._tab(table, view, used_missing.get(kind, 0)), label)
            self.tables[kind] = table
        self.tabs.setCurrentIndex(max(0, current))

    def _tab(self, table: QTableWidget, view: KindCorrespondances, used: int) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        counts = QLabel(self.tr(
            "{0} élément(s) sans correspondance, dont {1} utilisé(s) par des cours ; {2} "
            "élément(s) STSWEB non associé(s) (en gras dans la liste).").format(
                view.missing, used, view.unmatched_sts))  # fmt: skip
        counts.setWordWrap(True)
        layout.addWidget(counts)
        layout.addWidget(table, 1)
        return page

    def view_for(self, index: QModelIndex | QPersistentModelIndex) -> KindCorrespondances | None:
        for kind, table in self.tables.items():
            if index.model() is table.model():
                return self.views.get(kind)
        return None

    def choose(self, index: QModelIndex | QPersistentModelIndex, sts_key: str | None) -> None:
        view = self.view_for(index)
        if view is None:
            return
        local_id = int(index.model().index(index.row(), 0).data(ITEM_ROLE))
        self.dialog.set_correspondance(view.kind, local_id, sts_key)


# -------------------------------------------------------------------- the dialog


class SendWizardDialog(QDialog):
    def __init__(self, db: Database, uai: str | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.db = db
        self.setObjectName("assistant_envoi")
        self.setWindowTitle(self.tr("Envoyer les emplois du temps vers STSWEB"))
        self.resize(900, 620)
        self.wizard: SendWizard | None = None
        self.task: Task | None = None
        self.sending = False
        self._child: QDialog | None = None
        annee = base_admin.school_year(db)

        self.heading = QLabel()
        self.heading.setObjectName("titre_etape")
        self.message = QLabel()
        self.message.setObjectName("message_etape")
        self.message.setWordWrap(True)
        self.stack = QStackedWidget()

        # 1. Établissement.
        page1 = QWidget()
        self.establishment = QComboBox()
        for e in base_admin.establishments(db):
            self.establishment.addItem(e.label, e.uai)
        if uai is not None and (i := self.establishment.findData(uai)) >= 0:
            self.establishment.setCurrentIndex(i)
        self.establishment.currentIndexChanged.connect(lambda _i: self.start())
        self.freshness = QLabel()
        self.freshness.setObjectName("fraicheur")
        self.freshness.setWordWrap(True)
        self.retrieve_button = QPushButton(self.tr("Récupérer maintenant…"))
        self.retrieve_button.clicked.connect(self.retrieve_now)
        form = QFormLayout(page1)
        form.addRow(self.tr("Établissement :"), self.establishment)
        form.addRow(self.tr("Année scolaire :"), QLabel(year_label(annee)))
        form.addRow(self.tr("Données STSWEB :"), self.freshness)
        form.addRow("", self.retrieve_button)
        note = QLabel(self.tr("Conseil : créez d'abord une copie de la base (« Fichier > Créer une "
                              "copie de la base… ») ; chaque modification faite dans cet "
                              "assistant est enregistrée dans la base."))
        note.setWordWrap(True)
        form.addRow(note)

        # 2. Correspondances.
        self.correspondances = CorrespondancesPage(self)

        # 3. Conformité.
        page3 = QWidget()
        self.blocked = _table([self.tr("Cours"), self.tr("Pourquoi il ne peut pas être envoyé")])
        self.blocked.setObjectName("cours_non_exportables")
        self.blocked.doubleClicked.connect(lambda _i: self.open_course())
        self.open_course_button = QPushButton(self.tr("Ouvrir le cours…"))
        self.open_course_button.clicked.connect(self.open_course)
        self.recheck_button = QPushButton(self.tr("Vérifier à nouveau"))
        self.recheck_button.clicked.connect(lambda: self._refresh(Step.CONFORMITE))
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        row3 = QHBoxLayout()
        row3.addWidget(self.warnings, 1)
        row3.addWidget(self.open_course_button)
        row3.addWidget(self.recheck_button)
        layout3 = QVBoxLayout(page3)
        layout3.addWidget(self.blocked, 1)
        layout3.addLayout(row3)

        # 4. Récapitulatif.
        page4 = QWidget()
        self.summary = QLabel()
        self.summary.setObjectName("recapitulatif")
        self.summary.setWordWrap(True)
        hours_headers = [self.tr("Emploi du temps (h)"), self.tr("Services STSWEB (h)"),
                         self.tr("Écart")]  # fmt: skip
        self.teacher_hours = _table([self.tr("Professeur"), *hours_headers])
        self.structure_hours = _table([self.tr("Classe ou groupe"), *hours_headers])
        hours = QTabWidget()
        hours.addTab(self.teacher_hours, self.tr("Heures par professeur"))
        hours.addTab(self.structure_hours, self.tr("Heures par classe et groupe"))
        layout4 = QVBoxLayout(page4)
        layout4.addWidget(self.summary)
        layout4.addWidget(hours, 1)

        # 5. Envoi.
        page5 = QWidget()
        self.send_button = QPushButton(self.tr("Envoyer vers STSWEB"))
        self.send_button.setObjectName("envoyer")
        self.send_button.clicked.connect(self.send)
        self.cancel_send = QPushButton(self.tr("Annuler l'envoi"))
        self.cancel_send.setEnabled(False)
        self.cancel_send.clicked.connect(self._cancel_task)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.send_status = QLabel()
        self.send_status.setObjectName("etat_envoi")
        self.send_status.setWordWrap(True)
        row5 = QHBoxLayout()
        row5.addWidget(self.send_button)
        row5.addWidget(self.cancel_send)
        row5.addStretch(1)
        layout5 = QVBoxLayout(page5)
        layout5.addLayout(row5)
        layout5.addWidget(self.progress)
        layout5.addWidget(self.send_status)
        layout5.addStretch(1)

        # 6. Compte rendu.
        self.compte_rendu = CompteRenduWidget()

        for page in (page1, self.correspondances, page3, page4, page5, self.compte_rendu):
            self.stack.addWidget(page)

        self.back_button = QPushButton(self.tr("< &Précédent"))
        self.next_button = QPushButton(self.tr("&Suivant >"))
        self.close_button = QPushButton(self.tr("Annuler"))
        self.back_button.setObjectName("precedent")
        self.next_button.setObjectName("suivant")
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.close_button.clicked.connect(self.reject)
        nav = QHBoxLayout()
        nav.addStretch(1)
        nav.addWidget(self.back_button)
        nav.addWidget(self.next_button)
        nav.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        layout.addLayout(nav)
        self.start()

    # -- running the logic off the GUI thread -------------------------------------------

    def uai(self) -> str | None:
        value = self.establishment.currentData()
        return None if value is None else str(value)

    def _run(self, work: Callable[[TaskControl], Any],
             done: Callable[[Any], None], *, what: str,
             on_progress: Callable[[int, int, str], None] | None = None) -> None:  # fmt: skip
        """One logic call at a time; its French error goes to a warning, nothing is lost."""
        if self.task is not None:
            return

        def finished(result: Any, error: BaseException | None) -> None:
            self.task = None
            if error is None:
                done(result)
            elif not isinstance(error, UserCancelled):
                dialogs.warning(self, self.windowTitle(), failure_text(error, what))
            self.update_view()

        self.task = run_task(work, finished, on_progress=on_progress, parent=self)
        self.update_view()

    def start(self) -> None:
        """(Re)build the logic for the chosen establishment: back to step 1."""
        uai, db = self.uai(), self.db
        if uai is None:
            self.wizard = None
            self.update_view()
            return
        self._run(lambda _c: SendWizard(db, uai), self._started, what=self.tr("Lecture"))

    def _started(self, wizard: SendWizard) -> None:
        self.wizard = wizard

    def _refresh(self, _step: Step | None = None) -> None:
        wizard = self.wizard
        if wizard is not None:
            self._run(lambda _c: wizard.refresh(), lambda _r: None, what=self.tr("Vérification"))

    # -- navigation -----------------------------------------------------------------------

    def go_next(self) -> None:
        wizard = self.wizard
        if wizard is None or not wizard.can_go_next():
            return
        wizard.next()
        if wizard.step is Step.RECAPITULATIF:
            self._run(lambda _c: wizard.summary(), self._show_summary,
                      what=self.tr("Récapitulatif"))
        self.update_view()

    def go_back(self) -> None:
        wizard = self.wizard
        if wizard is not None and wizard.can_go_back() and self.task is None:
            wizard.back()
            self.update_view()

    def update_view(self) -> None:
        wizard = self.wizard
        idle = self.task is None
        if wizard is None:
            self.heading.setText(self.tr("<h3>Établissement et données STSWEB</h3>"))
            self.message.setText(self.tr("Lecture de la base…") if not idle else
                                 self.tr("Aucun établissement dans la base."))  # fmt: skip
            self.back_button.setEnabled(False)
            self.next_button.setEnabled(False)
            return
        step = wizard.step
        self.stack.setCurrentIndex(int(step) - 1)
        self.heading.setText(self.tr("<h3>Étape {0} sur 6 : {1}</h3>").format(int(step),
                                                                             wizard.title))
        state = wizard.state()
        message = state.message
        if not state.valid and state.details and step is not Step.CONFORMITE:
            message += "\n" + "\n".join(f"• {d}" for d in state.details[:8])
        self.message.setText(message)
        self.back_button.setEnabled(idle and wizard.can_go_back())
        self.next_button.setEnabled(idle and wizard.can_go_next())
        self.next_button.setVisible(not wizard.is_last)
        self.establishment.setEnabled(idle and step is Step.ETABLISSEMENT)
        self.close_button.setText(self.tr("Terminer") if wizard.is_last else self.tr("Annuler"))
        self.close_button.setEnabled(not self.sending)
        if idle:
            self._render_step(wizard, step)

    def _render_step(self, wizard: SendWizard, step: Step) -> None:
        snap = wizard.snapshot
        if step is Step.ETABLISSEMENT:
            fresh = wizard.freshness()
            if fresh.retrieved is None:
                self.freshness.setText(self.tr("Aucune donnée STSWEB {0} dans la base.")
                                       .format(fresh.year_label))  # fmt: skip
            else:
                when = fresh.retrieved.astimezone().strftime("%d/%m/%Y à %H:%M")
                text = self.tr("Récupérées le {0} ({1}), il y a {2} jour(s).").format(
                    when, SOURCE_LABELS.get(fresh.source or "", fresh.source), fresh.age_days)
                if fresh.stale:
                    text += " " + self.tr("Pensez à les récupérer à nouveau.")
                self.freshness.setText(text)
        elif step is Step.CORRESPONDANCES:
            self.correspondances.auto_button.setEnabled(snap.sts is not None)
            self.correspondances.show_views(snap.correspondances.kinds,
                                            wizard.missing_correspondances())
        elif step is Step.CONFORMITE:
            blocked = wizard.non_exportable()
            self.blocked.setRowCount(len(blocked))
            for row, status in enumerate(blocked):
                first = _cell(status.description)
                first.setData(ITEM_ROLE, status.course.id)
                self.blocked.setItem(row, 0, first)
                self.blocked.setItem(row, 1, _cell(status.reason_text, tooltip=status.reason_text))
            warned = len(snap.report.warnings)
            self.warnings.setText(self.tr("{0} cours non exportable(s) ; {1} avertissement(s) "
                                          "(professeur déjà occupé…), qui ne bloquent pas.")
                                  .format(len(blocked), warned))  # fmt: skip
            self.open_course_button.setEnabled(bool(blocked))
        elif step is Step.ENVOI:
            self.send_button.setEnabled(not self.sending and wizard.result is None)

    # -- step actions ------------------------------------------------------------------------

    def retrieve_now(self) -> None:
        window = StsRetrievalWindow(self.db, self.uai(), self)
        window.retrieved.connect(lambda _r: self._refresh())
        self._child = window
        window.open()

    def auto_match(self) -> None:
        wizard = self.wizard
        if wizard is None:
            return

        def done(added: dict[str, int]) -> None:
            total = sum(added.values())
            self.correspondances.result.setText(
                self.tr("{0} correspondance(s) ajoutée(s) automatiquement et enregistrée(s) "
                        "dans la base.").format(total) if total else
                self.tr("Aucune nouvelle correspondance trouvée automatiquement."))  # fmt: skip
            hub.data_changed.emit(TIMETABLE)

        self._run(lambda _c: wizard.auto_match(), done, what=self.tr("Correspondances"))

    def set_correspondance(self, kind: str, local_id: int, sts_key: str | None) -> None:
        wizard = self.wizard
        if wizard is None:
            return

        def done(item: Any) -> None:
            target = item.sts_label or self.tr("aucune correspondance")
            self.correspondances.result.setText(
                self.tr("Enregistré dans la base : {0} → {1}.").format(item.label, target))
            hub.data_changed.emit(TIMETABLE)

        self._run(lambda _c: wizard.set_correspondance(kind, local_id, sts_key), done,
                  what=self.tr("Correspondance"))  # fmt: skip

    def open_course(self) -> None:
        wizard, uai = self.wizard, self.uai()
        rows = self.blocked.selectionModel().selectedRows() if self.blocked.selectionModel() \
            else []
        row = rows[0].row() if rows else (0 if self.blocked.rowCount() else -1)
        if wizard is None or uai is None or row < 0:
            return
        cell = self.blocked.item(row, 0)
        course_id = cell.data(ITEM_ROLE) if cell is not None else None
        course = next((c for c in wizard.snapshot.data.courses if c.id == course_id), None)
        if course is None:
            return
        dialog = CourseDialog(self.db, uai, wizard.snapshot.data, course, self)
        dialog.saved.connect(lambda _id: self._refresh())
        self._child = dialog
        dialog.open()

    def _show_summary(self, summary: SendSummary | None) -> None:
        if summary is None:
            self.summary.setText(self.tr("Rien ne peut être envoyé pour l'instant."))
            return
        self.summary.setText(self.tr(
            "Seront envoyés : {0} cours, soit {1} services, de {2} professeurs, pour {3} "
            "divisions et {4} groupes.").format(summary.courses, summary.services,
                                                summary.teachers, summary.divisions,
                                                summary.groupes)
            + (self.tr(" {0} avertissement(s) à vérifier.").format(summary.warnings)
               if summary.warnings else ""))  # fmt: skip
        self._fill_hours(self.teacher_hours, summary.teacher_hours)
        self._fill_hours(self.structure_hours, summary.structure_hours)

    def _fill_hours(self, table: QTableWidget, lines: list[HoursLine]) -> None:
        table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            difference = line.difference
            cells = (line.label, _hours(line.timetable), _hours(line.sts), _hours(difference))
            for column, text in enumerate(cells):
                item = _cell(text)
                if column == 3 and difference:
                    item.setForeground(Qt.GlobalColor.darkRed)
                    item.setToolTip(self.tr("L'emploi du temps et les services STSWEB diffèrent."))
                table.setItem(row, column, item)

    def send(self) -> None:
        wizard = self.wizard
        if wizard is None or self.task is not None or wizard.step is not Step.ENVOI:
            return
        self.sending = True
        self.send_button.setEnabled(False)
        self.cancel_send.setEnabled(True)
        self.send_status.setText(self.tr("Vérification avant l'envoi…"))
        self.progress.setRange(0, 0)

        def work(control: TaskControl) -> SendResult:
            def progress(step: str, done: int, total: int | None) -> None:
                control.progress(done, total, step)

            return wizard.send(progress=progress, cancel=control.cancel_event)

        self._run(work, self._sent, what=self.tr("Envoi vers STSWEB"),
                  on_progress=self._send_progress)  # fmt: skip
        self.sending = self.task is not None
        if not self.sending:
            return
        task = self.task
        assert task is not None
        task.done.connect(lambda *_: self._send_finished())

    def _send_progress(self, done: int, total: int, step: str) -> None:
        labels = {"verification": self.tr("Vérification avant l'envoi…"),
                  "envoi": self.tr("Envoi du fichier à NetSynchro…"),
                  "traitement": self.tr("Fichier reçu par NetSynchro ; traitement par STSWEB…")}
        self.send_status.setText(labels.get(step, step))
        if step in ("envoi", "traitement"):
            # Once bytes leave, the server may hold the file: only its compte rendu is truthful.
            self.cancel_send.setEnabled(False)
            self.cancel_send.setToolTip(self.tr("L'envoi a commencé : il ne peut plus être "
                                                "annulé."))
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(done, total) / total))
        else:
            self.progress.setRange(0, 0)

    def _send_finished(self) -> None:
        self.sending = False
        self.cancel_send.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.wizard and self.wizard.result else 0)
        hub.data_changed.emit(JOURNAL)
        hub.data_changed.emit(TIMETABLE)
        if self.wizard is not None and self.wizard.result is None:
            self.send_status.setText(self.tr("L'envoi n'a pas eu lieu ou s'est interrompu : voir "
                                             "le journal des échanges."))
        self.update_view()

    def _sent(self, result: SendResult) -> None:
        if result.blocked:
            problems = [*result.readiness.problems,
                        *(f"{s.description} : {s.reason_text}" for s in result.readiness.blocked)]
            dialogs.warning(self, self.windowTitle(), self.tr(
                "Rien n'a été envoyé : l'emploi du temps a changé depuis les vérifications.\n\n"
                "{0}").format("\n".join(problems[:20])))  # fmt: skip
            return
        etablissement = self.establishment.currentText()
        self.compte_rendu.show_result(result, etablissement)
        self.send_status.setText(self.tr("Envoi terminé."))

    def _cancel_task(self) -> None:
        if self.task is not None:
            self.send_status.setText(self.tr("Annulation en cours…"))
            self.task.cancel()

    def reject(self) -> None:
        if self.sending:
            return  # the send goes to its compte rendu; closing would hide it
        if self.task is not None:
            self.task.cancel()
        super().reject()
