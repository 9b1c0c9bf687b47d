"""Gateways under test: the simulator in-process, and the same simulator behind HTTP on loopback."""
from __future__ import annotations

from typing import Iterator

import pytest

from hardware.payment import HttpProvider, Outcome, SimulatedProvider
from hardware.payment.simulator import SimulatorServer


@pytest.fixture(params=["in-process", "http"])
def gateway(request: pytest.FixtureRequest) -> Iterator[SimulatedProvider | HttpProvider]:
    """A provider with simulator controls (script, script_next, script_order, patient_pays)."""
    simulated = SimulatedProvider(Outcome.approve(0.0))
    if request.param == "in-process":
        yield simulated
        return
    with SimulatorServer(simulated) as server, HttpProvider(server.url, timeout_s=5) as client:
        yield client
