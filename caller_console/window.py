"""The nurse call console: panes of the area's queue, one-click actions, alerts, devices.

Every service call runs on the :class:`Runner` thread; live events arrive through an
:class:`display.link.EventLink`, so a second console acting on the same area shows up here at once.
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QInputDialog,
    QLabel, QLineEdit, QMainWindow, QMessageBox, QPushButton, QTableView, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from caller.client import CallerClient, CallerError
from caller_console.actions import ACTIONS
from caller_console.model import ID_NUMBER, ConsoleView, Row, build_view, mask_id_number, matches
from display.wire import snapshot_of

CHIME = Path(__file__).resolve().parent.parent / "assets" / "sounds" / "chime.wav"
ROLE_ZH = {"nurse": "护士", "doctor": "医生", "admin": "管理员"}
DEVICE_ROLE_ZH = {"display": "显示屏", "speaker": "音箱", "kiosk": "自助机", "console": "分诊台"}
HEALTH_ZH = {"ok": "正常", "degraded": "异常", "offline": "离线", "unknown": "未上报"}
COLUMNS = ("票号", "姓名", "标记", "等候", "诊室 / 医生", "状态")
_DISPLAY_ROLE = Qt.ItemDataRole.DisplayRole.value
_FOREGROUND_ROLE = Qt.ItemDataRole.ForegroundRole.value
_ALERT_COLOR = QColor("#c1121f")


def row_cells(row: Row) -> tuple[str, ...]:
    """The texts of one table line, in COLUMNS order."""
    where = " ".join(x for x in (row.room_name, row.doctor_name) if x)
    state = row.state_zh + (f" · 第{row.call_count}次呼叫" if row.state == "called" else "")
    return (row.ticket, row.name, " ".join(row.badges), "" if row.minutes is None else f"{row.minutes} 分钟",
            where, state)


class RowsModel(QAbstractTableModel):
    """Rows of visits for a table view; the view asks only for the cells it paints."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: list[Row] = []
        self._cells: list[tuple[str, ...]] = []

    def set_rows(self, rows: list[Row]) -> None:
        cells = [row_cells(r) for r in rows]
        if cells == self._cells and [r.visit_id for r in rows] == [r.visit_id for r in self.rows]:
            self.rows = rows
            return
        self.beginResetModel()
        self.rows, self._cells = rows, cells
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex, role: int = 0) -> Any:
        # plain ints: comparing with Qt's enum members costs microseconds per cell and role
        if role == _DISPLAY_ROLE:
            return self._cells[index.row()][index.column()]
        if role == _FOREGROUND_ROLE and index.column() == 2 and self.rows[index.row()].triage_level in (1, 2):
            return _ALERT_COLOR
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if role == _DISPLAY_ROLE and orientation == Qt.Horizontal:
            return COLUMNS[section]
        return None


def device_status(device: dict[str, Any], now: datetime, silent_after_s: float = 60.0) -> tuple[str, str]:
    """A device's status and reason; one that stopped reporting for a minute counts as offline."""
    status = str(device.get("status") or "unknown")
    reason = str(device.get("reason_zh") or "")
    try:
        last = datetime.fromisoformat(str(device.get("ts"))) if device.get("ts") else None
    except ValueError:
        last = None
    if last is not None and (now - last.replace(tzinfo=None)).total_seconds() > silent_after_s:
        return "offline", f"超过 {int(silent_after_s // 60)} 分钟未上报，请检查设备电源和网络"
    return status, reason


class Pane(QGroupBox):
    """One list of visits (a titled table). ``rows`` are the rows shown, in order."""

    picked = Signal(str)  # visit id

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.base_title = title
        self.model = RowsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        header = self.table.horizontalHeader()
        for col, width in enumerate((70, 110, 130, 80, 190)):
            header.resizeSection(col, width)
        header.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._on_pick)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addWidget(self.table)

    @property
    def rows(self) -> list[Row]:
        return self.model.rows

    def cell(self, row: int, column: int) -> str:
        """The text shown in one cell (what the nurse reads)."""
        return str(self.model.data(self.model.index(row, column)) or "")

    def show_rows(self, rows: list[Row], keep: str | None) -> None:
        self.setTitle(f"{self.base_title}（{len(rows)}）")
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        self.model.set_rows(rows)
        selection.clearSelection()
        if keep:
            self.select_visit(keep)
        selection.blockSignals(False)

    def selected(self) -> Row | None:
        picked = self.table.selectionModel().selectedRows()
        if not picked:
            return None
        index = picked[0].row()
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def clear_selection(self) -> None:
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        selection.clearSelection()
        selection.blockSignals(False)

    def select_visit(self, visit_id: str) -> bool:
        for i, row in enumerate(self.rows):
            if row.visit_id == visit_id:
                self.table.selectRow(i)
                return True
        return False

    def _on_pick(self) -> None:
        row = self.selected()
        if row is not None:
            self.picked.emit(row.visit_id)


class ConsoleWindow(QMainWindow):
    """``ConsoleWindow(client, login, hospital, area_id, room_id)``; ``client`` holds the user token."""

    viewChanged = Signal()
    commandDone = Signal(str, object)
    commandFailed = Signal(str, object)

    def __init__(self, client: CallerClient, login: dict[str, Any], hospital: dict[str, Any], area_id: str,
                 room_id: str, *, now: Callable[[], datetime] = datetime.now, start_link: bool = True,
                 parent: QWidget | None = None):
        super().__init__(parent)
        from caller_console.runner import Runner

        self.client, self.login, self.hospital = client, login, hospital
        self.area_id, self.room_id = area_id, room_id
        self.now = now
        self.snapshot: dict[str, Any] = {}
        self.view = ConsoleView(area_id, room_id)
        self.online = False
        self.selected_visit: str | None = None
        self.emergency_alerts: dict[str, str] = {}
        self.wait_alerts: dict[str, str] = {}
        self.alerts_sounded = 0
        self.devices: list[dict[str, Any]] = []
        self._doctor_names = {str(d["id"]): str(d.get("name") or "") for d in hospital.get("doctors") or []}
        self._id_patients: frozenset[str] = frozenset()
        self.link = None
        self.runner = Runner(self)
        self.runner.done.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self.setWindowTitle("分诊叫号台")
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
        if start_link:
            self.start()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.who_label = QLabel()
        self.who_label.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.area_combo = QComboBox()
        self.room_combo = QComboBox()
        self.link_label = QLabel()
        for area in self._my_areas():
            self.area_combo.addItem(area["name"], area["id"])
        self.area_combo.setCurrentIndex(max(0, self.area_combo.findData(self.area_id)))
        self._fill_rooms()
        self.area_combo.currentIndexChanged.connect(self._area_chosen)
        self.room_combo.currentIndexChanged.connect(self._room_chosen)
        top = QHBoxLayout()
        top.addWidget(self.who_label, 1)
        top.addWidget(QLabel("诊区"))
        top.addWidget(self.area_combo)
        top.addWidget(QLabel("诊室"))
        top.addWidget(self.room_combo)
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

        self.notice_label = QLabel("")
        self.notice_label.setStyleSheet("color: #8a5a00; font-size: 16px;")
        self.notice_label.hide()
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索：票号 / 姓名 / 刷身份证")
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self._search_entered)

        self.called_pane = Pane("已呼叫 / 就诊中")
        self.room_pane = Pane("本诊室候诊")
        self.waiting_pane = Pane("诊区候诊")
        self.missed_pane = Pane("过号")
        self.away_pane = Pane("检查中")
        self.panes = (self.called_pane, self.room_pane, self.waiting_pane, self.missed_pane, self.away_pane)
        for pane in self.panes:
            pane.picked.connect(self._picked)
        self.devices_table = QTableWidget(0, 4)
        self.devices_table.setHorizontalHeaderLabels(("设备", "类型", "状态", "说明"))
        self.devices_table.verticalHeader().setVisible(False)
        self.devices_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.devices_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.devices_table.horizontalHeader().setStretchLastSection(True)
        devices_box = QGroupBox("本诊区设备")
        QVBoxLayout(devices_box).addWidget(self.devices_table)

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

        self.buttons: dict[str, QPushButton] = {}
        self.actions_by_key: dict[str, QAction] = {}
        side = QVBoxLayout()
        for spec in ACTIONS:
            action = QAction(spec.label, self)
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutContext(Qt.WindowShortcut)
            action.setToolTip(spec.tip)
            action.triggered.connect(getattr(self, f"do_{spec.key}"))
            self.addAction(action)
            self.actions_by_key[spec.key] = action
            button = QPushButton(f"{spec.label}  {spec.shortcut}")
            button.setMinimumHeight(44)
            button.setToolTip(spec.tip)
            button.clicked.connect(action.trigger)
            side.addWidget(button)
            self.buttons[spec.key] = button
        self.buttons["call_next"].setStyleSheet("font-size: 20px; font-weight: bold; background: #2a9d8f; color: white;")
        find = QAction("搜索", self)
        find.setShortcut(QKeySequence("Ctrl+F"))
        find.triggered.connect(self.search.setFocus)
        self.addAction(find)
        side.addStretch(1)

        body = QHBoxLayout()
        body.addLayout(grid, 1)
        body.addLayout(side)
        page = QVBoxLayout()
        page.addLayout(top)
        page.addWidget(self.alert_bar)
        page.addWidget(self.notice_label)
        page.addWidget(self.search)
        page.addLayout(body, 1)
        central = QWidget()
        central.setLayout(page)
        self.setCentralWidget(central)
        self.set_online(False, "")
        self._show_who()

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
        self.who_label.setText(f"{self._area().get('name', self.area_id)} · {self.room_combo.currentText()}{paused} · "
                               f"{user.get('name', '')}（{ROLE_ZH.get(self.login.get('role', ''), '')}）")

    # ------------------------------------------------------------------ live link
    def start(self) -> None:
        """Follow the area's events and load alerts and devices."""
        from display.link import EventLink

        if self.link is not None:
            self.link.stop()
            self.link.deleteLater()
        self.link = EventLink(self.client.base_url, self.client.token, self.area_id, parent=self)
        self.link.event.connect(self.apply_event)
        self.link.status.connect(self.set_online)
        self.link.start()
        self.runner.submit("alerts", self.client.wait_alerts)
        self.runner.submit("devices", self.client.devices)

    def shutdown(self) -> None:
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
        kind = event.get("type")
        if kind in ("snapshot", "queue"):
            snap = snapshot_of(event)
            if snap is not None:
                self.snapshot = snap
                self.online = True
                self.set_online(True)
                self._rebuild()
        elif kind == "call":
            self._call_event(event.get("data") or {})
        elif kind == "room":
            self._room_event(event.get("data") or {})
        elif kind == "alert":
            self._alert_event(event.get("data") or {})
        elif kind == "broadcast":
            self.notice_label.setText(f"最近广播：{(event.get('data') or {}).get('text', '')}")
            self.notice_label.show()

    def _call_event(self, data: dict[str, Any]) -> None:
        """A call again changes no queue: bring its call count in (a first call's queue event follows)."""
        item = self._item_of(str(data.get("visit_id") or ""))
        if item and data.get("call_count"):
            item["call_count"] = int(data["call_count"])
            self._rebuild()

    def _room_event(self, data: dict[str, Any]) -> None:
        for room in self.snapshot.get("rooms") or []:
            if room.get("room_id") == data.get("room_id"):
                room["paused"] = bool(data.get("paused", room.get("paused")))
        self._rebuild()

    # ------------------------------------------------------------------ alerts
    def _alert_event(self, data: dict[str, Any]) -> None:
        kind = data.get("kind")
        if kind == "emergency" and int(data.get("triage_level") or 9) <= 2:
            self.emergency_alerts[str(data.get("visit_id") or data.get("ticket"))] = str(data.get("message_zh") or "")
            self._sound_alert()
        elif kind == "wait":
            dept = str(data.get("dept_id") or "")
            if data.get("active", True):
                self.wait_alerts[dept] = str(data.get("message_zh") or "")
            else:
                self.wait_alerts.pop(dept, None)
        self._show_alerts()

    def _show_alerts(self) -> None:
        lines = [f"⚠ {m}" for m in self.emergency_alerts.values()] + [f"⏱ {m}" for m in self.wait_alerts.values()]
        self.alert_label.setText("\n".join(lines))
        self.alert_bar.setVisible(bool(lines))
        self.alert_ack.setVisible(bool(self.emergency_alerts))

    def acknowledge_alerts(self) -> None:
        """The nurse saw the emergency arrivals (wait alerts stay while the wait lasts)."""
        self.emergency_alerts.clear()
        self._show_alerts()

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

    def rebuild_now(self) -> None:
        kinds = {k.get("kind"): k.get("name") for k in (self._area().get("rules") or {}).get("special_kinds") or []}
        self.view = build_view(self.snapshot, self.room_id, self.now(), kinds, self._doctor_names)
        query = self.search.text()

        def shown(rows: list[Row]) -> list[Row]:
            return [r for r in rows if matches(r, query, self._id_patients)]

        keep = self.selected_visit
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
        self._fill_rooms()
        self.emergency_alerts.clear()
        self.wait_alerts.clear()
        self._show_alerts()
        self._rebuild()
        self.start()

    def _room_chosen(self) -> None:
        self.room_id = self.room_combo.currentData()
        self.rebuild_now()

    def _periodic(self) -> None:
        self._rebuild()
        self.runner.submit("devices", self.client.devices)

    # ------------------------------------------------------------------ targets
    def target(self, *states: str) -> Row | None:
        """The selected visit if it is in one of ``states``, else None."""
        row = self.view.find(self.selected_visit) if self.selected_visit else None
        return row if row is not None and (not states or row.state in states) else None

    def current_target(self) -> Row | None:
        """Selected called / in-service visit, else the chosen room's current one."""
        return self.target("called", "in_service") or self.view.current_of_room()

    def _need(self, row: Row | None, what_zh: str) -> Row | None:
        if row is None:
            self.statusBar().showMessage(f"请先选择{what_zh}", 8000)
        return row

    def _run(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.statusBar().showMessage("正在处理，请稍候……")
        self.runner.submit(tag, fn, *args, **kwargs)

    # dialogs, kept as methods so a test can answer them
    def ask_item(self, title: str, label: str, items: list[str]) -> str | None:
        item, ok = QInputDialog.getItem(self, title, label, items, 0, False)
        return item if ok else None

    def ask_text(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label)
        return text.strip() if ok and text.strip() else None

    def confirm(self, title: str, question: str) -> bool:
        return QMessageBox.question(self, title, question) == QMessageBox.Yes

    # ------------------------------------------------------------------ actions
    def do_call_next(self) -> None:
        room = self.view.room()
        if room is not None and room.paused:
            self.statusBar().showMessage(f"{room.name}已停诊，请先开诊（F11）再叫号", 8000)
            return
        self._run("call_next", self.client.call_next, self.room_id)

    def do_call_again(self) -> None:
        row = self._need(self.target("called") or self.view.current_of_room(), "已呼叫的患者")
        if row:
            self._run("call_again", self.client.call_again, row.visit_id)

    def do_missed(self) -> None:
        row = self._need(self.target("called") or self.view.current_of_room(), "已呼叫的患者")
        if row:
            self._run("missed", self.client.missed, row.visit_id)

    def do_start(self) -> None:
        row = self._need(self.target("called", "room_waiting") or self.view.current_of_room(), "患者")
        if row:
            self._run("start", self.client.start, row.visit_id)

    def do_finish(self) -> None:
        row = self._need(self.current_target(), "就诊中的患者")
        if row is None:
            return
        client = self.client

        def finish(visit_id: str, state: str) -> dict:
            if state == "called":
                client.start(visit_id)
            return client.finish(visit_id)

        self._run("finish", finish, row.visit_id, row.state)

    def do_recall(self) -> None:
        row = self._need(self.target("missed", "away"), "过号或检查中的患者")
        if row:
            self._run("recall", self.client.recall if row.state == "missed" else self.client.back, row.visit_id)

    def do_move_up(self) -> None:
        row = self._need(self.target("waiting", "room_waiting"), "候诊患者")
        if row:
            self._run("move_up", self.client.move_up, row.visit_id, steps=1)

    def do_priority(self) -> None:
        row = self._need(self.target("waiting", "room_waiting", "registered"), "候诊患者")
        if row is None:
            return
        kinds = (self._area().get("rules") or {}).get("special_kinds") or []
        choices = [f"{k['name']}（{k['level']}级）" for k in kinds] + ["取消优先"]
        picked = self.ask_item("优先", f"{row.ticket} {row.name} 的优先类别：", choices)
        if picked is None:
            return
        kind = None if picked == "取消优先" else kinds[choices.index(picked)]["kind"]
        self._run("priority", self.client.priority, row.visit_id, kind)

    def do_assign_doctor(self) -> None:
        row = self._need(self.target("waiting", "room_waiting", "registered"), "候诊患者")
        if row is None:
            return
        doctors = [d for d in self.hospital.get("doctors") or [] if d.get("department") == row.dept_id]
        if not doctors:
            self.statusBar().showMessage("本科室没有可指定的医生", 8000)
            return
        choices = [f"{d['name']} {d.get('title', '')}".strip() for d in doctors]
        picked = self.ask_item("指定医生", f"{row.ticket} {row.name} 指定给：", choices)
        if picked is not None:
            self._run("assign_doctor", self.client.assign_doctor, row.visit_id, doctors[choices.index(picked)]["id"])

    def do_transfer(self) -> None:
        row = self._need(self.target("waiting", "room_waiting", "registered", "called", "missed"), "患者")
        if row is None:
            return
        rooms = [(f"诊室：{r['name']}", {"room": r["id"]}) for r in self._area().get("rooms") or []]
        depts = [(f"科室：{d['name']}", {"department": d["id"]}) for d in self.hospital.get("departments") or []]
        choices = rooms + depts
        picked = self.ask_item("转诊", f"{row.ticket} {row.name} 转到：", [c[0] for c in choices])
        if picked is None:
            return
        target = dict(choices)[picked]
        at_end = self.confirm("转诊", "排到新队列的末尾吗？\n（选“否”则按原挂号时间排队）")
        self._run("transfer", self.client.transfer, row.visit_id, at_end=at_end, **target)

    def do_pause(self) -> None:
        room = self.view.room()
        if room is not None and room.paused:
            self._run("resume", self.client.resume_room, self.room_id)
        else:
            self._run("pause", self.client.pause_room, self.room_id)

    def do_broadcast(self) -> None:
        text = self.ask_text("广播", "通知内容（将显示在大屏并语音播报）：")
        if text:
            self._run("broadcast", self.client.broadcast, self.area_id, text)

    def do_dispatch(self) -> None:
        row = self._need(self.target("waiting"), "诊区候诊患者")
        if row:
            self._run("dispatch", self.client.dispatch, row.visit_id, self.room_id)

    def do_away(self) -> None:
        row = self._need(self.current_target(), "已呼叫或就诊中的患者")
        if row:
            self._run("away", self.client.away, row.visit_id)

    def do_cancel(self) -> None:
        row = self._need(self.target(), "患者")
        if row and self.confirm("弃号", f"确定取消 {row.ticket} {row.name} 的挂号吗？此操作不能撤销。"):
            self._run("cancel", self.client.cancel, row.visit_id)

    def _item_of(self, visit_id: str) -> dict[str, Any]:
        lists = [self.snapshot.get(k) or [] for k in ("waiting", "missed", "away")]
        for room in self.snapshot.get("rooms") or []:
            lists += [room.get(k) or [] for k in ("queue", "called", "in_service")]
        return next((i for items in lists for i in items if i.get("visit_id") == visit_id), {})

    # ------------------------------------------------------------------ answers
    @Slot(str, object)
    def _on_done(self, tag: str, result: Any) -> None:
        if tag == "alerts":
            for alert in result or []:
                self._alert_event({**alert, "kind": "wait"})
            return
        if tag == "devices":
            self._show_devices(result or [])
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
        if tag == "call_next":
            message = (f"已呼叫 {visit['ticket']} {visit.get('patient_name') or visit.get('name', '')} "
                       f"到 {self.room_combo.currentText()}") if visit else "暂无候诊患者，请稍候再叫"
        else:
            label = next((s.label for s in ACTIONS if s.key == tag), tag)
            who = f" {visit['ticket']}" if visit else ""
            message = f"{label}{who} 已完成"
        self.statusBar().showMessage(message, 10000)
        self.commandDone.emit(tag, result)

    @Slot(str, object)
    def _on_failed(self, tag: str, error: CallerError) -> None:
        if error.code == "unreachable":
            self.set_online(False)
        if tag in ("alerts", "devices"):
            return
        self.statusBar().showMessage(error.message_zh, 15000)
        self.commandFailed.emit(tag, error)

    def _show_devices(self, devices: list[dict[str, Any]]) -> None:
        mine = [d for d in devices if d.get("role") in ("display", "speaker", "kiosk")
                and (d.get("area") == self.area_id or (d.get("role") == "kiosk" and not d.get("area")))]
        self.devices = mine
        table = self.devices_table
        table.setRowCount(len(mine))
        for i, d in enumerate(mine):
            status, reason = device_status(d, self.now())
            cells = (d.get("name") or d.get("device"), DEVICE_ROLE_ZH.get(d.get("role"), d.get("role")),
                     HEALTH_ZH.get(status, status), reason)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                if col == 2 and status != "ok":
                    item.setForeground(QColor("#c1121f"))
                table.setItem(i, col, item)
