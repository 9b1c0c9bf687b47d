"""What the wall and door screens have in common: the board, the clock, the two banners."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QWidget

from common.board import AreaBoard, DoctorCard
from common.clock import HospitalClock
from common.screen_layout import ScreenLayout
from display.widgets import ACCENT, ALERT, BG, MUTED, Banner, FitLabel

WEEKDAYS_ZH = "一二三四五六日"
LOST_ZH = "对不起，网络连接中断，正在重新连接，请稍候…… 叫号请以护士通知为准"


def local_now() -> datetime:
    """Hospital time by this machine's clock (screens built by display.app follow the service's clock instead)."""
    return HospitalClock().aware()


def clock_text(now: datetime) -> str:
    return f"{now:%Y年%m月%d日} 星期{WEEKDAYS_ZH[now.weekday()]}  {now:%H:%M:%S}"


class ScreenBase(QWidget):
    """Holds an :class:`AreaBoard`, applies events to it and redraws what changed.

    Subclasses build their widgets and implement ``_redraw(changed)``.
    """

    boardChanged = Signal(object)  # the set of changed parts, after the widgets show them

    target = "area_screen"  # which call target this screen is (docs/events.md: call.targets)

    def __init__(self, area_id: str, layout: ScreenLayout, *, title: str = "",
                 doctors: dict[str, DoctorCard] | None = None,
                 now: Callable[[], datetime] = local_now, parent: QWidget | None = None):
        super().__init__(parent)
        self.layout_settings = layout
        self.board = AreaBoard(area_id, recent_limit=max(1, layout.recent_calls + 1), target=self.target,
                               doctors=dict(doctors or {}))
        self.now = now
        self.online = False
        self.setStyleSheet(f"background: {BG};")
        self.setAutoFillBackground(True)
        self.resize(layout.width, layout.height)

        self.title_label = FitLabel(title, layout.font("title"), bold=True)
        self.clock_label = FitLabel(clock_text(now()), int(layout.font("title") * 0.8), color=MUTED,
                                    align=Qt.AlignRight | Qt.AlignVCenter)
        self.header = QWidget()
        row = QHBoxLayout(self.header)
        row.setContentsMargins(24, 8, 24, 8)
        row.addWidget(self.title_label, 5)
        row.addWidget(self.clock_label, 4)
        self.header.setFixedHeight(int(layout.font("title") * 1.9))
        self.connection_banner = Banner(layout.font("next"), ALERT)
        self.broadcast_banner = Banner(layout.font("next"), ACCENT, color="#1b1b1b")

        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(1000)
        self._tick_timer.timeout.connect(self.tick)
        self._tick_timer.start()
        self.set_online(False, "正在连接叫号服务，请稍候……")

    # -- inputs ------------------------------------------------------------------------------
    @Slot(object)
    def apply_event(self, event: dict[str, Any]) -> None:
        changed = self.board.apply(event, self.now())
        fresh = event.get("type") in ("snapshot", "queue")
        if fresh and not self.online:
            self.set_online(True)
        if "day" in changed and not fresh and getattr(self, "link", None) is not None:
            self.link.resync()
        if changed:
            self._redraw(changed)
            self.boardChanged.emit(changed)

    @Slot(bool, str)
    def set_online(self, online: bool, message: str = "") -> None:
        """Show the lost-connection banner at once; hide it when the link is back."""
        self.online = online
        self.connection_banner.show_text("" if online else (message or LOST_ZH))

    @Slot()
    def tick(self) -> None:
        now = self.now()
        self.clock_label.setText(clock_text(now))
        changed = self.board.tick(now)
        if "day" in changed and getattr(self, "link", None) is not None:
            self.link.resync()  # a new day: today's queue from a fresh snapshot, never yesterday's
        if changed:
            self._redraw(changed)
            self.boardChanged.emit(changed)

    def shutdown(self) -> None:
        """Stop the event link and the speaker this screen owns (if any)."""
        for name in ("link", "speaker"):
            part = getattr(self, name, None)
            if part is not None:
                part.stop()
                setattr(self, name, None)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    # -- for subclasses ----------------------------------------------------------------------
    def _redraw(self, changed: set[str]) -> None:
        raise NotImplementedError

    def _redraw_banner(self) -> None:
        text = self.board.banner
        self.broadcast_banner.show_text(f"通知：{text}" if text else "")
