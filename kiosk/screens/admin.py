"""Staff only: PIN entry, then the device status page and the exit."""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from kiosk.i18n import pick, tr
from kiosk.widgets import Card, Keypad, Screen, button, label


class PinScreen(Screen):
    name = "admin_pin"
    timeout_s = 30

    def __init__(self, kiosk, on_pin: Callable[[str], None]) -> None:
        super().__init__(tr("工作人员登录"), tr("请输入管理密码"), kiosk.elderly)
        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        self.edit.setEchoMode(QLineEdit.Password)
        self.edit.setAlignment(Qt.AlignCenter)
        self.edit.setFocusPolicy(Qt.NoFocus)
        self.error = label("", "Error", align=Qt.AlignCenter)
        self.error.hide()
        self.keypad = Keypad(self.edit, 12)
        self.keypad.submitted.connect(on_pin)
        self.add_columns([self.edit, self.error], [self.keypad], side_by_side=not kiosk.settings.portrait)

    def wrong(self) -> None:
        self.edit.clear()
        self.error.setText(tr("密码不正确，请重新输入。"))
        self.error.show()


class DeviceStatusScreen(Screen):
    name = "devices"
    timeout_s = 120

    def __init__(self, kiosk, healths: Sequence, on_exit: Callable[[], None]) -> None:
        super().__init__(tr("设备状态"), tr("本机各设备的当前状态"), kiosk.elderly)
        names = {"idcard": tr("身份证读卡器"), "printer": tr("打印机"), "scanner": tr("扫码器"), "a4printer": tr("A4打印机"),
                 "payment": tr("支付"), "service": tr("叫号服务")}
        states = {"ok": tr("正常"), "degraded": tr("需要注意"), "offline": tr("离线")}
        card = Card()
        self.rows = {}
        for h in healths:
            status = getattr(h.status, "value", h.status)
            reason = pick(h.reason_zh, h.reason_en)
            text = states.get(status, status) + (f"（{reason}）" if reason and status != "ok" else "")
            self.rows[h.device] = card.row(names.get(h.device, h.device), text)
        self.add(card)
        self.add_stretch()
        self.exit_button = button(tr("退出自助机程序"), "", on_exit)
        self.add_action(self.exit_button)
