"""Console click to the area display's repaint showing the call, over loopback.

Three processes, as in a clinic: the caller service (``python -m caller serve``), the wall screen
(this module run as ``python -m bench.bench_display wall URL TOKEN``: the real wall widget, which
prints the moment its call panel repaints with a new call) and the console (the real console
window in the benchmark process). Each sample: click 叫下一位 -> the console's worker thread sends
the command -> the service commits and publishes -> the wall receives the call event and repaints.
Both ends read ``time.monotonic()`` (one clock for every process on the machine).
Figures: median and p99 of 200 calls, in milliseconds.
"""
from __future__ import annotations

import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CALLS = 200
NK_CONSOLE = "demo-console-nk-9c2e47b1d3a6"
WALL = "demo-wall-nk-4e1b8c6d2a93"
REPO = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _wall_process(url: str, token: str) -> int:
    """Child: show the wall; print {"ready": true} once live, then {"seq", "t"} after each call repaint."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from common.fonts import load_cjk_font
    from display.app import make_wall

    app = QApplication([])
    load_cjk_font(app)
    wall = make_wall(url, token)
    wall.show()

    def say(message: dict) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    wall.call_panel.painted.connect(lambda seq: say({"seq": seq, "t": time.monotonic()}))
    ready = QTimer()
    ready.setInterval(20)

    def check_ready() -> None:
        if wall.online and wall.board.rooms:
            ready.stop()
            say({"ready": True})

    ready.timeout.connect(check_ready)
    ready.start()
    stdin_closed = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stdin_closed.set()), daemon=True).start()
    stopper = QTimer()
    stopper.timeout.connect(lambda: app.quit() if stdin_closed.is_set() else None)
    stopper.start(100)
    app.exec()
    wall.shutdown()
    return 0


def call_to_screen(calls: int = CALLS) -> dict:
    from PySide6.QtWidgets import QApplication

    from caller.testing import run_service_process
    from caller_console.app import open_console
    from client.http import CallerClient
    from common.fonts import load_cjk_font

    app = QApplication.instance() or QApplication([])
    load_cjk_font(app)
    with tempfile.TemporaryDirectory() as tmp, run_service_process(db_path=Path(tmp) / "bench.db") as service:
        url = service.base_url
        with CallerClient(url, NK_CONSOLE) as desk:
            desk.login("wanghs", "demo1234")
            for i in range(calls):
                visit = desk.register("NK", name=f"测试{i:03d}")["visit"]
                desk.check_in(visit["visit_id"])
        env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        wall = subprocess.Popen([sys.executable, "-m", "bench.bench_display", "wall", url, WALL], cwd=str(REPO),
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(json.loads(line)) for line in wall.stdout], daemon=True).start()
        console = open_console(url, NK_CONSOLE, "wanghs", "demo1234", area="NK", room="NK3")
        console.show()
        try:
            first = lines.get(timeout=20)
            while "ready" not in first:
                first = lines.get(timeout=20)
            samples, missed, last_seq = [], 0, 0
            for _ in range(calls):
                start = time.monotonic()
                console.buttons["call_next"].click()
                deadline = start + 5
                shown = None
                while shown is None and time.monotonic() < deadline:
                    app.processEvents()
                    try:
                        message = lines.get(timeout=0.001)
                    except queue.Empty:
                        continue
                    if message.get("seq", 0) > last_seq:
                        shown = message
                if shown is None:
                    missed += 1
                    continue
                last_seq = shown["seq"]
                samples.append((shown["t"] - start) * 1000)
                while console.runner.pending():  # let the console settle before the next click
                    app.processEvents()
        finally:
            console.shutdown()
            console.close()
            wall.stdin.close()
            try:
                wall.wait(10)
            except subprocess.TimeoutExpired:
                wall.kill()
    return {
        "calls": len(samples),
        "not_shown": missed,
        "median_ms": round(statistics.median(samples), 2) if samples else None,
        "p99_ms": round(_percentile(samples, 0.99), 2) if samples else None,
        "max_ms": round(max(samples), 2) if samples else None,
    }


BENCHES = {"call_to_screen": call_to_screen}

if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "wall":
    sys.exit(_wall_process(sys.argv[2], sys.argv[3]))
