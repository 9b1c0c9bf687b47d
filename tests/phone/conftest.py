"""The patient's phone: a live service, a kiosk and a nurse, and a phone-sized Chromium page."""
from __future__ import annotations

from datetime import datetime

import pytest

from caller.client import CallerClient
from caller.config import DEMO_CONFIG, load_hospital
from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, ManualClock, run_service

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}

# Records what the page asks the phone to do: vibrate (the Vibration API is the browser's, not ours).
RECORD_VIBRATIONS = """
window.__vibrations = [];
navigator.vibrate = function (pattern) { window.__vibrations.push(pattern); return true; };
"""


@pytest.fixture(scope="session")
def hospital():
    return load_hospital(DEMO_CONFIG)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, 0))


@pytest.fixture
def live(hospital, tmp_path, clock):
    with run_service(hospital, tmp_path / "hospital.db", clock=clock, records=False) as url:
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
        context = browser.new_context(**PHONE)
        context.add_init_script(RECORD_VIBRATIONS)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()
