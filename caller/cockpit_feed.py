"""The cockpit feed: what every command adds to the cockpit's rollups, written in the command's own transaction.

A command's visits go into the rollups with what the stored row keeps beyond the engine's fields (how the visit was
registered and at which kiosk, the estimate the patient was shown); a room that opens again adds its paused
minutes; the first staff action on a department with an unanswered wait alert adds its time to response. The
feed keeps the visit and room rows as stored (the rollups take a row's previous facts from them).

Given what it needs by the service: the hospital file (``reconfigure``), the engine (a getter), the store (today's
totals), the clock, the service lock, ``estimate`` (the waiting-time estimate of a visit), the wait alerts
(caller/wait_alerts.py) and ``request_device`` (the device behind a request made through a plug-in, if any).
"""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, time, timedelta
from typing import Any, Callable

from caller import views
from caller.auth import Principal
from caller.engine.engine import QueueEngine
from caller.engine.model import Change
from caller.store import AuditRow, ChangeRows, Store
from caller.wait_alerts import WaitAlerts
from cockpit import rollups, sources
from cockpit.estimate import Estimate
from cockpit.facts import channel_of
from common.config import HospitalConfig

STORED_VISITS_MAX = 100_000  # visit rows kept in memory for the rollups before older days are let go


def opening_sessions(config: HospitalConfig) -> list[tuple[time, time]]:
    """The opening sessions of a day (schedule am and pm): the hours the cockpit counts open time in."""
    return [config.schedule.session_span(name) for name in ("am", "pm")]


class CockpitFeed:
    def __init__(self, config: HospitalConfig, engine: Callable[[], QueueEngine], store: Store,
                 clock: Callable[[], datetime], lock: threading.RLock, *, estimate: Callable[..., Estimate],
                 wait_alerts: WaitAlerts, request_device: Callable[[], str | None]):
        self.config = config
        self.engine = engine
        self.store = store
        self.clock = clock
        self.lock = lock
        self.estimate = estimate
        self.wait_alerts = wait_alerts
        self.request_device = request_device
        self._stored_visits: dict[str, dict] = {}
        self._stored_since = ""  # every stored visit of this day on is in _stored_visits
        self._stored_rooms: dict[str, dict] = {}

    def reconfigure(self, config: HospitalConfig) -> None:
        self.config = config

    def reset(self, visits: list[dict], rooms: list[dict], since: str = "") -> None:
        """The visit and room rows as stored, by id (the engine was rebuilt from them); ``since``: the first day
        whose every visit is among them."""
        self._stored_visits = {v["id"]: v for v in visits if "id" in v}
        self._stored_since = since
        self._stored_rooms = {r["room_id"]: r for r in rooms if "room_id" in r}

    def trim(self) -> None:
        """Past STORED_VISITS_MAX rows: keep today's and yesterday's visits only (the engine's days)."""
        if len(self._stored_visits) <= STORED_VISITS_MAX:
            return
        since = (self.clock().date() - timedelta(days=1)).isoformat()
        self._stored_visits = {vid: row for vid, row in self._stored_visits.items() if str(row.get("day", "")) >= since}
        self._stored_since = since

    # ------------------------------------------------------------------- inside a command's transaction
    def record(self, conn: sqlite3.Connection, rows: ChangeRows, command: str, who: Principal, change: Change,
               now: datetime, deltas: rollups.Deltas | None = None) -> list[str]:
        """What the command adds to the cockpit: its visits (and the clinic visit of a journey it ended or opened
        again: its journey_end, from the engine's visits); a room's paused minutes when it opens again (kept in
        the resume's audit row too, for a rebuild); and the first staff action on a department whose wait alert is
        unanswered (its time to response, with an audit row). Returns those departments. ``deltas``: the visits'
        rollup changes are gathered there (the group commit writes a batch's once) instead of written at once."""
        rollups.journey_ends(conn, rows.visits, self._journey_members, self._stored_visits)
        rollups.apply_visits(conn, rows.visits, self._visit_extras(command, who, change), self._stored_visits, deltas,
                             self._stored_since)
        ts = now.isoformat(timespec="milliseconds")
        if rows.rooms:
            resumed = rollups.apply_rooms(conn, rows.rooms, ts, opening_sessions(self.config), self._stored_rooms)
            for entry in rows.audit:
                if entry.action == "resume_room" and entry.detail.get("room_id") in resumed:
                    entry.detail["paused_minutes"] = resumed[entry.detail["room_id"]]
        answered = self.wait_alerts.answered_by(command, who, change)
        for dept, alert in answered.items():
            rollups.record(conn, *sources.alert_answered(alert["raised_at"], ts, alert["area"], dept))
            rows.audit.append(AuditRow(ts=ts, user=who.user or "", device=who.device, action="wait_alert_answered",
                                       detail={"dept_id": dept, "area": alert["area"], "raised_at": alert["raised_at"],
                                               "by": command}))
        return list(answered)

    def _journey_members(self, visit_id: str) -> list[dict]:
        """The journey of a visit as the engine holds it now (the clinic visit first): what ends it."""
        return [{"id": v.id, "state": v.state.value, "finished_at": v.finished_at.isoformat() if v.finished_at else None}
                for v in self.engine().journey(visit_id)]

    def _visit_extras(self, command: str, who: Principal, change: Change) -> dict[str, dict] | None:
        """What the stored visit keeps beyond the engine's fields: how it was registered, and the estimate the
        patient was shown when it entered the queue (the cockpit measures its accuracy)."""
        extras = self._registration_channel(command, who, change) or {}
        visit = change.result
        if command in ("register", "check_in") and visit is not None and visit.state.value in ("waiting", "room_waiting"):
            ahead, minutes = self.engine().position(visit.id)  # once: it walks the area's queue
            shown = self.estimate(visit.id, ahead)
            extras.setdefault(visit.id, {})["estimate"] = {
                "minutes": shown.minutes, "min": shown.low, "max": shown.high, "old": minutes}
        return extras or None

    def _registration_channel(self, command: str, who: Principal, change: Change) -> dict[str, dict] | None:
        """For a new visit: how it was registered (kiosk / window / appointment) and at which kiosk."""
        if command != "register" or change.result is None:
            return None
        device = who.device
        if device == "records":  # through the records API: the device that asked
            device = self.request_device() or device
        try:
            role = self.config.device(device).role
        except KeyError:
            role = who.role
        visit = change.result
        return {visit.id: {"channel": channel_of(visit.source, role),
                           "reg_device": device if role == "kiosk" else None}}

    # ------------------------------------------------------------------------------- figures
    def stats_summary(self) -> dict[str, Any]:
        """Today's figures per department. Under the lock only what is live: the queues and the alerts (today's
        open visits); the day's counts and medians come from the rollups the commands keep, read without it."""
        with self.lock:
            now = self.clock()
            waiting = self.engine().waiting_by_department()
            alerts = self.wait_alerts.current(now)
        day = now.date().isoformat()
        with self.store.read() as conn:
            today = rollups.totals(conn, "dept", day, day)
        return views.stats_summary(self.config, now, waiting, today, alerts)
