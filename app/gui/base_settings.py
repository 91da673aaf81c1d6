"""« Paramètres de la base… »: school year and establishments."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.school_year import MAX_YEAR, MIN_YEAR, year_label
from app.errors import PasserelleError
from app.gui.dialogs import dialogs
from app.gui.hub import ESTABLISHMENTS, NETSYNCHRO, YEAR, hub
from app.services import base_admin, netsynchro_settings
from app.store.database import Database


class BaseSettingsDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.setWindowTitle(self.tr("Paramètres de la base"))
        self.setMinimumWidth(520)

        self.year = QSpinBox()
        self.year.setRange(MIN_YEAR, MAX_YEAR)
        self.year.setValue(base_admin.school_year(db))
        self.year_label = QLabel()
        self.year.valueChanged.connect(self._show_year)
        self._show_year(self.year.value())
        year_row = QHBoxLayout()
        year_row.addWidget(self.year)
        year_row.addWidget(self.year_label, 1)
        form = QFormLayout()
        form.addRow(self.tr("Année scolaire :"), year_row)
        form.addRow(QLabel(self.tr("Base : {0}").format(db.describe())))

        self.list = QListWidget()
        self.uai = QLineEdit()
        self.uai.setPlaceholderText(self.tr("UAI (ex. 0750654D)"))
        self.uai.setMaxLength(8)
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("Nom de l'établissement"))
        self.add_button = QPushButton(self.tr("Ajouter l'établissement"))
        self.add_button.clicked.connect(self._add)
        add_row = QHBoxLayout()
        add_row.addWidget(self.uai)
        add_row.addWidget(self.name, 1)
        add_row.addWidget(self.add_button)
        group = QGroupBox(self.tr("Établissements (plusieurs pour une cité scolaire)"))
        group_layout = QVBoxLayout(group)
        group_layout.addWidget(self.list)
        group_layout.addLayout(add_row)

        current = netsynchro_settings.load(db)
        self._ca_pem = current.ca_pem
        self.netsynchro_url = QLineEdit(current.url or "")
        self.netsynchro_url.setPlaceholderText("https://…")
        self.ca_label = QLabel()
        self.ca_button = QPushButton(self.tr("Choisir l'autorité…"))
        self.ca_button.clicked.connect(self._choose_ca)
        self.ca_clear = QPushButton(self.tr("Utiliser celle du système"))
        self.ca_clear.clicked.connect(self._clear_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_label, 1)
        ca_row.addWidget(self.ca_button)
        ca_row.addWidget(self.ca_clear)
        ns_group = QGroupBox(self.tr("Plateforme NetSynchro (commune à tous les postes)"))
        ns_form = QFormLayout(ns_group)
        ns_form.addRow(self.tr("Adresse :"), self.netsynchro_url)
        ns_form.addRow(self.tr("Autorité du serveur :"), ca_row)
        self._show_ca()

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(group)
        layout.addWidget(ns_group)
        layout.addWidget(buttons)
        self._reload()

    def _show_year(self, year: int) -> None:
        self.year_label.setText(self.tr("soit {0}").format(year_label(year)))

    def _reload(self) -> None:
        self.list.clear()
        for e in base_admin.establishments(self._db):
            self.list.addItem(e.label)

    def _add(self) -> None:
        try:
            base_admin.add_establishment(self._db, self.uai.text(), self.name.text())
        except PasserelleError as exc:
            dialogs.warning(self, self.tr("Établissement refusé"), exc.message)
            return
        self.uai.clear()
        self.name.clear()
        self._reload()
        hub.data_changed.emit(ESTABLISHMENTS)

    def _show_ca(self) -> None:
        self.ca_label.setText(
            self.tr("fournie (enregistrée dans la base)")
            if self._ca_pem
            else self.tr("celle du système")
        )

    def _choose_ca(self) -> None:
        path = dialogs.open_file(
            self,
            self.tr("Autorité de certification du serveur NetSynchro"),
            self.tr("Certificats PEM (*.pem *.crt *.cer);;Tous les fichiers (*)"),
        )
        if not path:
            return
        try:
            self._ca_pem = netsynchro_settings.read_ca_file(Path(path))
        except PasserelleError as exc:
            dialogs.warning(self, self.tr("Autorité refusée"), exc.message)
            return
        self._show_ca()

    def _clear_ca(self) -> None:
        self._ca_pem = None
        self._show_ca()

    def _save(self) -> None:
        try:
            if self.year.value() != base_admin.school_year(self._db):
                base_admin.set_school_year(self._db, self.year.value())
                hub.data_changed.emit(YEAR)
            url = self.netsynchro_url.text().strip()
            current = netsynchro_settings.load(self._db)
            if url and (url != current.url or self._ca_pem != current.ca_pem):
                netsynchro_settings.configure(self._db, url, self._ca_pem)
                hub.data_changed.emit(NETSYNCHRO)
        except PasserelleError as exc:
            dialogs.warning(self, self.tr("Paramètres refusés"), exc.message)
            return
        self.accept()
