"""Ward-side figures over loopback with the real apps: the help loop, device health, console bytes.

* ``help_loop``: the kiosk window's 呼叫工作人员 -> the guide desk console's help bar shows the call
  (``press_to_console_p99_ms``); the console's 我来处理 -> the kiosk shows who is coming (``ack_to_kiosk_p99_ms``).
  The caller service runs as its own process; the kiosk and the console are the real windows in this process.
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

    from uikit.fonts import load_cjk_font

    app = QApplication.instance() or QApplication([])
    load_cjk_font(app)
    return app


def help_loop(samples: int = SAMPLES) -> dict:
    from caller.testing import run_service_process
    from caller_console.app import open_console
    from kiosk.app import build_kiosk

    app = _apps()
    press, ack, lost = [], [], 0
    with tempfile.TemporaryDirectory() as tmp, run_service_process(db_path=Path(tmp) / "bench.db") as service:
        kiosk = build_kiosk(service.base_url, KIOSK, start_devices=False)
        desk = open_console(service.base_url, DT_CONSOLE, "wangdy", PASSWORD, area="DT")
        desk.show()
        try:
            _until(app, lambda: desk.online, 10)
            for _ in range(samples):
                before = set(desk.help_calls)
                start = time.monotonic()
                kiosk.flows.call_staff()
                shown = _until(app, lambda: bool(set(desk.help_calls) - before) and desk.help_bar.isVisible())
                if shown is None:
                    lost += 1
                    continue
                press.append((shown - start) * 1000)
                help_id = next(iter(set(desk.help_calls) - before))
                _until(app, lambda: kiosk.current is not None and kiosk.current.name == "help")
                start = time.monotonic()
                desk.acknowledge_help(help_id)
                coming = _until(app, lambda: "正在赶来" in getattr(kiosk.current, "speech", ""))
                if coming is None:
                    lost += 1
                else:
                    ack.append((coming - start) * 1000)
                desk.close_help(help_id, "resolved")
                _until(app, lambda: help_id not in desk.help_calls and "已结束" in getattr(kiosk.current, "speech", ""))
                kiosk.go_home("home")
        finally:
            desk.shutdown()
            desk.close()
            kiosk.close()
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
    from caller.config import DEMO_CONFIG, load_hospital
    from caller.service import CallerService
    from caller.testing import ManualClock

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
                    service.record_health(who, HealthBody(status="ok", parts=parts))
                    due[d.id] = tick + every + rng.uniform(0, 3)
            service.check_device_alerts()
            offline |= {v["device"] for v in service.devices() if v["status"] == "offline"}
        service.close()
    return len(offline)


def console_bytes() -> dict:
    """Bytes of the staff queue message one console receives for one change, at 50 and 500 waiting."""
    from websockets.sync.client import connect

    from caller.client import CallerClient
    from caller.testing import run_service

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
