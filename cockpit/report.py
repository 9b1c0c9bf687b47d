"""What the cockpit pages show, computed from the rollups only: KPIs of a scope, of its children (drill-down),
per day (trends), and the monthly PDCA table. Pure functions of (config, a read connection, the days)."""
from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable

from cockpit import pdca as pdca_record
from cockpit import rollups
from cockpit.facts import HOURLY, STEP_KINDS
from cockpit.kpis import BY_ID, KPIS, ROOM_USE_EN, ROOM_USE_ZH, Capacity, change, evaluate, met

LEVELS = ("hospital", "area", "dept", "room", "doctor")


@dataclass(frozen=True)
class Scope:
    level: str  # hospital | area | dept | room | doctor
    key: str = ""


def period(kind: str, day: date) -> tuple[date, date]:
    """The days of a period containing `day`: "day", "week" (Monday to Sunday) or "month"."""
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if kind == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day, day


def session_minutes(config: Any) -> float:
    total = 0.0
    for name in ("am", "pm"):
        start, end = config.schedule.session_span(name)
        total += (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return total


def rooms_in(config: Any, scope: Scope) -> list[str]:
    rooms = [(a.id, r) for a in config.areas for r in a.rooms]
    if scope.level == "hospital":
        return [r.id for _a, r in rooms]
    if scope.level == "area":
        return [r.id for a, r in rooms if a == scope.key]
    if scope.level == "dept":
        return [r.id for _a, r in rooms if scope.key in r.departments]
    if scope.level == "room":
        return [scope.key]
    if scope.level == "doctor":
        try:
            return [config.doctor(scope.key).room]
        except KeyError:
            return []
    return []


def children(config: Any, scope: Scope) -> list[tuple[Scope, str, str]]:
    """(scope, name_zh, name_en) of the next level down."""
    if scope.level == "hospital":
        return [(Scope("area", a.id), a.name, a.name_en or a.id) for a in config.areas]
    if scope.level == "area":
        return [(Scope("dept", d.id), d.name, d.name_en or d.id) for d in config.departments if d.area == scope.key]
    if scope.level == "dept":
        rooms = [(Scope("room", r.id), r.name, r.name_en or r.id) for a in config.areas for r in a.rooms
                 if scope.key in r.departments]
        doctors = [(Scope("doctor", d.id), d.name, d.name) for d in config.doctors if d.department == scope.key]
        return rooms + doctors
    return []


def scope_name(config: Any, scope: Scope) -> tuple[str, str]:
    try:
        if scope.level == "hospital":
            return config.hospital.name, config.hospital.name_en or config.hospital.name
        if scope.level == "area":
            a = config.area(scope.key)
            return a.name, a.name_en or a.id
        if scope.level == "dept":
            d = config.department(scope.key)
            return d.name, d.name_en or d.id
        if scope.level == "room":
            r = config.room(scope.key)
            return r.name, r.name_en or r.id
        if scope.level == "doctor":
            d = config.doctor(scope.key)
            return d.name, d.name
    except KeyError:
        pass
    return scope.key, scope.key


def _open_minutes(conn: Any, config: Any, rooms: list[str], first: str, last: str, by_day: bool = False) -> dict[str, float]:
    return open_minutes(conn, session_minutes(config), rooms, first, last, by_day)


def open_minutes(conn: Any, per: float, rooms: list[str] | None, first: str, last: str,
                 by_day: bool = False, by_room: bool = False) -> dict[str, float]:
    """Open room minutes: a room (of `rooms`; None: every room) is open for its sessions (`per` minutes a day) on
    each day it served at least one visit, less the minutes it was paused (停诊) within them."""
    wanted = set(rooms) if rooms is not None else None
    served: set[tuple[str, str]] = set()
    paused: dict[tuple[str, str], float] = {}
    for day, key, measure, n, total in conn.execute(
            "SELECT day, key, measure, n, total FROM rollup WHERE dim = 'room' AND day >= ? AND day <= ? "
            "AND measure IN ('service', 'paused')", (first, last)):
        if wanted is not None and key not in wanted:
            continue
        if measure == "service" and n > 0:
            served.add((day, key))
        elif measure == "paused":
            paused[(day, key)] = paused.get((day, key), 0.0) + total
    out: dict[str, float] = {}
    for day, key in served:
        slot = key if by_room else day if by_day else ""
        out[slot] = out.get(slot, 0.0) + max(0.0, per - paused.get((day, key), 0.0))
    return out


def kiosks_in(config: Any, scope: Scope) -> int:
    """How many kiosks a scope has: every kiosk for the hospital, the one for a kiosk's own scope."""
    if scope.level == "hospital":
        return sum(1 for d in config.devices if d.role == "kiosk")
    return 1 if scope.level == "kiosk" else 0


def _kiosk_minutes(conn: Any, config: Any, scope: Scope, first: str, last: str, by_day: bool = False) -> dict[str, float]:
    """Opening minutes of the scope's kiosks on the days the hospital was open (anyone registered)."""
    kiosks = kiosks_in(config, scope)
    if not kiosks:
        return {}
    return kiosk_minutes(conn, session_minutes(config) * kiosks, first, last, by_day)


def kiosk_minutes(conn: Any, per: float, first: str, last: str, by_day: bool = False) -> dict[str, float]:
    """`per` (the kiosks' minutes of one open day) for every day the hospital was open (anyone registered)."""
    out: dict[str, float] = {}
    for (day,) in conn.execute("SELECT day FROM rollup WHERE dim = 'hospital' AND day >= ? AND day <= ? AND key = '' "
                               "AND measure = 'registered' AND n > 0", (first, last)):
        slot = day if by_day else ""
        out[slot] = out.get(slot, 0.0) + per
    return out


def capacity(conn: Any, config: Any, scope: Scope, first: str, last: str) -> Capacity:
    return Capacity(_open_minutes(conn, config, rooms_in(config, scope), first, last).get("", 0.0),
                    _kiosk_minutes(conn, config, scope, first, last).get("", 0.0))


# registrations belong to a department (a visit is registered before any room or doctor is known)
PLACE_ONLY = ("registrations", "reg_kiosk", "reg_window", "reg_appointment", "reg_phone", "missed_rate",
              "recalled_rate", "no_show_rate")


def kpis_of(level: str, totals: rollups.Totals, capacity: Capacity) -> dict[str, float | None]:
    values = evaluate(totals, capacity)
    if level in ("room", "doctor"):
        values.update({k: None for k in PLACE_ONLY})
    return values


def scope_kpis(conn: Any, config: Any, scope: Scope, first: date, last: date) -> dict[str, float | None]:
    a, b = first.isoformat(), last.isoformat()
    totals = rollups.totals(conn, scope.level, a, b, keys=[scope.key]).get(scope.key, rollups.Totals())
    return kpis_of(scope.level, totals, capacity(conn, config, scope, a, b))


def earlier(kind: str, first: date, last: date, today: date | None = None) -> dict[str, tuple[date, date]]:
    """The periods a view is compared with: ``mom`` (环比, the period before) and ``yoy`` (同比, the same period a
    year before: 52 weeks back for a day or a week, so a Monday meets a Monday; the same month for a month).
    A period still under way (it holds `today`) meets the same number of days of the others."""
    if kind == "month":
        prev_first = (first - timedelta(days=1)).replace(day=1)
        ly_first = first.replace(year=first.year - 1)
        spans = {"mom": period("month", prev_first), "yoy": period("month", ly_first)}
    else:
        step = timedelta(days=7 if kind == "week" else 1)
        spans = {"mom": (first - step, last - step), "yoy": (first - timedelta(weeks=52), last - timedelta(weeks=52))}
    if today is not None and first <= today <= last:
        elapsed = today - first
        spans = {k: (a, min(b, a + elapsed)) for k, (a, b) in spans.items()}
    return spans


# figures that grow through a day (counts, sums, open time filled): today's are not set against whole days
GROWING = frozenset(k.id for k in KPIS if k.unit in ("count", "yuan")) | {"room_utilisation", "visits_per_room_hour"}


def hours(totals: rollups.Totals) -> dict[str, list[dict[str, Any]]]:
    """Each hourly measure (facts.HOURLY) by the hour of the day it began: how many and their mean, in minutes."""
    out: dict[str, list[dict[str, Any]]] = {}
    for measure in HOURLY:
        rows = []
        for h in range(24):
            n = totals.n.get(f"{measure}@{h:02d}", 0)
            if n:
                rows.append({"hour": h, "n": n, "mean": round(totals.total[f"{measure}@{h:02d}"] / n, 1)})
        out[measure] = rows
    return out


RANKED = ("wait_median", "wait_p90", "registrations", "served", "missed_rate", "room_utilisation")
RANKED_MEASURES = ("registered", "wait", "service", "missed")  # all the RANKED figures are made of


def ranking(conn: Any, config: Any, scope: Scope, a: str, b: str, targets: dict[str, float],
            per_room: dict[str, float] | None = None, known: dict[str, rollups.Totals] | None = None) -> list[dict[str, Any]]:
    """The clinic departments of a hospital or area scope, longest median wait first (ties: p90, then more
    registrations first), each with its figures and whether they meet the hospital's targets. `per_room`: open
    minutes by room, `known`: the departments' totals, when the caller read them already."""
    if scope.level not in ("hospital", "area"):
        return []
    depts = [d for d in config.departments if getattr(d, "service", "clinic") == "clinic"
             and (scope.level == "hospital" or d.area == scope.key)]
    found = known if known is not None else rollups.totals(conn, "dept", a, b, keys=[d.id for d in depts],
                                                           measures=RANKED_MEASURES)
    if per_room is None:
        per_room = open_minutes(conn, session_minutes(config), None, a, b, by_room=True)
    rows = []
    for d in depts:
        opened = sum(per_room.get(r, 0.0) for r in rooms_in(config, Scope("dept", d.id)))
        values = kpis_of("dept", found.get(d.id, rollups.Totals()), Capacity(opened))
        if not values["registrations"]:
            continue
        rows.append({"key": d.id, "name_zh": d.name, "name_en": d.name_en or d.id,
                     "kpis": {k: values[k] for k in RANKED},
                     "met": {k: met(k, values[k], targets.get(k)) for k in RANKED}})
    rows.sort(key=lambda r: (-(r["kpis"]["wait_median"] or -1), -(r["kpis"]["wait_p90"] or -1),
                             -(r["kpis"]["registrations"] or 0), r["key"]))
    for n, row in enumerate(rows, 1):
        row["rank"] = n
    return rows


STEP_FIGURES = {kind: (f"{kind}_steps", f"{kind}_wait_median", f"{kind}_wait_p90") for kind in STEP_KINDS}
STEP_EXTRA = {"pharmacy": ("dispense_median", "dispense_p90"), "lab": ("lab_tat_median", "lab_tat_p90")}


def steps(values: dict[str, float | None]) -> list[dict[str, Any]]:
    """The journey's figures of a scope: each step kind with its count, waits (and dispensing or lab turnaround)."""
    return [{"kind": kind, "kpis": {k: values[k] for k in STEP_FIGURES[kind] + STEP_EXTRA.get(kind, ())}}
            for kind in STEP_KINDS]


class EarlierKept:
    """The KPIs of periods that are over (环比 / 同比 of a view), kept `seconds` (their rollups hardly change: a visit
    of that day finishing after midnight, a rebuild), so the comparisons of a view read nothing most of the time."""

    def __init__(self, seconds: float = 300.0, most: int = 2000, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.most, self.clock = seconds, most, clock
        self._kept: dict[tuple, tuple[float, dict]] = {}

    def reader(self, conn: Any, config: Any, today: date) -> Callable[[Scope, date, date], dict]:
        def before(scope: Scope, first: date, last: date) -> dict:
            key = (scope.level, scope.key, first, last)
            now = self.clock()
            hit = self._kept.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
            values = scope_kpis(conn, config, scope, first, last)
            if last < today:  # over: kept; a period still under way is read each time
                if len(self._kept) >= self.most:
                    self._kept.clear()
                self._kept[key] = (now + self.seconds, values)
            return values

        return before


def view(conn: Any, config: Any, scope: Scope, first: date, last: date, kind: str = "day",
         today: date | None = None, before: Callable[[Scope, date, date], dict] | None = None) -> dict[str, Any]:
    """Everything one cockpit view shows: the scope's KPIs with their targets and their 环比 / 同比, its children's,
    the days' trend, waits by hour of day, the departments ranked and the journey's steps. `before(scope, first,
    last)`: the KPIs of an earlier period (default: read here; the service keeps past periods' for a while)."""
    a, b = first.isoformat(), last.isoformat()
    zh, en = scope_name(config, scope)
    kids = children(config, scope)
    kid_totals: dict[str, dict[str, rollups.Totals]] = {}
    for level in {s.level for s, _z, _e in kids}:
        kid_totals[level] = rollups.totals(conn, level, a, b, keys=[s.key for s, _z, _e in kids if s.level == level])
    per_day = rollups.totals(conn, scope.level, a, b, keys=[scope.key], by="day")  # read once: the days and the whole
    per_room = open_minutes(conn, session_minutes(config), None, a, b, by_room=True)  # one read for every room
    open_by_day = _open_minutes(conn, config, rooms_in(config, scope), a, b, by_day=True)
    kiosk_by_day = _kiosk_minutes(conn, config, scope, a, b, by_day=True)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    whole = rollups.merged(per_day.values())
    values = kpis_of(scope.level, whole, Capacity(sum(open_by_day.values()), sum(kiosk_by_day.values())))

    def kid_capacity(s: Scope) -> Capacity:  # rooms, departments and areas have no kiosks of their own
        return Capacity(sum(per_room.get(r, 0.0) for r in rooms_in(config, s)))

    targets = dict(config.cockpit.targets)
    compare = {}
    # a day under way holds part of a day: its counts (and the open time they fill) meet whole days only later
    partial = kind == "day" and today == first
    for name, (x, y) in earlier(kind, first, last, today).items():
        earlier_kpis = before(scope, x, y) if before is not None else scope_kpis(conn, config, scope, x, y)
        compare[name] = {"from": x.isoformat(), "to": y.isoformat(), "kpis": earlier_kpis,
                         "change": {k: None if partial and k in GROWING else change(k, values[k], earlier_kpis[k])
                                    for k in values}}
    return {
        "scope": {"level": scope.level, "key": scope.key, "name_zh": zh, "name_en": en},
        "from": a, "to": b,
        "kpis": values,
        "targets": targets,
        "met": {k: met(k, values[k], targets.get(k)) for k in targets if k in values},
        "compare": compare,
        "partial": partial,
        "hours": hours(whole),
        "ranking": ranking(conn, config, scope, a, b, targets, per_room, kid_totals.get("dept")),
        "steps": steps(values),
        "room_use": {"zh": ROOM_USE_ZH, "en": ROOM_USE_EN},
        "children": [
            {"level": s.level, "key": s.key, "name_zh": z, "name_en": e,
             "kpis": kpis_of(s.level, kid_totals[s.level].get(s.key, rollups.Totals()), kid_capacity(s))}
            for s, z, e in kids
        ],
        "series": [{"day": d.isoformat(),
                    "kpis": kpis_of(scope.level, per_day.get(d.isoformat(), rollups.Totals()),
                                    Capacity(open_by_day.get(d.isoformat(), 0.0), kiosk_by_day.get(d.isoformat(), 0.0)))}
                   for d in days],
        "definitions": [{"id": k.id, "zh": k.zh, "en": k.en, "unit": k.unit, "better": k.better} for k in KPIS],
    }


# ------------------------------------------------------------------------------------------------- PDCA
PDCA_KPIS = ("registrations", "served", "wait_median", "wait_p90", "service_median", "missed_rate", "no_show_rate",
             "appt_punctuality", "room_utilisation", "visits_per_room_hour", "wait_alerts")


def pdca(conn: Any, config: Any, month: str, dept: str | None) -> dict[str, Any]:
    """The monthly review of one department (or the hospital): each KPI with its target and whether it is met."""
    first = date.fromisoformat(month + "-01")
    first, last = period("month", first)
    scope = Scope("dept", dept) if dept else Scope("hospital")
    values = scope_kpis(conn, config, scope, first, last)
    targets = config.cockpit.targets
    rows = []
    # the usual figures, then every other target of the file (the plan) this scope has a figure for
    for kid in PDCA_KPIS + tuple(k for k in targets if k not in PDCA_KPIS and k in BY_ID
                                 and (scope.level == "hospital" or values.get(k) is not None)):
        k = BY_ID[kid]
        target = targets.get(kid)
        rows.append({"kpi": kid, "name_zh": k.zh, "name_en": k.en, "unit": k.unit, "value": values[kid],
                     "target": target, "met": met(kid, values[kid], target)})
    zh, en = scope_name(config, scope)
    return {"month": month, "scope": {"level": scope.level, "key": scope.key, "name_zh": zh, "name_en": en},
            "rows": rows, "record": pdca_record.load(conn, dept, month)}
