"""The kiosk window: header (hospital, clock, countdown), one screen at a time, footer (back, home, help).

It owns the patient session and its end: on timeout or when a flow finishes, the session is cleared,
every pending result for it is dropped and the screens that showed it are destroyed.
"""
from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from common.device_settings import KioskSettings
from kiosk import style
from kiosk.busy import BusyOverlay
from kiosk.flows import Flows
from kiosk.i18n import language, pick, set_language, tr
from kiosk.keyboard import KeyboardPanel, input_method_ready
from kiosk.models import Session
from kiosk.screens.home import HomeScreen
from kiosk.widgets import Screen, button, label
from kiosk.worker import Runner

ScreenFactory = Callable[[], Screen]

CLOCK_CHECK_TICKS = 60  # ticks between setting the clock by the service's (about a minute)
ACTIVITY_EVENTS = {QEvent.MouseButtonPress, QEvent.TouchBegin, QEvent.KeyPress}
NEXT_PATIENT = {"timeout", "done", "recovered"}  # ways a session ends after which the next person comes


class KioskWindow(QWidget):
    """Top-level kiosk widget. ``backend`` talks to the service, ``devices`` to the hardware."""

    screen_changed = Signal(str)
    went_home = Signal(str)  # reason: "timeout" | "done" | "home"

    def __init__(self, backend, devices, settings: KioskSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("KioskWindow")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.backend = backend
        self.devices = devices
        self.settings = settings or KioskSettings()
        self.runner = Runner(self)
        self.his = None  # kiosk.his.HisStatus: the HIS away -> the home screen says what still works
        self.session = Session()
        self.elderly = False
        self.history: list[ScreenFactory] = []
        self.current: Screen | None = None
        self.remaining = 0
        self._admin_taps: list[float] = []
        self._may_close = False
        self.closed = False
        self._build_chrome()
        self.busy = BusyOverlay(self)
        self.runner.busy_changed.connect(self.busy.set_busy)
        self._ticks_to_clock_check = 1  # set the clock by the service's at the first tick, then every minute or so
        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(self.settings.tick_ms)
        self.tick_timer.timeout.connect(self._tick)
        self.tick_timer.start()
        QApplication.instance().installEventFilter(self)
        style.install_style(QApplication.instance())
        self.apply_style()
        self.flows = Flows(self, self.session)
        self.go_home("start")

    # ----- chrome -------------------------------------------------------------------------------
    def _build_chrome(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.header = QWidget()
        self.header.setObjectName("Header")
        self.header.setAttribute(Qt.WA_StyledBackground, True)
        head = QHBoxLayout(self.header)
        head.setContentsMargins(36, 18, 36, 18)
        self.hospital_label = label("", "HospitalName", wrap=False)
        self.hospital_label.mousePressEvent = lambda _e: self.admin_tap()
        self.clock_label = label("", "Clock", wrap=False, align=Qt.AlignRight | Qt.AlignVCenter)
        self.countdown_label = label("", "Countdown", wrap=False, align=Qt.AlignCenter)
        head.addWidget(self.hospital_label, 1)
        head.addWidget(self.clock_label)
        head.addWidget(self.countdown_label)
        outer.addWidget(self.header)
        self.warning = label("", "Warning", align=Qt.AlignCenter)
        self.warning.hide()
        outer.addWidget(self.warning)
        self.elderly_offer = QWidget()  # 长辈模式 (large print) offered to a patient whose card says 65 or older; they may say no
        self.elderly_offer.setObjectName("Offer")
        self.elderly_offer.setAttribute(Qt.WA_StyledBackground, True)
        offer = QHBoxLayout(self.elderly_offer)
        offer.setContentsMargins(36, 10, 36, 10)
        offer.setSpacing(24)
        self.elderly_offer_text = label("", "OfferText")
        self.elderly_offer_yes = button("", "Primary", lambda: self.answer_elderly_offer(True))
        self.elderly_offer_no = button("", "", lambda: self.answer_elderly_offer(False))
        offer.addWidget(self.elderly_offer_text, 1)
        offer.addWidget(self.elderly_offer_yes)
        offer.addWidget(self.elderly_offer_no)
        self.elderly_offer.hide()
        outer.addWidget(self.elderly_offer)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.keyboard = None  # Qt Virtual Keyboard (pinyin, English) while a text field is being typed into
        if input_method_ready():
            self.keyboard = KeyboardPanel(self)
            outer.addWidget(self.keyboard)
        self.action_bar = QWidget()  # the screen's main actions, fixed above the footer: never scrolled away
        self.action_bar.setObjectName("ActionBar")
        self.action_bar.setAttribute(Qt.WA_StyledBackground, True)
        self.action_row = QHBoxLayout(self.action_bar)
        self.action_row.setContentsMargins(48, 12, 48, 12)
        self.action_row.setSpacing(24)
        self.action_bar.hide()
        outer.addWidget(self.action_bar)
        self.footer = QWidget()
        self.footer.setObjectName("Footer")
        self.footer.setAttribute(Qt.WA_StyledBackground, True)
        foot = QHBoxLayout(self.footer)
        foot.setContentsMargins(36, 14, 36, 14)
        foot.setSpacing(24)
        self.back_button = button("", "Nav", self.back)
        self.home_button = button("", "Nav", lambda: self.go_home("home"))
        self.help_button = button("", "Help", lambda: self.flows.call_staff())
        for b in (self.back_button, self.home_button, self.help_button):
            foot.addWidget(b)
        outer.addWidget(self.footer)

    def retranslate_chrome(self) -> None:
        s = self.settings
        self.hospital_label.setText(pick(s.hospital_name, s.hospital_name_en))
        self.back_button.setText(tr("返回上一步"))
        self.home_button.setText(tr("返回首页"))
        self.help_button.setText(tr("呼叫工作人员"))
        self.elderly_offer_text.setText(tr("您好，需要把字放大一些吗？"))
        self.elderly_offer_yes.setText(tr("长辈模式"))
        self.elderly_offer_no.setText(tr("不用了，谢谢"))
        if self.keyboard is not None:
            self.keyboard.set_language(language())
        self._update_clock()

    def apply_style(self) -> None:
        scale = self.settings.elderly_scale if self.elderly else 1.0
        self.setStyleSheet(style.stylesheet(scale, landscape=not self.settings.portrait))
        if self.keyboard is not None:
            self.keyboard.set_mode(elderly=self.elderly, portrait=self.settings.portrait)
        self.retranslate_chrome()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self.busy.setGeometry(self.rect())

    # ----- screens ------------------------------------------------------------------------------
    @property
    def per_page(self) -> int:
        return self.settings.elderly_per_page if self.elderly else self.settings.per_page

    @property
    def choice_columns(self) -> int:
        """Choices side by side on a landscape screen (it has the width, not the height)."""
        return 1 if self.settings.portrait else 2

    def show_screen(self, factory: ScreenFactory, push: bool = True) -> Screen:
        """Build and show a screen; push=False replaces the current step (no way back to it)."""
        if push:
            self.history.append(factory)
        elif self.history:
            self.history[-1] = factory
        else:
            self.history.append(factory)
        return self._display(factory())

    def _display(self, screen: Screen) -> Screen:
        old = self.stack.currentWidget()
        self.current = screen
        if not self.settings.portrait:  # a landscape screen has little height: tighter margins
            screen.root.setContentsMargins(48, 12, 48, 10)
            screen.root.setSpacing(12)
        holder = QScrollArea()  # a screen taller than the display (elderly text on a landscape screen) scrolls
        holder.setWidgetResizable(True)
        holder.setFrameShape(QFrame.NoFrame)
        holder.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        holder.setWidget(screen)
        self.stack.addWidget(holder)
        self.stack.setCurrentWidget(holder)
        if old is not None:
            self.stack.removeWidget(old)
            old.deleteLater()
        self._show_actions(screen)
        if self.keyboard is not None:
            self.keyboard.open_for(screen)
        at_home = screen.name == "home"
        self.back_button.setVisible(not at_home and len(self.history) > 1 and screen.allow_back)
        self.home_button.setVisible(not at_home)
        self.footer.setVisible(not at_home)
        self.reset_countdown()
        if self.elderly and screen.speech:
            self.devices.speak(screen.speech)
        self.screen_changed.emit(screen.name)
        return screen

    def _show_actions(self, screen: Screen) -> None:
        """Move the screen's main actions into the fixed action bar (the previous screen's ones go with it)."""
        while self.action_row.count():
            item = self.action_row.takeAt(0)
            widget = item.widget()
            if widget is not None and widget not in screen.actions:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        shown = 0
        for widget in screen.actions:
            hidden = widget.isHidden() and widget.testAttribute(Qt.WA_WState_ExplicitShowHide)  # the screen hid it
            self.action_row.addWidget(widget)
            widget.setVisible(not hidden)
            shown += not hidden
        self.action_bar.setVisible(shown > 0)

    def back(self) -> None:
        """One step back (the previous screen is built again from its factory)."""
        if len(self.history) > 1:
            self.history.pop()
            self._display(self.history[-1]())

    def go_home(self, reason: str = "home") -> None:
        """End the patient's session: wipe their data and show the home screen."""
        self.runner.new_generation()
        if reason != "start":
            self.flows.abandon()  # stop waiting for a payment, give a held slot back
            self.backend.patient_left()  # the service forgets who stood here
        self.session.clear()
        self.history = []
        self.warning.hide()
        self.elderly_offer.hide()
        if reason in NEXT_PATIENT and (self.elderly or language() != "zh"):
            set_language("zh")  # the next patient starts in Chinese, normal mode
            self.elderly = False
            self.apply_style()
        self.show_screen(lambda: HomeScreen(self))
        self.went_home.emit(reason)

    def set_language(self, lang: str) -> None:
        """Switch every string to "zh" or "en" (the current screen is rebuilt in that language)."""
        set_language(lang)
        self.retranslate_chrome()
        if self.history:
            self._display(self.history[-1]())

    def offer_elderly(self) -> None:
        """Offer the large print, above the screen, without stopping what the patient is doing."""
        if not self.elderly:
            self.elderly_offer.show()

    def answer_elderly_offer(self, accept: bool) -> None:
        self.elderly_offer.hide()
        if accept:
            self.set_elderly(True)

    def set_elderly(self, on: bool) -> None:
        """Elderly mode: 1.5x text, fewer items per page, longer timeouts, each step spoken."""
        self.elderly = on
        self.apply_style()
        if self.history:
            self._display(self.history[-1]())

    @property
    def language(self) -> str:
        return language()

    # ----- countdown ----------------------------------------------------------------------------
    def timeout_for(self, screen: Screen | None) -> int:
        if screen is None:
            return 0
        if screen.timeout_s == 0:
            return 0
        base = screen.timeout_s or self.settings.timeout_s
        return max(base, self.settings.elderly_timeout_s) if self.elderly else base

    def reset_countdown(self) -> None:
        self.remaining = self.timeout_for(self.current)
        self.warning.hide()
        self._show_countdown()

    def _show_countdown(self) -> None:
        if self.remaining > 0 and not (self.current is not None and self.current.own_countdown):  # one per screen
            self.countdown_label.setText(tr("{n} 秒").format(n=self.remaining))
            self.countdown_label.show()
        else:
            self.countdown_label.hide()

    def _tick(self) -> None:
        self._update_clock()
        self._ticks_to_clock_check -= 1
        if self._ticks_to_clock_check <= 0:
            self._ticks_to_clock_check = CLOCK_CHECK_TICKS
            self.check_clock()
        if self.remaining <= 0:
            return
        self.remaining -= 1
        self._show_countdown()
        if self.remaining == 0:
            self.go_home("timeout")
        elif self.remaining <= self.settings.warn_s:
            self.warning.setText(tr("{n} 秒后将返回首页，如需继续请触摸屏幕").format(n=self.remaining))
            self.warning.show()

    def check_clock(self) -> None:
        """Set the shown clock by the service's, in the background; a drifting clock becomes a device warning.
        Also asks whether the hospital's HIS answers (the home screen says what works while it does not)."""
        self.runner.run(self.backend.check_clock, self.devices.note_clock, lambda _e: None, busy=False)
        self.check_his()

    def check_his(self) -> None:
        self.runner.run(self.backend.his_status, self._his_seen, lambda _e: None, busy=False)

    def _his_seen(self, status) -> None:
        changed = (self.his is not None and self.his.away) != status.away
        self.his = status
        if changed and self.current is not None and self.current.name == "home":
            self.history = []
            self.show_screen(lambda: HomeScreen(self))

    def _update_clock(self) -> None:
        now = self.backend.clock()  # the service's time, in the hospital's zone
        weekday = [tr("星期一"), tr("星期二"), tr("星期三"), tr("星期四"), tr("星期五"), tr("星期六"), tr("星期日")]
        day = weekday[now.weekday()]
        if language() == "en":
            text = f"{now:%Y-%m-%d}  {day}  {now:%H:%M}"
        else:
            text = f"{now.year}年{now.month}月{now.day}日  {day}  {now:%H:%M}"
        self.clock_label.setText(text)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() in ACTIVITY_EVENTS and self.remaining > 0:
            self.remaining = self.timeout_for(self.current)
            self.warning.hide()
            self._show_countdown()
        return False

    # ----- admin and lock -----------------------------------------------------------------------
    def admin_tap(self) -> None:
        """Five taps on the hospital name within 3 s open the staff PIN screen."""
        now = time.monotonic()
        self._admin_taps = [t for t in self._admin_taps if now - t < 3.0] + [now]
        if len(self._admin_taps) >= 5:
            self._admin_taps = []
            self.flows.admin()

    def admin_exit(self) -> None:
        self._may_close = True
        self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        if not self._may_close:
            event.ignore()
            return
        QApplication.instance().removeEventFilter(self)
        self.closed = True
        self.tick_timer.stop()
        self.runner.new_generation()
        self.flows.shutdown()
        super().closeEvent(event)

    def lock_fullscreen(self) -> None:
        """Full screen, frameless, on top: no way out to the desktop except the staff exit."""
        self.setWindowFlags(Qt.Window | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint)
        self.showFullScreen()
