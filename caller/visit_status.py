"""What screens, kiosks and phone pages read of the queue: a visit's public status, an area's snapshot, a visit's
"why here" texts and its waiting-time estimate. A presenter: :mod:`caller.views` shapes the dicts, this module
gathers what they need.

Given the engine and the hospital file as getters (a rebuilt engine or a reloaded file is read at the next call),
the clock and the ticket links; told of every committed command and engine rebuild (:meth:`VisitStatus.changed`:
"why here" texts computed before are stale, an area's notices are kept for its snapshot). The callers hold the
service's lock.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Sequence

from caller import views
from caller.engine.engine import QueueEngine
from caller.engine.model import Visit
from caller.store import EventRow
from caller.ticket_links import TicketLinks
from cockpit.estimate import Estimate, estimate
from common.config import HospitalConfig

BROADCASTS_KEPT = 5


class VisitStatus:
    """The status and snapshot queries of the queue (CallerService answers them through this)."""

    def __init__(self, engine: Callable[[], QueueEngine], config: Callable[[], HospitalConfig],
                 clock: Callable[[], datetime], ticket_links: Callable[[], TicketLinks]):
        self.engine = engine
        self.config = config
        self.clock = clock
        self.ticket_links = ticket_links
        self.version = 0  # the engine's: it changes with every command and rebuild
        self._whys: dict[str, tuple[tuple[int, int], dict[str, tuple[str, str]]]] = {}  # area -> (version, texts)
        self.broadcasts: dict[str, list[dict]] = {}  # area -> today's latest notices, newest first

    def changed(self, events: Sequence[EventRow] = ()) -> None:
        """A command committed (with its ``events``) or the engine was rebuilt."""
        self.version += 1
        for ev in events:
            if ev.type == "broadcast":
                kept = self.broadcasts.setdefault(ev.area, [])
                kept.insert(0, {"seq": ev.seq, "ts": ev.ts, **ev.data})
                del kept[BROADCASTS_KEPT:]

    def area_snapshot(self, area_id: str, public: bool) -> dict:
        engine = self.engine()
        engine.see_day(self.clock())  # always of the service's day, also before the day's first command
        return views.area_snapshot(engine, self.config(), area_id, public, self.broadcasts.get(area_id, []))

    def status_of(self, visit: Visit, place: tuple[int, float] | None = None, why: bool = True,
                  rooms: int | None = None) -> dict:
        """:func:`caller.views.visit_status` of ``visit``. ``place``: its (ahead, minutes) when the caller already
        has it (``engine.positions`` of the area); ``why``: False leaves out the "why here" texts; ``rooms``: the
        rooms that may serve it, when the caller has them (``engine.serving_rooms`` of the area)."""
        ahead = place[0] if place is not None else self.engine().position(visit.id)[0]
        shown = self.estimate(visit.id, ahead if place is not None else None, rooms if place is not None else None)
        queued = visit.state.value in ("waiting", "room_waiting", "registered")
        return views.visit_status(self.config(), visit, ahead, shown, self.ticket_links().token(visit),
                                  self.why_here(visit) if why and queued else None)

    def why_here(self, visit: Visit) -> tuple[str, str]:
        """The visit's "why here" texts. Those of its whole area are computed in one pass and kept until the next
        command or engine rebuild: a kiosk or phone asking for status after status costs O(1)."""
        engine = self.engine()
        key = (id(engine), self.version)
        known = self._whys.get(visit.area_id)
        if known is None or known[0] != key:
            known = self._whys[visit.area_id] = (key, engine.whys(visit.area_id))
        found = known[1].get(visit.id)
        return found if found is not None else engine.why_here(visit.id)

    def estimate(self, visit_id: str, ahead: int | None = None, rooms: int | None = None) -> Estimate:
        """The waiting-time estimate of a queued visit, with its range (cockpit/estimate.py); ``ahead`` and the
        ``rooms`` that may serve it when known."""
        now = self.clock()
        opens = datetime.combine(now.date(), self.config().schedule.session_span("am")[0])
        return estimate(*self.engine().estimate_inputs(visit_id, ahead, rooms),
                        opens_in=(opens - now).total_seconds() / 60)
