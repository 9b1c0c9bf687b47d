"""Fixtures the records, HIS and insurance tests share (import them into a folder's conftest): a movable clock at
Monday 08:20 and a payment gateway simulator on which nobody pays unless a test says so."""
from __future__ import annotations

from datetime import datetime

import pytest

from caller.testing import ManualClock
from hardware.payment import Outcome, SimulatedProvider

MONDAY_0820 = datetime(2026, 11, 23, 8, 20)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_0820)


@pytest.fixture
def provider(clock: ManualClock) -> SimulatedProvider:
    """Nobody pays unless a test says so (provider.patient_pays / script_next)."""
    return SimulatedProvider(Outcome.no_answer(), clock=lambda: clock().timestamp(), expires_after_s=900)
