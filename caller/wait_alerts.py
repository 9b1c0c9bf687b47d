"""Wait alerts: a department whose longest current wait passes its area's threshold, until it falls back.

The engine decides who is over (``QueueEngine.wait_alerts``); this keeps which alerts are up, publishes one when a
department crosses (and when it is back under), and remembers the alerts no staff has acted on yet: the first staff
command on such a department is its time to response (the cockpit feed records it, caller/cockpit_feed.py).

Given what it needs by the service: the engine (a getter: it is rebuilt after a reload), the clock, the service lock,
``publish`` (an ``alert`` event, stored first) and the hospital file (``reconfigure`` on a reload).
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Callable, Iterable

from caller.auth import Principal
from caller.engine.engine import QueueEngine
from caller.engine.model import Change
from caller.store import EventRow
from common.config import HospitalConfig


class WaitAlerts:
    def __init__(self, config: HospitalConfig, engine: Callable[[], QueueEngine], clock: Callable[[], datetime],
                 lock: threading.RLock, *, publish: Callable[[str, str, dict], EventRow]):
        self.config = config
        self.engine = engine
        self.clock = clock
        self.lock = lock
        self.publish = publish
        self._up: dict[str, dict] = {}  # department -> active wait alert data
        self._unanswered: dict[str, dict] = {}  # department -> its alert no staff has acted on yet: raised_at, area

    def reconfigure(self, config: HospitalConfig) -> None:
        self.config = config

    def current(self, now: datetime | None = None) -> list[dict]:
        """Departments whose longest current wait is over their area's threshold."""
        with self.lock:
            return [e.data for e in self.engine().wait_alerts(now or self.clock())]

    def check(self) -> list[EventRow]:
        """Publish an ``alert`` when a department passes its threshold, and when it falls back."""
        published = []
        with self.lock:
            current = {a["dept_id"]: a for a in self.current()}
            for dept, alert in current.items():
                if dept not in self._up:
                    published.append(self.publish("alert", alert["area"], alert))
                    self._unanswered[dept] = {"raised_at": published[-1].ts, "area": alert["area"]}
            for dept, old in list(self._up.items()):
                if dept not in current:
                    ended = {**old, "active": False,
                             "message_zh": f"{old['dept']}候诊时间已恢复正常",
                             "message_en": f"Waiting time in {old['dept_id']} is back under the threshold"}
                    published.append(self.publish("alert", old["area"], ended))
                    self._unanswered.pop(dept, None)  # over before anyone acted: no time to response
            self._up = current
        return published

    # -------------------------------------------------------- answered (under the lock, inside a command)
    def answered_by(self, command: str, who: Principal, change: Change) -> dict[str, dict]:
        """Departments with an unanswered wait alert that this staff command acts on (their alert: raised_at,
        area): it calls, starts, moves or transfers (in or out) one of their visits, changes one of their rooms, or
        makes an announcement in their area. Registering and checking in patients is no answer."""
        if not self._unanswered or not who.user or command in ("register", "check_in"):
            return {}
        depts = {v.dept_id for v in change.visits}
        depts.update(a.detail["from_dept"] for a in change.audit if a.action == "transfer" and a.detail.get("from_dept"))
        for room in change.rooms:
            try:
                depts.update(self.config.room(room.room_id).departments)
            except KeyError:
                pass
        areas = {e.area_id for e in change.events if e.type == "broadcast"}
        return {d: alert for d, alert in self._unanswered.items() if d in depts or alert["area"] in areas}

    def forget(self, departments: Iterable[str]) -> None:
        """Their alerts were answered (the command that answered them committed)."""
        for dept in departments:
            self._unanswered.pop(dept, None)
