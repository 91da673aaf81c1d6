"""Certificate commands in the main window, and certificate alerts in its status bar.

Both menu commands (« Avec NetSynchro > Gérer le certificat pour NetSynchro »
and « SIECLE > Gestion du certificat NetSynchro ») open the same window for the
establishment of the command: one window per UAI, brought back if already open.

At start-up, and whenever certificates or establishments change, the alerts
(expired, expiring within 30 days, not installed, unreadable) are computed off
the GUI thread and shown in a permanent status-bar label whose UAIs open the
window. An expired certificate also gets one warning per session, after the
main window is on screen.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel

from app import menus
from app.errors import PasserelleError
from app.gui.certificate_window import CertificateWindow
from app.gui.dialogs import dialogs
from app.gui.hub import CERTIFICATES, ESTABLISHMENTS, hub
from app.gui.tasks import Task, TaskControl, run_task
from app.services import base_admin, certificates
from app.services.certificates import CertificateAlert
from app.store.database import Database

if TYPE_CHECKING:
    from app.gui.features import Handler
    from app.gui.main_window import MainWindow

log = logging.getLogger(__name__)

EXPIRED = "CERTIFICAT_EXPIRE"
EXPIRING = "CERTIFICAT_EXPIRE_BIENTOT"
NOT_YET_VALID = "CERTIFICAT_PAS_ENCORE_VALIDE"
ABSENT = "CERTIFICAT_ABSENT"

_RED = "#b00020"
_ORANGE = "#a86200"


@dataclass(frozen=True)
class AlertReport:
    """The alerts, with the days left of expiring certificates (for the short text)."""

    alerts: tuple[CertificateAlert, ...]
    days_left: dict[str, int]


def collect_alerts(db: Database) -> AlertReport:
    """Worker side: the service's alerts, plus the days left where one expires soon."""
    alerts = tuple(certificates.expiry_alerts(db))
    days: dict[str, int] = {}
    for alert in alerts:
        if alert.code == EXPIRING:
            try:
                info = certificates.certificate_info(alert.uai)
            except PasserelleError:
                continue  # the alert's own message still says it all
            if info is not None:
                days[alert.uai] = max(info.jours_restants, 0)
    return AlertReport(alerts, days)


class CertificateFeature(QObject):
    """Owns the certificate windows and the status-bar label of one main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("fonction:certificats")
        self._window = window
        self._db = window.ctx.db
        self.windows: dict[str, CertificateWindow] = {}
        self.report: AlertReport | None = None
        self._checking: Task | None = None
        self._check_pending = False
        self._startup = True
        self._expired_messages: list[str] = []

        self.status_label = QLabel()
        self.status_label.setObjectName("alertes_certificats")
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.linkActivated.connect(self.open_window)
        self.status_label.hide()
        window.statusBar().addPermanentWidget(self.status_label)
        hub.data_changed.connect(self._on_data_changed)
        self.check_alerts()

    # -- windows -------------------------------------------------------------

    def open_window(self, uai: str | None) -> None:
        if uai is None:
            # The menu disables the command without establishments; keep a clear answer.
            raise PasserelleError(
                "Ajoutez d'abord l'établissement dans « Fichier > Paramètres de la base… » : "
                "le certificat NetSynchro est propre à chaque établissement.",
                code="UAI_INCONNU",
            )
        establishment = base_admin.require_establishment(self._db, uai)
        existing = self.windows.get(establishment.uai)
        if existing is not None:
            existing.reopen(establishment)
            return
        window = CertificateWindow(self._db, establishment, self._window)
        self.windows[establishment.uai] = window
        window.show()

    # -- alerts --------------------------------------------------------------

    @property
    def checking(self) -> bool:
        return self._checking is not None

    def check_alerts(self) -> None:
        if self._checking is not None:
            self._check_pending = True
            return
        db = self._db

        def work(_control: TaskControl) -> AlertReport:
            return collect_alerts(db)

        self._checking = run_task(work, self._on_alerts, parent=self)

    def _on_alerts(self, result: object, error: BaseException | None) -> None:
        self._checking = None
        if self._check_pending:
            self._check_pending = False
            self.check_alerts()
            return
        if isinstance(error, PasserelleError):
            # Typically no usable keyring in this session: say so once, briefly.
            self.report = None
            self._show(
                self.tr("Certificats : {0}").format(self.tr("vérification impossible")),
                error.message, _RED,
            )  # fmt: skip
        elif error is not None or not isinstance(result, AlertReport):
            log.error("certificate alerts failed", exc_info=error)
            self.report = None
            self.status_label.hide()
        else:
            self.report = result
            self._show_report(result)
        if self._startup:
            self._startup = False
            if self._expired_messages:
                # Deferred so the main window is drawn before the message box.
                QTimer.singleShot(0, self._warn_expired)

    def _show_report(self, report: AlertReport) -> None:
        if not report.alerts:
            self.status_label.hide()
            return
        parts: list[str] = []
        colour = ""
        for alert in report.alerts:
            link = f"<a href='{alert.uai}'>{alert.uai}</a>"
            short = html.escape(self._short(alert, report))
            parts.append(self.tr("Certificat {0} : {1}").format(link, short))
            if alert.code == EXPIRED or alert.code not in (EXPIRING, NOT_YET_VALID, ABSENT):
                colour = _RED
            elif alert.code != ABSENT and colour != _RED:
                colour = _ORANGE
        self._expired_messages = [a.message for a in report.alerts if a.code == EXPIRED]
        self._show(" · ".join(parts), "\n\n".join(a.message for a in report.alerts), colour)

    def _short(self, alert: CertificateAlert, report: AlertReport) -> str:
        if alert.code == EXPIRED:
            return self.tr("expiré")
        if alert.code == EXPIRING:
            days = report.days_left.get(alert.uai)
            if days is None:
                return self.tr("expire bientôt")
            return self.tr("expire dans {0} jour(s)").format(days)
        if alert.code == NOT_YET_VALID:
            return self.tr("pas encore valable")
        if alert.code == ABSENT:
            return self.tr("absent de ce poste")
        return self.tr("illisible, à importer de nouveau")

    def _show(self, text: str, tooltip: str, colour: str) -> None:
        style = f"color: {colour};" if colour else ""
        self.status_label.setText(f"<span style='{style}'>{text}</span>")
        self.status_label.setToolTip(tooltip)
        self.status_label.show()

    def _warn_expired(self) -> None:
        dialogs.warning(
            self._window, self.tr("Certificat NetSynchro expiré"),
            "\n\n".join(self._expired_messages),
        )  # fmt: skip

    def _on_data_changed(self, topic: str) -> None:
        if topic in (CERTIFICATES, ESTABLISHMENTS):
            self.check_alerts()


def install(window: MainWindow) -> dict[str, Handler]:
    feature = CertificateFeature(window)
    return {
        menus.CERTIFICATE: feature.open_window,
        menus.SIECLE_CERTIFICATE: feature.open_window,
    }
