"""The nurses: a thread that calls, starts, finishes, marks missed and recalls, like the nurse stations would.

Each area's nurse works through the LAN API (the console's commands). A called patient walks into the room
half a simulated minute later and is seen for 2-5 simulated minutes. The patient scripted to miss their turn does
not answer two calls, is marked missed, comes back a few minutes later and is recalled.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS
from client.http import CallerClient, CallerError
from demo.clock import SimClock
from demo.ledger import CallRecord, Ledger

log = logging.getLogger(__name__)
# each area's nurse station: (device token of the hospital file, console user)
USERS = {"NK": (DEMO_TOKENS["console_nk"], "wanghs"), "WY": (DEMO_TOKENS["console_wy"], "lihs"),
         "FE": ("demo-console-fe-6b3f9e0a7c52", "lihs"), "JZ": (DEMO_TOKENS["console_jz"], "zhouhs")}


def _ts(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


class NurseDesk(threading.Thread):
    """Runs until ``stop`` is set. ``no_show`` names visit ids that will not answer their first calls."""

    def __init__(self, base_url: str, clock: SimClock, ledger: Ledger, *, seed: int = 7, tick: float = 0.15):
        super().__init__(name="nurse-desk", daemon=True)
        self.clock, self.ledger, self.tick = clock, ledger, tick
        self.rng = random.Random(seed)
        self.stop_event = threading.Event()
        self.no_show: set[str] = set()
        self.clients: dict[str, CallerClient] = {}
        for area, (device, user) in USERS.items():
            client = CallerClient(base_url, device)
            client.login(user, DEMO_PASSWORD)
            self.clients[area] = client
        self.walk_in: dict[str, datetime] = {}      # called visit -> when it reaches the room
        self.done_at: dict[str, datetime] = {}      # in service -> when the doctor finishes
        self.last_call: dict[str, datetime] = {}
        self.back_at: dict[str, datetime] = {}      # missed -> when the patient is back at the desk
        self.idle_rounds = 0
        self.load: dict[str, int] = {}              # area -> patients waiting (area queue + room queues)
        self.on_finish = None  # the doctor's orders at the end of a consultation: on_finish(client, visit item)

    def give_priority(self, area: str, visit_id: str, kind: str = "elderly") -> None:
        self.clients[area].priority(visit_id, kind)

    def run(self) -> None:
        while not self.stop_event.is_set():
            busy = False
            for area, client in self.clients.items():
                try:
                    busy |= self._round(area, client)
                except CallerError as exc:
                    self.ledger.problem(f"nurse command refused in {area}: {exc.code} {exc.message_en}")
                except Exception as exc:  # noqa: BLE001 - keep the desk working, report it
                    log.exception("nurse desk")
                    self.ledger.problem(f"nurse desk error in {area}: {exc!r}")
            self.idle_rounds = 0 if busy else self.idle_rounds + 1
            self.stop_event.wait(self.tick)

    def close(self) -> None:
        self.stop_event.set()
        self.join(10)
        for client in self.clients.values():
            client.close()

    # ------------------------------------------------------------------ one round of one area
    def _round(self, area: str, client: CallerClient) -> bool:
        now = self.clock()
        snap = client.area_queue(area)
        busy = bool(snap.get("waiting"))
        self.load[area] = len(snap.get("waiting") or []) + sum(len(r.get("queue") or []) for r in snap.get("rooms") or [])
        for visit_id, when in list(self.back_at.items()):
            if when <= now and self.ledger.queued.get(visit_id) == area:
                client.recall(visit_id)
                del self.back_at[visit_id]
                with self.ledger.lock:
                    self.ledger.recalled.add(visit_id)
                self.ledger.fault("missed", visit_id, True, "did not answer 2 calls, marked missed, came back "
                                  "and was recalled by the nurse")
        if area in ("NK",) and any(self.back_at.get(v) for v in self.back_at):
            busy = True
        for room in snap.get("rooms") or []:
            if room.get("paused"):
                continue
            busy |= bool(room.get("called") or room.get("in_service") or room.get("queue"))
            for item in room.get("in_service") or []:
                vid = item["visit_id"]
                due = self.done_at.setdefault(vid, now + timedelta(minutes=self.rng.uniform(2, 5)))
                if due <= now:
                    if self.on_finish is not None:
                        try:
                            self.on_finish(client, item)
                        except CallerError as exc:  # the orders refused: said, and the consultation still ends
                            self.ledger.problem(f"orders refused for {item['ticket']}: {exc.code} {exc.message_en}")
                    client.finish(vid)
                    with self.ledger.lock:
                        self.ledger.served.add(vid)
            for item in room.get("called") or []:
                self._called(area, client, item, now)
            if not room.get("called") and not room.get("in_service"):
                self._call_next(area, client, room["room_id"])
        return busy

    def _called(self, area: str, client: CallerClient, item: dict, now: datetime) -> None:
        vid = item["visit_id"]
        last = self.last_call.setdefault(vid, now)
        if vid in self.no_show:
            if now - last < timedelta(minutes=2):
                return
            if int(item.get("call_count") or 1) < 2:
                sent = time.monotonic()
                client.call_again(vid)
                self.last_call[vid] = now
                self.ledger.call(CallRecord(vid, item["ticket"], item.get("room_id") or "", area, sent, None, first=False))
            else:
                client.missed(vid)
                self.no_show.discard(vid)
                self.back_at[vid] = now + timedelta(minutes=4)
                with self.ledger.lock:
                    self.ledger.missed.add(vid)
            return
        due = self.walk_in.setdefault(vid, now + timedelta(minutes=0.5))
        if due <= now:
            client.start(vid)

    def _call_next(self, area: str, client: CallerClient, room_id: str) -> None:
        sent = time.monotonic()
        result = client.call_next(room_id)
        visit = (result or {}).get("visit")
        if not visit:
            return
        called = _ts(visit.get("called_at")) or self.clock()
        since = _ts(visit.get("checkin_at")) or _ts(visit.get("registered_at"))
        wait = (called - since).total_seconds() / 60.0 if since else None
        first = visit["visit_id"] not in {c.visit_id for c in self.ledger.calls}
        self.last_call[visit["visit_id"]] = self.clock()
        self.ledger.call(CallRecord(visit["visit_id"], visit["ticket"], room_id, area, sent, wait, first=first))
