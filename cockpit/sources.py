"""Facts that are not visits: payments, lab reports, ratings, help requests, wait alerts, device faults.

Each kind has one function turning its stored fields into a fact; the live hooks (in the command's transaction)
and `rollups.rebuild()` both use it, so a rebuilt rollup equals the incremental one.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, time, timedelta
from typing import Iterator

from cockpit.facts import Dims
from common.sqldialect import has_table

HOSPITAL: Dims = (("hospital", ""),)
Sessions = list[tuple[time, time]]  # the opening sessions of a day (schedule am and pm), start and end


def _minutes(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60.0)


def payment(paid_at: str, amount_fen: int, device: str | None) -> tuple[str, str, float, Dims]:
    dims = HOSPITAL + ((("kiosk", device),) if device else ())
    return paid_at[:10], "revenue", float(amount_fen), dims


def report_released(sampled_at: str, released_at: str, department_id: str | None) -> tuple[str, str, float | None, Dims]:
    dims = HOSPITAL + ((("dept", department_id),) if department_id else ())
    return released_at[:10], "report_release", _minutes(sampled_at, released_at), dims


def report_first_print(released_at: str, printed_at: str, device: str | None) -> tuple[str, str, float | None, Dims]:
    dims = HOSPITAL + ((("kiosk", device),) if device else ())
    return printed_at[:10], "report_print", _minutes(released_at, printed_at), dims


def rating(created_at: str, stars: int, device: str | None) -> tuple[str, str, float, Dims]:
    dims = HOSPITAL + ((("kiosk", device),) if device else ())
    return created_at[:10], "rating", float(stars), dims


def help_request(ts: str, device: str, areas: list[str]) -> tuple[str, str, None, Dims]:
    return ts[:10], "help", None, HOSPITAL + (("kiosk", device),) + tuple(("area", a) for a in areas)


def help_acknowledged(ts: str, device: str, areas: list[str], seconds: float) -> tuple[str, str, float, Dims]:
    return ts[:10], "help_ack", seconds / 60.0, HOSPITAL + (("kiosk", device),) + tuple(("area", a) for a in areas)


def wait_alert(ts: str, area: str, dept: str) -> tuple[str, str, None, Dims]:
    return ts[:10], "wait_alert", None, HOSPITAL + (("area", area), ("dept", dept))


def device_fault(ts: str, device: str) -> tuple[str, str, None, Dims]:
    return ts[:10], "fault", None, HOSPITAL + (("kiosk", device.split("/")[0]),)


def within_sessions(start: str, end: str, sessions: Sessions) -> dict[str, float]:
    """Minutes of [start, end) that fall within the opening sessions, per day (a span over midnight is split)."""
    a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    out: dict[str, float] = {}
    day = a.date()
    while day <= b.date():
        for opens, closes in sessions:
            lo, hi = max(a, datetime.combine(day, opens)), min(b, datetime.combine(day, closes))
            if hi > lo:
                out[day.isoformat()] = round(out.get(day.isoformat(), 0.0) + (hi - lo).total_seconds() / 60.0, 3)
        day += timedelta(days=1)
    return out


def room_paused(room: str, minutes_by_day: dict[str, float]) -> list[tuple[str, str, float, Dims]]:
    """A pause (停诊) of a room, in minutes within opening hours per day: taken off the room's open time."""
    return [(day, "paused", minutes, (("room", room),)) for day, minutes in minutes_by_day.items()]


def kiosk_down(device: str, minutes_by_day: dict[str, float]) -> list[tuple[str, str, float, Dims]]:
    """A kiosk at fault or offline, in minutes within opening hours per day (its uptime's loss)."""
    return [(day, "kiosk_down", minutes, HOSPITAL + (("kiosk", device),)) for day, minutes in minutes_by_day.items()]


def alert_answered(raised_at: str, answered_at: str, area: str, dept: str) -> tuple[str, str, float | None, Dims]:
    """The first staff action on a department after its wait alert was raised (counted on the alert's day)."""
    return raised_at[:10], "alert_response", _minutes(raised_at, answered_at), HOSPITAL + (("area", area), ("dept", dept))


def stored_facts(conn: sqlite3.Connection) -> Iterator[tuple[str, str, float | None, Dims]]:
    """Every non-visit fact, recomputed from the tables (for a rebuild)."""
    if has_table(conn, "rec_orders"):
        for paid_at, amount, device in conn.execute(
                "SELECT paid_at, amount_fen, device FROM rec_orders WHERE state IN ('paid', 'refunded') AND paid_at IS NOT NULL"):
            yield payment(paid_at, amount, device)
        for sampled, released, dept in conn.execute(
                "SELECT sampled_at, released_at, department_id FROM rec_reports WHERE released_at IS NOT NULL"):
            yield report_released(sampled, released, dept)
        for released, printed, device in conn.execute(
                "SELECT r.released_at, p.printed_at, p.device FROM rec_report_prints p JOIN rec_reports r ON r.id = p.report_id "
                "WHERE p.id = (SELECT MIN(id) FROM rec_report_prints WHERE report_id = r.id) AND r.released_at IS NOT NULL"):
            yield report_first_print(released, printed, device)
        for created, stars, device in conn.execute("SELECT created_at, stars, device FROM rec_ratings"):
            yield rating(created, stars, device)
    if has_table(conn, "help_calls"):  # kept for good (the audit rows of old calls move to the archive)
        for (data,) in conn.execute("SELECT data FROM help_calls"):
            call = json.loads(data)
            yield help_request(call["created_at"], call["device"], call.get("areas", []))
            if call.get("acked_at"):
                seconds = (datetime.fromisoformat(call["acked_at"]) - datetime.fromisoformat(call["created_at"])).total_seconds()
                yield help_acknowledged(call["acked_at"], call["device"], call.get("areas", []), seconds)
    for ts, area, data in conn.execute("SELECT ts, area, data FROM events WHERE type = 'alert'"):
        alert = json.loads(data)
        if alert.get("kind", "wait") == "wait" and alert.get("active", True) and alert.get("dept_id"):
            yield wait_alert(ts, area, alert["dept_id"])
    for ts, action, detail in conn.execute(
            "SELECT ts, action, detail FROM audit WHERE action IN ('resume_room', 'wait_alert_answered') ORDER BY id"):
        d = json.loads(detail or "{}")
        if action == "resume_room" and d.get("paused_minutes"):
            yield from room_paused(d["room_id"], d["paused_minutes"])
        elif action == "wait_alert_answered":
            yield alert_answered(d["raised_at"], ts, d["area"], d["dept_id"])
    if has_table(conn, "device_states"):  # the history of device health (kept for good: a row per change)
        for ts, device, state, detail in conn.execute("SELECT ts, device, state, detail FROM device_states ORDER BY id"):
            if state in ("fault", "offline"):
                yield device_fault(ts, device)
            else:
                yield from kiosk_down(device, json.loads(detail or "{}").get("down_minutes", {}))
