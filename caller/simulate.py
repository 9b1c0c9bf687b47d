"""What-if: replay a day (stored or synthetic) through the real queue engine with changed rules or rooms.

    python -m caller simulate --config hospital.toml --db hospital.db --day 2026-11-23 \\
        --set areas.NK.rules.room_cap=3 --open-room NK5

Each patient arrives, registers and checks in when they did; the rooms that saw patients that day (plus any the
what-if opens; every room of the department for a synthetic day) call the next visit whenever they are free, from
the morning session's start; after the morning session they finish the morning's patients, then call nobody until
the afternoon session (the lunch break between the schedule's am and pm sessions); the patient
walks in a minute later and is seen for as long as they were that day. A patient missed (过号) for good that day
does not come when called; one who was missed and recalled that day comes back RECALL_AFTER later, is recalled
and waits again (their wait is to the first call, as the cockpit counts it). Wait alerts are checked every 5
minutes as the service does. The result sits side by side with what happened: median and p90 wait, wait alerts,
missed, unserved and room use, as the cockpit defines it (cockpit.kpis.room_use: minutes with a patient over the
open minutes of the rooms that saw anyone, both sessions of the schedule each; what happened less the rooms'
pauses, exactly the cockpit's figure of that day). Simplification, honestly: a transferred visit is replayed in the
department it ended in.
"""
from __future__ import annotations

import heapq
import json
import math
import random
import statistics
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from caller.api.models import RegisterBody
from caller.auth import Principal
from caller.engine.model import RuleError
from caller.service import CallerService
from cockpit.kpis import room_use
from cockpit.report import open_minutes, session_minutes
from common.clock import ManualClock
from common.config import hospital_from_dict

WALK_IN = timedelta(minutes=1)
RECALL_AFTER = timedelta(minutes=15)  # a missed patient who was recalled that day comes back this much later
NO_SHOW_AFTER = timedelta(minutes=3)
ALERT_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class Arrival:
    registered_at: datetime
    dept: str
    checkin_at: datetime | None = None
    source: str = "onsite"
    kind: str | None = None
    doctor: str | None = None
    service_minutes: float | None = None
    comes_when_called: bool = True
    recalled: bool = False  # missed at a call, then came back and was recalled


@dataclass
class Outcome:
    """What a day gave: waits (check-in to first call), alerts, missed, unserved, room use; estimates vs actual."""

    waits: list[float] = field(default_factory=list)
    alerts: int = 0
    missed: int = 0
    unserved: int = 0
    busy_minutes: float = 0.0
    open_minutes: float = 0.0
    rooms: list[str] = field(default_factory=list)  # the rooms that saw patients
    estimates: list[tuple[float, float, int, int, float]] = field(default_factory=list)  # actual, old, low, high, new

    def summary(self) -> dict[str, Any]:
        return {"visits": len(self.waits) + self.unserved, "wait_median": _q(self.waits, 0.5),
                "wait_p90": _q(self.waits, 0.9), "wait_alerts": self.alerts, "missed": self.missed,
                "unserved": self.unserved,
                "room_utilisation": room_use(self.busy_minutes, self.open_minutes)}


def _q(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(int(ordered[max(1, math.ceil(q * len(ordered) - 1e-9)) - 1]))


# ------------------------------------------------------------------------------------------- the day's input
def stored_day(conn: Any, day: str, config: Any = None, area: str | None = None) -> tuple[list[Arrival], Outcome]:
    """The arrivals of a stored day and what actually happened (from the visits table, by its date index); of one
    area only when `area` is given. With `config`, the rooms' open minutes of that day as the cockpit counts them
    (their room use: the same figure as the cockpit's card of that day and scope)."""
    arrivals, actual = [], Outcome()
    durations: dict[str, list[float]] = {}
    rows = [v for v in (json.loads(r[0]) for r in conn.execute("SELECT data FROM visits WHERE date = ?", (day,)))
            if not v.get("step_kind") and (area is None or v.get("area_id") == area)]  # a journey's steps are not replayed
    for v in rows:
        if v.get("started_at") and v.get("finished_at"):
            minutes = (datetime.fromisoformat(v["finished_at"]) - datetime.fromisoformat(v["started_at"])).total_seconds() / 60
            durations.setdefault(v["dept_id"], []).append(minutes)
    for v in sorted(rows, key=lambda v: v["registered_at"]):
        if v.get("state") == "cancelled":
            continue
        service = None
        if v.get("started_at") and v.get("finished_at"):
            service = (datetime.fromisoformat(v["finished_at"]) - datetime.fromisoformat(v["started_at"])).total_seconds() / 60
        elif durations.get(v["dept_id"]):
            service = statistics.median(durations[v["dept_id"]])
        arrivals.append(Arrival(
            registered_at=datetime.fromisoformat(v["registered_at"]), dept=v["dept_id"],
            checkin_at=datetime.fromisoformat(v["checkin_at"]) if v.get("checkin_at") else None,
            source=v.get("source", "onsite"), kind=v.get("number_kind"),
            doctor=v.get("doctor_id") if v.get("number_kind") == "expert" else None,
            service_minutes=service, comes_when_called=v.get("state") != "missed" and not v.get("recalled"),
            recalled=bool(v.get("recalled")) and v.get("state") != "missed"))
        called = v.get("first_called_at") or v.get("called_at")
        if called:
            start = v.get("checkin_at") or v["registered_at"]
            actual.waits.append((datetime.fromisoformat(called) - datetime.fromisoformat(start)).total_seconds() / 60)
        else:
            actual.unserved += 1
        actual.missed += v.get("state") == "missed"
        if service and v.get("started_at"):
            actual.busy_minutes += service
            if v.get("room_id") and v["room_id"] not in actual.rooms:
                actual.rooms.append(v["room_id"])
    dim, key = ("area", area) if area else ("hospital", "")
    row = conn.execute("SELECT n FROM rollup WHERE dim = ? AND day = ? AND key = ? AND measure = 'wait_alert'",
                       (dim, day, key)).fetchone()
    actual.alerts = int(row[0]) if row else 0
    if config is not None:
        rooms = [r.id for r in config.area(area).rooms] if area else None
        actual.open_minutes = open_minutes(conn, session_minutes(config), rooms, day, day).get("", 0.0)
    return arrivals, actual


def synthetic_day(config: Any, day: date, visits: int, seed: int = 1, depts: tuple[str, ...] = ("NK",)) -> list[Arrival]:
    """A reproducible morning: arrivals spread over 07:40-11:00, service times log-normal around 8 minutes."""
    rng = random.Random(seed)
    start = datetime.combine(day, time(7, 40))
    out = []
    for _ in range(visits):
        at = start + timedelta(minutes=rng.uniform(0, 200))
        service = max(2.0, rng.lognormvariate(math.log(7.5), 0.45))
        out.append(Arrival(registered_at=at, checkin_at=at + timedelta(minutes=rng.uniform(0, 3)),
                           dept=rng.choice(depts), service_minutes=round(service, 1),
                           comes_when_called=rng.random() > 0.03))
    return sorted(out, key=lambda a: a.registered_at)


# ------------------------------------------------------------------------------------ the cockpit's form
CAPS = (1, 2, 3, 4, 5, 6)  # room_cap choices (how many patients a room's own list holds)
NEW_ROOMS = (0, 1, 2, 3)  # extra rooms the what-if may open beyond those in the hospital file


class ChoiceError(ValueError):
    """A what-if choice that is not one of the form's (zh and en, for the manager)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _mins(t: time) -> int:
    return t.hour * 60 + t.minute


def session_choices(config: Any) -> dict[str, list[str]]:
    """Morning sessions starting up to an hour earlier or half an hour later, afternoons ending up to an hour later
    or half an hour earlier (the file's own first)."""
    am_start, am_end = config.schedule.session_span("am")
    pm_start, pm_end = config.schedule.session_span("pm")
    am = [config.schedule.am] + [f"{_hhmm(_mins(am_start) + d)}-{_hhmm(_mins(am_end))}" for d in (-60, -30, 30)]
    pm = [config.schedule.pm] + [f"{_hhmm(_mins(pm_start))}-{_hhmm(_mins(pm_end) + d)}" for d in (30, 60, -30)]
    return {"am": am, "pm": pm}


def clinic_areas(config: Any) -> list[Any]:
    clinic = {d.area for d in config.departments if getattr(d, "service", "clinic") == "clinic"}
    return [a for a in config.areas if a.id in clinic]


def whatif_options(config: Any, worked: set[str] = frozenset()) -> dict[str, Any]:
    """What the cockpit's what-if form offers: the clinic areas with their rooms (``worked``: saw patients that
    day) and room cap, the caps, extra rooms and sessions to choose from."""
    return {
        "areas": [{"id": a.id, "name_zh": a.name, "name_en": a.name_en or a.id,
                   "room_cap": config.rules_for_area(a.id).room_cap,
                   "rooms": [{"id": r.id, "name_zh": r.name, "name_en": r.name_en or r.id, "worked": r.id in worked}
                             for r in a.rooms]}
                  for a in clinic_areas(config)],
        "caps": list(CAPS), "new_rooms": list(NEW_ROOMS), "sessions": session_choices(config),
    }


def from_choices(config: Any, choices: dict[str, Any]) -> tuple[Any, list[str]]:
    """The hospital under the form's choices, and the rooms it opens: ``area`` (a clinic area's id), ``room_cap``
    (one of CAPS, or none: unchanged), ``open_rooms`` (rooms of that area), ``new_rooms`` (one of NEW_ROOMS),
    ``am`` / ``pm`` (one of the session choices). Anything else is refused with what to choose instead."""
    areas = {a.id: a for a in clinic_areas(config)}
    area = areas.get(str(choices.get("area") or ""))
    if area is None:
        raise ChoiceError("请从列表中选择一个诊区。", "Choose an area from the list.")
    sets = []
    cap = choices.get("room_cap")
    if cap not in (None, ""):
        if not isinstance(cap, int) or isinstance(cap, bool) or cap not in CAPS:
            raise ChoiceError(f"每诊室候诊人数请在 {CAPS[0]} 到 {CAPS[-1]} 之间选择。",
                              f"Choose a room cap from {CAPS[0]} to {CAPS[-1]}.")
        sets.append(f"areas.{area.id}.rules.room_cap={cap}")
    rooms = {r.id for r in area.rooms}
    opened = [str(r) for r in choices.get("open_rooms") or []]
    stray = [r for r in opened if r not in rooms]
    if stray:
        raise ChoiceError(f"诊室 {'、'.join(stray)} 不属于{area.name}，请从列表中选择。",
                          f"Room {', '.join(stray)} is not in {area.name_en or area.id}; choose from the list.")
    new = choices.get("new_rooms") or 0
    if not isinstance(new, int) or isinstance(new, bool) or new not in NEW_ROOMS:
        raise ChoiceError(f"另开新诊室的数量请在 0 到 {NEW_ROOMS[-1]} 之间选择。", f"Choose 0 to {NEW_ROOMS[-1]} new rooms.")
    opened += [f"{area.id}-SIM{n}" for n in range(1, new + 1)]
    sessions = session_choices(config)
    changed = changed_config(config, sets, opened)
    schedule = {}
    for name in ("am", "pm"):
        value = choices.get(name)
        if value in (None, ""):
            continue
        if value not in sessions[name]:
            label = "上午" if name == "am" else "下午"
            raise ChoiceError(f"{label}出诊时间请从列表中选择。", f"Choose the {name} session from the list.")
        schedule[name] = value
    if schedule:
        changed = changed.model_copy(update={"schedule": changed.schedule.model_copy(update=schedule)})
    return changed, opened


# ---------------------------------------------------------------------------------------------- the config
def changed_config(config: Any, sets: list[str] = (), open_rooms: list[str] = ()) -> Any:
    """The hospital with `path=value` changes (rules.X, areas.<id>.rules.X) and extra rooms opened."""

    raw = config.model_dump(mode="json")
    for item in sets:
        path, _, text = item.partition("=")
        value = json.loads(text) if text[:1] in "[{\"0123456789-tf" and text not in ("") else text
        if text in ("true", "false"):
            value = text == "true"
        parts = path.split(".")
        if parts[0] == "rules":  # the hospital's rules reach every area (they are merged at load)
            targets = [raw["rules"]] + [a["rules"] for a in raw["areas"]]
            for t in targets:
                t[parts[1]] = value
        elif parts[0] == "areas" and len(parts) == 4 and parts[2] == "rules":
            area = next((a for a in raw["areas"] if a["id"] == parts[1]), None)
            if area is None:
                raise ValueError(f"--set {item}: no area {parts[1]!r}")
            area["rules"][parts[3]] = value
        else:
            raise ValueError(f"--set {item}: use rules.KEY=VALUE or areas.AREA.rules.KEY=VALUE")
    known = {r["id"] for a in raw["areas"] for r in a["rooms"]}
    for room_id in open_rooms:
        if room_id in known:  # a room of the file that did not work that day: it works in the what-if
            continue
        area = next((a for a in raw["areas"] if room_id.startswith(a["id"])), raw["areas"][0])
        model = next((r for r in area["rooms"] if not r.get("triage_levels")), area["rooms"][0])
        area["rooms"].append({**model, "id": room_id, "name": f"{room_id} (模拟 simulated)", "door_screen": False})
    return hospital_from_dict(raw, source="what-if")


# -------------------------------------------------------------------------------------------------- replay
def replay(config: Any, day: date, arrivals: list[Arrival], *, rooms: list[str] | None = None,
           with_estimates: bool = False) -> Outcome:
    """Run the day through a fresh in-memory caller service (the real engine, rules and placement). `rooms`: the
    rooms that work (None: every room of the arrivals' departments)."""

    depts = {a.dept for a in arrivals}
    fitting = [r.id for a in config.areas for r in a.rooms if set(r.departments) & depts]
    rooms = [r for r in fitting if r in rooms] if rooms else fitting
    am_start, am_end = config.schedule.session_span("am")
    pm_start, _pm_end = config.schedule.session_span("pm")
    opening = datetime.combine(day, am_start)
    lunch = (datetime.combine(day, am_end), datetime.combine(day, pm_start))
    clock = ManualClock(min([opening] + [a.registered_at for a in arrivals]))
    service = CallerService(config, ":memory:", clock=clock)
    who = Principal(role="admin", device="simulator")
    out = Outcome()
    events: list[tuple[datetime, int, str, Any]] = []
    seq = 0

    def push(at: datetime, kind: str, data: Any) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, seq, kind, data))

    for a in arrivals:
        push(a.registered_at, "arrive", a)
    for room in rooms:
        push(opening, "free", room)
    t = clock()
    last = max([a.registered_at for a in arrivals] + [opening]) + timedelta(hours=8)
    while t < last:
        push(t, "tick", None)
        t += ALERT_EVERY
    idle: set[str] = set()
    waiting: dict[str, tuple[Arrival, datetime, tuple | None]] = {}  # visit id -> (arrival, queued at, estimate)
    called_once: set[str] = set()  # its wait is counted (a recalled visit waits again, uncounted)
    served: set[str] = set()  # the rooms that saw anyone: open for the day's sessions, as the cockpit counts
    try:
        while events:
            at, _s, kind, data = heapq.heappop(events)
            if kind == "tick" and not waiting and not any(k != "tick" for _a, _q, k, _d in events):
                break
            clock.set(at)
            if kind == "tick":
                out.alerts += sum(1 for e in service.wait_alerts.check() if e.data.get("active", True))
            elif kind == "arrive":
                body = RegisterBody(department=data.dept, name="模拟患者", source=data.source, kind=data.kind,
                                    doctor=data.doctor)
                vid = service.execute("register", who, body=body)["visit"]["visit_id"]
                if data.checkin_at and service.config.rules_for_area(service.area_of_department(data.dept)).check_in_mode:
                    push(max(at, data.checkin_at), "checkin", (vid, data))
                else:
                    waiting[vid] = (data, at, _estimates(service, vid) if with_estimates else None)
                    _wake(idle, push, at)
            elif kind == "checkin":
                vid, arrival = data
                try:
                    service.execute("check_in", who, visit_id=vid)
                except RuleError:
                    out.unserved += 1
                    continue
                waiting[vid] = (arrival, at, _estimates(service, vid) if with_estimates else None)
                _wake(idle, push, at)
            elif kind == "free":
                morning_left = any(a.registered_at < lunch[0] for a, _q, _e in waiting.values())
                if lunch[0] <= at < lunch[1] and not morning_left:  # the morning's patients seen: lunch break
                    push(lunch[1], "free", data)
                    continue
                try:
                    called = service.execute("call_next", who, room_id=data)["visit"]
                except RuleError:
                    called = None
                if called is None or called["visit_id"] not in waiting:
                    idle.add(data)
                    continue
                arrival, queued, est = waiting.pop(called["visit_id"])
                wait = (at - queued).total_seconds() / 60
                if called["visit_id"] not in called_once:
                    called_once.add(called["visit_id"])
                    out.waits.append(wait)
                    if est is not None:
                        out.estimates.append((wait, *est))
                if not arrival.comes_when_called:
                    push(at + NO_SHOW_AFTER, "no_show", (data, called["visit_id"], arrival))
                    continue
                minutes = arrival.service_minutes or 8.0
                service.execute("start", who, visit_id=called["visit_id"])
                end = at + WALK_IN + timedelta(minutes=minutes)
                out.busy_minutes += minutes
                served.add(data)
                push(end, "finish", (data, called["visit_id"]))
            elif kind == "no_show":
                room, vid, arrival = data
                _miss(service, who, vid)
                if arrival.recalled:  # comes back later and is recalled into the queue
                    push(at + RECALL_AFTER, "recall", (vid, arrival))
                else:
                    out.missed += 1
                push(at, "free", room)
            elif kind == "recall":
                vid, arrival = data
                try:
                    service.execute("recall", who, visit_id=vid)
                except RuleError:
                    out.missed += 1
                    continue
                waiting[vid] = (replace(arrival, comes_when_called=True, recalled=False), at, None)
                _wake(idle, push, at)
            elif kind == "finish":
                room, vid = data
                service.execute("finish", who, visit_id=vid)
                push(at, "free", room)
    finally:
        service.close()
    out.unserved += len(waiting)
    out.open_minutes = len(served) * session_minutes(config)
    out.rooms = rooms
    return out


def _wake(idle: set[str], push: Any, at: datetime) -> None:
    for room in sorted(idle):
        push(at, "free", room)
    idle.clear()


def _miss(service: Any, who: Any, vid: str) -> None:
    for _ in range(10):
        try:
            service.execute("missed", who, visit_id=vid)
            return
        except RuleError as exc:
            if exc.code != "not_called_enough":
                return
            service.execute("call_again", who, visit_id=vid)


def _estimates(service: Any, vid: str) -> tuple[float, int, int, float]:
    """(old estimate, new low, new high, new point) for a visit that just entered the queue."""
    _ahead, old = service.engine.position(vid)
    new = service.statuses.estimate(vid)
    return old, new.low, new.high, new.minutes


def compare(happened: Outcome | None, baseline: Outcome, changed: Outcome) -> list[dict[str, Any]]:
    """Rows of the side-by-side table."""
    cols = [("happened", happened), ("replayed as it was", baseline), ("what-if", changed)]
    keys = ("visits", "wait_median", "wait_p90", "wait_alerts", "missed", "unserved", "room_utilisation")
    return [{"measure": k, **{name: (o.summary()[k] if o is not None else None) for name, o in cols}} for k in keys]
