"""journey_day: a day of whole journeys (clinic -> pharmacy, lab, imaging) through the real engine and store.

20,000 visits (JOURNEY_DAY_VISITS to change it), each seen in a clinic room, then a prescription, a lab draw and for
one in three an exam: at least 60,000 steps, every command durable in SQLite through ``CallerService.execute``.
A wall of the pharmacy follows the service over WebSocket: ``ready_to_wall_p99_ms`` is "the pharmacist marks
ready -> the wall has the ``ready`` event" for one ready in 20. After every call the benchmark checks the rules:
``double_called`` (a patient called or in service at two points) and ``order_violations`` (a call passed over
a free patient ahead in the room's queue). Bounded: it stops adding visits after JOURNEY_DAY_MAX_S seconds
(default 1200) and says so (``complete``: false).
"""
from __future__ import annotations

import os
import queue
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from caller.engine import ordering
from caller.engine.model import VisitState
from caller.testing import run_service
from client.http import EventSubscriber
from common.clock import ManualClock
from common.config import DEMO_CONFIG, load_hospital
from common.demo_accounts import DEMO_TOKENS

S = VisitState
CLINIC = [("NK", ["NK1", "NK2", "NK3", "NK4"]), ("WK", ["WK1", "WK2"]), ("YK", ["YK1", "YK2"])]
BATCH = 40  # patients registered together, then served: queues of a realistic length


def _p(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def journey_day() -> dict:
    visits_wanted = int(os.environ.get("JOURNEY_DAY_VISITS", "20000"))
    budget = float(os.environ.get("JOURNEY_DAY_MAX_S", "1200"))
    hospital = load_hospital(DEMO_CONFIG)
    clock = ManualClock(datetime(2026, 12, 7, 7, 30))
    from caller.api.models import RegisterBody
    from caller.auth import Principal

    who = Principal(role="admin", device="bench")
    stats = {"double_called": 0, "order_violations": 0, "visits": 0, "steps": 0, "commands": 0}
    ready_ms: list[float] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, run_service(hospital, Path(tmp) / "day.db", clock=clock,
                                                             records=False) as url:
        service = url.service
        engine = lambda: service.engine  # noqa: E731 - rebuilt after a failed write
        events: queue.Queue[dict] = queue.Queue()
        wall = EventSubscriber(url, DEMO_TOKENS["wall_yf"], "YF", events.put).start()

        def run(command: str, **args) -> dict | None:
            stats["commands"] += 1
            try:
                return service.execute(command, who, **args)
            except Exception as exc:  # noqa: BLE001 - a refusal is counted, the day goes on
                if getattr(exc, "code", None) is None:
                    raise
                return None

        def busy_check(journeys: list[str]) -> None:
            for journey_id in journeys:
                busy = [v for v in engine().journey(journey_id) if v.state in (S.called, S.in_service)]
                stats["double_called"] += len(busy) > 1

        def call_next(room: str) -> str | None:
            before = {v.id: ordering.sort_key(v) for v in engine().room_queue(room)}
            answer = run("call_next", room_id=room)
            called = answer and answer["visit"]
            if called:
                key = before.get(called["visit_id"]) or ordering.sort_key(engine().visit(called["visit_id"]))
                for vid, other in before.items():
                    if other < key and engine().visit(vid).state in (S.waiting, S.room_waiting) \
                            and engine().busy_elsewhere(vid) is None and engine().step_gate(vid).met:
                        stats["order_violations"] += 1
            return called["visit_id"] if called else None

        def drain(rooms: list[str], serve) -> None:
            while True:
                moved = False
                for room in rooms:
                    visit_id = call_next(room)
                    if visit_id:
                        moved = True
                        serve(visit_id)
                        clock.advance(seconds=20)
                if not moved:
                    return

        def clinic_serve(visit_id: str) -> None:
            run("start", visit_id=visit_id)
            run("finish", visit_id=visit_id)

        def lab_serve(visit_id: str) -> None:
            run("start", visit_id=visit_id)
            run("print_labels", visit_id=visit_id)
            run("finish", visit_id=visit_id)

        def imaging_serve(visit_id: str) -> None:
            run("start", visit_id=visit_id)
            run("finish", visit_id=visit_id)

        def collect(visit_id: str) -> None:
            step = engine().visit(visit_id)
            run("collect", visit_id=visit_id, scanned_journey=step.journey_id)

        number = 0
        while stats["visits"] < visits_wanted and time.monotonic() - started < budget:
            batch = []
            for _ in range(min(BATCH, visits_wanted - stats["visits"])):
                dept, _rooms = CLINIC[number % len(CLINIC)]
                number += 1
                answer = run("register", body=RegisterBody(department=dept, name="王小明", source="onsite"))
                run("check_in", visit_id=answer["visit"]["visit_id"])
                batch.append(answer["visit"]["visit_id"])
                stats["visits"] += 1
            for _dept, rooms in CLINIC:
                drain(rooms, clinic_serve)
            for n, visit_id in enumerate(batch):
                orders = [{"kind": "drug", "items": [{"code": "AMOX"}], "paid": True},
                          {"kind": "lab", "items": [{"code": "CBC"}, {"code": "GLU"}], "paid": True}]
                if n % 3 == 0:
                    orders.append({"kind": "imaging", "items": [{"code": "ECG"}], "paid": True})
                run("open_steps", visit_id=visit_id, orders=orders, flags=("elderly",) if n % 7 == 0 else ())
                stats["steps"] += len(orders)
            for visit_id in batch:
                for step in engine().journey(visit_id)[1:]:
                    if step.step_kind == "pharmacy":
                        run("start_dispensing", visit_id=step.id)
                    elif step.step_kind == "lab":
                        run("check_in", visit_id=step.id)
                    elif step.step_kind == "imaging":
                        run("check_in", visit_id=step.id)
            clock.advance(minutes=2)
            for n, visit_id in enumerate(batch):
                step = next(s for s in engine().journey(visit_id)[1:] if s.step_kind == "pharmacy")
                if n % 20 == 0:
                    while not events.empty():
                        events.get_nowait()
                    t0 = time.perf_counter()
                    run("mark_ready", visit_id=step.id)
                    deadline = t0 + 5
                    while time.perf_counter() < deadline:
                        try:
                            event = events.get(timeout=max(0.0, deadline - time.perf_counter()))
                        except queue.Empty:
                            break
                        if event.get("type") == "ready" and event["data"]["visit_id"] == step.id:
                            ready_ms.append((time.perf_counter() - t0) * 1e3)
                            break
                else:
                    run("mark_ready", visit_id=step.id)
            drain(["JY1", "JY2"], lab_serve)
            busy_check(batch)
            drain(["YF1", "YF2", "YF3"], collect)
            drain(["ECG1"], imaging_serve)
            busy_check(batch)
            clock.advance(minutes=1)
        wall.stop()
        waits: dict[str, list[float]] = {}
        for visit in engine().visits():
            arrived = visit.checkin_at
            if visit.called_at and arrived:
                waits.setdefault(visit.step_kind or "clinic", []).append(
                    (visit.called_at - arrived).total_seconds() / 60)
    elapsed = time.monotonic() - started
    print(f"journey_day: {stats['commands']} commands in {elapsed:.0f} s", file=sys.stderr)
    return {
        "visits": stats["visits"], "steps": stats["steps"], "commands": stats["commands"],
        "complete": stats["visits"] >= visits_wanted,
        "double_called": stats["double_called"], "order_violations": stats["order_violations"],
        "ready_to_wall_p99_ms": round(_p(ready_ms, 0.99), 2), "ready_to_wall_median_ms": round(
            statistics.median(ready_ms), 2) if ready_ms else 0.0, "ready_samples": len(ready_ms),
        "step_wait_p95_min": {kind: round(_p(values, 0.95), 1) for kind, values in sorted(waits.items())},
        "commands_per_s": round(stats["commands"] / elapsed, 1),
    }


BENCHES = {"journey_day": journey_day}
