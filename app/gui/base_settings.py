"""« Paramètres de la base… »: school year and establishments."""

from __future__ import annotations

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
from app.gui.hub import ESTABLISHMENTS, YEAR, hub
from app.services import base_admin
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

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(group)
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

    def _save(self) -> None:
        try:
            if self.year.value() != base_admin.school_year(self._db):
                base_admin.set_school_year(self._db, self.year.value())
                hub.data_changed.emit(YEAR)
        except PasserelleError as exc:
            dialogs.warning(self, self.tr("Paramètres refusés"), exc.message)
            return
        self.accept()
