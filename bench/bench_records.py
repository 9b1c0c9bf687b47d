"""Records benchmarks: slot booking under contention, over HTTP against a live service."""
from __future__ import annotations

import queue
import random
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

from caller.testing import ManualClock
from records.ids import make_id_number
from records.models import PatientCreate
from records.testing import serve_records

CLIENTS = 20
POOL = 100


DEADLINE_S = 120.0  # the benchmark ends by then whatever the service answers


def booking_contention() -> dict:
    """20 desks book from a pool of 100 one-seat slots until it is empty; count overbooking, measure latency.

    Staff book (the admin token: no patient session needed); a kiosk token would need one patient session per
    patient, which the service paces (caller/patient_guard.py). Each client stops at the deadline, and on any
    refusal other than a taken slot gives that slot up, so the loop always ends."""
    clock = ManualClock(datetime(2026, 11, 23, 7, 0))
    with tempfile.TemporaryDirectory() as tmp, \
            serve_records(db_path=Path(tmp) / "bench.db", clock=clock, quota_general=1, quota_expert=1) as live:
        records = live.records
        patients: queue.Queue[int] = queue.Queue()
        for n in range(POOL + CLIENTS):
            body = PatientCreate(source="typed", id_number=make_id_number(f"110101198001{n % 28 + 1:02d}{n:03d}"), name="测试", phone="13800000000")
            patients.put(records.create_patient(body)["patient"]["patient_id"])
        records.ensure_day(clock().date())
        pool = [r["id"] for r in records.db.all("SELECT id FROM rec_slots WHERE date = ? ORDER BY id LIMIT ?",
                                                (clock().date().isoformat(), POOL))]
        latencies: list[float] = []
        booked = [0]
        lock = threading.Lock()
        barrier = threading.Barrier(CLIENTS, timeout=60)
        refused: list[int] = []
        deadline = time.monotonic() + DEADLINE_S

        def client(seed: int) -> None:
            rng = random.Random(seed)
            free = list(pool)
            with httpx.Client(base_url=live.url + "/api/v1/records", headers=live.headers("admin"), timeout=30) as http:
                http.get("/departments")
                barrier.wait()
                while free and time.monotonic() < deadline:
                    slot = rng.choice(free)
                    patient = patients.get()
                    started = time.perf_counter()
                    r = http.post("/registrations", json={"patient_id": patient, "slot_id": slot})
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        latencies.append(elapsed)
                        if r.status_code == 201:
                            booked[0] += 1
                    if r.status_code == 201:
                        free.remove(slot)
                    else:
                        patients.put(patient)
                        refused.append(r.status_code)
                        free.remove(slot)  # taken by another desk, or refused: either way not this slot again

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(DEADLINE_S + 30)
        wall = time.perf_counter() - started
        marks = ",".join("?" * len(pool))
        over = records.db.one(
            f"SELECT COALESCE(SUM(MAX(n - quota, 0)), 0) AS over FROM (SELECT x.quota, COUNT(r.id) AS n FROM rec_slots x"
            f" LEFT JOIN rec_registrations r ON r.slot_id = x.id AND r.state IN ('held', 'final') WHERE x.id IN ({marks}) GROUP BY x.id)",
            tuple(pool))["over"]
        latencies.sort()
        return {"booked": booked[0], "slots": len(pool), "overbooked": int(over), "clients": CLIENTS,
                "requests": len(latencies), "refused": len(refused), "p50_ms": round(latencies[len(latencies) // 2], 1),
                "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
                "wall_s": round(wall, 2)}


BENCHES = {"booking_contention": booking_contention}
