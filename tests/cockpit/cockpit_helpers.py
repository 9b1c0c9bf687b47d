"""A caller service driven command by command on a movable clock, and the cockpit figures of its rollups."""
from __future__ import annotations

from datetime import date, datetime

from caller.api.models import RegisterBody
from caller.auth import Principal
from caller.engine.model import RuleError
from caller.service import CallerService
from cockpit import report
from cockpit.report import Scope

KIOSK = Principal(role="kiosk", device="kiosk-lobby-1")
WINDOW = Principal(role="console", device="console-nk", area="NK", user="wanghs", user_role="nurse", user_areas=("NK",))


class Day:
    """Commands as a nurse and a kiosk would send them, at the times a test says."""

    def __init__(self, service: CallerService, clock) -> None:
        self.service, self.clock = service, clock
        self._keys = 0

    def at(self, hhmm: str, day: date | None = None) -> "Day":
        d = day or self.clock().date()
        self.clock.set(datetime.combine(d, datetime.strptime(hhmm, "%H:%M").time()))
        return self

    def register(self, dept: str = "NK", who: Principal = KIOSK, source: str = "onsite", **kw) -> str:
        self._keys += 1
        body = RegisterBody(department=dept, name="王小明", source=source, idempotency_key=f"key-{self._keys:06d}", **kw)
        return self.service.execute("register", who, idempotency_key=body.idempotency_key, body=body)["visit"]["visit_id"]

    def do(self, command: str, **args) -> dict:
        return self.service.execute(command, WINDOW, **args)

    def call(self, room: str) -> str | None:
        visit = self.do("call_next", room_id=room)["visit"]
        return visit["visit_id"] if visit else None

    def miss(self, visit_id: str) -> None:
        while True:
            try:
                self.do("missed", visit_id=visit_id)
                return
            except RuleError as exc:
                if exc.code != "not_called_enough":
                    raise
                self.do("call_again", visit_id=visit_id)


def kpis(service: CallerService, first: date, last: date | None = None, level: str = "hospital", key: str = "") -> dict:
    with service.store.read() as conn:
        return report.scope_kpis(conn, service.config, Scope(level, key), first, last or first)
