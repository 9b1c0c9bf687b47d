"""Log in and open the console: the login dialog, and a factory for the demo and tests."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from caller_console.label_printer import LabelPrinter
from caller_console.window import ConsoleWindow
from client.http import CallerClient, CallerError
from client.runner import Runner


def open_console(base_url: str, device_token: str, username: str, password: str, *, area: str | None = None,
                 room: str | None = None, start_link: bool = True, label_printer: str | None = None) -> ConsoleWindow:
    """Log in (blocking; for the demo and tests) and return the console window for ``area``/``room`` (a service
    point's area opens in window/station mode; ``label_printer``: tcp://HOST:PORT or a device file, for 打印标签)."""
    client = CallerClient(base_url, device_token)
    login = client.login(username, password)
    hospital = client.hospital()
    area_id, room_id = choose_place(login, hospital, area, room)
    return ConsoleWindow(client, login, hospital, area_id, room_id, start_link=start_link,
                         label_printer=LabelPrinter(label_printer) if label_printer else None)


def choose_place(login: dict[str, Any], hospital: dict[str, Any], area: str | None,
                 room: str | None) -> tuple[str, str]:
    """The area (one of the user's) and room to open; the first ones when not given."""
    areas = [a for a in hospital.get("areas") or [] if a["id"] in (login.get("areas") or [])
             or login.get("role") == "admin"]
    if not areas:
        raise CallerError("forbidden", "对不起，您的账号没有可用的诊区，请联系管理员。", "No area for this user.", status=403)
    chosen = next((a for a in areas if a["id"] == area), None)
    if area is not None and chosen is None:
        raise CallerError("forbidden", "对不起，您无权打开该诊区，请选择您负责的诊区。", "Not one of your areas.", status=403)
    chosen = chosen or areas[0]
    rooms = [r["id"] for r in chosen.get("rooms") or []]
    return chosen["id"], room if room in rooms else (rooms[0] if rooms else "")


class LoginDialog(QDialog):
    """User name and password, checked by the service; then the area (only the user's) and room."""

    def __init__(self, base_url: str, device_token: str, parent: QWidget | None = None, *,
                 label_printer: str | None = None):
        super().__init__(parent)
        self.label_printer = label_printer
        self.setWindowTitle("分诊叫号台 登录")
        self.client = CallerClient(base_url, device_token)
        self.login: dict[str, Any] | None = None
        self.hospital: dict[str, Any] = {}
        self.runner = Runner(self, threads=1)  # one at a time, in the order the nurse gave them
        self.runner.done.connect(self._done)
        self.runner.failed.connect(self._failed)

        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.Password)
        self.area = QComboBox()
        self.room = QComboBox()
        self.area.currentIndexChanged.connect(self._fill_rooms)
        self.message = QLabel("您好，请输入工号和密码登录。")
        self.message.setWordWrap(True)
        self.login_button = QPushButton("登录")
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self.submit)
        self.enter_button = QPushButton("进入叫号台")
        self.enter_button.clicked.connect(self.accept)
        self.enter_button.hide()
        form = QFormLayout()
        form.addRow("工号", self.username)
        form.addRow("密码", self.password)
        form.addRow("诊区 / 区域", self.area)
        form.addRow("诊室 / 窗口", self.room)
        title = QLabel("分诊叫号台")
        title.setStyleSheet("font-size: 22px; font-weight: bold;")
        box = QVBoxLayout(self)
        box.addWidget(title)
        box.addLayout(form)
        box.addWidget(self.message)
        box.addWidget(self.login_button)
        box.addWidget(self.enter_button)
        self.area.setEnabled(False)
        self.room.setEnabled(False)
        self.resize(420, 300)

    @Slot()
    def submit(self) -> None:
        if not self.username.text().strip() or not self.password.text():
            self.message.setText("请输入工号和密码。")
            return
        self.login_button.setEnabled(False)
        self.message.setText("正在登录，请稍候……")
        self.runner.submit("login", self._login, self.username.text().strip(), self.password.text())

    def _login(self, username: str, password: str) -> tuple[dict, dict]:
        login = self.client.login(username, password)
        return login, self.client.hospital()

    @Slot(str, object)
    def _done(self, _tag: str, result: tuple[dict, dict]) -> None:
        self.login, self.hospital = result
        self.area.clear()
        for area in self.hospital.get("areas") or []:
            if area["id"] in (self.login.get("areas") or []) or self.login.get("role") == "admin":
                self.area.addItem(area["name"], area["id"])
        name = (self.login.get("user") or {}).get("name", "")
        if not self.area.count():
            self.message.setText(f"{name}您好，您的账号没有负责的诊区，请联系管理员。")
            self.login_button.setEnabled(True)
            return
        self.area.setEnabled(True)
        self.room.setEnabled(True)
        self.message.setText(f"{name}您好，请选择诊区和诊室，然后进入叫号台。")
        self.login_button.hide()
        self.enter_button.show()
        self.enter_button.setDefault(True)

    @Slot(str, object)
    def _failed(self, _tag: str, error: CallerError) -> None:
        self.login_button.setEnabled(True)
        self.message.setText(error.message_zh)

    def _fill_rooms(self) -> None:
        self.room.clear()
        area = next((a for a in self.hospital.get("areas") or [] if a["id"] == self.area.currentData()), {})
        for room in area.get("rooms") or []:
            self.room.addItem(room["name"], room["id"])

    def window(self) -> ConsoleWindow:
        """The console for the chosen place (after the dialog was accepted)."""
        assert self.login is not None
        return ConsoleWindow(self.client, self.login, self.hospital, self.area.currentData(), self.room.currentData(),
                             label_printer=LabelPrinter(self.label_printer) if self.label_printer else None)

    def done(self, result: int) -> None:  # noqa: D401 (Qt override)
        self.runner.shutdown()
        super().done(result)
