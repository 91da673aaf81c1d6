"""Signal-only hub: services' results reach every open view through it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

# Topics for data_changed.
STUDENTS = "eleves"
TIMETABLE = "edt"
STS = "sts"
JOURNAL = "journal"
ESTABLISHMENTS = "etablissements"
YEAR = "annee"
CERTIFICATES = "certificats"
NETSYNCHRO = "netsynchro"


class Hub(QObject):
    data_changed = Signal(str)
    status_message = Signal(str)


hub = Hub()
