"""A live caller service (real HTTP + WebSocket on 127.0.0.1) and clients with the demo hospital's tokens."""
from __future__ import annotations

from datetime import datetime

import pytest

from caller.testing import DEMO_PASSWORD as PASSWORD
from caller.testing import DEMO_TOKENS as T
from caller.testing import ManualClock, run_service
from client.http import CallerClient
from common.config import DEMO_CONFIG, load_hospital
from tests.pg_fixture import pg_cluster, pg_url, store_url  # noqa: F401 - fixtures

KIOSK = T["kiosk"]
CONSOLE_NK = T["console_nk"]


@pytest.fixture(scope="session")
def hospital():
    return load_hospital(DEMO_CONFIG)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, 0))


@pytest.fixture
def live(hospital, store_url, clock):
    """The service on a fresh database (SQLite, then PostgreSQL) with a movable clock; a str base URL with .service."""
    with run_service(hospital, store_url, clock=clock, records=False) as url:
        yield url


@pytest.fixture
def kiosk(live):
    with CallerClient(live, KIOSK) as client:
        yield client


@pytest.fixture
def nurse(live):
    """A console of the NK area with the nurse wanghs logged in."""
    with CallerClient(live, CONSOLE_NK) as client:
        client.login("wanghs", PASSWORD)
        yield client


@pytest.fixture
def register_waiting(kiosk):
    """register_waiting(n, dept="NK", name=...) registers and checks in n visits; returns them in ticket order."""

    def make(n: int, dept: str = "NK", name: str = "王小明") -> list[dict]:
        visits = []
        for _ in range(n):
            visit = kiosk.register(dept, name=name)["visit"]
            kiosk.check_in(visit["visit_id"])
            visits.append(visit)
        return visits

    return make
