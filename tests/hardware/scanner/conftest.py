"""Fixtures: a scanner simulator on a real pty and a ScannerReader whose callbacks land in queues."""
from __future__ import annotations

import queue

import pytest

from hardware.health import Health
from hardware.scanner.reader import ScannerReader
from hardware.scanner.simulator import ScannerSimulator


class Listener:
    """Codes and health changes of one reader, waited for with a timeout."""

    def __init__(self, reader: ScannerReader) -> None:
        self.codes: queue.Queue[str] = queue.Queue()
        self.healths: queue.Queue = queue.Queue()
        reader.scanned.connect(self.codes.put)
        reader.health_changed.connect(self.healths.put)

    def next_code(self, timeout: float = 5.0) -> str:
        return self.codes.get(timeout=timeout)

    def wait_health(self, status: Health, timeout: float = 5.0):
        while True:
            health = self.healths.get(timeout=timeout)
            if health.status is status:
                return health


@pytest.fixture
def scanner_sim():
    sim = ScannerSimulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def listen():
    """listen(reader) -> Listener; starts the reader, waits until its port is open, stops it afterwards."""
    started: list[ScannerReader] = []

    def attach(reader: ScannerReader) -> Listener:
        listener = Listener(reader)
        reader.start()
        started.append(reader)
        listener.wait_health(Health.OK)
        return listener

    yield attach
    for reader in started:
        reader.stop()
