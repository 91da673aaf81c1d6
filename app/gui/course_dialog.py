"""Adding or editing one course of the annual timetable.

The dialog only gathers a :class:`CourseDraft`; the service validates it and
writes it off the GUI thread. A refusal (missing subject, course after
midnight…) comes back as the service's French message, shown inside the
dialog so nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.timetable import DAY_NAMES
from app.errors import UserCancelled
from app.gui.hub import TIMETABLE, hub
from app.gui.tasks import Task, TaskControl, run_task
from app.services.sts import courses
from app.services.sts.courses import CourseDraft
from app.services.sts.timetable_store import WEEKLY, CourseRow, TimetableData
from app.services.sts_gui_support import failure_text
from app.store.database import Database

NONE = -1  # combo data for « (aucune) »


def _minutes(value: QTime) -> int:
    return value.hour() * 60 + value.minute()


def _time(minutes: int) -> QTime:
    return QTime(minutes // 60 % 24, minutes % 60)


class CourseDialog(QDialog):
    """``saved(course_id)`` is emitted once the base holds the course."""

    saved = Signal(int)

    def __init__(
        self,
        db: Database,
        uai: str,
        data: TimetableData,
        course: CourseRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.uai, self.data, self.course = db, uai, data, course
        self.setObjectName("dialogue_cours")
        self.setWindowTitle(self.tr("Modifier le cours") if course else self.tr("Nouveau cours"))
        self._task: Task | None = None

        self.subject = self._combo(
            sorted(((s.label, s.id) for s in data.subjects.values()), key=lambda p: p[0].casefold())
        )
        self.structure = self._combo(
            sorted(((s.code, s.id) for s in data.structures.values()), key=lambda p: p[0])
        )
        self.day = QComboBox()
        for day, name in DAY_NAMES.items():
            self.day.addItem(name.capitalize(), day)
        self.start = QTimeEdit()
        self.start.setDisplayFormat("HH:mm")
        self.duration = QTimeEdit()
        self.duration.setDisplayFormat("HH:mm")
        self.duration.setToolTip(self.tr("Durée du cours en heures et minutes (01:00 = une heure)"))
        self.room = self._combo(sorted((r.code, r.id) for r in data.rooms.values()),
                                none=self.tr("(aucune salle)"))  # fmt: skip
        self.alternance = self._combo(
            [(a.libelle_long, a.id) for a in sorted(data.alternances.values(),
                                                     key=lambda a: (a.code != WEEKLY, a.code))]
        )  # fmt: skip
        self.modality = self._combo(sorted((m.label, m.id) for m in data.modalities.values()),
                                    none=self.tr("(cours général)"))  # fmt: skip
        self.teacher_filter = QLineEdit()
        self.teacher_filter.setPlaceholderText(self.tr("Rechercher un professeur…"))
        self.teacher_filter.setClearButtonEnabled(True)
        self.teachers = QListWidget()
        self.teachers.setObjectName("professeurs")
        self.teachers.setMinimumHeight(140)
        for t in sorted(data.teachers.values(), key=lambda t: t.label.casefold()):
            item = QListWidgetItem(t.label)
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.teachers.addItem(item)
        self.teacher_filter.textChanged.connect(self._filter_teachers)

        form = QFormLayout()
        form.addRow(self.tr("&Matière :"), self.subject)
        form.addRow(self.tr("&Classe ou groupe :"), self.structure)
        form.addRow(self.tr("&Jour :"), self.day)
        form.addRow(self.tr("&Début :"), self.start)
        form.addRow(self.tr("D&urée :"), self.duration)
        form.addRow(self.tr("&Alternance :"), self.alternance)
        form.addRow(self.tr("&Salle :"), self.room)
        form.addRow(self.tr("M&odalité :"), self.modality)
        teachers_box = QVBoxLayout()
        teachers_box.addWidget(self.teacher_filter)
        teachers_box.addWidget(self.teachers)
        teachers_label = QLabel(self.tr("&Professeurs :"))
        teachers_label.setBuddy(self.teacher_filter)  # a layout row has no buddy of its own
        form.addRow(teachers_label, teachers_box)

        self.error = QLabel()
        self.error.setObjectName("erreur")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._fill(course)

    def _combo(self, items: list[tuple[str, int]], *, none: str | None = None) -> QComboBox:
        combo = QComboBox()
        if none is not None:
            combo.addItem(none, NONE)
        for label, value in items:
            combo.addItem(label, value)
        return combo

    @staticmethod
    def _select(combo: QComboBox, value: Any) -> None:
        index = combo.findData(NONE if value is None else value)
        if index >= 0:
            combo.setCurrentIndex(index)

    def _fill(self, course: CourseRow | None) -> None:
        if course is None:
            self.start.setTime(QTime(8, 0))
            self.duration.setTime(QTime(1, 0))
            return
        self._select(self.subject, course.matiere_id)
        self._select(self.structure, course.structure_id)
        self._select(self.day, course.day)
        self._select(self.alternance, course.alternance_id)
        self._select(self.room, course.salle_id)
        self._select(self.modality, course.modalite_id)
        self.start.setTime(_time(course.start))
        self.duration.setTime(_time(course.duration))
        for i in range(self.teachers.count()):
            item = self.teachers.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in course.teacher_ids:
                item.setCheckState(Qt.CheckState.Checked)

    def _filter_teachers(self, text: str) -> None:
        needle = text.casefold().strip()
        for i in range(self.teachers.count()):
            item = self.teachers.item(i)
            # Checked teachers stay visible: hiding a choice would make it look lost.
            item.setHidden(bool(needle) and needle not in item.text().casefold()
                           and item.checkState() != Qt.CheckState.Checked)  # fmt: skip

    def set_teachers(self, teacher_ids: set[int]) -> None:
        for i in range(self.teachers.count()):
            item = self.teachers.item(i)
            checked = item.data(Qt.ItemDataRole.UserRole) in teacher_ids
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    @staticmethod
    def _value(combo: QComboBox) -> int | None:
        value = combo.currentData()
        return None if value is None or value == NONE else int(value)

    def draft(self) -> CourseDraft:
        teachers = tuple(
            int(self.teachers.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.teachers.count())
            if self.teachers.item(i).checkState() == Qt.CheckState.Checked
        )
        # A missing pick becomes id 0, which the service refuses with a French message.
        return CourseDraft(
            matiere_id=self._value(self.subject) or 0,
            structure_id=self._value(self.structure) or 0,
            day=int(self.day.currentData()),
            start=_minutes(self.start.time()),
            duration=_minutes(self.duration.time()),
            alternance_id=self._value(self.alternance) or 0,
            teacher_ids=teachers,
            salle_id=self._value(self.room),
            modalite_id=self._value(self.modality),
        )

    def save(self) -> None:
        draft = self.draft()
        course_id = self.course.id if self.course else None
        db, uai = self.db, self.uai

        def work(_control: TaskControl) -> int:
            if course_id is None:
                return courses.add_course(db, uai, draft)
            courses.update_course(db, uai, course_id, draft)
            return course_id

        self.buttons.setEnabled(False)
        self.error.hide()
        self._task = run_task(work, self._saved, parent=self)

    def _saved(self, result: Any, error: BaseException | None) -> None:
        self._task = None
        self.buttons.setEnabled(True)
        if isinstance(error, UserCancelled):
            return
        if error is not None:
            self.error.setText(failure_text(error, self.tr("Enregistrement du cours")))
            self.error.show()
            return
        hub.data_changed.emit(TIMETABLE)
        self.saved.emit(int(result))
        self.accept()
