"""What each stored thing contributes to the daily rollups: pure functions of one visit row (or one event).

A rollup is the sum of the facts of everything of that day, so an update is `facts(new) - facts(old)` for the
visits a command changed, and a rebuild is the sum over every stored visit: both give the same numbers.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Iterable

# (dim, key) pairs a fact is counted under; "hospital" has the key "".
Dims = tuple[tuple[str, str], ...]
# (measure, value, dims): value None for a plain count, a number to sum (minutes, stars, fen).
Fact = tuple[str, float | None, Dims]

STEP_KINDS = ("pharmacy", "lab", "imaging", "cashier")  # journey steps after the clinic room (docs/journey.md)
# measures with quantiles (one-minute histograms)
HISTOGRAMS = frozenset({"wait", "service", "report_release", "report_print", "help_ack", "alert_response",
                        "dispense", "lab_tat", "journey", *(f"step_wait:{k}" for k in STEP_KINDS)})
# measures also counted per hour of the day they began (n and total only: a mean per hour), as "<measure>@HH"
HOURLY = ("wait", *(f"step_wait:{k}" for k in STEP_KINDS), "dispense", "lab_tat", "journey")
HIST_MAX = 600  # minutes; longer values count in the last bucket
# the long measures (a whole journey, a lab report) in 5-minute buckets: their quantiles to 5 minutes, and a day's
# histogram a fifth of the rows; every other measure in 1-minute buckets
BUCKET_MINUTES = {"journey": 5, "lab_tat": 5}
PUNCTUAL_MINUTES = 10  # an appointment is on time when called within this many minutes of its slot start
CHANNELS = ("kiosk", "window", "appointment", "phone")


def _dt(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds() / 60.0)


def channel_of(source: str, device_role: str) -> str:
    """How a visit was registered: an appointment, at a kiosk, at a window (staff console), or by phone."""
    if source == "appointment":
        return "appointment"
    if device_role == "phone":
        return "phone"
    return "kiosk" if device_role == "kiosk" else "window"


def visit_dims(v: dict[str, Any], *, with_room: bool = True) -> Dims:
    dims = [("hospital", ""), ("area", v["area_id"]), ("dept", v["dept_id"])]
    if with_room and v.get("room_id"):
        dims.append(("room", v["room_id"]))
    if with_room and v.get("doctor_id"):
        dims.append(("doctor", v["doctor_id"]))
    return tuple(dims)


def hourly(measure: str, start: datetime, value: float, dims: Dims) -> Fact:
    """The same value counted under the hour of the day it began ("wait@09": waits that began 09:00-09:59)."""
    return (f"{measure}@{start.hour:02d}", value, dims)


def visit_facts(v: dict[str, Any] | None) -> list[Fact]:
    """Everything one visit (its stored row) adds to its day's rollups."""
    if not v:
        return []
    if v.get("step_kind"):
        return step_facts(v)
    dims = visit_dims(v)
    place = visit_dims(v, with_room=False)
    facts: list[Fact] = [("registered", None, place)]
    channel = v.get("channel") or ("appointment" if v.get("source") == "appointment" else "window")
    facts.append((f"reg_{channel}", None, place))
    if v.get("reg_device"):
        facts.append(("registered", None, (("kiosk", v["reg_device"]),)))
    registered, checkin = _dt(v.get("registered_at")), _dt(v.get("checkin_at"))
    called = _dt(v.get("first_called_at") or v.get("called_at"))
    started, finished = _dt(v.get("started_at")), _dt(v.get("finished_at"))
    wait = _minutes(checkin or registered, called)
    if wait is not None:
        facts.append(("wait", wait, dims))
        facts.append(hourly("wait", checkin or registered, wait, place))
        shown = v.get("estimate")
        if shown:  # the estimate the patient saw when entering the queue, against what happened
            facts.append(("est_error", abs(wait - shown["minutes"]), place))
            facts.append(("est_error_old", abs(wait - shown.get("old", shown["minutes"])), place))
            if shown["min"] <= wait <= shown["max"]:
                facts.append(("est_in_range", None, place))
    service = _minutes(started, finished)
    if service is not None:
        facts.append(("service", service, dims))
    state = v.get("state")
    if state == "missed":
        facts.append(("missed", None, dims))
    if v.get("recalled"):
        facts.append(("recalled", None, dims))
    if state == "cancelled":
        facts.append(("cancelled", None, place))
    if v.get("source") == "appointment":
        facts.append(("appt", None, place))
        if checkin is not None:
            facts.append(("appt_checked_in", None, place))
        if called is not None:
            facts.append(("appt_called", None, dims))
            slot = v.get("slot_start")
            if slot:
                start = datetime.combine(datetime.fromisoformat(str(v["day"])[:10]).date(), time.fromisoformat(str(slot)))
                if called <= start + timedelta(minutes=PUNCTUAL_MINUTES):
                    facts.append(("appt_punctual", None, dims))
    journey = _minutes(registered, _dt(v.get("journey_end")))
    if journey is not None:  # registration to the last step done (the service keeps journey_end on the clinic visit)
        facts.append(("journey", journey, place))
        facts.append(hourly("journey", registered, journey, place))
    return facts


def step_facts(v: dict[str, Any]) -> list[Fact]:
    """What a journey step (pharmacy, lab, imaging, cashier: a visit with step_kind) adds: its own measures for
    the hospital and its service's area and department, never the clinic's registrations or waits. Its area and
    department (the pharmacy's own) also count it as their registrations, waits and service, as a clinic's do."""
    kind = v["step_kind"]
    dims = visit_dims(v)
    place = visit_dims(v, with_room=False)
    own = tuple(d for d in dims if d[0] != "hospital")
    own_place = tuple(d for d in place if d[0] != "hospital")
    facts: list[Fact] = [(f"step:{kind}", None, place), ("registered", None, own_place)]
    paid, ready = _dt(v.get("paid_at")), _dt(v.get("ready_at"))
    checkin = _dt(v.get("checkin_at"))
    called = _dt(v.get("first_called_at") or v.get("called_at"))
    started, finished = _dt(v.get("started_at")), _dt(v.get("finished_at"))
    entered = checkin or (ready if kind == "pharmacy" else None) or paid  # when it joined its service's list
    wait = _minutes(entered, called)
    if wait is not None and entered is not None:
        facts.append((f"step_wait:{kind}", wait, dims))
        facts.append(hourly(f"step_wait:{kind}", entered, wait, place))
        facts.append(("wait", wait, own))
    service = _minutes(started, finished)
    if service is not None:
        facts.append(("service", service, own))
    if kind == "pharmacy" and paid is not None and ready is not None:  # paid -> 已配好
        minutes = _minutes(paid, ready)
        facts.append(("dispense", minutes, place))
        facts.append(hourly("dispense", paid, minutes, place))
    if kind == "lab" and v.get("stage") == "reported" and finished is not None and ready is not None:  # draw -> report
        minutes = _minutes(finished, ready)
        facts.append(("lab_tat", minutes, place))
        facts.append(hourly("lab_tat", finished, minutes, place))
    if v.get("state") == "missed":
        facts.append(("missed", None, own))
    if v.get("state") == "cancelled":
        facts.append(("cancelled", None, own_place))
    return facts


def journey_end(members: Iterable[dict[str, Any]]) -> str | None:
    """When a journey ended (ISO): the last finish of its clinic visit and steps once none is open and it has at
    least one step; None while any is open. `members`: the rows of the clinic visit and its steps."""
    rows = list(members)
    if len(rows) < 2:
        return None
    ends = []
    for row in rows:
        if row.get("state") == "cancelled":
            continue
        if row.get("state") != "done" or not row.get("finished_at"):
            return None
        ends.append(str(row["finished_at"]))
    return max(ends, key=lambda t: datetime.fromisoformat(t)) if ends else None


def day_of(v: dict[str, Any]) -> str:
    return str(v["day"])[:10]


def diff(old: Iterable[Fact], new: Iterable[Fact]) -> list[tuple[str, float | None, Dims, int]]:
    """(measure, value, dims, +1/-1): what changes when a visit's facts go from `old` to `new`."""
    old_l, new_l = list(old), list(new)
    removed = [f for f in old_l if f not in new_l]
    added = [f for f in new_l if f not in old_l]
    return [(m, val, d, -1) for m, val, d in removed] + [(m, val, d, +1) for m, val, d in added]
