"""Device health that means something: ok / warning / fault, and offline only after N missed heartbeats.

Pure rules. A device reports its own state (and its parts': a kiosk's printer, ID card reader, scanner,
payment) with each heartbeat; the drivers say "offline" for a part that does not answer or cannot work
(paper out, cover open, reader gone): that is a *fault* here. *Offline* is the service's own conclusion
when a device's heartbeats stopped: ``[device_health].missed_heartbeats`` of them in a row. Any request a
device makes counts as seen, so a kiosk in use is never "未上报".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common.wire import DeviceAlert

STATES = ("ok", "warning", "fault", "offline", "unknown")
STATE_ZH = {"ok": "正常", "warning": "注意", "fault": "故障", "offline": "离线", "unknown": "未上报"}
STATE_EN = {"ok": "ok", "warning": "warning", "fault": "fault", "offline": "offline", "unknown": "no report yet"}
PROBLEMS = ("fault", "offline")  # states that raise a console alert
_REPORTED = {"ok": "ok", "warning": "warning", "degraded": "warning", "fault": "fault", "offline": "fault"}


def reported_state(status: str) -> str:
    """A device's own word for its state, in the pane's words (a driver's "offline" part is a fault)."""
    return _REPORTED.get(status, "warning")


@dataclass(frozen=True)
class HealthView:
    state: str
    reason_zh: str
    reason_en: str


def evaluate(status: str | None, reason_zh: str, reason_en: str, last_seen: datetime | None, now: datetime,
             offline_after_s: float) -> HealthView:
    """The state to show for a device (or a part) last reported as ``status`` and last heard of at ``last_seen``."""
    if last_seen is None:
        return HealthView("unknown", "尚未上报（设备未开机或未连接）", "no report yet (not switched on or not connected)")
    silent = (now - last_seen).total_seconds()
    if silent > offline_after_s:
        minutes = int(silent // 60)
        since_zh = f"{minutes} 分钟" if minutes else f"{int(silent)} 秒"
        return HealthView("offline", f"已 {since_zh}没有心跳，请检查电源和网络",
                          f"no heartbeat for {int(silent)} s; check power and network")
    state = reported_state(status or "ok")
    if state == "ok":
        return HealthView("ok", reason_zh or "正常", reason_en or "ok")
    return HealthView(state, reason_zh or STATE_ZH[state], reason_en or STATE_EN[state])


def alert_data(device: str, name: str, part: str | None, view: HealthView, active: bool) -> dict:
    """The ``alert`` event (kind ``device``) a console shows while a device is at fault or offline."""
    what = f"{name} · {PART_ZH.get(part, part)}" if part else name
    what_en = f"{device}/{part}" if part else device
    if active:
        zh, en = f"{what}{STATE_ZH[view.state]}：{view.reason_zh}", f"{what_en} {view.state}: {view.reason_en}"
    else:
        zh, en = f"{what}已恢复正常", f"{what_en} is back to normal"
    return DeviceAlert(device=device, part=part, state=view.state, active=active, message_zh=zh,
                       message_en=en).model_dump()


PART_ZH = {"printer": "打印机", "idcard": "身份证读卡器", "scanner": "扫码器", "payment": "支付", "speech": "语音",
           "clock": "时钟", "security": "安全"}
