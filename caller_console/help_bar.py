"""The help bar: patients' calls for staff that reached this area, each one answered with one key.

An open call: "⚠ 门诊大厅自助机 1 号：患者请求协助（2 分钟）" with 我来处理 (Ctrl+H takes the oldest).
A call this user took: 已解决 / 患者已离开. A call someone else took: one grey line, so nobody walks twice.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

ACK_KEY = "Ctrl+H"


def waited(call: dict[str, Any], now: datetime) -> str:
    """How long the call has waited, in words: 刚刚 / 3 分钟."""
    try:
        seconds = (now - datetime.fromisoformat(str(call.get("created_at")))).total_seconds()
    except ValueError:
        return ""
    return "刚刚" if seconds < 60 else f"{int(seconds // 60)} 分钟"


class HelpBar(QWidget):
    """``show_calls(calls, me, now)``; the buttons call ``on_ack(help_id)`` and ``on_close(help_id, outcome)``."""

    def __init__(self, on_ack: Callable[[str], None], on_close: Callable[[str, str], None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.on_ack, self.on_close = on_ack, on_close
        self.setStyleSheet("QLabel { font-size: 20px; font-weight: bold; } QPushButton { font-size: 18px; }")
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[tuple[str, str], QPushButton] = {}  # (help id, ack|resolved|patient_gone)
        self.lines: list[str] = []
        self.hide()

    def show_calls(self, calls: list[dict[str, Any]], me: str, now: datetime) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.buttons.clear()
        self.lines = []
        for call in calls:
            help_id = str(call.get("help_id"))
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            mine = call.get("state") == "acknowledged" and call.get("acked_by") == me
            if call.get("state") == "open":
                text = f"⚠ {call.get('message_zh')}（已等 {waited(call, now)}）"
                row.setStyleSheet("background: #c1121f; color: white; padding: 6px;")
                actions = [("ack", f"我来处理  {ACK_KEY}", lambda _=False, h=help_id: self.on_ack(h))]
            elif mine:
                text = f"您正在处理：{call.get('name')}（患者在自助机旁等候）"
                row.setStyleSheet("background: #e9c46a; color: black; padding: 6px;")
                actions = [("resolved", "已解决", lambda _=False, h=help_id: self.on_close(h, "resolved")),
                           ("patient_gone", "患者已离开", lambda _=False, h=help_id: self.on_close(h, "patient_gone"))]
            else:
                text = f"✓ {call.get('message_zh')}"
                row.setStyleSheet("color: #555; padding: 2px;")
                actions = []
            label = QLabel(text)
            label.setWordWrap(True)
            line.addWidget(label, 1)
            for key, caption, slot in actions:
                button = QPushButton(caption)
                button.setMinimumHeight(40)
                button.clicked.connect(slot)
                line.addWidget(button)
                self.buttons[(help_id, key)] = button
            self.rows.addWidget(row)
            self.lines.append(text)
        self.setVisible(bool(calls))
