"""The devices pane: this area's screens, speakers, consoles and kiosks (with their parts), state and last heartbeat.

The service decides the state (common.device_health): ok / warning / fault, offline only after missed
heartbeats. The pane shows it as it is; an IT administrator sees every device.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from common.device_health import STATE_ZH

DEVICE_ROLE_ZH = {"display": "显示屏", "speaker": "音箱", "kiosk": "自助机", "console": "分诊台", "part": "部件",
                  "admin": "管理终端"}
HEALTH_ZH = STATE_ZH
STATE_COLOUR = {"ok": "#2a9d8f", "warning": "#b36b00", "fault": "#c1121f", "offline": "#c1121f", "unknown": "#6c757d"}


def device_status(device: dict[str, Any]) -> tuple[str, str]:
    """A device's state (as the service judged it) and its reason."""
    return str(device.get("status") or "unknown"), str(device.get("reason_zh") or "")


def last_seen(device: dict[str, Any], now: datetime) -> str:
    """最后心跳: "12 秒前" / "3 分钟前" / "—"."""
    try:
        seen = datetime.fromisoformat(str(device.get("ts")))
    except ValueError:
        return "—"
    seconds = max(0, int((now - seen.replace(tzinfo=None)).total_seconds()))
    return f"{seconds} 秒前" if seconds < 120 else f"{seconds // 60} 分钟前"


def devices_of_area(devices: list[dict[str, Any]], area_id: str, everything: bool = False) -> list[dict[str, Any]]:
    """The devices whose problems this area's console hears about (every device for IT administrators)."""
    return [d for d in devices if everything or area_id in (d.get("alert_areas") or [d.get("area")])]


class DevicesTable(QTableWidget):
    """设备 / 类型 / 状态 / 最后心跳 / 说明; warning in amber, fault and offline in red."""

    def __init__(self) -> None:
        super().__init__(0, 5)
        self.setHorizontalHeaderLabels(("设备", "类型", "状态", "最后心跳", "说明"))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setWordWrap(True)

    def show_devices(self, devices: list[dict[str, Any]], now: datetime) -> None:
        self.setRowCount(len(devices))
        for i, d in enumerate(devices):
            status, reason = device_status(d)
            name = d.get("name") or d.get("device")
            cells = (f"　└ {name.split(' · ')[-1]}" if d.get("role") == "part" else name,
                     DEVICE_ROLE_ZH.get(d.get("role"), d.get("role")), HEALTH_ZH.get(status, status),
                     last_seen(d, now), reason)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                if col == 2:
                    item.setForeground(QColor(STATE_COLOUR.get(status, "#000")))
                self.setItem(i, col, item)
