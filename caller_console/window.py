"""The nurse call console: panes of the area's queue, one-click actions, alerts, devices.

Every service call runs on the :class:`Runner` thread; live events arrive through an
:class:`client.link.EventLink`, so a second console acting on the same area shows up here at once.
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from caller_console.actions import ACTIONS, ActionSpec, actions_of, key_map_text
from caller_console.commands import ConsoleCommands
from caller_console.devices import HEALTH_ZH, DevicesTable, devices_of_area
from caller_console.help_bar import ACK_KEY, HelpBar
from caller_console.model import ID_NUMBER, ConsoleView, Row, build_view, matches
from caller_console.panes import Pane
from caller_console.screen_pairing import ScreenPairing
from caller_console.station_commands import StationCommands
from caller_console.station_model import (
    POINT_ZH,
    SERVICE_ZH,
    STATION_COLUMNS,
    STATION_LISTS,
    StationView,
    build_station_view,
    service_of_area,
    station_cells,
)
from caller_console.toast import Toast
from client.http import CallerClient, CallerError
from common.clock import ServiceClock
from common.privacy import mask_id_number
from common.queue_delta import apply_delta
from common.wire import CallData, RoomData, snapshot_of

CHIME = Path(__file__).resolve().parent.parent / "assets" / "sounds" / "chime.wav"
ROLE_ZH = {"nurse": "护士", "doctor": "医生", "admin": "管理员"}


class ConsoleWindow(ConsoleCommands, StationCommands, QMainWindow):
    """``ConsoleWindow(client, login, hospital, area_id, room_id)``; ``client`` holds the user token.

    The area decides the mode: a clinic area gets the nurse's panes and keys; a service point's area (pharmacy,
    lab, imaging, cashier: its departments' ``service``) gets the window/station mode, with that service's lists,
    keys and the scan field (caller_console/station_model.py). ``label_printer``: the draw window's
    (caller_console.label_printer.LabelPrinter), for 打印标签.
    """

    viewChanged = Signal()
    commandDone = Signal(str, object)
    commandFailed = Signal(str, object)

    def __init__(self, client: CallerClient, login: dict[str, Any], hospital: dict[str, Any], area_id: str,
                 room_id: str, *, now: Callable[[], datetime] | None = None, start_link: bool = True,
                 label_printer: Any = None, parent: QWidget | None = None):
        super().__init__(parent)
        from client.runner import Runner

        self.client, self.login, self.hospital = client, login, hospital
        self.area_id, self.room_id = area_id, room_id
        self.clock = ServiceClock()  # the service's time, set by its /healthz
        self.now = now or self.clock
        self._clock_warned = False
        self.snapshot: dict[str, Any] = {}
        self.snapshot_version: int | None = None  # the staff snapshot version held (queue deltas build on it)
        self.deltas_applied = self.deltas_refused = 0
        self.mode = service_of_area(hospital, area_id)  # "clinic", or the service point's service
        self.view: ConsoleView | StationView = ConsoleView(area_id, room_id)
        self.steps: list[dict[str, Any]] = []  # station mode: the area's open steps (GET /areas/{area}/steps)
        self.steps_by_id: dict[str, dict[str, Any]] = {}
        self._steps_asked = self._steps_again = False
        self.label_printer = label_printer
        self.online = False
        self.selected_visit: str | None = None
        self.emergency_alerts: dict[str, str] = {}
        self.wait_alerts: dict[str, str] = {}
        self.device_alerts: dict[str, str] = {}  # device or device/part -> its fault / offline message
        self.help_calls: dict[str, dict[str, Any]] = {}  # help id -> latest alert data (open or being handled)
        self.alerts_sounded = 0
        self.devices: list[dict[str, Any]] = []
        self._doctor_names = {str(d["id"]): str(d.get("name") or "") for d in hospital.get("doctors") or []}
        self._id_patients: frozenset[str] = frozenset()
        self.link = None
        self.closed = False  # shut down: late events queued to this window are ignored
        self.runner = Runner(self, threads=1)  # one at a time, in the order the nurse gave them
        self.runner.done.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self.setWindowTitle("分诊叫号台" if self.mode == "clinic" else "窗口叫号台")
        self.setStyleSheet("QTableWidget { font-size: 16px; } QGroupBox { font-size: 15px; } "
                           "QPushButton { font-size: 15px; }")
        self.resize(1600, 960)
        self._build()
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(0)
        self._rebuild_timer.timeout.connect(self.rebuild_now)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(30_000)  # waiting minutes move on; devices change
        self._refresh_timer.timeout.connect(self._periodic)
        self._refresh_timer.start()
        self._heartbeat_timer = QTimer(self)  # this console is a device too: it says it is here
        heartbeat_s = float((hospital.get("device_health") or {}).get("heartbeat_s") or 15.0)
        self._heartbeat_timer.setInterval(int(heartbeat_s * 1000))
        self._heartbeat_timer.timeout.connect(lambda: self.runner.submit("heartbeat", self.client.report_health, "ok"))
        self._heartbeat_timer.start()
        if start_link:
            self.start()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.who_label = QLabel()
        self.who_label.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.area_combo = QComboBox()
        self.room_combo = QComboBox()
        self.link_label = QLabel()
        self.his_label = QLabel()  # the hospital's HIS: its link and backlog (hidden with local records)
        self.his_label.hide()
        for area in self._my_areas():
            self.area_combo.addItem(area["name"], area["id"])
        self.area_combo.setCurrentIndex(max(0, self.area_combo.findData(self.area_id)))
        self._fill_rooms()
        self.area_combo.currentIndexChanged.connect(self._area_chosen)
        self.room_combo.currentIndexChanged.connect(self._room_chosen)
        top = QHBoxLayout()
        top.addWidget(self.who_label, 1)
        self.area_caption, self.room_caption = QLabel("诊区"), QLabel("诊室")
        top.addWidget(self.area_caption)
        top.addWidget(self.area_combo)
        top.addWidget(self.room_caption)
        top.addWidget(self.room_combo)
        top.addWidget(self.his_label)
        top.addWidget(self.link_label)

        self.alert_label = QLabel()
        self.alert_label.setWordWrap(True)
        self.alert_label.setStyleSheet("background: #c1121f; color: white; font-size: 20px; font-weight: bold; padding: 8px;")
        self.alert_ack = QPushButton("知道了")
        self.alert_ack.clicked.connect(self.acknowledge_alerts)
        self.alert_bar = QWidget()
        bar = QHBoxLayout(self.alert_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.alert_label, 1)
        bar.addWidget(self.alert_ack)
        self.alert_bar.hide()

        self.help_bar = HelpBar(self.acknowledge_help, self.close_help)
        take = QAction("我来处理", self)
        take.setShortcut(QKeySequence(ACK_KEY))
        take.setShortcutContext(Qt.WindowShortcut)
        take.triggered.connect(self.acknowledge_oldest_help)
        self.addAction(take)

        self.notice_label = QLabel("")
        self.notice_label.setStyleSheet("color: #8a5a00; font-size: 16px;")
        self.notice_label.hide()
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索：票号 / 姓名 / 刷身份证")
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self._search_entered)

        self.scan = QLineEdit()  # a barcode scanner types here and ends with Enter (station mode)
        self.scan.setPlaceholderText("扫码：患者就诊码 / 导诊单二维码，或输入票号后回车")
        self.scan.setStyleSheet("font-size: 18px; padding: 6px; border: 2px solid #2a9d8f;")
        self.scan.returnPressed.connect(self.scan_entered)

        self.called_pane = Pane("已呼叫 / 就诊中")
        self.room_pane = Pane("本诊室候诊")
        self.waiting_pane = Pane("诊区候诊")
        self.missed_pane = Pane("过号")
        self.away_pane = Pane("检查中")
        self.nurse_panes = (self.called_pane, self.room_pane, self.waiting_pane, self.missed_pane, self.away_pane)
        self.panes: tuple[Pane, ...] = self.nurse_panes
        self.station_panes: dict[str, Pane] = {}
        for pane in self.nurse_panes:
            pane.picked.connect(self._picked)
        self.devices_table = DevicesTable()
        self.screen_pairing = ScreenPairing()  # a TV showing a pairing code becomes one of the area's displays
        self.screen_pairing.pair.connect(self._pair_screen)
        devices_box = QGroupBox("本诊区设备")
        devices_column = QVBoxLayout(devices_box)
        devices_column.addWidget(self.devices_table)
        devices_column.addWidget(self.screen_pairing)

        grid = QGridLayout()
        grid.addWidget(self.called_pane, 0, 0)
        grid.addWidget(self.room_pane, 1, 0)
        grid.addWidget(self.waiting_pane, 2, 0)
        grid.addWidget(self.missed_pane, 0, 1)
        grid.addWidget(self.away_pane, 1, 1)
        grid.addWidget(devices_box, 2, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(2, 2)

        self.nurse_buttons: dict[str, QPushButton] = {}
        self.nurse_actions: dict[str, QAction] = {}
        side = QVBoxLayout()
        self._add_actions(ACTIONS, side, self.nurse_buttons, self.nurse_actions)
        side.addStretch(1)
        find = QAction("搜索", self)
        find.setShortcut(QKeySequence("Ctrl+F"))
        find.triggered.connect(self.search.setFocus)
        self.addAction(find)

        nurse_page = QWidget()
        body = QHBoxLayout(nurse_page)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(grid, 1)
        body.addLayout(side)
        self.bodies = QStackedWidget()  # page 0: the nurse's panes; page 1: the station's (built per service)
        self.bodies.addWidget(nurse_page)
        self.station_page: QWidget | None = None
        self.station_buttons: dict[str, QPushButton] = {}
        self.station_actions: dict[str, QAction] = {}
        page = QVBoxLayout()
        page.addLayout(top)
        page.addWidget(self.help_bar)
        page.addWidget(self.alert_bar)
        page.addWidget(self.notice_label)
        page.addWidget(self.scan)
        page.addWidget(self.search)
        page.addWidget(self.bodies, 1)
        self.key_map = QLabel(key_map_text())  # every key, always on screen
        self.key_map.setWordWrap(True)
        self.key_map.setStyleSheet("color: #334; background: #eef2f5; font-size: 14px; padding: 4px 8px;")
        page.addWidget(self.key_map)
        central = QWidget()
        central.setLayout(page)
        self.setCentralWidget(central)
        self.toast = Toast(central)
        self.buttons = self.nurse_buttons
        self.actions_by_key = self.nurse_actions
        self._set_mode(self.mode)
        self.set_online(False, "")
        self._show_who()

    def _add_actions(self, specs: tuple[ActionSpec, ...], side: QVBoxLayout, buttons: dict[str, QPushButton],
                     actions: dict[str, QAction]) -> None:
        """One QAction (its key) and one button per row of the command table (caller_console/actions.py)."""
        for spec in specs:
            action = QAction(spec.label, self)
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutContext(Qt.WindowShortcut)
            action.setToolTip(spec.tip)
            action.triggered.connect(lambda _checked=False, run=spec.run: run(self))
            self.addAction(action)
            actions[spec.key] = action
            button = QPushButton(f"{spec.label}  {spec.key_text}")
            button.setMinimumHeight(44)
            button.setToolTip(spec.tip)
            button.clicked.connect(action.trigger)
            side.addWidget(button)
            buttons[spec.key] = button
        buttons["call_next"].setStyleSheet("font-size: 20px; font-weight: bold; background: #2a9d8f; color: white;")

    def _set_mode(self, mode: str) -> None:
        """Show the nurse's panes and keys, or build the station's for ``mode`` (pharmacy, lab, imaging, cashier)."""
        self.mode = mode
        for action in list(self.station_actions.values()):
            self.removeAction(action)
            action.deleteLater()
        self.station_actions, self.station_buttons, self.station_panes = {}, {}, {}
        if self.station_page is not None:
            self.bodies.removeWidget(self.station_page)
            self.station_page.deleteLater()
            self.station_page = None
        station = mode != "clinic"
        for action in self.nurse_actions.values():
            action.setEnabled(not station)
        self.scan.setVisible(station)
        self.area_caption.setText("区域" if station else "诊区")
        self.room_caption.setText(POINT_ZH.get(mode, "诊室"))
        self.setWindowTitle(f"{SERVICE_ZH[mode]}窗口叫号台" if station else "分诊叫号台")
        self.key_map.setText(key_map_text(mode))
        if not station:
            self.bodies.setCurrentIndex(0)
            self.buttons, self.actions_by_key, self.panes = self.nurse_buttons, self.nurse_actions, self.nurse_panes
            return
        self.station_page = QWidget()
        body = QHBoxLayout(self.station_page)
        body.setContentsMargins(0, 0, 0, 0)
        grid = QGridLayout()
        lists = STATION_LISTS[mode]
        for index, (key, title) in enumerate(lists):
            pane = Pane(title, columns=STATION_COLUMNS, cells=station_cells)
            pane.picked.connect(self._picked)
            self.station_panes[key] = pane
            grid.addWidget(pane, index // 2, index % 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        side = QVBoxLayout()
        self._add_actions(actions_of(mode), side, self.station_buttons, self.station_actions)
        side.addStretch(1)
        body.addLayout(grid, 1)
        body.addLayout(side)
        self.bodies.addWidget(self.station_page)
        self.bodies.setCurrentWidget(self.station_page)
        self.buttons, self.actions_by_key = self.station_buttons, self.station_actions
        self.panes = tuple(self.station_panes.values())

    def _tell(self, message: str, *, ok: bool, anchor: str | None = None) -> None:
        """A line in the status bar and a toast next to the action's button."""
        self.statusBar().showMessage(message, 10000)
        self.toast.show_near(self.buttons.get(anchor or ""), message, ok=ok)

    def _my_areas(self) -> list[dict[str, Any]]:
        mine = set(self.login.get("areas") or [])
        areas = [a for a in self.hospital.get("areas") or [] if a.get("id") in mine or self.login.get("role") == "admin"]
        return areas or [{"id": self.area_id, "name": self.area_id, "rooms": []}]

    def _area(self) -> dict[str, Any]:
        return next((a for a in self.hospital.get("areas") or [] if a.get("id") == self.area_id), {})

    def _fill_rooms(self) -> None:
        self.room_combo.blockSignals(True)
        self.room_combo.clear()
        for room in self._area().get("rooms") or []:
            self.room_combo.addItem(room["name"], room["id"])
        index = self.room_combo.findData(self.room_id)
        if index < 0 and self.room_combo.count():
            index = 0
            self.room_id = self.room_combo.itemData(0)
        self.room_combo.setCurrentIndex(index)
        self.room_combo.blockSignals(False)

    def _show_who(self) -> None:
        user = self.login.get("user") or {}
        room = self.view.room()
        paused = "（停诊中）" if room and room.paused else ""
        role = ROLE_ZH.get(self.login.get('role', ''), '') if self.mode == "clinic" else f"{SERVICE_ZH[self.mode]}窗口"
        self.who_label.setText(f"{self._area().get('name', self.area_id)} · {self.room_combo.currentText()}{paused} · "
                               f"{user.get('name', '')}（{role}）")

    # ------------------------------------------------------------------ live link
    def start(self) -> None:
        """Follow the area's events and load alerts and devices."""
        from client.link import EventLink

        if self.link is not None:
            self.link.stop()
            self.link.deleteLater()
        self.link = EventLink(self.client.base_url, self.client.token, self.area_id, parent=self)
        self.link.event.connect(self.apply_event)
        self.link.status.connect(self.set_online)
        self.link.start()
        self.runner.submit("alerts", self.client.wait_alerts)
        self.runner.submit("devices", self.client.devices)
        self.runner.submit("help_calls", self.client.open_help_calls, self.area_id)
        self.runner.submit("his", self.client.request, "GET", "/records/his/status")
        self.sync_clock()

    def sync_clock(self) -> None:
        """Waiting minutes by the service's clock, not this PC's (in the background)."""
        if self.now is self.clock:
            self.runner.submit("clock", self.clock.sync, self.client)

    def _clock_synced(self) -> None:
        """Redraw by the service's time; a drifting PC clock is said in the status bar and reported to the service."""
        self._rebuild()
        warning = self.clock.drift_warning()
        if warning is not None:
            self.statusBar().showMessage(warning[0], 15000)
        if warning is not None or self._clock_warned:
            zh, en = warning or ("时钟正常", "clock in step with the service")
            self.runner.submit("clock_report", self.client.report_health, "degraded" if warning else "ok", zh, en,
                               device="clock")
        self._clock_warned = warning is not None

    def shutdown(self) -> None:
        self.closed = True
        if self.label_printer is not None:
            self.label_printer.close()
        self._heartbeat_timer.stop()
        self._refresh_timer.stop()
        if self.link is not None:
            self.link.stop()
            self.link = None
        self.runner.shutdown()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    @Slot(bool, str)
    def set_online(self, online: bool, message: str = "") -> None:
        self.online = online
        if online:
            self.link_label.setText("● 已连接")
            self.link_label.setStyleSheet("color: #2a9d8f; font-weight: bold;")
        else:
            self.link_label.setText("● 连接中断，正在重新连接……")
            self.link_label.setStyleSheet("color: #c1121f; font-weight: bold;")

    @Slot(object)
    def apply_event(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        kind = event.get("type")
        data = event.get("data") or {}
        if kind == "queue" and "delta" in data:
            self._queue_delta(data)
        elif kind in ("snapshot", "queue"):
            snap = snapshot_of(event)
            if snap is not None:
                self.snapshot = snap
                self.snapshot_version = data.get("version")
                self.online = True
                self.set_online(True)
                self._area_moved()
        elif kind == "call":
            self._call_event(CallData.model_validate(data))
        elif kind == "room":
            self._room_event(RoomData.model_validate(data))
        elif kind == "alert":
            self._alert_event(event.get("data") or {})
        elif kind == "broadcast":
            self.notice_label.setText(f"最近广播：{(event.get('data') or {}).get('text', '')}")
            self.notice_label.show()

    def _queue_delta(self, data: dict[str, Any]) -> None:
        """A staff queue change: only what changed, on top of the version this console holds.

        A gap (a message this console never got) asks for a fresh snapshot instead of guessing.
        """
        if not self.snapshot or data.get("base") != self.snapshot_version:
            self.deltas_refused += 1
            if self.link is not None:
                self.link.resync()
            return
        self.snapshot = apply_delta(self.snapshot, data["delta"])
        self.snapshot_version = data.get("version")
        self.deltas_applied += 1
        self._area_moved()

    def _call_event(self, call: CallData) -> None:
        """A call again changes no queue: bring its call count in (a first call's queue event follows)."""
        item = self._item_of(call.visit_id)
        if item and call.call_count:
            item["call_count"] = call.call_count
            self._rebuild()

    def _room_event(self, room_event: RoomData) -> None:
        for room in self.snapshot.get("rooms") or []:
            if room.get("room_id") == room_event.room_id:
                room["paused"] = room_event.paused
        self._rebuild()

    # ------------------------------------------------------------------ alerts
    def _alert_event(self, data: dict[str, Any]) -> None:
        kind = data.get("kind")
        if kind == "emergency" and int(data.get("triage_level") or 9) <= 2:
            self.emergency_alerts[str(data.get("visit_id") or data.get("ticket"))] = str(data.get("message_zh") or "")
            self._sound_alert()
        elif kind == "help":
            self._help_event(data)
            return
        elif kind == "device":
            key = "/".join(x for x in (str(data.get("device") or ""), str(data.get("part") or "")) if x)
            if data.get("active", True):
                self.device_alerts[key] = str(data.get("message_zh") or "")
                self._sound_alert()
            else:
                self.device_alerts.pop(key, None)
            self.runner.submit("devices", self.client.devices)
        elif kind == "wait":
            dept = str(data.get("dept_id") or "")
            if data.get("active", True):
                self.wait_alerts[dept] = str(data.get("message_zh") or "")
            else:
                self.wait_alerts.pop(dept, None)
        self._show_alerts()

    def _show_alerts(self) -> None:
        lines = ([f"⚠ {m}" for m in self.emergency_alerts.values()] + [f"⚙ {m}" for m in self.device_alerts.values()]
                 + [f"⏱ {m}" for m in self.wait_alerts.values()])
        self.alert_label.setText("\n".join(lines))
        self.alert_bar.setVisible(bool(lines))
        self.alert_ack.setVisible(bool(self.emergency_alerts))

    def acknowledge_alerts(self) -> None:
        """The nurse saw the emergency arrivals (wait alerts stay while the wait lasts)."""
        self.emergency_alerts.clear()
        self._show_alerts()

    # ------------------------------------------------------------------ help calls
    def _help_event(self, data: dict[str, Any]) -> None:
        """A help call reached, changed or left this area: a new or escalated open call chimes."""
        help_id = str(data.get("help_id") or "")
        if not help_id:
            return
        before = self.help_calls.get(help_id)
        if data.get("state") == "closed":
            self.help_calls.pop(help_id, None)
        else:
            self.help_calls[help_id] = data
            if data.get("state") == "open" and (before is None or (data.get("escalated") and not before.get("escalated"))):
                self._sound_alert()
        self._show_help()

    def _show_help(self) -> None:
        calls = sorted(self.help_calls.values(), key=lambda c: str(c.get("created_at")))
        self.help_bar.show_calls(calls, str((self.login.get("user") or {}).get("username") or ""), self.now())

    def acknowledge_help(self, help_id: str) -> None:
        self._run("help_ack", self.client.acknowledge_help, help_id)

    def acknowledge_oldest_help(self) -> None:
        """Ctrl+H: take the call that has waited longest."""
        waiting = sorted((c for c in self.help_calls.values() if c.get("state") == "open"),
                         key=lambda c: str(c.get("created_at")))
        if waiting:
            self.acknowledge_help(str(waiting[0]["help_id"]))
        else:
            self.statusBar().showMessage("目前没有等待处理的呼叫", 5000)

    def close_help(self, help_id: str, outcome: str) -> None:
        self._run("help_close", self.client.close_help, help_id, outcome)

    def _sound_alert(self) -> None:
        self.alerts_sounded += 1
        player = shutil.which("aplay")
        if player and CHIME.is_file():
            try:
                subprocess.Popen([player, "-q", str(CHIME)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return
            except OSError:
                pass
        QApplication.beep()

    # ------------------------------------------------------------------ panes
    def _rebuild(self) -> None:
        """Redraw the panes once the current burst of events is in (several events, one redraw)."""
        if not self._rebuild_timer.isActive():
            self._rebuild_timer.start()

    def _area_moved(self) -> None:
        """The area's queue changed: redraw, and in station mode fetch the steps again (stages change too)."""
        self._rebuild()
        self._refresh_steps()

    def _refresh_steps(self) -> None:
        """Station mode: ask for the area's open steps (one request at a time; one more if the area moved since)."""
        if self.mode == "clinic" or self.closed:
            return
        if self._steps_asked:
            self._steps_again = True
            return
        self._steps_asked, self._steps_again = True, False
        self.runner.submit("steps", self.client.area_steps, self.area_id)

    def _steps_arrived(self, steps: list[dict[str, Any]] | None) -> None:
        self._steps_asked = False
        if steps is not None:
            self.steps = steps
            self.steps_by_id = {str(s.get("visit_id")): s for s in steps}
        if self._steps_again:
            self._refresh_steps()
        self.rebuild_now()

    def rebuild_now(self) -> None:
        kinds = {k.get("kind"): k.get("name") for k in (self._area().get("rules") or {}).get("special_kinds") or []}
        query = self.search.text()

        def shown(rows: list[Row]) -> list[Row]:
            return [r for r in rows if matches(r, query, self._id_patients)]

        keep = self.selected_visit
        if self.mode != "clinic":
            self.view = build_station_view(self.mode, self.snapshot, self.steps, self.room_id, self.now(), kinds)
            for key, pane in self.station_panes.items():
                pane.show_rows(shown(self.view.lists.get(key, [])), keep)
            self._show_who()
            self.viewChanged.emit()
            return
        self.view = build_view(self.snapshot, self.room_id, self.now(), kinds, self._doctor_names)
        self.called_pane.show_rows(shown(self.view.called), keep)
        self.room_pane.show_rows(shown(self.view.room_queue), keep)
        self.waiting_pane.show_rows(shown(self.view.waiting), keep)
        self.missed_pane.show_rows(shown(self.view.missed), keep)
        self.away_pane.show_rows(shown(self.view.away), keep)
        room = self.view.room()
        self.buttons["pause"].setText(f"{'开诊' if room and room.paused else '停诊'}  F11")
        self._show_who()
        self.viewChanged.emit()

    @Slot(str)
    def _picked(self, visit_id: str) -> None:
        self.selected_visit = visit_id
        sender = self.sender()
        for pane in self.panes:
            if pane is not sender:
                pane.clear_selection()

    def select(self, visit_id: str) -> bool:
        """Select a visit in whichever pane lists it (as a click would)."""
        for pane in self.panes:
            if pane.select_visit(visit_id):
                return True
        return False

    def _search_changed(self, _text: str) -> None:
        self._id_patients = frozenset()
        self.rebuild_now()

    def _search_entered(self) -> None:
        text = self.search.text().strip()
        if ID_NUMBER.match(text):  # a swiped or typed ID card number: ask records who it is
            self.statusBar().showMessage(f"正在查找身份证 {mask_id_number(text)} 的候诊记录，请稍候……")
            self.runner.submit("identify", self.client.request, "POST", "/records/patients/identify",
                               json_body={"id_number": text})
        else:
            visible = [r for p in self.panes for r in p.rows]
            if len(visible) == 1:
                self.select(visible[0].visit_id)

    def _area_chosen(self) -> None:
        self.area_id = self.area_combo.currentData()
        self.snapshot = {}
        self.steps, self.steps_by_id = [], {}
        self.selected_visit = None
        mode = service_of_area(self.hospital, self.area_id)
        if mode != self.mode or mode != "clinic":
            self._set_mode(mode)
        self._fill_rooms()
        self.emergency_alerts.clear()
        self.help_calls.clear()
        self.wait_alerts.clear()
        self.device_alerts.clear()
        self._show_alerts()
        self._show_help()
        self._rebuild()
        self.start()

    def _room_chosen(self) -> None:
        self.room_id = self.room_combo.currentData()
        self.rebuild_now()

    def _periodic(self) -> None:
        self._area_moved()  # waiting minutes and preparation countdowns move on
        self._show_help()  # how long each call has waited
        self.sync_clock()
        self.runner.submit("devices", self.client.devices)
        self.runner.submit("his", self.client.request, "GET", "/records/his/status")

    def show_his(self, status: dict[str, Any]) -> None:
        """The HIS link in the top bar: normal, or away with its backlog, oldest message and errors."""
        if status.get("driver", "local") == "local":
            self.his_label.hide()
            return
        backlog = status.get("backlog") or {}
        waiting = int(backlog.get("waiting") or 0)
        errors = sum(int(n) for n in (status.get("errors") or {}).values())
        if status.get("away"):
            oldest = str(backlog.get("oldest_waiting") or "")[11:16]
            text = f"HIS 连接中断：待发 {waiting} 条" + (f"（最早 {oldest}）" if oldest else "") + f"，错误 {errors}"
            style = "background: #c1121f; color: white; font-weight: bold; padding: 4px;"
        else:
            text = f"HIS 正常：待发 {waiting} 条，错误 {errors}"
            style = "color: #1b5e20; padding: 4px;"
        self.his_label.setText(text)
        self.his_label.setToolTip(str(status.get("last_error") or ""))
        self.his_label.setStyleSheet(style)
        self.his_label.show()

    # ------------------------------------------------------------------ answers
    @Slot(str, object)
    def _on_done(self, tag: str, result: Any) -> None:
        if tag == "clock":
            self._clock_synced()
            return
        if tag == "clock_report":
            return
        if tag == "steps":
            self._steps_arrived(result or [])
            return
        if tag == "alerts":
            for alert in result or []:
                self._alert_event({**alert, "kind": "wait"})
            return
        if tag == "devices":
            self._show_devices(result or [])
            return
        if tag == "pair_screen":
            self.screen_pairing.paired()
            self.toast.show_near(self.screen_pairing, f"已配对：{result.get('device')}", ok=True)
            self.runner.submit("devices", self.client.devices)
            return
        if tag == "heartbeat":
            return
        if tag == "his":
            self.show_his(result or {})
            return
        if tag == "help_calls":
            for call in result or []:
                self.help_calls.setdefault(str(call.get("help_id")), call)
            self._show_help()
            return
        if tag in ("help_ack", "help_close"):
            view = result or {}
            if tag == "help_ack":
                message = f"已接手：{view.get('name', '')}，请前往患者所在的自助机"
            else:
                message = f"呼叫已结束：{view.get('name', '')}"
            self.statusBar().showMessage(message, 10000)
            self.toast.show_near(self.help_bar, message)
            self.commandDone.emit(tag, result)
            return
        if tag == "identify":
            patient = (result or {}).get("patient") or {}
            patient_id = str(patient.get("patient_id") or patient.get("id") or "")
            self._id_patients = frozenset({patient_id}) if patient_id else frozenset()
            self.rebuild_now()
            found = any(self._id_patients & {r.patient_id} for r in self.view.all_rows())
            self.statusBar().showMessage("已找到该患者" if found else "对不起，未找到该身份证今天的候诊记录", 8000)
            return
        visit = (result or {}).get("visit") if isinstance(result, dict) else None
        who = f"{visit['ticket']} {visit.get('patient_name') or visit.get('name', '')}" if visit else ""
        if tag in ("call_next", "call_this"):
            message = f"已呼叫 {who} 到 {self.room_combo.currentText()}" if visit else "暂无候诊患者，请稍候再叫"
        elif tag == "labels":
            labels = result or []
            message = f"已打印 {len(labels)} 张试管标签：" + "、".join(f"{lbl['tube']}" for lbl in labels)
        elif tag == "check_in":
            message = f"已签到：{who}，请留意叫号"
        elif tag == "collect":
            message = f"已取药：{who}，谢谢"
        elif tag == "ready":
            message = f"已配好：{who}，在 {self.room_combo.currentText()} 等候取药"
        else:
            label = next((s.label for s in actions_of(self.mode) if s.key == tag), tag)
            message = f"{label} {visit['ticket'] if visit else ''} 已完成".replace("  ", " ")
        self.statusBar().showMessage(message, 10000)
        self.toast.show_near(self.buttons.get(tag), message, ok=bool(visit) or tag != "call_next")
        self.commandDone.emit(tag, result)

    @Slot(str, object)
    def _on_failed(self, tag: str, error: CallerError) -> None:
        if error.code in ("unreachable", "standby"):  # standby: a takeover is under way
            self.set_online(False)
        if tag == "steps":
            self._steps_arrived(None)
            return
        if tag in ("alerts", "devices", "clock", "clock_report", "help_calls", "heartbeat", "his"):
            return
        self.statusBar().showMessage(error.message_zh, 15000)
        anchor = (self.help_bar if tag.startswith("help") else self.screen_pairing if tag == "pair_screen"
                  else self.buttons.get(tag))
        self.toast.show_near(anchor, error.message_zh, ok=False, seconds=8)
        self.commandFailed.emit(tag, error)

    def _pair_screen(self, code: str, device: str) -> None:
        self.runner.submit("pair_screen", self.client.request, "POST", "/screens/pair",
                           json_body={"code": code, "device": device})

    def _show_devices(self, devices: list[dict[str, Any]]) -> None:
        self.devices = devices_of_area(devices, self.area_id, everything=self.login.get("role") == "admin")
        for d in self.devices:  # a console that starts after a fault still shows it
            if d.get("status") in ("fault", "offline"):
                key = d["device"]
                self.device_alerts.setdefault(key, f"{d.get('name')}{HEALTH_ZH.get(d['status'], '')}：{d.get('reason_zh')}")
            else:
                self.device_alerts.pop(d["device"], None)
        self._show_alerts()
        self.devices_table.show_devices(self.devices, self.now())
        self.screen_pairing.set_displays(self.devices)
