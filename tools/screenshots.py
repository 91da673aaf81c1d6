"""Regenerate the screenshots of the user guide (docs/guide-utilisateur.md).

    .venv/bin/python tools/screenshots.py [--sortie docs/images]

Without a display (no ``DISPLAY``), the script runs itself again under
``xvfb-run -a -s "-screen 0 1280x800x24"`` with ``QT_QPA_PLATFORM=xcb``, so
this one command regenerates every image (engineering-notes §7).

Everything happens on throw-away data: a temporary data directory
(``PASSERELLE_DATA_DIR``), temporary Qt settings and an in-memory keyring. The
demo base and its local NetSynchro sandbox (app.services.demo.open_demo) stand
in for a school and the ministry. Each window is then driven through the code
paths a user triggers: menu actions, fields filled, buttons clicked, the real
services running on the background-task helper. Modal dialogs cannot be
exec()'d here, so the ``dialogs`` seam answers instead (as in the tests), and
a message the guide shows is rebuilt as a non-modal QMessageBox with the very
text the application passed to the seam.

The data are deterministic (fixed seeds: sandbox 2024, SIECLE files 11,
timetable 3) and so are window sizes; dates, ports and fingerprints change
from one run to the next.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCREEN = "1280x800x24"
MAIN_SIZE = (1220, 740)
TIMEOUT = 90.0  # seconds for one background step (slow CI machines)
FIRST = "0690001B"  # the collège of the demo cité scolaire
SECOND = "0690002C"  # the lycée
GRID_CLASS = "6A"  # the class shown in the week grid


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tools/screenshots.py",
        description="Régénère les captures d'écran du guide utilisateur.",
    )
    parser.add_argument("--sortie", type=Path, default=ROOT / "docs" / "images",
                        help="dossier des images PNG (défaut : docs/images)")  # fmt: skip
    return parser.parse_args(argv)


def rerun_under_xvfb(argv: list[str]) -> int:
    """No display: the same command again inside a virtual X server."""
    if shutil.which("xvfb-run") is None:
        print("Pas d'écran (DISPLAY) et xvfb-run est absent : apt-get install xvfb xauth",
              file=sys.stderr)  # fmt: skip
        return 1
    command = ["xvfb-run", "-a", "-s", f"-screen 0 {SCREEN}", "env", "QT_QPA_PLATFORM=xcb",
               sys.executable, str(Path(__file__).resolve()), *argv]  # fmt: skip
    return subprocess.run(command, check=False).returncode


def isolate(workdir: Path) -> None:
    """Point everything that persists at ``workdir``: nothing of the user's is touched.

    Must run before anything of ``app`` reads its data directory.
    """
    os.environ["PASSERELLE_DATA_DIR"] = str(workdir / "donnees")
    os.environ["PASSERELLE_NO_CRASH_DIALOG"] = "1"
    # The sandbox listens on loopback: a proxy of the environment must not be used.
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                 "all_proxy"):  # fmt: skip
        os.environ.pop(name, None)

    import keyring

    from app.security.memory_keyring import MemoryKeyring

    # The screenshots must not touch the user's keyring: importing the demo
    # certificate stores a secret, which would otherwise land in the real
    # Secret Service / Windows vault of whoever runs this script and stay there.
    keyring.set_keyring(MemoryKeyring())

    from PySide6.QtCore import QSettings

    # Window geometry is saved with QSettings on close: keep it out of the
    # user's registry / ~/.config as well.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(workdir / "reglages"))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(args_list)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return rerun_under_xvfb(args_list)
    out = args.sortie.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="passerelle-captures-") as tmp:
        workdir = Path(tmp)
        isolate(workdir)
        saved = Capture(out, workdir).run()
    print(f"{len(saved)} images dans {out} en {time.monotonic() - started:.0f} s")
    return 0


# --------------------------------------------------------------------------- capture

TITLE_HEIGHT = 26


def fit_columns(table: Any) -> None:
    """What a double-click on each header separator does: columns as wide as their text."""
    header = table.horizontalHeader()
    for column in range(header.count() - 1):
        table.resizeColumnToContents(column)


def framed(content: Any, title: str) -> Any:
    """``content`` under a plain title bar bearing the window's title.

    Xvfb runs no window manager, so grabs have no frame; the guide refers to
    windows by their title, which this bar shows (the same on every system).
    """
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QPainter, QPixmap

    pixmap = QPixmap(content.width() + 2, content.height() + TITLE_HEIGHT + 1)
    pixmap.fill(QColor("#8a8f98"))
    painter = QPainter(pixmap)
    painter.fillRect(QRect(1, 1, content.width(), TITLE_HEIGHT - 1), QColor("#dfe3e8"))
    font = QFont()
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#202020"))
    painter.drawText(QRect(1, 1, content.width(), TITLE_HEIGHT - 1),
                     Qt.AlignmentFlag.AlignCenter, title)  # fmt: skip
    painter.drawPixmap(1, TITLE_HEIGHT, content)
    painter.end()
    return pixmap



class Capture:
    """Opens the demo and walks through every window of the guide, saving PNGs."""

    def __init__(self, out: Path, workdir: Path) -> None:
        self.out = out
        self.workdir = workdir
        self.saved: list[Path] = []
        # What the application handed to the dialogs seam, newest last.
        self.messages: list[tuple[str, str]] = []
        self.questions: list[tuple[str, str]] = []
        self.next_files: list[str] = []
        self.next_file = ""
        self.next_save = ""

    # -- helpers --------------------------------------------------------------------------

    def process(self, seconds: float = 0.05) -> None:
        from PySide6.QtCore import QEventLoop
        from PySide6.QtWidgets import QApplication

        deadline = time.monotonic() + seconds
        while True:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if time.monotonic() >= deadline:
                return
            time.sleep(0.005)

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        """Run the event loop until ``condition`` holds (background tasks report through it)."""
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"délai dépassé : {what}")
            self.process(0.02)

    def settle(self) -> None:
        """No background task left, and the deferred layouts done."""
        from app.gui import tasks

        self.wait(lambda: not tasks._active, "tâches de fond")
        self.process(0.25)

    def save(self, name: str, pixmap: Any) -> None:
        path = self.out / f"{name}.png"
        if not pixmap.save(str(path), "PNG"):
            raise RuntimeError(f"impossible d'écrire {path}")
        self.saved.append(path)
        print(f"  {path.name} ({pixmap.width()}×{pixmap.height()})")

    def grab(self, name: str, widget: Any) -> None:
        self.settle()
        self.save(name, framed(widget.grab(), widget.window().windowTitle()))

    def grab_with_popups(self, name: str, widget: Any, popups: list[Any]) -> None:
        """The window and its open menus, composed as they are on screen."""
        from PySide6.QtCore import QPoint, QRect
        from PySide6.QtGui import QColor, QPainter, QPixmap

        self.process(0.3)
        origin = widget.mapToGlobal(QPoint(0, 0))
        area = QRect(origin, widget.size())
        for popup in popups:
            area = area.united(popup.geometry())
        pixmap = QPixmap(area.size())
        pixmap.fill(QColor("#d0d0d0"))
        painter = QPainter(pixmap)
        painter.drawPixmap(origin - area.topLeft(), widget.grab())
        for popup in popups:
            painter.drawPixmap(popup.pos() - area.topLeft(), popup.grab())
        painter.end()
        self.save(name, framed(pixmap, widget.windowTitle()))

    def show_message(self, name: str, icon: Any, title: str, text: str,
                     buttons: Any, parent: Any) -> None:  # fmt: skip
        """A message the application showed through the seam, rebuilt without exec()."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(icon, title, text, buttons, parent)
        box.setWindowModality(box.windowModality().NonModal)
        box.show()
        self.grab(name, box)
        box.hide()
        box.deleteLater()

    @contextmanager
    def answering_dialogs(self) -> Iterator[None]:
        """Answer the application's modal dialogs instead of the user (no exec())."""
        from app.gui import sts_send
        from app.gui.dialogs import dialogs

        def note(_parent: Any, title: str, text: str, *_rest: Any) -> None:
            self.messages.append((title, text))

        def confirm(_parent: Any, title: str, text: str) -> bool:
            self.questions.append((title, text))
            return True

        replaced = {
            "information": note,
            "warning": note,
            "error": note,
            "confirm": confirm,
            "open_file": lambda *_a, **_k: self.next_file,
            "open_files": lambda *_a, **_k: list(self.next_files),
            "save_file": lambda *_a, **_k: self.next_save,
        }
        for attr, function in replaced.items():
            setattr(dialogs, attr, function)

        def establishment(parent: Any, establishments: list[Any]) -> str | None:
            return FIRST  # the collège, in a cité scolaire's « Pour quel établissement ? »

        previous = sts_send.ask_establishment
        sts_send.ask_establishment = establishment
        try:
            yield
        finally:
            sts_send.ask_establishment = previous
            for attr in replaced:
                delattr(dialogs, attr)  # back to the class's methods

    # -- the walk ---------------------------------------------------------------------------

    def run(self) -> list[Path]:
        from PySide6.QtGui import QDesktopServices

        from app.gui.application import create_application
        from app.services.demo import open_demo
        from app.store import settings as settings_store

        app = create_application([sys.argv[0]])
        app.setStyle("Fusion")  # the same look on every machine
        # Saving a compte rendu opens it in the browser: not here.
        QDesktopServices.openUrl = lambda _url: True  # type: ignore[method-assign]
        ctx, session = open_demo()
        # The guide shows a school's base, not the demo: without the demo flag
        # the timetable tab hides its « Charger l'emploi du temps de démonstration ».
        with ctx.db.write() as conn:
            settings_store.set_value(conn, settings_store.DEMO, "0")
        assert session.sandbox is not None
        self.sandbox = session.sandbox
        try:
            with self.answering_dialogs():
                self.walk(ctx)
        finally:
            session.close()
            ctx.close()
        return self.saved

    def walk(self, ctx: Any) -> None:
        from PySide6.QtCore import QPoint
        from PySide6.QtGui import QCursor

        from app.gui.main_window import MainWindow

        # The pointer would highlight whatever menu item lies under it.
        QCursor.setPos(QPoint(1279, 799))
        window = MainWindow(ctx)
        window.resize(*MAIN_SIZE)
        window.move(0, 0)
        window.show()
        self.window = window
        self.settle()
        self.grab("fenetre-principale", window)
        self.menus()
        self.base_settings()
        self.certificates()
        self.students()
        self.sts_retrieval()
        self.timetable()
        self.assistant()
        self.without_assistant()
        self.export_and_copy()
        self.journal()
        window.close()
        self.settle()

    # -- menus ------------------------------------------------------------------------------

    def _menu_of(self, parent: Any, label: str) -> tuple[Any, Any]:
        for action in parent.actions():
            if action.menu() is not None and action.text().replace("&", "") == label:
                return action, action.menu()
        raise RuntimeError(f"menu « {label} » introuvable")

    def menus(self) -> None:
        from PySide6.QtCore import QPoint

        bar = self.window.menuBar()

        def open_path(labels: list[str]) -> list[Any]:
            opened: list[Any] = []
            action, menu = self._menu_of(bar, labels[0])
            menu.popup(bar.mapToGlobal(bar.actionGeometry(action).bottomLeft()))
            bar.setActiveAction(action)
            opened.append(menu)
            for label in labels[1:]:
                parent = opened[-1]
                action, menu = self._menu_of(parent, label)
                parent.setActiveAction(action)
                geometry = parent.actionGeometry(action)
                menu.popup(parent.mapToGlobal(QPoint(geometry.right() - 2, geometry.top() - 4)))
                opened.append(menu)
            return opened

        def close(opened: list[Any]) -> None:
            for menu in reversed(opened):
                menu.hide()
            self.process(0.1)

        for name, labels in (
            ("menu-fichier", ["Fichier"]),
            ("menu-imports-exports", ["Fichier", "IMPORTS/EXPORTS"]),
            ("menu-netsynchro", ["Fichier", "IMPORTS/EXPORTS", "Avec NetSynchro"]),
            ("menu-siecle", ["Fichier", "IMPORTS/EXPORTS", "SIECLE"]),
            ("menu-stsweb", ["Fichier", "IMPORTS/EXPORTS", "STSWEB"]),
            ("menu-aide", ["Aide"]),
        ):
            opened = open_path(labels)
            self.grab_with_popups(name, self.window, opened)
            close(opened)

    def trigger(self, action: str, uai: str | None = None) -> None:
        self.window.menu_actions[(action, uai)].trigger()
        self.process(0.1)

    # -- Paramètres de la base --------------------------------------------------------------

    def base_settings(self) -> None:
        from app import menus

        self.trigger(menus.BASE_SETTINGS)
        dialog = self.window._settings_dialog
        dialog.resize(max(640, dialog.sizeHint().width()), dialog.sizeHint().height())
        self.grab("parametres-base", dialog)
        dialog.reject()

    # -- certificates -------------------------------------------------------------------------

    def certificates(self) -> None:
        from app import menus
        from app.gui.features_certificates import CertificateFeature

        feature = self.window.findChild(CertificateFeature, "fonction:certificats")
        assert feature is not None
        sandbox = self.sandbox

        self.trigger(menus.CERTIFICATE, FIRST)
        cert = feature.windows[FIRST]
        cert.resize(700, cert.sizeHint().height())
        self.grab("certificat-vide", cert)

        # « Parcourir… », the password, « Importer le certificat ».
        self.next_file = str(sandbox.certificate_file(FIRST))
        cert.browse_button.click()
        cert.password_edit.setText(sandbox.passwords[FIRST])
        cert.import_button.click()
        self.wait(lambda: cert.idle and cert.info is not None, "import du certificat")
        cert.test_button.click()
        self.wait(lambda: cert.idle and cert.test_result.isVisible(), "test de connexion")
        self.grab("certificat-importe", cert)
        cert.close()

        # The lycée: a wrong password first, as it happens.
        self.trigger(menus.SIECLE_CERTIFICATE, SECOND)
        other = feature.windows[SECOND]
        other.resize(700, other.sizeHint().height())
        self.next_file = str(sandbox.certificate_file(SECOND))
        other.browse_button.click()
        other.password_edit.setText("mot-de-passe-faux")
        count = len(self.messages)
        other.import_button.click()
        self.wait(lambda: other.idle and len(self.messages) > count, "certificat refusé")
        self.grab("certificat-refuse", other)
        other.password_edit.setText(sandbox.passwords[SECOND])
        other.import_button.click()
        self.wait(lambda: other.idle and other.info is not None, "import du second certificat")
        other.close()
        self.settle()

    # -- students ------------------------------------------------------------------------------

    def students(self) -> None:
        from app import menus
        from app.demo.siecle import write_siecle
        from app.gui.features_students import feature_of
        from app.services import base_admin

        feature = feature_of(self.window)
        self.trigger(menus.RETRIEVE_STUDENTS)
        window = feature.import_window
        assert window is not None
        window.resize(900, 720)
        window.establishment.setCurrentIndex(window.establishment.findData(FIRST))
        self.wait(lambda: window.netsynchro_radio.isEnabled(), "certificat vérifié")

        # The file method first: the four SIECLE exports, added with « Ajouter des fichiers… ».
        year = base_admin.school_year(self.window.ctx.db)
        written = write_siecle(self.workdir / "exports-siecle", FIRST, year, 400, 11,
                               zipped=True)  # fmt: skip
        self.next_files = [str(p) for p in written.values()]
        window.files_radio.setChecked(True)
        checked = [False]
        window.files_checked.connect(lambda: checked.__setitem__(0, True))
        window.add_files_button.click()
        self.wait(lambda: checked[0], "vérification des fichiers")
        self.grab("eleves-fichiers", window)
        window.file_list.selectAll()
        window.remove_files_button.click()
        self.settle()

        # Then by NetSynchro, as PRONOTE does once the certificate is there.
        window.netsynchro_radio.setChecked(True)
        self.grab("eleves-choix", window)
        window.import_button.click()
        self.wait(lambda: window.pages.currentWidget() is window.preview_page
                  and window.task is None, "aperçu de l'import")  # fmt: skip
        self.grab("eleves-apercu", window)
        window.validate_button.click()
        self.wait(lambda: window.pages.currentWidget() is window.report_page
                  and window.task is None, "import des élèves")  # fmt: skip
        self.grab("eleves-rapport", window)
        window.close()

        view = feature.view
        self.window.tabs.setCurrentWidget(view)
        self.wait(lambda: not view.is_loading, "onglet Élèves")
        view.table.selectRow(0)
        self.settle()
        self.grab("onglet-eleves", self.window)

    # -- STSWEB ------------------------------------------------------------------------------------

    def sts_retrieval(self) -> None:
        from app import menus
        from app.gui.sts_retrieval_window import StsRetrievalWindow

        self.trigger(menus.RETRIEVE_STS)
        dialog = self.window.findChild(StsRetrievalWindow, "recuperer_sts")
        assert dialog is not None
        dialog.establishment.setCurrentIndex(dialog.establishment.findData(FIRST))
        dialog.resize(640, dialog.sizeHint().height())
        self.settle()
        dialog.start_button.click()
        self.wait(lambda: dialog.task is None and dialog.last_result is not None,
                  "récupération STSWEB")  # fmt: skip
        dialog.resize(640, dialog.sizeHint().height())
        self.grab("sts-recuperation", dialog)
        dialog.reject()

    # -- timetable -------------------------------------------------------------------------------

    def timetable(self) -> None:
        from PySide6.QtCore import Qt, QTime

        from app.demo.sts import generate_timetable
        from app.formats.sts.writer import write_edt_sts
        from app.gui.views.timetable_view import TimetableView
        from app.services.sts import sts_store

        view = self.window.timetable_tab
        assert isinstance(view, TimetableView)
        self.window.tabs.setCurrentWidget(view)
        view.establishment.setCurrentIndex(view.establishment.findData(FIRST))
        self.settle()

        # The EDT_STS file the timetable software would have written (same
        # generator as the demo, seed 3), imported with « Importer un emploi du temps… ».
        db = self.window.ctx.db
        year = view.snapshot.annee if view.snapshot else 0
        with db.read() as conn:
            sts = sts_store.load(conn, FIRST, year)
        assert sts is not None
        edt_file = self.workdir / f"EDT_STS_{FIRST}_{year}.xml"
        edt_file.write_bytes(write_edt_sts(generate_timetable(sts, 3)))
        self.next_file = str(edt_file)
        view.import_button.click()
        self.wait(lambda: view.busy is None and view.loading is None
                  and view.model.rowCount() > 0, "import de l'emploi du temps")  # fmt: skip
        self.settle()

        # A course typed by hand and saved without its teacher: the assistant will catch it.
        view.add_button.click()
        self.process(0.2)
        new_course = view._dialog
        assert new_course is not None
        dialog = new_course
        dialog.subject.setCurrentIndex(max(0, dialog.subject.findText("EDUCATION MUSICALE")))
        dialog.structure.setCurrentIndex(max(0, dialog.structure.findText(GRID_CLASS)))
        dialog.day.setCurrentIndex(dialog.day.findData(3))
        dialog.start.setTime(QTime(14, 0))
        dialog.save()
        self.wait(lambda: not new_course.isVisible(), "nouveau cours")
        self.settle()

        # Sorted on the STSWEB column (a click on its header): the course to fix comes first.
        view.table.sortByColumn(view.model.columnCount() - 1, Qt.SortOrder.AscendingOrder)
        fit_columns(view.table)
        view.table.selectRow(0)
        self.grab("edt-liste", self.window)

        # « Modifier… » on an ordinary course.
        view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        view.table.selectRow(0)
        view.edit_button.click()
        self.process(0.2)
        edited = view._dialog
        assert edited is not None
        edited.resize(480, 560)
        self.grab("cours", edited)
        edited.reject()

        view.pages.setCurrentIndex(1)
        view.grid_kind.setCurrentIndex(view.grid_kind.findData("structure"))
        view.grid_resource.setCurrentIndex(max(0, view.grid_resource.findText(GRID_CLASS)))
        self.grab("edt-semaine", self.window)
        view.pages.setCurrentIndex(0)

    # -- the assistant ---------------------------------------------------------------------------

    def assistant(self) -> None:
        from PySide6.QtCore import Qt

        from app import menus
        from app.gui.course_dialog import CourseDialog
        from app.gui.sts_wizard import SendWizardDialog
        from app.services.sts_wizard import Step

        self.trigger(menus.SEND_WITH_ASSISTANT)
        dialog = self.window.findChild(SendWizardDialog, "assistant_envoi")
        assert dialog is not None
        dialog.establishment.setCurrentIndex(dialog.establishment.findData(FIRST))
        self.wait(lambda: dialog.wizard is not None and dialog.wizard.uai == FIRST
                  and dialog.task is None, "assistant")  # fmt: skip
        self.grab("assistant-1-etablissement", dialog)

        def step() -> Step:
            assert dialog.wizard is not None
            return dialog.wizard.step

        dialog.next_button.click()
        self.settle()
        dialog.correspondances.auto_button.click()
        self.settle()
        self.grab("assistant-2-correspondances", dialog)
        dialog.next_button.click()
        self.settle()
        self.grab("assistant-3-conformite", dialog)

        # « Ouvrir le cours… » on the blocked course, tick a teacher, « Enregistrer ».
        dialog.blocked.selectRow(0)
        dialog.open_course_button.click()
        self.process(0.2)
        course_dialog = dialog._child
        assert isinstance(course_dialog, CourseDialog)
        course_dialog.teachers.item(0).setCheckState(Qt.CheckState.Checked)
        course_dialog.save()
        self.wait(lambda: dialog.blocked.rowCount() == 0 and dialog.task is None,
                  "cours mis en conformité")  # fmt: skip
        self.settle()

        dialog.next_button.click()
        self.wait(lambda: step() is Step.RECAPITULATIF and dialog.task is None, "récapitulatif")
        self.grab("assistant-4-recapitulatif", dialog)
        dialog.next_button.click()
        self.settle()
        self.grab("assistant-5-envoi", dialog)
        dialog.send_button.click()
        self.wait(lambda: not dialog.sending and step() is Step.COMPTE_RENDU, "envoi")
        self.grab("assistant-6-compte-rendu", dialog)
        dialog.close_button.click()
        self.settle()

    def without_assistant(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from app import menus
        from app.gui import sts_send
        from app.gui.sts_wizard import CompteRenduDialog

        asked = len(self.questions)
        self.trigger(menus.SEND_WITHOUT_ASSISTANT)
        self.wait(lambda: any(isinstance(f.dialog, CompteRenduDialog) for f in sts_send._flows),
                  "envoi sans l'assistant")  # fmt: skip
        title, text = self.questions[asked]
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        self.show_message("sans-assistant-confirmation", QMessageBox.Icon.Question, title, text,
                          buttons, self.window)  # fmt: skip
        report = next(f.dialog for f in sts_send._flows if isinstance(f.dialog, CompteRenduDialog))
        self.grab("compte-rendu", report)
        report.accept()

    def export_and_copy(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from app import menus

        ok = QMessageBox.StandardButton.Ok
        info = QMessageBox.Icon.Information
        self.next_save = str(self.workdir / "export" / "EDT_STS.xml")
        Path(self.next_save).parent.mkdir(exist_ok=True)
        count = len(self.messages)
        self.trigger(menus.EXPORT_EDT_FILE)
        self.wait(lambda: len(self.messages) > count, "export vers un fichier")
        title, text = self.messages[-1]
        self.show_message("export-fichier", info, title, text, ok, self.window)

        self.next_save = str(self.workdir / "copie" / "passerelle-copie.db")
        Path(self.next_save).parent.mkdir(exist_ok=True)
        count = len(self.messages)
        self.trigger(menus.COPY_BASE)
        self.wait(lambda: len(self.messages) > count, "copie de la base")
        title, text = self.messages[-1]
        self.show_message("copie-base", info, title, text, ok, self.window)

    def journal(self) -> None:
        from app import menus

        self.trigger(menus.JOURNAL)
        view = self.window.journal_view
        view.refresh()
        fit_columns(view.table)
        # The send without the assistant: its details hold the compte rendu.
        entries = view.model.entries
        row = next(i for i, e in enumerate(entries) if e.nature_label.startswith("Envoi"))
        view.table.selectRow(row)
        self.grab("journal", self.window)


if __name__ == "__main__":
    sys.exit(main())
