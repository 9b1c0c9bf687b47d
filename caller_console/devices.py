"""The devices pane: the area's screens, speakers and kiosks with their last health report."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

DEVICE_ROLE_ZH = {"display": "显示屏", "speaker": "音箱", "kiosk": "自助机", "console": "分诊台"}
HEALTH_ZH = {"ok": "正常", "degraded": "异常", "offline": "离线", "unknown": "未上报"}


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


def devices_of_area(devices: list[dict[str, Any]], area_id: str) -> list[dict[str, Any]]:
    """The area's displays and speakers, and the kiosks of the lobby (no area)."""
    return [d for d in devices if d.get("role") in ("display", "speaker", "kiosk")
            and (d.get("area") == area_id or (d.get("role") == "kiosk" and not d.get("area")))]


class DevicesTable(QTableWidget):
    """设备 / 类型 / 状态 / 说明, a faulty or silent device in red."""

    def __init__(self) -> None:
        super().__init__(0, 4)
        self.setHorizontalHeaderLabels(("设备", "类型", "状态", "说明"))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)

    def show_devices(self, devices: list[dict[str, Any]], now: datetime) -> None:
        self.setRowCount(len(devices))
        for i, d in enumerate(devices):
            status, reason = device_status(d, now)
            cells = (d.get("name") or d.get("device"), DEVICE_ROLE_ZH.get(d.get("role"), d.get("role")),
                     HEALTH_ZH.get(status, status), reason)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                if col == 2 and status != "ok":
                    item.setForeground(QColor("#c1121f"))
                self.setItem(i, col, item)
