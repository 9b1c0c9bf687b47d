"""Queue engine benchmarks (pure, in memory, on the demo hospital).

engine_day: one busy clinic area (NK) through a day: 1,000 registrations with check-in (a third of them
    appointments with slots, a tenth late), then 1,000 "call next" + start + finish across its rooms.
    Reports microseconds per command (median and p99) and the time of a full area snapshot with
    1,000 visits waiting.
"""
from __future__ import annotations

import statistics
import time as clock
from datetime import datetime, time, timedelta

from caller.engine.engine import QueueEngine
from common.config import DEMO_CONFIG, load_hospital

VISITS = 1000


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median_us": round(statistics.median(ordered) * 1e6, 1),
            "p99_us": round(ordered[int(len(ordered) * 0.99) - 1] * 1e6, 1)}


def engine_day() -> dict:
    hospital = load_hospital(DEMO_CONFIG)
    engine = QueueEngine(hospital)
    area = hospital.area("NK")
    rooms = [room.id for room in area.rooms]
    now = datetime(2026, 11, 23, 7, 30)
    checkin_times: list[float] = []
    for n in range(VISITS):
        now += timedelta(seconds=10)
        appointment = n % 3 == 0
        slot_hour = 7 if n % 10 == 0 else 9  # a tenth registered for a slot that has already ended
        slot = (time(slot_hour, 0), time(slot_hour, 30)) if appointment else (None, None)
        visit = engine.register("NK", f"P{n}", "张三", "general", "appointment" if appointment else "onsite", "am", now,
                                slot_start=slot[0], slot_end=slot[1]).result
        started = clock.perf_counter()
        try:
            engine.check_in(visit.id, actor="kiosk", now=now)
        except Exception:  # too early for a 09:00 slot: check in any time is configured per area; skip
            continue
        checkin_times.append(clock.perf_counter() - started)
    started = clock.perf_counter()
    snapshot = engine.snapshot("NK", public=True)
    snapshot_seconds = clock.perf_counter() - started
    call_times: list[float] = []
    served = 0
    while True:
        progressed = False
        for room in rooms:
            now += timedelta(seconds=5)
            started = clock.perf_counter()
            called = engine.call_next(room, actor="nurse", now=now).result
            call_times.append(clock.perf_counter() - started)
            if called is not None:
                engine.move("start", called.id, actor="doctor", now=now)
                engine.move("finish", called.id, actor="doctor", now=now + timedelta(minutes=5))
                served += 1
                progressed = True
        if not progressed:
            break
    return {
        "visits": VISITS, "checked_in": len(checkin_times), "served": served,
        "check_in": _percentiles(checkin_times), "call_next": _percentiles(call_times),
        "snapshot_ms_with_waiting": round(snapshot_seconds * 1e3, 2), "waiting_at_snapshot": len(snapshot["waiting"]),
    }


BENCHES = {"engine_day": engine_day}
