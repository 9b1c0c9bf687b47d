"""The live feed of the phone ticket pages (``/t/<token>/events``, Server-Sent Events).

Each open page follows one visit. What a page shows is one small public status (:func:`phone_status`, the
model ``common.wire.PhoneStatus``: ticket, masked name, department, room and where it is, visits ahead,
estimate, state). The feed listens to
the event hub: after each batch of committed events it recomputes the status of every followed visit of the
areas those events touched, once per visit however many pages follow it (a family may open the same link),
and sends it only when it changed. A status carries the whole state, so a page that reconnects (with
``Last-Event-ID``) simply gets the current one; messages are numbered with the event seq that produced them.

The visits an event names (the patient just called) are sent first, in the loop turn right after the command, each
computed on its own (a called visit needs none of the area's tables); the other pages of the touched areas ("ahead"
went down by one) follow, nearest the head first, in chunks of at most :data:`CHUNK` visits and
:data:`CHUNK_SECONDS`, one chunk per loop turn, so thousands of open pages never hold up the next call or the called
patient's own page.

Those pages read an area's tables (every waiting visit's place, "why here" texts and serving rooms), computed in one
pass per area. With thousands waiting that pass costs a noticeable time (a fifth of a second for 5,000), so while
calls keep coming it takes at most :data:`TABLES_SHARE` of the loop's time (:data:`LONG_TABLES_SHARE` when one pass
holds the loop for longer than :data:`LONG_TABLES_S`: a call arriving meanwhile waits for it); a page meanwhile gets the
status as of the tables' seq (its message carries that seq), and is computed again once newer tables exist. A page
is never sent an older status than one it had, and the last status of every page is the current one.

Everything here runs on the server's event loop, like the hub.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Protocol

from caller.engine.model import UnknownThing
from caller.journey_view import journey_status
from caller.store import EventRow, dumps

if TYPE_CHECKING:
    from caller.engine.engine import QueueEngine
    from caller.engine.model import Visit
    from caller.service import CallerService
    from common.config import HospitalConfig


class StatusOf(Protocol):
    """The public status of a visit (``CallerService.status_of``)."""

    def __call__(self, visit: "Visit", place: tuple[int, float] | None = None, why: bool = True,
                 rooms: int | None = None) -> dict: ...

log = logging.getLogger("caller.ticket_feed")

HEARTBEAT_SECONDS = 15.0   # a "ping" to every page: proxies keep the connection, pages notice a dead one
HEARTBEAT_SLICE = 50       # followed visits pinged per loop turn
RETRY_MS = 3000            # what browsers wait before reconnecting (the SSE ``retry`` field)
PAGE_BACKLOG = 64          # a page this many messages behind is closed (the browser reconnects)
FEED_EVENTS = frozenset({"queue", "call", "room", "ready"})  # ready: medicine or a lab report (journey steps)
CHUNK = 25                 # pages' statuses recomputed per loop turn after the named visits went out, at most
CHUNK_SECONDS = 0.001      # ... and for about this long (the command writer thread waits for the GIL meanwhile)
WRITER_PAUSE_S = 0.001     # the chunks wait this long while the command writer has work,
WRITER_PAUSE_MAX_S = 0.05  # ... but never longer than this in a row (commands without a pause starve no page)
QUIET_S = 0.25             # no events for this long: lagging tables are recomputed without waiting for the next ones
TABLES_SHARE = 0.2         # an area's tables take at most this share of the loop's time while events keep coming
LONG_TABLES_S = 0.02       # tables taking longer than this hold the loop (and a call) noticeably each time: they
LONG_TABLES_SHARE = 0.01   # ... take at most this share (a 5,000-visit area, 0.2 s: every 20 s while calls flood)
QUEUED = frozenset({"waiting", "room_waiting", "registered"})  # states whose page shows a place (and reads tables)

# Keys of views.visit_status that a phone page may show (display-safe: the name is already masked).
_STATUS_KEYS = ("ticket", "name", "state", "ahead", "position", "estimate_minutes", "estimate_min",
                "estimate_max", "call_count", "dept_name", "room_name", "doctor_name", "why_zh", "why_en", "late",
                "recalled", "number_kind")



def phone_status(visit: "Visit", *, status_of: StatusOf, engine: "QueueEngine", config: "HospitalConfig",
                 now: datetime, code_of: Callable[["Visit"], str], place: tuple[int, float] | None = None,
                 why: tuple[str, str] | None = None, rooms: int | None = None) -> dict[str, Any]:
    """What the phone page of ``visit`` shows; the same projection as the wall screen, plus places.

    Given what it reads: ``status_of`` (the service's public status of a visit, under its lock), the engine, the
    hospital file, the time and ``code_of`` (a visit id's ticket link). ``place``: the visit's (ahead, minutes)
    when already known (a batch of pages of one area); ``why``: its "why here" texts, ``rooms`` the rooms that may
    serve it, when already known."""
    status = status_of(visit, place, why=why is None, rooms=rooms)
    if why is not None and status.get("position"):
        status["why_zh"], status["why_en"] = why
    out = {key: status[key] for key in _STATUS_KEYS if key in status}
    cfg = config
    dept = next((d for d in cfg.departments if d.id == visit.dept_id), None)
    area = cfg.area(visit.area_id)
    room = next((r for r in area.rooms if r.id == visit.room_id), None) if visit.room_id else None
    where = room if room and room.location else dept if dept and dept.location else area
    members = engine.journey(visit.id)
    out.update({
        "dept_name_en": dept.name_en if dept else "",
        "room_name_en": room.name_en if room else "",
        "room_location": room.location if room else "",
        "room_location_en": room.location_en if room else "",
        "area_name": area.name, "area_name_en": area.name_en,
        "location": where.location, "location_en": where.location_en,
        "room_paused": bool(room and engine.room_state(room.id).paused),
        "on_way_at": visit.on_way_at.strftime("%H:%M") if visit.on_way_at else None,
        "may_leave": visit.state.value in ("registered", "waiting", "room_waiting"),
        "hospital": cfg.hospital.name, "hospital_en": cfg.hospital.name_en,
        "day": visit.day.isoformat(),
        # the steps after the consulting room (一票到底, docs/journey.md), once the doctor ordered any
        "journey": journey_status(engine, cfg, visit.id, now, code_of=code_of)
        if len(members) > 1 else None,
    })
    return out


def service_phone_status(service: "CallerService", visit: "Visit", place: tuple[int, float] | None = None,
                         why: tuple[str, str] | None = None, rooms: int | None = None) -> dict[str, Any]:
    """:func:`phone_status` of ``visit`` with what the running service holds (call under its lock)."""
    return phone_status(visit, status_of=service.status_of, engine=service.engine, config=service.config,
                        now=service.clock(), code_of=service.ticket_links.token, place=place, why=why, rooms=rooms)


def journey_areas(service: "CallerService", visit_id: str) -> set[str]:
    """The areas of every step of a visit's journey (a plain visit: its own area)."""
    try:
        return {v.area_id for v in service.engine.journey(visit_id)}
    except UnknownThing:  # a visit of an older day, unloaded
        return set()


def sse(event: str, data: dict | None = None, seq: int | None = None) -> bytes:
    """One Server-Sent Events message."""
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {event}\ndata: {dumps(data or {})}\n\n".encode()


class _Tables(NamedTuple):
    """An area's tables as of event ``seq``: every waiting visit's (ahead, minutes), "why here" texts and rooms that
    may serve it; ``ready``: the monotonic time from which newer ones may be computed (see TABLES_SHARE)."""

    seq: int
    positions: dict[str, tuple[int, float]]
    whys: dict[str, tuple[str, str]]
    rooms: dict[str, int]
    ready: float


class TicketPage:
    """One open page (one SSE connection) following one visit."""

    def __init__(self, visit_id: str):
        self.visit_id = visit_id
        self.closed = False
        self._pending: deque[bytes] = deque()
        self._ready = asyncio.Event()

    def offer(self, message: bytes) -> bool:
        if self.closed:
            return False
        if len(self._pending) >= PAGE_BACKLOG:
            self.close()
            return False
        self._pending.append(message)
        self._ready.set()
        return True

    async def next(self) -> bytes | None:
        """The next message to send, or None once closed (after what was queued before closing)."""
        while not self._pending:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._pending.popleft()

    def close(self) -> None:
        self.closed = True
        self._ready.set()


class TicketFeed:
    """Open ticket pages by visit, fed from the event hub."""

    def __init__(self, service: "CallerService", heartbeat_seconds: float = HEARTBEAT_SECONDS):
        self.service = service
        self.heartbeat_seconds = heartbeat_seconds
        self.pages: dict[str, set[TicketPage]] = {}
        self._last: dict[str, bytes] = {}       # visit id -> the status JSON last sent to its pages
        self._seen: dict[str, int] = {}         # visit id -> the event seq its pages' status was last computed at
        self._dirty_areas: set[str] = set()
        self._touched: set[str] = set()
        self._flush_scheduled = False
        self._later: dict[str, None] = {}      # visit ids still to recompute after a flush (ordered, unique)
        self._parked: dict[str, dict[str, None]] = {}  # area -> visits waiting for its next tables (see drain)
        self._drain_scheduled = False
        self._queuing = 0  # passes queuing an area's pages still to run (see flush)
        self._paused_since: float | None = None  # the chunks wait for the command writer since (see drain)
        self._after_news = False  # no chunk ran since the last events' pages were queued (see _may_recompute)
        self._news_at = 0.0       # when they were
        self._wake: asyncio.TimerHandle | None = None  # a drain once parked visits' tables may be recomputed
        self._tables: dict[str, _Tables] = {}  # area -> its latest tables
        self._task: asyncio.Task | None = None
        service.hub.listeners.append(self.on_events)

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        self._task = asyncio.create_task(self._heartbeat_loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        if self._wake is not None:
            self._wake.cancel()
        for pages in list(self.pages.values()):
            for page in list(pages):
                page.close()

    def page_count(self) -> int:
        return sum(len(p) for p in self.pages.values())

    def backlog(self) -> int:
        """Followed visits whose new status is still to be computed (sent over the next loop turns; a pass still to
        queue an area's pages counts as one)."""
        return len(self._later) + sum(len(parked) for parked in self._parked.values()) + self._queuing

    # ----------------------------------------------------------------- pages
    def open(self, visit_id: str) -> tuple[TicketPage, bytes]:
        """Follow a visit: the page and its first message (the current status)."""
        page = TicketPage(visit_id)
        first = self._status_message(visit_id)
        self.pages.setdefault(visit_id, set()).add(page)
        return page, first

    def close(self, page: TicketPage) -> None:
        page.close()
        pages = self.pages.get(page.visit_id)
        if pages is not None:
            pages.discard(page)
            if not pages:
                del self.pages[page.visit_id]
                self._last.pop(page.visit_id, None)
                self._seen.pop(page.visit_id, None)

    def _status_message(self, visit_id: str) -> bytes:
        service = self.service
        with service.lock:
            visit = service.engine.visit(visit_id)
            seq, status = self._status(visit, current=service.hub.loop is None)
            if seq != service.hub.seq:  # as of the area's latest tables: again once newer ones may be had
                self._parked.setdefault(visit.area_id, {})[visit_id] = None
                self._schedule_drain()
        text = dumps(status)
        if not self.pages.get(visit_id):  # the first page of this visit: what it was sent is what its pages hold
            self._last[visit_id], self._seen[visit_id] = text.encode(), seq
        return f"id: {seq}\nevent: status\ndata: {text}\n\n".encode()

    # ------------------------------------------------------------ hub events
    def on_events(self, events: list[EventRow]) -> None:
        """Hub listener (on the loop): note what changed; recompute once this loop turn is done."""
        if not self.pages:
            return  # nobody follows a visit: nothing to remember
        for ev in events:
            if ev.type not in FEED_EVENTS:
                continue
            self._dirty_areas.add(ev.area)
            for key in ("visit_id", "journey_id"):  # a step's page is its journey's (the clinic visit's)
                if ev.data.get(key):
                    self._touched.add(ev.data[key])
        if (self._dirty_areas or self._touched) and not self._flush_scheduled and self.pages:
            self._flush_scheduled = True
            self._soon(self.flush)

    def _soon(self, work: Callable[..., None], *args: Any) -> None:
        """In the next turn of the hub's loop; at once where there is no loop (tests, tools)."""
        loop = self.service.hub.loop
        if loop is None:
            work(*args)
        else:
            loop.call_soon(work, *args)

    def flush(self) -> None:
        """Send the visits the events named at once; queue the other followed visits of the touched areas."""
        self._flush_scheduled = False
        areas, touched = self._dirty_areas, self._touched
        self._dirty_areas, self._touched = set(), set()
        if not self.pages:
            return
        service = self.service
        with service.lock:
            touched |= {v.journey_id for v in map(self._visit_or_none, touched) if v is not None and v.journey_id}
            self._send([v for v in touched if v in self.pages], current=True)
        self._queuing += 1  # after the named visits' pages wrote their news (their tasks were woken first)
        self._soon(self._queue_pages, areas, touched)

    def _queue_pages(self, areas: set[str], touched: set[str]) -> None:
        """Queue the followed visits of these areas (but the ``touched`` ones, sent already), nearest the head first."""
        self._queuing -= 1
        self._after_news = True  # lagging tables are best recomputed now: the next command is furthest away
        self._news_at = time.monotonic()
        service = self.service
        with service.lock:
            later = []
            for visit_id in self.pages:
                if visit_id in touched:
                    continue
                visit = self._visit_or_none(visit_id)
                if visit is None:  # a visit of an older day, unloaded
                    continue
                area = visit.area_id
                if area in areas or journey_areas(service, visit_id) & areas:
                    known = self._tables.get(area)
                    if known is None:
                        known = self._area_tables(area, current=True)  # (for the order only: any tables do)
                    later.append((known.positions.get(visit_id, (0, 0.0))[0], visit_id))
            for _, visit_id in sorted(later):  # the patients nearest their turn first
                self._later[visit_id] = None
        if self._later:
            self._schedule_drain()

    def _schedule_drain(self) -> None:
        if self._drain_scheduled:
            return
        self._drain_scheduled = True
        self._soon(self.drain)

    def drain(self) -> None:
        """Recompute the next queued visits (:data:`CHUNK`, :data:`CHUNK_SECONDS`); again in the next loop turn
        while some are left. Visits whose area's tables are older than the last event and cannot be recomputed yet
        wait (parked) for the next tables, unless they never had a status as recent as these tables."""
        self._drain_scheduled = False
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        loop = self.service.hub.loop
        now = time.monotonic()
        if loop is not None and self.service.commands.writer.busy():  # a command first: it needs the GIL this would hold
            self._paused_since = self._paused_since or now
            if now - self._paused_since < WRITER_PAUSE_MAX_S:
                self._wake = loop.call_later(WRITER_PAUSE_S, self._schedule_drain)
                return
        self._paused_since = None
        for area in [a for a, parked in self._parked.items() if not parked or self._newer_tables(a, now)]:
            for visit_id in self._parked.pop(area):
                self._later[visit_id] = None
        while self._later:
            started = time.perf_counter()
            chunk = list(islice(self._later, CHUNK))
            with self.service.lock:
                for visit_id in chunk:
                    del self._later[visit_id]
                    if visit_id in self.pages:
                        self._send([visit_id], current=loop is None)
                    if time.perf_counter() - started > CHUNK_SECONDS:
                        break
            self._after_news = False
            if loop is not None:
                break
        if self._later:
            self._schedule_drain()
        elif self._parked and loop is not None:
            ready = min((self._tables[a].ready for a in self._parked if a in self._tables), default=now)
            wait = max(ready, self._news_at + QUIET_S) - now
            self._wake = loop.call_later(max(wait, 0.0), self._schedule_drain)

    def _newer_tables(self, area_id: str, now: float) -> bool:
        """Whether the area's visits would now be computed with current tables (they are, or may be recomputed)."""
        known = self._tables.get(area_id)
        return known is None or known.seq == self.service.hub.seq or self._may_recompute(known, now)

    def _may_recompute(self, known: _Tables, now: float) -> bool:
        """Lagging tables are recomputed once their time came (TABLES_SHARE), right after the pages of new events
        were queued (the command that caused them answered, the next one furthest away), or when none came for
        :data:`QUIET_S`: while calls flood, a long pass holds up as few calls as it can."""
        return now >= known.ready and (self._after_news or now - self._news_at >= QUIET_S)

    def _area_tables(self, area_id: str, current: bool) -> _Tables:
        """The area's tables: as of the last event when ``current`` or when they may be recomputed (TABLES_SHARE),
        else the latest ones (under the service lock)."""
        service = self.service
        seq, known = service.hub.seq, self._tables.get(area_id)
        if known is not None and (known.seq == seq or not current and not self._may_recompute(known, time.monotonic())):
            return known
        started = time.monotonic()
        engine = service.engine
        positions, whys, rooms = engine.positions(area_id), engine.whys(area_id), engine.serving_rooms(area_id)
        done = time.monotonic()
        cost = done - started
        share = TABLES_SHARE if cost < LONG_TABLES_S else LONG_TABLES_SHARE
        known = self._tables[area_id] = _Tables(seq, positions, whys, rooms, done + cost * (1 / share - 1))
        return known

    def _status(self, visit: "Visit", current: bool) -> tuple[int, dict[str, Any]]:
        """(the event seq it is as of, the page's status) of a visit (under the service lock). A visit that shows
        no place (called, in the room, done) needs none of its area's tables."""
        service = self.service
        if visit.state.value not in QUEUED:
            return service.hub.seq, service_phone_status(service, visit)
        tables = self._area_tables(visit.area_id, current)
        if visit.id not in tables.positions and tables.seq != service.hub.seq:  # newer than those tables: on its own
            engine = service.engine
            return service.hub.seq, service_phone_status(service, visit, engine.position(visit.id),
                                                         engine.why_here(visit.id))
        place = tables.positions.get(visit.id)  # None (not in line): position() answers
        why = tables.whys.get(visit.id) if place is not None else None
        rooms = tables.rooms.get(visit.id) if place is not None else None
        return tables.seq, service_phone_status(service, visit, place, why, rooms)

    def _visit_or_none(self, visit_id: str) -> "Visit | None":
        try:
            return self.service.engine.visit(visit_id)
        except UnknownThing:
            return None

    def _send(self, visit_ids: list[str], current: bool) -> None:
        """The status of these visits to their pages, when it changed (under the service lock). ``current``: as of the
        last event; else possibly as of the area's latest tables, and then the visit waits for the next ones."""
        service = self.service
        for visit_id in visit_ids:
            pages = self.pages.get(visit_id)
            if not pages:
                continue
            try:
                visit = service.engine.visit(visit_id)
            except UnknownThing:  # a visit of an older day, unloaded
                continue
            if not current and visit.state.value in QUEUED:
                tables = self._area_tables(visit.area_id, False)
                if tables.seq != service.hub.seq:  # older tables: computed again once newer ones may be had
                    self._parked.setdefault(visit.area_id, {})[visit_id] = None
                    if self._seen.get(visit_id, -1) >= tables.seq:
                        continue  # its pages already hold a status as recent
            seq, status = self._status(visit, current)
            self._seen[visit_id] = max(seq, self._seen.get(visit_id, seq))
            text = dumps(status).encode()
            if text == self._last.get(visit_id):
                continue
            self._last[visit_id] = text
            message = b"id: %d\nevent: status\ndata: %s\n\n" % (seq, text)
            for page in list(pages):
                if not page.offer(message):
                    self.close(page)

    # ------------------------------------------------------------- heartbeat
    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                self.heartbeat()
            except Exception:
                log.exception("ticket page heartbeat failed")

    def heartbeat(self) -> None:
        """A ``ping`` to every page; pages of a visit whose day is over get ``expired`` and are closed. The followed
        visits in slices of :data:`HEARTBEAT_SLICE`, one per loop turn: thousands of pages woken at once would hold
        up the next call for half a second."""
        service = self.service
        ping = sse("ping", {"seq": service.hub.seq, "ts": service.clock().isoformat(timespec="seconds")})
        self._beat(list(self.pages), service.today(), ping)

    def _beat(self, visit_ids: list[str], today: date, ping: bytes) -> None:
        service = self.service
        for visit_id in visit_ids[:HEARTBEAT_SLICE]:
            pages = self.pages.get(visit_id)
            if not pages:
                continue
            try:
                expired = service.engine.visit(visit_id).day != today
            except UnknownThing:  # no longer loaded: its day is over
                expired = True
            for page in list(pages):
                if expired:
                    page.offer(sse("expired", {}))
                    self.close(page)
                elif not page.offer(ping):
                    self.close(page)
        rest = visit_ids[HEARTBEAT_SLICE:]
        if rest:
            self._soon(self._beat, rest, today, ping)
