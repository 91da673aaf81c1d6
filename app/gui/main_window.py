"""The main window: menus from app.menus, three tabs, a status bar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QVBoxLayout, QWidget

from app import __version__, menus
from app.domain.school_year import year_label
from app.errors import PasserelleError
from app.gui import features
from app.gui.base_settings import BaseSettingsDialog
from app.gui.change_poller import ChangePoller
from app.gui.dialogs import dialogs
from app.gui.hub import ESTABLISHMENTS, YEAR, hub
from app.gui.menus_qt import populate
from app.gui.views.empty_state import EmptyState
from app.gui.views.journal_view import JournalView
from app.menus import Command
from app.services import base_admin
from app.services.context import AppContext

log = logging.getLogger(__name__)

Handler = Callable[[str | None], None]


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, *, banner: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(self.tr("Passerelle"))
        self.resize(1100, 720)
        self.menu_actions: dict[tuple[str, str | None], QAction] = {}
        self._closed = False

        self.tabs = QTabWidget()
        self.tabs.setObjectName("onglets")
        self.students_tab: QWidget = EmptyState(
            self.tr("Aucun élève dans la base"),
            self.tr("Récupérez les élèves depuis SIECLE : « Fichier &gt; IMPORTS/EXPORTS &gt; "
                    "SIECLE &gt; Récupérer les données des élèves », par NetSynchro ou à partir "
                    "des fichiers exportés de SIECLE."),
        )
        self.timetable_tab: QWidget = EmptyState(
            self.tr("Aucun emploi du temps"),
            self.tr("Récupérez d'abord les données de STSWEB (« Fichier &gt; IMPORTS/EXPORTS &gt; "
                    "STSWEB &gt; Récupérer les données de STSWEB »), puis importez ou saisissez "
                    "les cours de l'emploi du temps annuel."),
        )
        self.journal_view = JournalView(ctx.db)
        self.handlers: dict[str, Handler] = {
            menus.COPY_BASE: lambda _uai: self.copy_base(),
            menus.BASE_SETTINGS: lambda _uai: self.open_base_settings(),
            menus.JOURNAL: lambda _uai: self.show_journal(),
            menus.QUIT: lambda _uai: self._quit(),
            menus.ABOUT: lambda _uai: self.about(),
        }
        self.handlers.update(features.install_all(self))
        self.tabs.addTab(self.students_tab, self.tr("Élèves"))
        self.tabs.addTab(self.timetable_tab, self.tr("Emplois du temps"))
        self.tabs.addTab(self.journal_view, self.tr("Journal"))

        central = QWidget()
        layout = QVBoxLayout(central)
        if banner:
            self.banner = QLabel(banner)
            self.banner.setObjectName("bandeau")
            self.banner.setWordWrap(True)
            self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.banner.setStyleSheet(
                "QLabel#bandeau { background: #fff4ce; border: 1px solid #e0c060; padding: 8px; }"
            )
            layout.addWidget(self.banner)
        layout.addWidget(self.tabs)
        self.setCentralWidget(central)

        self.status_establishments = QLabel()
        self.status_year = QLabel()
        self.statusBar().addPermanentWidget(self.status_establishments)
        self.statusBar().addPermanentWidget(self.status_year)
        hub.data_changed.connect(self._on_data_changed)
        hub.status_message.connect(self._show_status_message)
        self.rebuild_menus()
        self._restore_geometry()
        # Other PCs sharing the base: their committed changes refresh our views.
        self.change_poller = ChangePoller(ctx.db, self)
        self.change_poller.start()

    # Menus and status --------------------------------------------------------

    def rebuild_menus(self) -> None:
        year = base_admin.school_year(self.ctx.db)
        establishments = base_admin.establishments(self.ctx.db)
        available = menus.AVAILABLE_ACTIONS & self.handlers.keys()
        tree = menus.build_menu_tree(year, establishments, available)
        self.menu_actions = populate(self.menuBar(), tree, self.trigger, self)
        if len(establishments) == 1:
            self.status_establishments.setText(establishments[0].label)
            self.status_establishments.setToolTip("")
        elif establishments:
            # A cité scolaire: UAIs only, names in the tooltip, so alerts keep their room.
            uais = ", ".join(e.uai for e in establishments)
            self.status_establishments.setText(self.tr("Cité scolaire : {0}").format(uais))
            self.status_establishments.setToolTip("\n".join(e.label for e in establishments))
        else:
            self.status_establishments.setText(
                self.tr("Aucun établissement : « Fichier > Paramètres de la base… »")
            )
        self.status_year.setText(self.tr("Année {0}").format(year_label(year)))

    def trigger(self, command: Command) -> None:
        handler = self.handlers.get(command.action)
        if handler is None:
            return
        try:
            handler(command.uai)
        except PasserelleError as exc:
            dialogs.warning(self, self.tr("Passerelle"), exc.message)

    def _show_status_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    def _on_data_changed(self, topic: str) -> None:
        if topic in (ESTABLISHMENTS, YEAR):
            self.rebuild_menus()

    # Core commands -----------------------------------------------------------

    def copy_base(self) -> None:
        if self.ctx.db.sqlite_path is None:
            from app.store.backup import PG_COPY_MESSAGE

            dialogs.information(self, self.tr("Copie de la base"), PG_COPY_MESSAGE)
            return
        target = dialogs.save_file(
            self,
            self.tr("Créer une copie de la base"),
            self.tr("Base Passerelle (*.db)"),
            str(Path.home() / "passerelle-copie.db"),
        )
        if not target:
            return
        path = base_admin.copy_base(self.ctx.db, Path(target))
        hub.data_changed.emit("journal")
        dialogs.information(
            self, self.tr("Copie de la base"), self.tr("La copie a été créée :\n{0}").format(path)
        )

    def open_base_settings(self) -> None:
        dialog = BaseSettingsDialog(self.ctx.db, self)
        dialog.open()
        self._settings_dialog = dialog

    def _quit(self) -> None:
        self.close()

    def show_journal(self) -> None:
        self.tabs.setCurrentWidget(self.journal_view)

    def about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("À propos de Passerelle"),
            self.tr(
                "<h3>Passerelle {0}</h3><p>Échanges avec SIECLE et STSWEB par NetSynchro pour "
                "le secrétariat des établissements.</p><p>Base : {1}</p>"
            ).format(__version__, self.ctx.db.describe()),
        )

    def replace_tab(self, old: QWidget, new: QWidget, title: str) -> None:
        index = self.tabs.indexOf(old)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, new, title)
        old.deleteLater()

    # Window state ----------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = QSettings().value("fenetre/geometrie")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.change_poller.stop()
        # The hub outlives windows (tests open many): drop our connections once.
        if not self._closed:
            self._closed = True
            hub.data_changed.disconnect(self._on_data_changed)
            hub.status_message.disconnect(self._show_status_message)
        QSettings().setValue("fenetre/geometrie", self.saveGeometry())
        super().closeEvent(event)
