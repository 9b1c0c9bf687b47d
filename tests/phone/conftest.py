"""The patient's phone: a live service whose SMS gateway is the simulator, a kiosk, a nurse, a phone-sized Chromium."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest

from caller.notify.simulator import GatewaySimulator
from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, free_port, run_service
from client.http import CallerClient
from common.config import DEMO_CONFIG, load_hospital
from common.notify_settings import NotifySettings, SmsSettings
from tests.pg_fixture import pg_cluster, pg_url, store_url  # noqa: F401 - fixtures

SECRET = "test-gateway-secret"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}

# Records what the page asks the phone to do: vibrate (the Vibration API is the browser's, not ours).
RECORD_VIBRATIONS = """
window.__vibrations = [];
navigator.vibrate = function (pattern) { window.__vibrations.push(pattern); return true; };
"""


class RunningClock:
    """Real time, but starting at 09:00 of a clinic day: retries and backoff see time pass; tests may jump ahead."""

    def __init__(self, start: datetime = datetime(2026, 11, 23, 9, 0, 0)):
        self.start, self.t0, self.offset = start, time.monotonic(), timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.start + timedelta(seconds=time.monotonic() - self.t0) + self.offset

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.offset += timedelta(**delta)


def notify_settings(url: str, callback_url: str = "", **more) -> NotifySettings:
    values = {"sms": SmsSettings(url=url, secret=SECRET, callback_url=callback_url), "retry_base_seconds": 0.05,
              "retry_max_seconds": 0.4}
    return NotifySettings(**{**values, **more})


def waiting(kiosk, n: int, name: str = "王小明") -> list[dict]:
    """Register and check in n NK visits; returns them in ticket order."""
    visits = []
    for _ in range(n):
        visit = kiosk.register("NK", name=name)["visit"]
        kiosk.check_in(visit["visit_id"])
        visits.append(visit)
    return visits


@pytest.fixture(scope="session")
def hospital():
    return load_hospital(DEMO_CONFIG)


@pytest.fixture
def gateway():
    with GatewaySimulator(SECRET) as sim:
        yield sim


@pytest.fixture
def clock() -> RunningClock:
    return RunningClock()


@pytest.fixture
def live(hospital, gateway, store_url, clock):
    port = free_port()
    settings = notify_settings(gateway.url, f"http://127.0.0.1:{port}/api/v1/notify/sms/status")
    with run_service(hospital.model_copy(update={"notify": settings}), store_url, clock=clock,
                     records=False, port=port) as url:
        yield url


@pytest.fixture
def kiosk(live):
    with CallerClient(live, DEMO_TOKENS["kiosk"]) as client:
        yield client


@pytest.fixture
def nurse(live):
    with CallerClient(live, DEMO_TOKENS["console_nk"]) as client:
        client.login("wanghs", DEMO_PASSWORD)
        yield client


@pytest.fixture
def phone(browser):
    """phone() opens a new phone (its own browser context: a patient's or a family member's)."""
    contexts = []

    def open_phone():
        # bypass_csp: the page's policy (script-src 'self', checked by the header tests) refuses eval, and
        # Playwright's wait_for_function polls a string condition through eval once it is not true at once
        context = browser.new_context(**PHONE, bypass_csp=True)
        context.add_init_script(RECORD_VIBRATIONS)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()
