"""The group-commit writer next to a busy event loop, in one process (no HTTP, no load generator).

writer_under_load: the `throughput` mix (register, check in, call next, start, finish) in batches of BATCH commands
    through the service's writer path (``CommandRunner.execute_batch``, SQLite file, synchronous=FULL), while another
    thread stands for the event loop under load: pure Python for LOOP_SLICE_MS, then a moment without the
    interpreter (as the loop lets go of it only to poll its sockets), again and again. Python runs one thread at a
    time, and a thread that let go of the interpreter for a system call waits to get it back, up to the loop's
    slice. So every statement the writer sends SQLite (every row of an ``executemany``) can cost it a slice.
    Rounds with and without that thread alternate, so the machine's own drift falls on both.
    ``us_per_command_quiet`` and ``us_per_command_busy_loop``: median microseconds of wall time per command.
"""
from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

BATCH = 10
ROUNDS = 6
CYCLES_PER_ROUND = 15  # each cycle: BATCH visits through the five commands
LOOP_SLICE_MS = 1.0


def _cycle(svc, kiosk, nurse, body) -> int:
    regs = svc.commands.execute_batch(kiosk, [("register", {"body": body}) for _ in range(BATCH)])
    visits = [r["visit"]["visit_id"] for r in regs if not isinstance(r, BaseException)]
    svc.commands.execute_batch(kiosk, [("check_in", {"visit_id": v}) for v in visits])
    calls = svc.commands.execute_batch(nurse, [("call_next", {"room_id": "NK3" if i % 2 else "NK4"})
                                               for i in range(len(visits))])
    called = [c["visit"]["visit_id"] for c in calls if not isinstance(c, BaseException) and c["visit"]]
    svc.commands.execute_batch(nurse, [("start", {"visit_id": v}) for v in called])
    svc.commands.execute_batch(nurse, [("finish", {"visit_id": v}) for v in called])
    return 3 * len(visits) + 2 * len(called)


def writer_under_load() -> dict:
    from caller.api.models import RegisterBody
    from caller.auth import Principal
    from caller.service import CallerService
    from common.config import DEMO_CONFIG, load_hospital

    kiosk = Principal(role="kiosk", device="kiosk-lobby-1")
    nurse = Principal(role="admin", device="console-nk", user="wanghs")
    body = RegisterBody(department="NK", name="测试患者", kind="general")
    slice_s = LOOP_SLICE_MS / 1000
    busy = threading.Event()
    done = threading.Event()

    def event_loop_stand_in() -> None:
        while not done.is_set():
            if not busy.wait(0.05):
                continue
            end, n = time.perf_counter() + slice_s, 0
            while time.perf_counter() < end:
                n += 1
            time.sleep(0)  # the poll: the interpreter is free for a moment

    times: dict[str, list[float]] = {"quiet": [], "busy_loop": []}
    with tempfile.TemporaryDirectory() as tmp:
        svc = CallerService(load_hospital(DEMO_CONFIG), Path(tmp) / "bench.db")
        loop = threading.Thread(target=event_loop_stand_in, daemon=True)
        loop.start()
        try:
            for _ in range(3):
                _cycle(svc, kiosk, nurse, body)  # warm: statements prepared, caches filled
            for n in range(ROUNDS):
                for kind in (("quiet", "busy_loop") if n % 2 == 0 else ("busy_loop", "quiet")):
                    if kind == "busy_loop":
                        busy.set()
                    else:
                        busy.clear()
                    started, commands = time.perf_counter(), 0
                    for _ in range(CYCLES_PER_ROUND):
                        commands += _cycle(svc, kiosk, nurse, body)
                    times[kind].append((time.perf_counter() - started) / commands * 1e6)
        finally:
            done.set()
            busy.clear()
            loop.join(1)
            svc.close()
    quiet, loaded = statistics.median(times["quiet"]), statistics.median(times["busy_loop"])
    return {"batch": BATCH, "loop_slice_ms": LOOP_SLICE_MS, "rounds": ROUNDS,
            "us_per_command_quiet": round(quiet, 1), "us_per_command_busy_loop": round(loaded, 1),
            "busy_over_quiet": round(loaded / quiet, 2)}


BENCHES = {"writer_under_load": writer_under_load}
