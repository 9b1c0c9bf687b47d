"""journey_day: a day of whole journeys (clinic -> pharmacy, lab, imaging, cashier) through the real engine and store.

20,000 visits (JOURNEY_DAY_VISITS to change it), each seen in a clinic room, then the doctor's orders in a fixed
mix over every 20 visits: a prescription for 18 (pharmacy), lab panels for 16 (the draw), 18 imaging exams for 12
of them (ECG, chest CT, abdominal ultrasound after fasting, contrast CT after the consent), and 8 of the 20 pay at a
cashier window (a cashier step whose settlement opens the others; the rest pay as they order): 3 steps per visit
after the clinic, 60,000 for the day. Every command is durable in SQLite through the service's own batch path
(``CommandRunner.execute_batch``: the commands of one round in one transaction, as the group-commit writer commits
commands that arrive together); rounds follow the day's order (registrations, then each room calls, then serves).
A wall of the pharmacy follows the service over WebSocket: ``ready_to_wall_p99_ms`` is "the pharmacist marks ready
-> the wall has the ``ready`` event" for one ready in 20, each marked alone. After every round of calls the
benchmark checks the rules: ``double_called`` (a patient called or in service at two points) and
``order_violations`` (a call passed over a free patient ahead in the room's queue). Bounded: it stops adding visits
after JOURNEY_DAY_MAX_S seconds (default 900) and says so (``complete``: false); ``run_s`` is the whole run.
"""
from __future__ import annotations

import os
import queue
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
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
CASHIER = ["SF1", "SF2"]
IMAGING = ["CT1", "US1", "US2", "ECG1"]
NO_DRUG = {3, 17}  # of every 20 visits: 18 prescriptions
NO_LAB = {0, 5, 10, 15}  # 16 draws
EXAMS_OF = {**{k: 1 for k in (1, 4, 7, 9, 12, 14)}, **{k: 2 for k in (2, 6, 8, 11, 13, 16)}}  # 18 exams
AT_WINDOW = {0, 4, 7, 10, 12, 14, 18, 19}  # 8 pay at a cashier window
DRUGS = ["AMOX", "IBU", "MET", "AML", "OME", "CPM"]
LAB_SETS = [["CBC"], ["CBC", "GLU"], ["LFT", "LIPID"], ["CBC", "CRP"], ["COAG"]]
EXAMS = ["ECG", "CT-CHEST", "US-ABD", "CT-ABD-C"]


def _p(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def journey_day() -> dict:
    visits_wanted = int(os.environ.get("JOURNEY_DAY_VISITS", "20000"))
    budget = float(os.environ.get("JOURNEY_DAY_MAX_S", "900"))
    hospital = load_hospital(DEMO_CONFIG)
    # a 20,000-visit day is some ten demo hospitals: its exams are not bounded by the slots of the demo's imaging
    # rooms (each exam is asked for the slot of the moment it is ordered, as a desk booking a walk-in does)
    hospital = hospital.model_copy(update={"departments": [
        dept.model_copy(update={"slot_capacity": 100}) if dept.service == "imaging" else dept
        for dept in hospital.departments]})
    clock = ManualClock(datetime(2026, 12, 7, 7, 30))
    from caller.api.models import RegisterBody
    from caller.auth import Principal

    who = Principal(role="admin", device="bench")
    stats = {"double_called": 0, "order_violations": 0, "visits": 0, "commands": 0, "refused": 0, "batches": 0}
    ready_ms: list[float] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, run_service(hospital, Path(tmp) / "day.db", clock=clock,
                                                             records=False) as url:
        service = url.service
        engine = lambda: service.engine  # noqa: E731 - rebuilt after a failed write
        events: queue.Queue[dict] = queue.Queue()
        wall = EventSubscriber(url, DEMO_TOKENS["wall_yf"], "YF", events.put).start()

        def run_all(calls: list[tuple[str, dict]]) -> list[dict | None]:
            """One round: the commands in order, one transaction; a refusal is counted and the day goes on."""
            if not calls:
                return []
            stats["commands"] += len(calls)
            stats["batches"] += 1
            out = []
            for answer in service.commands.execute_batch(who, calls):
                if isinstance(answer, BaseException):
                    if getattr(answer, "code", None) is None:
                        raise answer
                    stats["refused"] += 1
                    out.append(None)
                else:
                    out.append(answer)
            return out

        def busy_check(journeys: list[str]) -> None:
            for journey_id in journeys:
                busy = [v for v in engine().journey(journey_id) if v.state in (S.called, S.in_service)]
                stats["double_called"] += len(busy) > 1

        def drain(rooms: list[str], serve, journeys: list[str]) -> None:
            """Call and serve until no room of ``rooms`` has anyone callable; 20 s of the clock per patient served.

            Each round is one transaction: the service of the patients called in the round before, then every
            room's call of its next (each call checked against its room's queue as it was before the round)."""
            served: list[tuple[str, dict]] = []
            while True:
                before = {room: {v.id: ordering.sort_key(v) for v in engine().room_queue(room)} for room in rooms}
                answers = run_all(served + [("call_next", {"room_id": room}) for room in rooms])[len(served):]
                called = []
                for room, answer in zip(rooms, answers):
                    visit = answer and answer["visit"]
                    if not visit:
                        continue
                    key = before[room].get(visit["visit_id"]) or ordering.sort_key(engine().visit(visit["visit_id"]))
                    for vid, other in before[room].items():
                        if other < key and engine().visit(vid).state in (S.waiting, S.room_waiting) \
                                and engine().busy_elsewhere(vid) is None and engine().step_gate(vid).met:
                            stats["order_violations"] += 1
                    called.append(visit["visit_id"])
                if not called:
                    return
                busy_check(journeys)
                served = [call for visit_id in called for call in serve(visit_id)]
                clock.advance(seconds=20 * len(called))

        def seen(visit_id: str) -> list[tuple[str, dict]]:
            return [("start", {"visit_id": visit_id}), ("finish", {"visit_id": visit_id})]

        def drawn(visit_id: str) -> list[tuple[str, dict]]:
            return [("start", {"visit_id": visit_id}), ("print_labels", {"visit_id": visit_id}),
                    ("finish", {"visit_id": visit_id})]

        def collected(visit_id: str) -> list[tuple[str, dict]]:
            return [("collect", {"visit_id": visit_id, "scanned_journey": engine().visit(visit_id).journey_id})]

        def settled(visit_id: str) -> list[tuple[str, dict]]:
            return [("settle", {"visit_id": visit_id})]

        clinic_rooms = [room for _dept, rooms in CLINIC for room in rooms]
        number = 0
        while stats["visits"] < visits_wanted and time.monotonic() - started < budget:
            size = min(BATCH, visits_wanted - stats["visits"])
            registered = run_all([("register", {"body": RegisterBody(department=CLINIC[(number + i) % len(CLINIC)][0],
                                                                     name="王小明", source="onsite")})
                                  for i in range(size)])
            batch = [answer["visit"]["visit_id"] for answer in registered]
            run_all([("check_in", {"visit_id": visit_id}) for visit_id in batch])
            stats["visits"] += size
            drain(clinic_rooms, seen, batch)
            run_all([("open_steps", {"visit_id": visit_id, "orders": orders_of(number + n, f"{clock():%H:%M}"),
                                     "flags": ("elderly",) if (number + n) % 7 == 0 else (),
                                     "pay_at_window": (number + n) % 20 in AT_WINDOW})
                     for n, visit_id in enumerate(batch)])
            number += size
            drain(CASHIER, settled, batch)
            prepare = []
            for visit_id in batch:
                for step in engine().journey(visit_id)[1:]:
                    if step.step_kind == "pharmacy":
                        prepare.append(("start_dispensing", {"visit_id": step.id}))
                    elif step.step_kind in ("lab", "imaging"):
                        prepare.append(("check_in", {"visit_id": step.id}))
                    if step.step_kind == "imaging" and step.prep not in ("", "{}"):
                        prepare.append(("set_gate", {"visit_id": step.id, "consent": True,
                                                     "fasting_since": clock() - timedelta(hours=10)}))
            run_all(prepare)
            clock.advance(minutes=2)
            ready = []
            for n, visit_id in enumerate(batch):
                step = next((s for s in engine().journey(visit_id)[1:] if s.step_kind == "pharmacy"), None)
                if step is None:
                    continue
                if n % 20 == 0:  # marked alone and timed to the wall
                    while not events.empty():
                        events.get_nowait()
                    t0 = time.perf_counter()
                    run_all([("mark_ready", {"visit_id": step.id})])
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
                    ready.append(("mark_ready", {"visit_id": step.id}))
            run_all(ready)
            drain(["JY1", "JY2"], drawn, batch)
            drain(["YF1", "YF2", "YF3"], collected, batch)
            drain(IMAGING, seen, batch)
            busy_check(batch)
            clock.advance(minutes=1)
        wall.stop()
        waits: dict[str, list[float]] = {}
        steps = clinic = 0
        for visit in engine().visits():
            if visit.journey_id:
                steps += 1
            else:
                clinic += 1
            arrived = visit.checkin_at
            if visit.called_at and arrived:
                waits.setdefault(visit.step_kind or "clinic", []).append(
                    (visit.called_at - arrived).total_seconds() / 60)
    elapsed = time.monotonic() - started
    print(f"journey_day: {stats['commands']} commands in {stats['batches']} transactions, {elapsed:.0f} s",
          file=sys.stderr)
    return {
        "visits": stats["visits"], "steps": steps, "steps_per_visit": round(steps / max(1, clinic), 2),
        "commands": stats["commands"], "transactions": stats["batches"], "refused": stats["refused"],
        "complete": stats["visits"] >= visits_wanted,
        "double_called": stats["double_called"], "order_violations": stats["order_violations"],
        "ready_to_wall_p99_ms": round(_p(ready_ms, 0.99), 2), "ready_to_wall_median_ms": round(
            statistics.median(ready_ms), 2) if ready_ms else 0.0, "ready_samples": len(ready_ms),
        "step_wait_p95_min": {kind: round(_p(values, 0.95), 1) for kind, values in sorted(waits.items())},
        "steps_by_kind": {kind: len(values) for kind, values in sorted(waits.items())},
        "commands_per_s": round(stats["commands"] / elapsed, 1), "run_s": round(elapsed, 1),
    }


def orders_of(n: int, slot: str | None = None) -> list[dict]:
    """The doctor's orders of the n-th visit: the fixed mix over every 20 visits (the module's text)."""
    k = n % 20
    paid = k not in AT_WINDOW
    orders = []
    if k not in NO_DRUG:
        orders.append({"kind": "drug", "items": [{"code": DRUGS[n % len(DRUGS)]}], "paid": paid})
    if k not in NO_LAB:
        orders.append({"kind": "lab", "items": [{"code": code} for code in LAB_SETS[n % len(LAB_SETS)]], "paid": paid})
    exams = EXAMS_OF.get(k, 0)
    for e in range(exams):
        orders.append({"kind": "imaging", "items": [{"code": EXAMS[(n + e) % len(EXAMS)]}], "paid": paid,
                       **({"slot_start": slot} if slot else {})})
    return orders


BENCHES = {"journey_day": journey_day}
