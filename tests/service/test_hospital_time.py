"""Hospital time: a service machine left on UTC in Beijing still starts a new ticket day at midnight Beijing time."""
from __future__ import annotations

import os
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from caller.testing import DEMO_TOKENS, run_service, run_service_process, wait_healthy
from client.http import CallerClient
from common.clock import HospitalClock, ServiceClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


class MovableInstant:
    """POSIX seconds a test can set (the instant, not a wall-clock reading)."""

    def __init__(self, when: datetime):
        self.value = when.timestamp()
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.value

    def set(self, when: datetime) -> None:
        with self._lock:
            self.value = when.timestamp()


@pytest.fixture
def machine_on_utc(monkeypatch):
    """This process's local zone is UTC while the test runs (like a server nobody set up)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    assert datetime.now().astimezone().utcoffset() == timedelta(0)
    yield
    monkeypatch.undo()
    time.tzset()


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_numbers_restart_at_midnight_in_the_hospitals_zone_not_at_eight_on_a_utc_machine(machine_on_utc, tmp_path):
    instant = MovableInstant(shanghai(2026, 11, 23, 23, 59, 30))
    with run_service(db_path=tmp_path / "h.db", clock=HospitalClock("Asia/Shanghai", source=instant)) as live, \
            CallerClient(live, DEMO_TOKENS["kiosk"]) as kiosk:
        health = kiosk.healthz()
        assert health["time"].startswith("2026-11-23T23:59:30") and health["time"].endswith("+08:00")
        assert health["timezone"] == "Asia/Shanghai"
        last_of_day = kiosk.register("NK", name="李四")["visit"]

        instant.set(shanghai(2026, 11, 24, 0, 0, 30))  # 16:00:30 UTC: midnight has passed in Shanghai
        first = kiosk.register("NK", name="王五")["visit"]
        assert (last_of_day["day"], first["day"]) == ("2026-11-23", "2026-11-24")
        assert first["ticket"] == "A001"

        instant.set(shanghai(2026, 11, 24, 7, 59, 30))  # 23:59:30 UTC: the machine's own day ends now
        before_eight = kiosk.register("NK", name="赵六")["visit"]
        instant.set(shanghai(2026, 11, 24, 8, 0, 30))  # 00:00:30 UTC: the old bug issued A001 a second time here
        after_eight = kiosk.register("NK", name="钱七")["visit"]
        assert (before_eight["ticket"], after_eight["ticket"]) == ("A002", "A003")
        assert after_eight["day"] == "2026-11-24"
        assert kiosk.healthz()["time"].startswith("2026-11-24T08:00:30")


def test_the_service_process_on_a_utc_machine_serves_hospital_time(tmp_path):
    with run_service_process(db_path=tmp_path / "h.db", extra_env={"TZ": "UTC"}) as proc:
        wait_healthy(proc.base_url)
        with CallerClient(proc.base_url) as client:
            health = client.healthz()
    served = datetime.fromisoformat(health["time"])
    assert served.utcoffset() == timedelta(hours=8)
    assert abs(served - datetime.now(timezone.utc)) < timedelta(seconds=10)


def test_a_screen_with_a_fast_clock_shows_the_services_time_and_reports_the_drift(qtbot, tmp_path):
    from client.link import EventLink

    fast = ServiceClock(local=lambda: time.time() + 42.0)  # this screen's clock is 42 s ahead
    with run_service(db_path=tmp_path / "h.db") as live, CallerClient(live, DEMO_TOKENS["admin"]) as admin:
        link = EventLink(live, DEMO_TOKENS["wall_nk"], "NK", report_health=True, clock=fast).start()
        try:
            def wall_report() -> dict:
                return next(d for d in admin.devices() if d["device"] == "wall-nk")

            qtbot.waitUntil(lambda: wall_report()["status"] == "warning", timeout=10_000)  # a drifting clock: a warning on the pane
            report = wall_report()
            assert "本机时钟比服务器快 42 秒" in report["reason_zh"] and "NTP" in report["reason_zh"]
            shown = fast.aware()
            assert abs(shown - datetime.now(timezone.utc)) < timedelta(seconds=2)  # shows the service's time
            assert shown.utcoffset() == timedelta(hours=8)
        finally:
            link.stop()


def test_a_kiosk_slip_prints_the_services_time_not_its_own(tmp_path):
    from kiosk.backend import Backend

    with run_service(db_path=tmp_path / "h.db") as live:
        backend = Backend(live, DEMO_TOKENS["kiosk"])
        backend.clock.local = lambda: time.time() - 3600.0  # the kiosk's clock is an hour behind
        health = backend.check_clock()
        backend.close()
    behind = re.search(r"慢 (\d+) 秒", health.reason_zh)
    # an hour, give or take the round trip of the request that measured it (3601 on a loaded machine)
    assert health.status.value == "degraded" and behind and abs(int(behind.group(1)) - 3600) <= 2, health.reason_zh
    assert abs(backend.clock().replace(tzinfo=SHANGHAI) - datetime.now(timezone.utc)) < timedelta(seconds=2)


def test_no_part_reads_the_machines_local_clock():
    """Every day, slot and printed time goes through common.clock; a stray datetime.now() would bring the bug back."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    offenders = []
    for package in ("caller", "records", "kiosk", "caller_console", "display", "demo", "uikit", "bench", "cockpit"):
        for folder, _dirs, files in os.walk(os.path.join(root, package)):
            for name in files:
                if not name.endswith(".py") or (package, name) == ("caller", "clock.py"):
                    continue
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as fh:
                    for number, line in enumerate(fh, 1):
                        if any(bad in line for bad in ("datetime.now(", "date.today(", "= datetime.now",
                                                       "QDateTime.currentDateTime(", "time.localtime(")):
                            offenders.append(f"{os.path.relpath(path, root)}:{number}: {line.strip()}")
    assert offenders == []


def test_a_kiosk_keeps_step_with_a_demo_service_whose_clock_runs_fast(tmp_path):
    """The demo's service runs 40 times faster than the wall: between two measures the kiosk's clock (and so its
    screens and slips) runs as fast, instead of falling 35 minutes behind in the minute between measures."""
    from demo.clock import SimClock
    from kiosk.backend import Backend

    start = datetime(2026, 11, 23, 8, 0, 0)
    wall = [1_000_000.0]
    sim = SimClock(start, wall[0], 40.0, wall=lambda: wall[0])
    with run_service(db_path=tmp_path / "h.db", clock=sim) as live:
        backend = Backend(live, DEMO_TOKENS["kiosk"])
        backend.clock.local = lambda: wall[0]
        health = backend.check_clock()
        assert backend.clock.rate == 40.0 and health.status.value == "ok"  # a demo's clock is no NTP fault
        wall[0] += 60  # a real minute later, before the next measure
        shown = backend.clock()
        backend.close()
    assert abs((shown - sim()).total_seconds()) < 5 and shown.strftime("%H:%M") == "08:40"
