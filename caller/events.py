"""Live event fan-out: per-area subscribers, replay after ``since``, snapshots, heartbeats.

Everything here runs on the server's asyncio loop. :meth:`EventHub.publish` may be called from
any thread; it hops onto the loop. Each event is serialised once per audience ("public" for
display/speaker tokens, "staff" for consoles/kiosks/admin) and the same text is queued to every
subscriber of the area. The messages are the models of common/wire.py (docs/events.md); what each
audience may see of an event is :func:`common.wire.project`.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from datetime import datetime
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from caller.store import EventRow, Store, dumps
from common.clock import with_zone
from common.clock import zone as clock_zone
from common.queue_delta import queue_delta
from common.wire import PUBLIC, STAFF, Heartbeat, project

log = logging.getLogger("caller.events")

HEARTBEAT_SECONDS = 2.0
REPLAY_LIMIT = 1000        # more missed (global seq distance) -> snapshot instead of replay
RING_SIZE = 5000           # recent events kept in memory for fast replay
SEND_TIMEOUT = 5.0          # a peer that takes longer than this to accept one message is dropped
QUEUE_MAX = 2000           # a subscriber this many messages behind is dropped (it reconnects with since)
QUEUE_SETTLE_S = 0.01      # a public queue snapshot waits this long: the calls of that moment reach the screens first

SnapshotFn = Callable[[str, str], dict]  # (area, audience) -> area snapshot




def _latest_queue_only(events: list[EventRow]) -> list[EventRow]:
    """The events without the ``queue`` events that a later one of the same area supersedes."""
    last = {ev.area: ev.seq for ev in events if ev.type == "queue"}
    if len(last) == sum(1 for ev in events if ev.type == "queue"):
        return events
    return [ev for ev in events if ev.type != "queue" or ev.seq == last[ev.area]]


def wire(seq: int, etype: str, area: str, ts: str, data: dict) -> dict:
    return {"seq": seq, "type": etype, "area": area, "ts": ts, "data": data}


class Subscriber:
    """One WebSocket connection: an area, an audience and its outgoing messages.

    A ``queue`` message that is still waiting at the tail when a newer one arrives is replaced by it:
    a queue message carries the whole area state, so a slow peer skips stale states instead of falling
    behind, and nothing is reordered (it was the last message).
    """

    def __init__(self, area: str, audience: str):
        self.area = area
        self.audience = audience
        self.role = ""
        self.direct: Callable[[bytes], bool] | None = None  # writes a ready frame to the socket (see below)
        self.closed = False
        self.last_seq = 0
        self.sending_since: float | None = None  # monotonic time the current send started (None: idle)
        self.task: asyncio.Task | None = None     # the task sending to this peer (cancelled when stuck)
        self._pending: deque[tuple[str, bool]] = deque()
        self._ready = asyncio.Event()

    def offer(self, text: str, replaceable: bool = False, frame: bytes | None = None) -> bool:
        """Queue a message (or write its frame at once in direct mode); False: the peer is too far behind."""
        if self.closed:
            return False
        if self.direct is not None:
            if self.direct(frame if frame is not None else text_frame(text)):
                return True
            self.close()
            return False
        if replaceable and self._pending and self._pending[-1][1]:
            self._pending[-1] = (text, True)
            return True
        if len(self._pending) >= QUEUE_MAX:
            self.close()
            return False
        self._pending.append((text, replaceable))
        self._ready.set()
        return True

    async def next(self) -> str | None:
        """The next message to send, or None once closed."""
        while not self._pending:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        if self.closed:
            return None
        return self._pending.popleft()[0]

    def has_pending(self) -> bool:
        return bool(self._pending)

    async def wait_closed(self) -> None:
        while not self.closed:
            self._ready.clear()
            await self._ready.wait()

    def close(self) -> None:
        self.closed = True
        self._ready.set()


def text_frame(text: str) -> bytes:
    """One unmasked, uncompressed WebSocket text frame (RFC 6455): the same bytes for every peer."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 65536:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload


class _Hold:
    """One audience's held events (:meth:`EventHub._publish_now`): what waits, and when it goes out (after
    ``delay``, or at the loop's next turn when something other than a ``queue`` event waits)."""

    def __init__(self, audience: str, delay: float):
        self.audience, self.delay = audience, delay
        self.events: list[EventRow] = []
        self._handle: asyncio.Handle | None = None
        self._at_once = False  # the handle is the next turn's (not a timer)

    def schedule(self, loop: asyncio.AbstractEventLoop, flush: Callable[["_Hold"], None]) -> None:
        # something other than a queue event waits: at the loop's next turn, not after `delay`
        at_once = self.delay <= 0 or any(ev.type != "queue" for ev in self.events)
        if self._handle is not None:
            if self._at_once or not at_once:
                return  # already due as soon as it should be
            self._handle.cancel()
        self._at_once = at_once
        self._handle = loop.call_soon(flush, self) if at_once else loop.call_later(self.delay, flush, self)

    def taken(self) -> list[EventRow]:
        """The held events, no longer held."""
        events, self.events = self.events, []
        self._handle, self._at_once = None, False
        return events

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None


class EventHub:
    """Holds subscribers per area and the recent-event ring."""

    def __init__(self, store: Store, snapshot: SnapshotFn, *, replay_limit: int = REPLAY_LIMIT,
                 ring_size: int = RING_SIZE, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 clock: Callable[[], datetime] | None = None, zone: ZoneInfo | None = None,
                 queue_settle_s: float = QUEUE_SETTLE_S):
        self.store = store
        self.clock = clock or store.clock  # naive hospital time, like every event's ts
        self.zone = zone or clock_zone()
        self.snapshot = snapshot
        self.replay_limit = replay_limit
        self.heartbeat_seconds = heartbeat_seconds
        self.ring: deque[EventRow] = deque(maxlen=ring_size)
        self.ring_floor = store.last_seq()  # the ring holds every event with seq > ring_floor
        self.seq = self.ring_floor
        self.subscribers: dict[str, set[Subscriber]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._heartbeat: asyncio.Task | None = None
        # per audience: its queue events, and what came after them in their areas (see _publish_now)
        self._holds = {PUBLIC: _Hold(PUBLIC, queue_settle_s), STAFF: _Hold(STAFF, 0.0)}
        self.on_fan_out: Callable[[float], None] | None = None  # seconds from publish to every frame queued
        self._published_at: dict[int, float] = {}
        # (event type, seconds) spent serialising one event and writing its frames to its area's subscribers
        self.on_frames: Callable[[str, float], None] | None = None
        # area -> (version, staff snapshot) the staff subscribers hold: queue events reach them as deltas
        self._staff_last: dict[str, tuple[int, dict]] = {}
        # Called on the loop with each batch of newly recorded events (the phone ticket feed listens here).
        self.listeners: list[Callable[[list[EventRow]], None]] = []
        self._inbox: list[EventRow] = []  # committed events not yet recorded here (publish -> drain)
        self._inbox_lock = threading.Lock()
        self._drain_scheduled = False

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._heartbeat = asyncio.create_task(self._heartbeat_loop())

    async def stop(self) -> None:
        if self._heartbeat:
            self._heartbeat.cancel()
        for hold in self._holds.values():
            hold.cancel()
        for subs in list(self.subscribers.values()):
            for sub in list(subs):
                sub.close()

    # -------------------------------------------------------------- publish
    def publish(self, events: list[EventRow], *, later: bool = False) -> None:
        """Fan out committed events (any thread). Recorded at once; sent from the loop in seq order.

        Callers publish under the store's lock, right after their commit, so the order of calls is the seq
        order. Events from any thread go through one inbox that the loop drains in that order (an event
        published on the loop never overtakes one committed earlier on another thread). ``later``: only put
        them in the inbox; the caller has the loop drain it (:meth:`drain`) once the commands' answers are
        on their way (the group-commit writer does this).
        """
        if not events:
            return
        if self.on_fan_out is not None:
            if len(self._published_at) > 10_000:  # each audience's send reads it (not taken out): kept bounded
                self._published_at.clear()
            now = time.perf_counter()
            for ev in events:
                self._published_at[ev.seq] = now
        with self._inbox_lock:
            self._inbox.extend(events)
        if not later:
            self.drain_soon()

    def drain_soon(self) -> None:
        """Have the loop drain the inbox (any thread; at once when called on the loop or while there is none)."""
        with self._inbox_lock:
            if not self._inbox:
                return
            on_loop = self.loop is None or threading.get_ident() == self._loop_thread
            if not on_loop:
                if self._drain_scheduled:
                    return
                self._drain_scheduled = True
        if on_loop:
            self.drain()
        else:
            self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        """Send what waits in the inbox, in seq order (on the loop, or anywhere while there is no loop)."""
        with self._inbox_lock:
            events, self._inbox = self._inbox, []
            self._drain_scheduled = False
        if events:
            self._publish_now(events)

    def _publish_now(self, events: list[EventRow]) -> None:
        """Record the events; send them, except a ``queue`` event, held: for the public screens ``queue_settle_s``,
        for staff peers until the loop's next turn.

        A ``queue`` message carries the area snapshot: building it and writing it to every screen of the area is
        the slow part of a call (8-10 KB to each of 200 walls). Held, it lets the HTTP answer and the ``call`` of
        that moment go out first and be read by the screens before the snapshots follow, and the queue changes
        meanwhile share one snapshot per area and audience (a held ``queue`` event superseded by a newer one of its
        area is dropped: it carries the whole state). A console's small delta only waits for the answers to go
        out. Each peer follows one area as one audience, and its wire order stays the seq order: anything else of
        an area whose ``queue`` event is held for that audience waits behind it, and is not kept waiting for the
        window (the held events then go out at the loop's next turn).
        """
        fresh = [ev for ev in events if ev.seq > self.seq]
        for ev in fresh:
            self.ring.append(ev)
            self.seq = ev.seq
        if len(self.ring) == self.ring.maxlen:
            self.ring_floor = self.ring[0].seq - 1
        for listener in self.listeners:
            try:
                listener(fresh)
            except Exception:
                log.exception("an event listener failed")
        for hold in self._holds.values():
            self._route(hold, fresh)

    def _route(self, hold: "_Hold", fresh: list[EventRow]) -> None:
        """Send ``fresh`` to ``hold``'s audience now, or hold it behind a held ``queue`` event of its area."""
        pending = _latest_queue_only(hold.events + fresh if hold.events else fresh)
        hold.events = []
        held_areas: set[str] = set()
        for ev in pending:
            if ev.area in held_areas or (ev.type == "queue" and self._has_audience(ev.area, hold.audience)):
                held_areas.add(ev.area)
                hold.events.append(ev)
            else:
                self._fan_out(ev, {}, hold.audience)
        if hold.events:
            if self.loop is None:  # no loop (a tool, a test): at once
                self._flush_held(hold)
            else:
                hold.schedule(self.loop, self._flush_held)

    def _has_audience(self, area: str, audience: str) -> bool:
        return any(sub.audience == audience for sub in self.subscribers.get(area, ()))

    def _flush_held(self, hold: "_Hold") -> None:
        """Send an audience's held events: one snapshot per area for them all.

        Of several ``queue`` events of one area only the last is sent (it carries the whole state, docs/events.md):
        peers see a seq gap there, as a slow peer does.
        """
        held = hold.taken()
        snapshots: dict[tuple[str, str], dict] = {}
        for ev in _latest_queue_only(held):
            self._fan_out(ev, snapshots, hold.audience)

    def _fan_out(self, ev: EventRow, snapshots: dict[tuple[str, str], dict], audience: str) -> None:
        """``ev`` to the area's subscribers of ``audience``."""
        published = self._published_at.get(ev.seq)
        subs = self.subscribers.get(ev.area)
        if not subs:
            return
        started = time.perf_counter()
        sent = 0
        try:
            sent = self._send_to(subs, ev, snapshots, audience)
        finally:
            if sent and self.on_frames is not None:
                self.on_frames(ev.type, time.perf_counter() - started)
            if sent and published is not None and self.on_fan_out is not None:
                self.on_fan_out(time.perf_counter() - published)

    def _send_to(self, subs: set[Subscriber], ev: EventRow, snapshots: dict[tuple[str, str], dict],
                 audience: str) -> int:
        """Offer ``ev`` to ``audience``'s peers among ``subs``; how many were offered it."""
        sent = 0
        text: str | None = None  # serialised once for the audience, framed once
        frame: bytes | None = None
        # a public queue message carries the whole state (a newer one replaces it); a staff delta builds on the one
        # before, so it is never dropped
        replaceable = ev.type == "queue" and audience == PUBLIC
        for sub in list(subs):
            if sub.audience != audience or sub.last_seq >= ev.seq:
                continue  # another audience's, or subscribed after this event: its replay already had it
            if text is None:
                text = dumps(self._message(ev, audience, snapshots))
            if sub.direct is not None and frame is None:
                frame = text_frame(text)
            sub.last_seq = ev.seq
            sent += 1
            if not sub.offer(text, replaceable=replaceable, frame=frame if sub.direct is not None else None):
                subs.discard(sub)
        return sent

    def _message(self, ev: EventRow, audience: str, snapshots: dict[tuple[str, str], dict],
                 full: bool = False) -> dict:
        data = project(ev.type, ev.data, audience)
        if ev.type == "queue":
            snap = snapshots.get((ev.area, audience))
            if snap is None:
                snap = snapshots[(ev.area, audience)] = self.snapshot(ev.area, audience)
            if audience != STAFF:
                data = {**data, "queue": snap}
            elif full or ev.area not in self._staff_last:
                data = {**data, "queue": snap, "version": self._staff_version(ev.area, snap)}
            else:
                base, old = self._staff_last[ev.area]
                self._staff_last[ev.area] = (base + 1, snap)
                data = {**data, "delta": queue_delta(old, snap), "base": base, "version": base + 1}
        return wire(ev.seq, ev.type, ev.area, ev.ts, data)

    def _staff_version(self, area: str, snap: dict) -> int:
        """The version of a whole staff snapshot sent now; a different state than the last one is a new version
        (staff peers holding the older one then see a gap in the next delta and ask for a snapshot)."""
        last = self._staff_last.get(area)
        if last is not None and last[1] == snap:
            return last[0]
        version = (last[0] if last else 0) + 1
        self._staff_last[area] = (version, snap)
        return version

    # ------------------------------------------------------------ subscribe
    def subscribe(self, area: str, audience: str, since: int | None, role: str = "") -> tuple[Subscriber, list[str]]:
        """Register a subscriber and return the messages to send first (replay or snapshot).

        Runs synchronously on the loop, so no event can slip between the replay and the live feed.
        """
        sub = Subscriber(area, audience)
        sub.role = role  # the device's role, for /metrics
        current = self.seq
        first: list[str] = []
        if since is None or since > current or current - since > self.replay_limit:
            ts = self.clock().isoformat(timespec="milliseconds")
            snap = self.snapshot(area, audience)
            if audience == STAFF:
                snap = {**snap, "version": self._staff_version(area, snap)}
            first.append(dumps(wire(current, "snapshot", area, ts, snap)))
        else:
            first.extend(self._replay(area, audience, since))
        sub.last_seq = current
        self.subscribers.setdefault(area, set()).add(sub)
        return sub, first

    def _replay(self, area: str, audience: str, since: int) -> list[str]:
        if since >= self.ring_floor:
            missed = [ev for ev in self.ring if ev.area == area and ev.seq > since]
        else:
            # up to what this hub has sent: events committed after that wait in the inbox and reach the new
            # peer live (the group-commit writer commits before the loop sends), so they are not replayed too
            missed = [ev for ev in self.store.events_since(area, since, limit=self.replay_limit + 1)
                      if ev.seq <= self.seq]
        last_queue = max((i for i, ev in enumerate(missed) if ev.type == "queue"), default=-1)
        out = []
        for i, ev in enumerate(missed):
            if ev.type == "queue" and i != last_queue:
                continue  # only the latest queue state matters; it carries the current snapshot
            out.append(dumps(self._message(ev, audience, {}, full=True)))
        return out

    def unsubscribe(self, sub: Subscriber) -> None:
        sub.close()
        subs = self.subscribers.get(sub.area)
        if subs is not None:
            subs.discard(sub)

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self.subscribers.values())

    # ------------------------------------------------------------ heartbeat
    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            self.heartbeat()

    def heartbeat(self) -> None:
        """Queue a heartbeat to everyone; drop peers stuck in one send for longer than SEND_TIMEOUT."""
        service_now = self.clock()
        text = Heartbeat(seq=self.seq, ts=service_now.isoformat(timespec="milliseconds"),
                         time=with_zone(service_now, self.zone).isoformat(timespec="milliseconds")).model_dump_json()
        frame = text_frame(text)
        now = time.monotonic()
        for subs in self.subscribers.values():
            for sub in list(subs):
                stuck = sub.sending_since is not None and now - sub.sending_since > SEND_TIMEOUT
                if stuck or not sub.offer(text, frame=frame):
                    subs.discard(sub)
                    sub.close()
                    if stuck and sub.task is not None:
                        sub.task.cancel()

    def all_subscribers(self) -> Iterable[Subscriber]:
        for subs in self.subscribers.values():
            yield from subs
