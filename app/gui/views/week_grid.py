"""A week drawn as a grid: days across, hours down, one block per course.

The grid knows nothing about the base: the timetable view hands it
:class:`GridBlock` values already filtered for one class, teacher or room.
Courses that overlap in time (a class split in groups, Semaine A and
Semaine B at the same hour) are laid side by side in lanes, so nothing is ever
hidden under another block; the week selector keeps only one week's courses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.domain.timetable import DAY_NAMES

WEEK_ALL = "toutes"
WEEK_A = "A"
WEEK_B = "B"

HEADER_HEIGHT = 24
HOURS_WIDTH = 48
PIXELS_PER_HOUR = 44


@dataclass(frozen=True, slots=True)
class GridBlock:
    """One course as the grid shows it (``week``: « A », « B » or None for every week)."""

    course_id: int
    day: int
    start: int  # minutes since midnight
    duration: int
    title: str
    detail: str = ""
    week: str | None = None
    week_label: str = ""
    exportable: bool = True
    tooltip: str = ""

    @property
    def end(self) -> int:
        return self.start + self.duration


def _colour(key: str) -> QColor:
    # Same subject, same colour on every grid, without keeping a palette anywhere.
    hue = int(hashlib.blake2b(key.encode("utf-8"), digest_size=2).hexdigest(), 16) % 360
    return QColor.fromHsl(hue, 150, 215)


def _lanes(blocks: list[GridBlock]) -> dict[int, tuple[int, int]]:
    """index → (lane, lane count) for the blocks of one day, overlapping ones side by side."""
    order = sorted(range(len(blocks)), key=lambda i: (blocks[i].start, -blocks[i].duration))
    result: dict[int, tuple[int, int]] = {}
    cluster: list[tuple[int, int]] = []  # (index, lane)
    lane_ends: list[int] = []
    cluster_end = -1

    def close() -> None:
        for index, lane in cluster:
            result[index] = (lane, len(lane_ends))

    for i in order:
        block = blocks[i]
        if cluster and block.start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], -1
        for lane, end in enumerate(lane_ends):
            if end <= block.start:
                lane_ends[lane] = block.end
                cluster.append((i, lane))
                break
        else:
            lane_ends.append(block.end)
            cluster.append((i, len(lane_ends) - 1))
        cluster_end = max(cluster_end, block.end)
    if cluster:
        close()
    return result


class WeekGrid(QWidget):
    """Paints the blocks; double-click on one emits ``course_activated(course_id)``."""

    course_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("grille_semaine")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._blocks: list[GridBlock] = []
        self._week = WEEK_ALL
        self._days: tuple[int, ...] = (1, 2, 3, 4, 5)
        self._first = 8 * 60
        self._last = 18 * 60
        self._placed: list[tuple[GridBlock, QRectF]] = []

    # -- data -------------------------------------------------------------------

    def set_blocks(self, blocks: Sequence[GridBlock], *, first: int | None = None,
                   last: int | None = None) -> None:  # fmt: skip
        """Show ``blocks``; hours default to 08h–18h widened to fit every course."""
        self._blocks = list(blocks)
        saturday = any(b.day == 6 for b in self._blocks)
        sunday = any(b.day == 7 for b in self._blocks)
        self._days = (1, 2, 3, 4, 5) + ((6,) if saturday or sunday else ()) + \
            ((7,) if sunday else ())
        starts = [b.start for b in self._blocks]
        ends = [b.end for b in self._blocks]
        self._first = (first if first is not None else min([8 * 60, *starts])) // 60 * 60
        last_minute = last if last is not None else max([18 * 60, *ends])
        self._last = -(-last_minute // 60) * 60
        self.updateGeometry()
        self.update()

    def set_week(self, week: str) -> None:
        self._week = week
        self.update()

    def week(self) -> str:
        return self._week

    def shown_blocks(self) -> list[GridBlock]:
        """The blocks of the selected week (every-week courses always included)."""
        if self._week == WEEK_ALL:
            return list(self._blocks)
        return [b for b in self._blocks if b.week is None or b.week == self._week]

    def placed_blocks(self) -> list[tuple[GridBlock, QRectF]]:
        """Where each shown block is drawn, for hit tests (and the tests)."""
        self._layout()
        return list(self._placed)

    # -- geometry ---------------------------------------------------------------

    def sizeHint(self) -> QSize:
        hours = max(1, (self._last - self._first) // 60)
        return QSize(HOURS_WIDTH + 140 * len(self._days), HEADER_HEIGHT + hours * PIXELS_PER_HOUR)

    def minimumSizeHint(self) -> QSize:
        return QSize(HOURS_WIDTH + 60 * len(self._days), HEADER_HEIGHT + 200)

    def _column_width(self) -> float:
        return max(1.0, (self.width() - HOURS_WIDTH) / len(self._days))

    def _y(self, minutes: int) -> float:
        span = max(60, self._last - self._first)
        return HEADER_HEIGHT + (minutes - self._first) * (self.height() - HEADER_HEIGHT) / span

    def _layout(self) -> None:
        self._placed = []
        width = self._column_width()
        shown = self.shown_blocks()
        for column, day in enumerate(self._days):
            blocks = [b for b in shown if b.day == day]
            for index, (lane, lanes) in _lanes(blocks).items():
                block = blocks[index]
                x = HOURS_WIDTH + column * width + lane * width / lanes
                top, bottom = self._y(block.start), self._y(block.end)
                self._placed.append(
                    (block, QRectF(x + 1, top + 1, width / lanes - 2, max(4.0, bottom - top - 2)))
                )

    # -- painting -----------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        self._layout()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.base())
        width = self._column_width()
        grid_pen = QPen(palette.mid().color())
        painter.setPen(grid_pen)
        for column, day in enumerate(self._days):
            x = HOURS_WIDTH + column * width
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
            painter.setPen(palette.text().color())
            painter.drawText(QRectF(x, 0, width, HEADER_HEIGHT), Qt.AlignmentFlag.AlignCenter,
                             DAY_NAMES[day].capitalize())  # fmt: skip
            painter.setPen(grid_pen)
        for minute in range(self._first, self._last + 1, 60):
            y = self._y(minute)
            painter.drawLine(QPointF(HOURS_WIDTH, y), QPointF(self.width(), y))
            painter.setPen(palette.text().color())
            painter.drawText(QRectF(0, y - 8, HOURS_WIDTH - 6, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{minute // 60:02d}h")  # fmt: skip
            painter.setPen(grid_pen)
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
        for block, rect in self._placed:
            painter.setBrush(_colour(block.title))
            # A red frame marks what STSWEB will not receive, as the STSWEB column does.
            painter.setPen(QPen(QColor("#c0392b"), 2) if not block.exportable
                           else QPen(QColor(0, 0, 0, 90)))  # fmt: skip
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(QColor("#1a1a1a"))
            painter.setFont(small)
            lines = [block.title, block.detail, block.week_label]
            painter.drawText(rect.adjusted(3, 2, -3, -2),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                             | Qt.TextFlag.TextWordWrap,
                             "\n".join(line for line in lines if line))  # fmt: skip
        painter.end()

    # -- interaction ------------------------------------------------------------

    def block_at(self, point: QPointF) -> GridBlock | None:
        for block, rect in reversed(self.placed_blocks()):
            if rect.contains(point):
                return block
        return None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        block = self.block_at(event.position())
        if block is not None:
            self.course_activated.emit(block.course_id)
        super().mouseDoubleClickEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            block = self.block_at(QPointF(event.pos()))
            if block is not None and block.tooltip:
                QToolTip.showText(event.globalPos(), block.tooltip, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)
