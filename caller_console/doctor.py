"""The doctor's caller: a small window that stays on top of the doctor's workstation (呼叫, 重呼, 过号, 暂停), and
the desk keypad (叫号器, hardware/keypad) beside it. Both press the same keys of :class:`client.desk.DeskCaller`,
one at a time on one worker thread, so a key on the keypad and a click in the window never cross.

The window shows the room, the current patient (ticket and masked name: the screen faces the patient too), how
many wait, and what the last key did. It is a console device bound to its room (``room`` in the hospital file):
only doctor accounts log in there, and the service refuses it anything of another room.

    python -m caller_console.doctor --service http://caller:8700 --token-file /etc/hospital/caller.token
        --user zhangys [--keypad /dev/ttyUSB0]
"""
from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from client.desk import KEYS, LABELS, DeskAnswer, DeskCaller, DeskState
from client.http import CallerClient, CallerError
from client.runner import Runner
from client.tokens import add_token_arguments, token_from_args
from hardware.keypad import KeypadPort
from uikit.collector import GuiThreadCollector

log = logging.getLogger(__name__)

REFRESH_MS = 2000
SHORTCUTS = {"call_next": "F1", "call_again": "F2", "missed": "F3", "pause": "F4"}


class DoctorCaller(QWidget):
    """The compact window. ``press(key)`` is what its buttons, its F1-F4 keys and an attached keypad do."""

    keypad_key = Signal(str)  # from the keypad's thread, queued onto the GUI thread

    def __init__(self, desk: DeskCaller, user_name: str = "", *, refresh_ms: int = REFRESH_MS,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.desk = desk
        self.state = DeskState(desk.room, desk.room)
        self.keypad: Any = None
        self.setWindowTitle("医生呼叫器")
        self.setWindowFlags(Qt.Window | Qt.WindowStaysOnTopHint | Qt.WindowCloseButtonHint)
        self.setStyleSheet("QWidget { background: #13315c; color: #fff; }"
                           "QPushButton { background: #1d4e89; border-radius: 6px; padding: 8px; }"
                           "QPushButton:pressed { background: #ffd166; color: #13315c; }"
                           "QPushButton:disabled { color: #7d8ca3; }")
        big, mid, small = QFont(), QFont(), QFont()
        big.setPointSize(20)
        big.setBold(True)
        mid.setPointSize(13)
        mid.setBold(True)
        small.setPointSize(10)
        self.room = QLabel(desk.room)
        self.room.setFont(mid)
        self.user = QLabel(user_name)
        self.user.setFont(small)
        self.user.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.patient = QLabel("—")
        self.patient.setFont(big)
        self.patient.setStyleSheet("color: #ffd166;")
        self.waiting = QLabel("")
        self.waiting.setFont(mid)
        self.message = QLabel("您好，请按“呼叫”叫下一位患者")
        self.message.setFont(small)
        self.message.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setSpacing(6)
        for i, key in enumerate(KEYS):
            button = QPushButton(f"{LABELS[key]}  {SHORTCUTS[key]}")
            button.setFont(mid)
            button.setMinimumHeight(44)
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(button, i // 2, i % 2)
            QShortcut(QKeySequence(SHORTCUTS[key]), self, activated=lambda k=key: self.press(k))
            self.buttons[key] = button
        top = QGridLayout()
        top.addWidget(self.room, 0, 0)
        top.addWidget(self.user, 0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(top)
        layout.addWidget(self.patient)
        layout.addWidget(self.waiting)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        self.setFixedWidth(300)
        self.runner = Runner(self, threads=1)  # one at a time, in the order they were pressed
        self.runner.done.connect(self._done)
        self.runner.failed.connect(self._failed)
        self.keypad_key.connect(self.press)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(refresh_ms)
        self.refresh()

    # ------------------------------------------------------------------ keys
    @Slot(str)
    def press(self, key: str) -> None:
        self.message.setText("正在处理，请稍候……")
        self.runner.submit(f"key:{key}", self._press, key)

    def _press(self, key: str) -> tuple[DeskAnswer, DeskState]:
        answer = self.desk.press(key)
        return answer, self.desk.state()

    def refresh(self) -> None:
        if self.runner.pending() == 0:
            self.runner.submit("state", self.desk.state)

    @Slot(str, object)
    def _done(self, tag: str, result: Any) -> None:
        if tag.startswith("key:"):
            answer, state = result
            self.message.setText(answer.message_zh)
            self.message.setStyleSheet("" if answer.ok else "color: #ff9f9f;")
        else:
            state = result
        self.show_state(state)

    @Slot(str, object)
    def _failed(self, tag: str, error: CallerError) -> None:
        self.message.setText(error.message_zh or "对不起，操作失败，请稍后再试")
        self.message.setStyleSheet("color: #ff9f9f;")

    def show_state(self, state: DeskState) -> None:
        self.state = state
        self.room.setText(state.room_name + ("（暂停接诊）" if state.paused else ""))
        self.patient.setText(f"{state.ticket}  {state.name}".strip() if state.ticket else "—")
        self.waiting.setText(f"候诊 {state.waiting} 人")
        self.buttons["pause"].setText(f"{'恢复' if state.paused else '暂停'}  {SHORTCUTS['pause']}")
        for key in ("call_again", "missed"):
            self.buttons[key].setEnabled(state.called)
        if self.keypad is not None:
            self.keypad.show(state.line())

    # ------------------------------------------------------------------ the desk keypad
    def attach_keypad(self, keypad: Any) -> None:
        """A :class:`hardware.keypad.KeypadPort`: its keys press this window's keys; its display shows the line."""
        self.keypad = keypad
        keypad.pressed.connect(self.keypad_key.emit)
        keypad.show(self.state.line())

    def shutdown(self) -> None:
        self.timer.stop()
        if self.keypad is not None:
            self.keypad.pressed.disconnect(self.keypad_key.emit)
        self.runner.shutdown()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)


def open_doctor_caller(base_url: str, device_token: str, username: str, password: str, **kwargs: Any) -> DoctorCaller:
    """Log the doctor in at this device (blocking; the demo and tests) and open the window for the device's room."""
    client = CallerClient(base_url, device_token)
    login = client.login(username, password)
    room = client.me().get("room")
    if not room:
        raise CallerError("no_room", "对不起，本设备没有绑定诊室，请联系信息科在医院配置中为它填写 room。",
                          "This device names no room in the hospital file.", status=403)
    return DoctorCaller(DeskCaller(client, room), (login.get("user") or {}).get("name") or username, **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The doctor's caller (医生呼叫器) and desk keypad")
    parser.add_argument("--service", required=True, help="the caller service, e.g. http://caller:8710")
    add_token_arguments(parser)  # --token-file, $HOSPITAL_TOKEN or the systemd credential "token"
    parser.add_argument("--user", required=True, help="the doctor's user name")
    parser.add_argument("--keypad", help="the desk keypad's serial port (/dev/ttyUSB0) or socket://host:port")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv)
    GuiThreadCollector(app)  # garbage with Qt objects is freed on this thread, never from a worker
    window = open_doctor_caller(args.service, token_from_args(args), args.user, getpass.getpass("密码 Password: "))
    keypad = None
    if args.keypad:
        keypad = KeypadPort(args.keypad, on_health=lambda h: log.warning("keypad: %s %s", h.status, h.reason_zh))
        window.attach_keypad(keypad)
        keypad.start()
    window.show()
    try:
        return app.exec()
    finally:
        if keypad is not None:
            keypad.stop()


if __name__ == "__main__":
    raise SystemExit(main())
