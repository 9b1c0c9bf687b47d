"""The wall screen of a waiting area (1920x1080): the newest call, the last calls, every room."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QVBoxLayout, QWidget

from common.board import CallLine, DoctorCard, RoomBoard
from common.screen_layout import ScreenLayout
from display.screen import ScreenBase, local_now
from display.widgets import ACCENT, MUTED, PANEL, TEXT, FitLabel, LineLabel, Ticker

PAUSED_ZH = "暂停接诊"
NEXT_ZH = "请准备："
FLASH = "#c1121f"
NOBODY_ZH = "—"


class CallPanel(QFrame):
    """The newest call, large; flashes for a few seconds when a call arrives.

    Emits ``painted(seq)`` after a repaint that shows a call it had not shown before.
    """

    painted = Signal(int)

    def __init__(self, layout: ScreenLayout, parent=None, verb: str = "就诊"):
        super().__init__(parent)
        big = layout.font("call")
        self.verb = verb  # 就诊, or 取药 / 采血 / 检查 at a service point's wall
        self.caption = FitLabel(f"请以下患者{verb}", int(layout.font("row") * 0.9), color=MUTED, align=Qt.AlignCenter)
        self.ticket = FitLabel("", big, bold=True, color=ACCENT, align=Qt.AlignCenter)
        self.name = FitLabel("", int(big * 0.7), bold=True, align=Qt.AlignCenter)
        self.room = FitLabel("", int(big * 0.7), bold=True, align=Qt.AlignCenter)
        col = QVBoxLayout(self)
        col.setContentsMargins(16, 12, 16, 12)
        col.addWidget(self.caption, 2)
        col.addWidget(self.ticket, 5)
        col.addWidget(self.name, 4)
        col.addWidget(self.room, 4)
        self._seq_shown = -1
        self._seq_pending = -1
        self._flash_on = False
        self._flash_left = 0
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(400)
        self._flash_timer.timeout.connect(self._flash_step)
        self._flash_ticks = max(0, int(layout.flash_seconds * 1000 / 400))
        self._paint_style(False)

    def show_call(self, call: CallLine | None, show_name: bool, flash: bool) -> None:
        if call is None:
            self.ticket.setText("")
            self.name.setText("请留意叫号")
            self.room.setText("")
            return
        self.ticket.setText(call.ticket)
        self.name.setText(call.name if show_name else "")
        self.room.setText(f"请到 {call.room_name} {self.verb}")
        self._seq_pending = call.seq
        if flash:
            self._flash_left = self._flash_ticks
            if self._flash_left:
                self._flash_timer.start()
            self._flash_step()

    def flashing(self) -> bool:
        return self._flash_timer.isActive()

    def _flash_step(self) -> None:
        if self._flash_left <= 0:
            self._flash_timer.stop()
            self._paint_style(False)
            return
        self._flash_left -= 1
        self._paint_style(not self._flash_on)

    def _paint_style(self, on: bool) -> None:
        """Flash by repainting the background (a style sheet change would re-polish every child)."""
        self._flash_on = on
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor(ACCENT), 3))
        painter.setBrush(QColor(FLASH if self._flash_on else PANEL))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5), 12, 12)
        painter.end()
        if self._seq_pending != self._seq_shown:
            self._seq_shown = self._seq_pending
            self.painted.emit(self._seq_shown)


class RoomRow(QFrame):
    """One room, two lines at legible sizes: room and who is inside; doctor and who is next.

    ``内科1诊室        A001 王*明``
    ``张建国 主任医师    请准备：A002 欧**娜   A006 陈*``
    """

    def __init__(self, layout: ScreenLayout, parent=None):
        super().__init__(parent)
        row_px = layout.font("row")
        self.room = LineLabel(row_px, bold=True, color=ACCENT)
        self.current = LineLabel(row_px, bold=True)
        self.doctor = LineLabel(layout.font("doctor"), color=MUTED)
        self.waiting = LineLabel(layout.font("next"), color=TEXT)
        grid = QGridLayout(self)
        grid.setContentsMargins(16, 4, 16, 4)
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(0)
        grid.addWidget(self.room, 0, 0)
        grid.addWidget(self.current, 0, 1)
        grid.addWidget(self.doctor, 1, 0)
        grid.addWidget(self.waiting, 1, 1)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        self.setStyleSheet("background: transparent;")
        self.setFixedHeight(self.block_height(layout))

    @staticmethod
    def block_height(layout: ScreenLayout) -> int:
        return int(layout.font("row") * 1.25 + layout.font("next") * 1.25 + 12)

    def show_room(self, room: RoomBoard | None, next_count: int, show_name: bool) -> None:
        if room is None:
            for label in (self.room, self.doctor, self.current):
                label.show_text()
            self.waiting.show_patients([])
            return
        self.room.show_text(room.name)
        self.doctor.show_text(" ".join(x for x in (room.doctor_name, room.doctor_title) if x), room.doctor_name)
        if room.paused:
            self.current.show_text(f"{PAUSED_ZH} · {room.return_at} 回来" if room.return_at else PAUSED_ZH, PAUSED_ZH)
            self.current.set_color("#ff9f9f")
        elif room.current:
            self.current.show_patients([(room.current.ticket, room.current.name if show_name else "")])
            self.current.set_color(TEXT)
        else:
            self.current.show_text(NOBODY_ZH)
            self.current.set_color(TEXT)
        upcoming = [(p.ticket, p.name if show_name else "") for p in room.waiting[:next_count]]
        self.waiting.show_patients(upcoming, NEXT_ZH if upcoming and not room.paused else "")


class WallDisplay(ScreenBase):
    """The area screen. Feed it events with ``apply_event`` (from :class:`client.link.EventLink`)."""

    def __init__(self, area_id: str, layout: ScreenLayout, *, title: str = "", notices: list[str] | None = None,
                 education: list[str] | None = None,
                 doctors: dict[str, DoctorCard] | None = None, now: Callable[[], datetime] = local_now,
                 parent: QWidget | None = None, verb: str = "就诊"):
        super().__init__(area_id, layout, doctors=doctors, title=title, now=now, parent=parent)
        self.call_panel = CallPanel(layout, verb=verb)
        small = layout.font("doctor")
        self.recent_title = LineLabel(layout.font("small"), color=MUTED)
        self.recent_title.show_text("最近呼叫")
        self.ticker = Ticker(int(layout.font("next") * 0.9), layout.ticker_speed)
        body_h = self._body_height()
        recent_fit = max(0, int(body_h * 0.42 // (small * 1.2)) - 1)
        self.recent_labels = [LineLabel(small) for _ in range(min(layout.recent_calls, recent_fit))]
        self.call_panel.setMaximumHeight(int(body_h - (len(self.recent_labels) + 1) * small * 1.2))
        left = QVBoxLayout()
        left.setSpacing(0)
        left.addWidget(self.call_panel, 1)
        left.addWidget(self.recent_title)
        for label in self.recent_labels:
            left.addWidget(label)

        self.rows_per_page = max(1, min(layout.rows, int((body_h - 24 - layout.font("small") * 1.3)
                                                         // RoomRow.block_height(layout))))
        self.room_rows = [RoomRow(layout) for _ in range(self.rows_per_page)]
        table = QFrame()
        table.setObjectName("roomTable")
        table.setStyleSheet(f"#roomTable {{ background: {PANEL}; border-radius: 12px; }}")
        right = QVBoxLayout(table)
        right.setContentsMargins(8, 8, 8, 8)
        right.setSpacing(0)
        for row in self.room_rows:
            right.addWidget(row)
        right.addStretch(1)
        self.page_label = LineLabel(layout.font("small"), color=MUTED, align=Qt.AlignRight | Qt.AlignVCenter)
        right.addWidget(self.page_label)

        body = QGridLayout()
        body.setContentsMargins(24, 8, 24, 8)
        body.setHorizontalSpacing(24)
        body.addLayout(left, 0, 0)
        body.addWidget(table, 0, 1)
        body.setColumnStretch(0, 34)
        body.setColumnStretch(1, 66)

        self._configured_notices = list(notices or [])
        self._education = list(education or [])
        self.ticker.set_items(self._configured_notices + self._education)

        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(0)
        page.addWidget(self.header)
        page.addWidget(self.connection_banner)
        page.addWidget(self.broadcast_banner)
        page.addLayout(body, 1)
        page.addWidget(self.ticker)

        self._page = 0
        self._page_timer = QTimer(self)
        self._page_timer.setInterval(int(layout.page_seconds * 1000))
        self._page_timer.timeout.connect(self._next_page)
        self._page_timer.start()
        self._redraw({"rooms", "calls", "banner", "notices"})

    def _body_height(self) -> int:
        """The height left for calls and rooms with a broadcast banner up (the rows must fit then too)."""
        lay = self.layout_settings
        return lay.height - self.header.height() - self.broadcast_banner.height() - self.ticker.height() - 16

    # -- drawing -----------------------------------------------------------------------------
    def rooms_shown(self) -> list[RoomBoard]:
        """The rooms of the current page, in configured order."""
        rooms = self.board.room_list(self.layout_settings.rooms or None)
        rows = self.rows_per_page
        pages = max(1, -(-len(rooms) // rows))
        self._page %= pages
        return rooms[self._page * rows:(self._page + 1) * rows]

    def _redraw(self, changed: set[str]) -> None:
        lay = self.layout_settings
        if "calls" in changed:
            newest = self.board.newest_call()
            self.call_panel.show_call(newest, lay.show_names, flash="call" in changed and self._is_fresh(newest))
            older = self.board.calls[1:1 + len(self.recent_labels)]
            for i, label in enumerate(self.recent_labels):
                line = older[i] if i < len(older) else None
                if line is None:
                    label.show_text()
                else:
                    name = f"{line.name}  " if lay.show_names and line.name else ""
                    label.show_text(f"{line.ticket}  {name}→  {line.room_name}", f"{line.ticket}  →  {line.room_name}",
                                    line.ticket)
        if "rooms" in changed:
            self._draw_rooms()
        if "banner" in changed:
            self._redraw_banner()
        if "notices" in changed:
            self.ticker.set_items((self.board.notices or self._configured_notices) + self._education)

    def _is_fresh(self, call: CallLine | None) -> bool:
        """Flash a call that just happened, not one replayed after a long outage."""
        return call is not None and (self.now() - call.at).total_seconds() < 30

    def _draw_rooms(self) -> None:
        lay = self.layout_settings
        shown = self.rooms_shown()
        total = len(self.board.room_list(lay.rooms or None))
        for i, row in enumerate(self.room_rows):
            row.show_room(shown[i] if i < len(shown) else None, lay.next_count, lay.show_names)
            row.setVisible(i < max(1, min(total, self.rows_per_page)))
        pages = max(1, -(-total // self.rows_per_page))
        self.page_label.show_text(f"第 {self._page + 1}/{pages} 页" if pages > 1 else "")

    def _next_page(self) -> None:
        self._page += 1
        self._draw_rooms()
