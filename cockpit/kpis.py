"""The cockpit's KPIs, each defined once: name, unit, formula and source (docs/cockpit.md lists the same table).

`evaluate(totals, capacity)` turns summed rollups of one scope (and the open time of its rooms and kiosks) into KPI
values; every page and every export calls it, so a figure is the same wherever it is shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from cockpit.facts import CHANNELS, PUNCTUAL_MINUTES
from cockpit.rollups import Totals


@dataclass(frozen=True)
class Capacity:
    """The open time of a scope over the days asked: its rooms' (minus their pauses) and its kiosks'."""

    room_minutes: float = 0.0
    kiosk_minutes: float = 0.0


@dataclass(frozen=True)
class Kpi:
    id: str
    zh: str
    en: str
    unit: str  # "count", "min", "%", "per_hour", "stars", "yuan"
    formula: str
    source: str
    value: Callable[[Totals, Capacity], float | None]
    better: str = "lower"  # "lower" / "higher": which way a target is met


def _rate(num: str, den: str) -> Callable[[Totals, Capacity], float | None]:
    return lambda t, _c: round(100.0 * t.n[num] / t.n[den], 1) if t.n[den] else None


def _q(measure: str, q: float) -> Callable[[Totals, Capacity], float | None]:
    return lambda t, _c: t.quantile(measure, q)


def _count(measure: str) -> Callable[[Totals, Capacity], float | None]:
    return lambda t, _c: float(t.n[measure])


def _mean(measure: str) -> Callable[[Totals, Capacity], float | None]:
    return lambda t, _c: round(t.total[measure] / t.n[measure], 2) if t.n[measure] else None


def _no_show(t: Totals, _c: Capacity) -> float | None:
    return round(100.0 * (t.n["appt"] - t.n["appt_checked_in"]) / t.n["appt"], 1) if t.n["appt"] else None


def _per_room_hour(t: Totals, c: Capacity) -> float | None:
    return round(t.n["service"] / (c.room_minutes / 60.0), 2) if c.room_minutes else None


def _utilisation(t: Totals, c: Capacity) -> float | None:
    return round(100.0 * t.total["service"] / c.room_minutes, 1) if c.room_minutes else None


def _uptime(t: Totals, c: Capacity) -> float | None:
    return round(100.0 * max(0.0, 1.0 - t.total["kiosk_down"] / c.kiosk_minutes), 1) if c.kiosk_minutes else None


_CHANNEL_ZH = {"kiosk": "自助机", "window": "窗口", "appointment": "预约", "phone": "电话"}

KPIS: tuple[Kpi, ...] = (
    Kpi("registrations", "挂号人次", "Registrations", "count", "visits registered that day", "visits", _count("registered"), "higher"),
    *(Kpi(f"reg_{c}", f"挂号·{_CHANNEL_ZH[c]}", f"Registrations: {c}", "count",
          f"visits registered through channel {c} (kiosk device / staff console / appointment / phone)", "visits",
          _count(f"reg_{c}"), "higher") for c in CHANNELS),
    Kpi("wait_median", "候诊时长中位数", "Wait, median", "min",
        "median of (first call - check-in, or registration without check-in), whole minutes", "visits", _q("wait", 0.5)),
    Kpi("wait_p90", "候诊时长P90", "Wait, 90th percentile", "min",
        "90th percentile of the same waits (the ceil(0.9 N)-th shortest)", "visits", _q("wait", 0.9)),
    Kpi("service_median", "接诊时长中位数", "Service time, median", "min", "median of (finish - start)", "visits",
        _q("service", 0.5)),
    Kpi("served", "接诊人次", "Visits served", "count", "visits started and finished", "visits", _count("service"), "higher"),
    Kpi("visits_per_room_hour", "每诊室小时接诊", "Visits per room-hour", "per_hour",
        "served / open room-hours (a room is open for its sessions on a day it served anyone, less its pauses)",
        "visits, rooms (停诊), [schedule]", _per_room_hour, "higher"),
    Kpi("room_utilisation", "诊室利用率", "Room utilisation", "%",
        "sum of service minutes / open room minutes (sessions of the days it served anyone, less its pauses)",
        "visits, rooms (停诊), [schedule]", _utilisation, "higher"),
    Kpi("missed_rate", "过号率", "Missed rate", "%", "visits left missed (过号) / registrations", "visits",
        _rate("missed", "registered")),
    Kpi("recalled_rate", "召回率", "Recalled rate", "%", "visits recalled after missed or away / registrations",
        "visits", _rate("recalled", "registered")),
    Kpi("no_show_rate", "预约爽约率", "Appointment no-show rate", "%",
        "appointments never checked in / appointments (final once the day is over)", "visits", _no_show),
    Kpi("appt_punctuality", "预约准时率", "Appointment punctuality", "%",
        f"appointments called within {PUNCTUAL_MINUTES} minutes of their slot start / appointments called", "visits",
        _rate("appt_punctual", "appt_called"), "higher"),
    Kpi("estimate_mae", "候诊预估误差", "Wait estimate error (MAE)", "min",
        "mean of |actual wait - estimate shown when the visit entered the queue|", "visits (estimate at check-in)",
        _mean("est_error")),
    Kpi("estimate_coverage", "预估区间命中率", "Wait estimate range coverage", "%",
        "visits whose actual wait fell inside the range shown (约 a-b 分钟) / visits called with an estimate",
        "visits (estimate at check-in)", _rate("est_in_range", "est_error"), "higher"),
    Kpi("wait_alerts", "候诊超时告警", "Wait alerts raised", "count",
        "alerts raised when a department's longest wait passed wait_alert_minutes", "events (alert)", _count("wait_alert")),
    Kpi("alert_response_median", "告警响应时长", "Wait alerts: time to first action", "min",
        "median of (first staff action on the department - alert raised); actions: calls, starts, transfers, room "
        "changes, announcements (not registrations or check-ins)", "events (alert), audit", _q("alert_response", 0.5)),
    Kpi("help_requests", "呼叫工作人员", "Help requests", "count", "呼叫工作人员 presses at kiosks", "audit (help)",
        _count("help")),
    Kpi("help_ack_median", "呼叫响应时长", "Help requests: time to acknowledge", "min",
        "median of (我来处理 pressed - 呼叫工作人员 pressed)", "help calls", _q("help_ack", 0.5)),
    Kpi("kiosk_faults", "设备故障", "Device faults", "count",
        "devices or parts going from working to fault or offline", "device_states (health history)", _count("fault")),
    Kpi("kiosk_uptime", "自助机可用率", "Kiosk uptime", "%",
        "100 x (1 - minutes kiosks were at fault or offline in opening hours / (kiosks x opening minutes of the days "
        "open))", "device_states (health history), [schedule]", _uptime, "higher"),
    Kpi("report_release_median", "检验报告发布时长", "Lab report turnaround (collected to released)", "min",
        "median of (second verification - sample collected)", "rec_reports", _q("report_release", 0.5)),
    Kpi("report_print_median", "报告打印等待", "Lab report pick-up (released to printed)", "min",
        "median of (first print - released)", "rec_reports, rec_report_prints", _q("report_print", 0.5)),
    Kpi("satisfaction", "满意度", "Satisfaction", "stars", "mean stars of ratings", "rec_ratings", _mean("rating"),
        "higher"),
    Kpi("revenue", "收费金额", "Revenue", "yuan", "sum of paid orders (gross, before refunds), in yuan", "rec_orders",
        lambda t, _c: round(t.total["revenue"] / 100.0, 2), "higher"),
)
BY_ID = {k.id: k for k in KPIS}


def target_problems(targets: dict[str, float]) -> list[tuple[str, str]]:
    """Targets in the hospital file ([cockpit] targets) naming no KPI, as ConfigError problems (empty when fine)."""
    unknown = sorted(set(targets) - set(BY_ID))
    if not unknown:
        return []
    return [("cockpit.targets", f"unknown KPI {', '.join(unknown)}; known: {', '.join(BY_ID)}")]


def evaluate(totals: Totals, capacity: Capacity = Capacity()) -> dict[str, float | None]:
    """Every KPI of one scope."""
    return {k.id: k.value(totals, capacity) for k in KPIS}


def met(kpi_id: str, value: float | None, target: float | None) -> bool | None:
    """Whether a value meets its target (None when either is missing)."""
    if value is None or target is None:
        return None
    return value <= target if BY_ID[kpi_id].better == "lower" else value >= target
