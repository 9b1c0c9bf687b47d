"""The cockpit's KPIs, each defined once: name, unit, formula and source (docs/cockpit.md lists the same table).

`evaluate(totals, capacity)` turns summed rollups of one scope (and the open time of its rooms and kiosks) into KPI
values; every page and every export calls it, so a figure is the same wherever it is shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from cockpit.facts import CHANNELS, PUNCTUAL_MINUTES, STEP_KINDS
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


# Room use (诊室利用率), defined here once: the cockpit's card, its breakdown, the PDCA table and the what-if replay
# (caller/simulate.py) all call room_use() with open minutes counted the same way (cockpit.report.open_minutes).
ROOM_USE_ZH = ("诊室利用率 = 接诊分钟 ÷ 开诊分钟。开诊分钟：当天接诊过患者的诊室，按排班的上午和下午出诊时长计，"
               "扣除停诊时间；接诊分钟：每位患者从开始接诊到结束。今日的数字随出诊进行而上升，下班后为全天数。")
ROOM_USE_EN = ("Room use = minutes with a patient / open room minutes. Open minutes: a room that saw anyone that day "
               "counts its morning and afternoon sessions of the schedule, less its pauses (停诊); minutes with a "
               "patient: from the start of each consultation to its end. Today's figure rises through the day.")


def room_use(service_minutes: float, open_minutes: float) -> float | None:
    """Room use in %, one decimal (None when no room was open)."""
    return round(100.0 * service_minutes / open_minutes, 1) if open_minutes else None


def _utilisation(t: Totals, c: Capacity) -> float | None:
    return room_use(t.total["service"], c.room_minutes)


def _uptime(t: Totals, c: Capacity) -> float | None:
    return round(100.0 * max(0.0, 1.0 - t.total["kiosk_down"] / c.kiosk_minutes), 1) if c.kiosk_minutes else None


_STEP_ZH = {"pharmacy": "取药", "lab": "采血", "imaging": "检查", "cashier": "收费窗口"}
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
    # the journey after the clinic room (docs/journey.md): each step kind's waits, dispensing, lab turnaround, whole
    *(k for kind in STEP_KINDS for k in (
        Kpi(f"{kind}_steps", f"{_STEP_ZH[kind]}人次", f"{kind.capitalize()} steps", "count",
            f"{kind} steps opened (ordered) that day", "visits (steps)", _count(f"step:{kind}"), "higher"),
        Kpi(f"{kind}_wait_median", f"{_STEP_ZH[kind]}等候中位数", f"{kind.capitalize()} wait, median", "min",
            f"median of (first call at the {kind} - joined its list: check-in"
            + (", or ready (已配好)" if kind == "pharmacy" else "") + ", else payment)", "visits (steps)",
            _q(f"step_wait:{kind}", 0.5)),
        Kpi(f"{kind}_wait_p90", f"{_STEP_ZH[kind]}等候P90", f"{kind.capitalize()} wait, 90th percentile", "min",
            "90th percentile of the same waits", "visits (steps)", _q(f"step_wait:{kind}", 0.9)),
    )),
    Kpi("dispense_median", "配药时长中位数", "Pharmacy dispensing time, median", "min",
        "median of (ready 已配好 - paid), prescriptions", "visits (pharmacy steps)", _q("dispense", 0.5)),
    Kpi("dispense_p90", "配药时长P90", "Pharmacy dispensing time, 90th percentile", "min",
        "90th percentile of the same", "visits (pharmacy steps)", _q("dispense", 0.9)),
    Kpi("lab_tat_median", "检验周转中位数", "Lab turnaround (draw to report), median", "min",
        "median of (report ready - draw done), lab steps", "visits (lab steps)", _q("lab_tat", 0.5)),
    Kpi("lab_tat_p90", "检验周转P90", "Lab turnaround (draw to report), 90th percentile", "min",
        "90th percentile of the same", "visits (lab steps)", _q("lab_tat", 0.9)),
    Kpi("journey_median", "全程时长中位数", "Whole journey, median", "min",
        "median of (last step done - registration), journeys with at least one step and none open",
        "visits (clinic visit and its steps)", _q("journey", 0.5)),
    Kpi("journey_p90", "全程时长P90", "Whole journey, 90th percentile", "min", "90th percentile of the same",
        "visits (clinic visit and its steps)", _q("journey", 0.9)),
)
BY_ID = {k.id: k for k in KPIS}


def target_problems(targets: dict[str, float]) -> list[tuple[str, str]]:
    """Targets in the hospital file ([cockpit] targets) naming no KPI, as ConfigError problems (empty when fine)."""
    unknown = sorted(set(targets) - set(BY_ID))
    if not unknown:
        return []
    return [("cockpit.targets", f"unknown KPI {', '.join(unknown)}; known: {', '.join(BY_ID)}")]


def targets_table() -> str:
    """The keys of [cockpit.targets] as Markdown (docs/settings.md carries it; a test keeps the two the same)."""
    lines = ["| key | KPI | unit | a target is met when the figure is |", "|---|---|---|---|"]
    for k in KPIS:
        lines.append(f"| `{k.id}` | {k.zh} / {k.en} | {k.unit} | {'at most' if k.better == 'lower' else 'at least'} "
                     "the target |")
    return "\n".join(lines) + "\n"


def change(kpi_id: str, now: float | None, before: float | None) -> dict | None:
    """How a figure moved against an earlier period (环比 / 同比): `delta` in percentage points for rates (unit %),
    in per cent of the earlier figure for the others; `better`: True when it moved the good way, None when flat.
    None when either figure is missing (or the earlier one is 0 for a relative change)."""
    if now is None or before is None:
        return None
    kpi = BY_ID[kpi_id]
    if kpi.unit == "%":
        delta, kind = round(now - before, 1), "pp"
    elif before == 0:
        return None
    else:
        delta, kind = round(100.0 * (now - before) / abs(before), 1), "pct"
    better = None if delta == 0 else (delta < 0) == (kpi.better == "lower")
    return {"before": before, "delta": delta, "kind": kind, "better": better}


def evaluate(totals: Totals, capacity: Capacity = Capacity()) -> dict[str, float | None]:
    """Every KPI of one scope."""
    return {k.id: k.value(totals, capacity) for k in KPIS}


def met(kpi_id: str, value: float | None, target: float | None) -> bool | None:
    """Whether a value meets its target (None when either is missing)."""
    if value is None or target is None:
        return None
    return value <= target if BY_ID[kpi_id].better == "lower" else value >= target
