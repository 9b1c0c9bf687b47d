"""Ward-side figures over loopback with the real apps: the help loop, device health, console bytes.

* ``help_loop``: the kiosk window's 呼叫工作人员 -> the guide desk console's help bar shows the call
  (``press_to_console_p99_ms``); the console's 我来处理 -> the kiosk shows who is coming (``ack_to_kiosk_p99_ms``).
  Three processes as in a hospital: the caller service, the kiosk (this module run as
  ``python -m bench.bench_ward kiosk URL TOKEN``) and the console window in the benchmark process.
* ``device_health``: the simulated printer runs out of paper, the kiosk's next status check (each heartbeat
  does one; so does every print) -> the console's alert bar shows it (``fault_to_alert_p99_ms``); and a
  10-minute simulated morning of heartbeats from every device, with the service's own offline check running,
  counting devices ever shown offline (``false_offline``).
* ``console_bytes``: bytes one console receives per queue change with 50 and 500 patients waiting
  (``bytes_50``, ``bytes_500``).
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

SAMPLES = 40
DT_CONSOLE = "demo-console-dt-5e2b7a9c1d84"
NK_CONSOLE = "demo-console-nk-9c2e47b1d3a6"
KIOSK = "demo-kiosk-1-7d41c0e9a2b8"
PASSWORD = "demo1234"


def _p99(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))], 2)


def _until(app, condition, timeout: float = 5.0) -> float | None:
    """Run the event loop until condition() holds; the monotonic time it did, or None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return time.monotonic()
        time.sleep(0.0005)
    return None


def _apps():
    from PySide6.QtWidgets import QApplication

    from common.fonts import load_cjk_font

    app = QApplication.instance() or QApplication([])
    load_cjk_font(app)
    return app


def _kiosk_process(url: str, token: str) -> int:
    """Child: the real kiosk window. Reads commands (press, home) on stdin; prints what its help screen shows,
    with the moment (``time.monotonic()``: one clock for every process of the machine)."""
    import threading

    from PySide6.QtCore import QObject, QTimer, Signal

    from kiosk.app import build_kiosk

    app = _apps()
    kiosk = build_kiosk(url, token, start_devices=False)

    def say(message: dict) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    class Commands(QObject):
        got = Signal(str)

    commands = Commands()
    state = {"last": ""}

    def run(command: str) -> None:
        if command == "press":
            say({"pressed": time.monotonic()})
            kiosk.flows.call_staff()
        elif command == "home":
            kiosk.go_home("home")
        elif command == "quit":
            app.quit()

    def watch() -> None:
        speech = getattr(kiosk.current, "speech", "") if kiosk.current is not None else ""
        for word, kind in (("正在赶来", "coming"), ("已结束", "closed"), ("正在等待", "waiting")):
            if word in speech and state["last"] != kind:
                state["last"] = kind
                say({kind: time.monotonic()})
        if kiosk.current is not None and kiosk.current.name == "home":
            state["last"] = ""

    commands.got.connect(run)
    watcher = QTimer()
    watcher.timeout.connect(watch)
    watcher.start(1)
    threading.Thread(target=lambda: [commands.got.emit(line.strip()) for line in sys.stdin], daemon=True).start()
    say({"ready": True})
    app.exec()
    kiosk.close()
    return 0


def help_loop(samples: int = SAMPLES) -> dict:
    """The kiosk runs as its own process (as on the lobby PC); the console is the real window here."""
    import os
    import queue
    import subprocess
    import threading

    from caller.testing import run_service_process
    from caller_console.app import open_console

    app = _apps()
    press, ack, lost = [], [], 0
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp, run_service_process(db_path=Path(tmp) / "bench.db") as service:
        env = {**os.environ, "PYTHONPATH": str(repo), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        child = subprocess.Popen([sys.executable, "-m", "bench.bench_ward", "kiosk", service.base_url, KIOSK],
                                 cwd=str(repo), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(json.loads(line)) for line in child.stdout
                                         if line.startswith("{")], daemon=True).start()

        def send(command: str) -> None:
            child.stdin.write(command + "\n")
            child.stdin.flush()

        def expect(key: str, timeout: float = 5.0) -> float | None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                app.processEvents()
                try:
                    message = lines.get(timeout=0.001)
                except queue.Empty:
                    continue
                if key in message:
                    return message[key]
            return None

        desk = open_console(service.base_url, DT_CONSOLE, "wangdy", PASSWORD, area="DT")
        desk.show()
        try:
            _until(app, lambda: desk.online, 10)
            if expect("ready", 30) is None:
                raise RuntimeError("the kiosk process did not start")
            for _ in range(samples):
                before = set(desk.help_calls)
                send("press")
                pressed = expect("pressed")
                shown = _until(app, lambda: bool(set(desk.help_calls) - before) and desk.help_bar.isVisible())
                if pressed is None or shown is None:
                    lost += 1
                    continue
                press.append((shown - pressed) * 1000)
                help_id = next(iter(set(desk.help_calls) - before))
                expect("waiting")
                start = time.monotonic()
                desk.acknowledge_help(help_id)
                coming = expect("coming")
                if coming is None:
                    lost += 1
                else:
                    ack.append((coming - start) * 1000)
                desk.close_help(help_id, "resolved")
                expect("closed")
                _until(app, lambda: help_id not in desk.help_calls)
                send("home")
        finally:
            desk.shutdown()
            desk.close()
            try:
                send("quit")
                child.stdin.close()
                child.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                child.kill()
    return {"samples": len(press), "lost": lost,
            "press_to_console_median_ms": round(statistics.median(press), 2) if press else None,
            "press_to_console_p99_ms": _p99(press),
            "ack_to_kiosk_median_ms": round(statistics.median(ack), 2) if ack else None,
            "ack_to_kiosk_p99_ms": _p99(ack)}


def device_health(samples: int = 20) -> dict:
    from caller.testing import run_service_process
    from caller_console.app import open_console
    from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator
    from kiosk.app import build_kiosk

    app = _apps()
    delays, lost = [], 0
    printer = TcpPrinterSimulator(SimulatedPrinter()).start()
    with tempfile.TemporaryDirectory() as tmp, run_service_process(db_path=Path(tmp) / "bench.db") as service:
        kiosk = build_kiosk(service.base_url, KIOSK, printer=f"tcp://{printer.host}:{printer.port}")
        desk = open_console(service.base_url, DT_CONSOLE, "wangdy", PASSWORD, area="DT")
        desk.show()
        key = "kiosk-lobby-1/printer"
        try:
            _until(app, lambda: desk.online, 10)
            for _ in range(samples):
                start = time.monotonic()
                printer.core.set_state(paper_out=True)
                kiosk.flows.heartbeat()  # the kiosk's periodic check, run now
                shown = _until(app, lambda: key in desk.device_alerts and desk.alert_bar.isVisible())
                if shown is None:
                    lost += 1
                else:
                    delays.append((shown - start) * 1000)
                printer.core.set_state(paper_out=False)
                kiosk.flows.heartbeat()
                _until(app, lambda: key not in desk.device_alerts)
        finally:
            desk.shutdown()
            desk.close()
            kiosk.close()
            printer.stop()
    return {"samples": len(delays), "lost": lost,
            "fault_to_alert_median_ms": round(statistics.median(delays), 2) if delays else None,
            "fault_to_alert_p99_ms": _p99(delays), "false_offline": _healthy_morning()}


def _healthy_morning(minutes: int = 10) -> int:
    """Every device heartbeats every [device_health].heartbeat_s (each up to 3 s late) for ``minutes``
    simulated minutes; the service checks for silent devices every second. Devices ever shown offline."""
    import random

    from caller.api.models import HealthBody
    from caller.auth import Principal
    from caller.service import CallerService
    from caller.testing import ManualClock
    from common.config import DEMO_CONFIG, load_hospital

    config = load_hospital(DEMO_CONFIG)
    clock = ManualClock(datetime(2026, 11, 23, 8, 0, 0))
    with tempfile.TemporaryDirectory() as tmp:
        service = CallerService(config, Path(tmp) / "morning.db", clock=clock)
        rng = random.Random(7)
        devices = [d for d in config.devices if d.role != "admin"]
        every = config.device_health.heartbeat_s
        due = {d.id: rng.uniform(0, every) for d in devices}
        offline: set[str] = set()
        for tick in range(minutes * 60):
            clock.advance(seconds=1)
            for d in devices:
                if tick >= due[d.id]:
                    who = Principal(role=d.role, device=d.id)
                    parts = [{"device": p, "status": "ok"} for p in ("idcard", "printer", "scanner")] if d.role == "kiosk" else []
                    service.device_watch.record_health(who, HealthBody(status="ok", parts=parts))
                    due[d.id] = tick + every + rng.uniform(0, 3)
            service.device_watch.check_alerts()
            offline |= {v["device"] for v in service.device_watch.devices() if v["status"] == "offline"}
        service.close()
    return len(offline)


def console_bytes() -> dict:
    """Bytes of the staff queue message one console receives for one change, at 50 and 500 waiting."""
    from websockets.sync.client import connect

    from caller.testing import run_service
    from client.http import CallerClient

    out = {}
    for waiting in (50, 500):
        with tempfile.TemporaryDirectory() as tmp, run_service(db_path=Path(tmp) / "b.db", records=False) as url:
            with CallerClient(url, NK_CONSOLE) as desk:
                desk.login("wanghs", PASSWORD)
                for i in range(waiting):
                    visit = desk.register("NK", name=f"测试{i:03d}")["visit"]
                    desk.check_in(visit["visit_id"])
                ws_url = f"{url.replace('http', 'ws')}/api/v1/events?area=NK"
                sizes = []
                with connect(ws_url, additional_headers={"Authorization": f"Bearer {desk.token}"},
                             max_size=None) as ws:
                    json.loads(ws.recv(timeout=10))  # the snapshot
                    for i in range(5):
                        visit = desk.register("NK", name=f"新来{i}")["visit"]
                        desk.check_in(visit["visit_id"])
                        while True:
                            text = ws.recv(timeout=10)
                            if json.loads(text).get("type") == "queue":
                                sizes.append(len(text.encode()))
                                break
        out[f"bytes_{waiting}"] = int(statistics.median(sizes))
    out["ratio"] = round(out["bytes_500"] / out["bytes_50"], 2)
    return out


BENCHES = {"help_loop": help_loop, "device_health": device_health, "console_bytes": console_bytes}

if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "kiosk":
    sys.exit(_kiosk_process(sys.argv[2], sys.argv[3]))
