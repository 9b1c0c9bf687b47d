"""Fixtures: a simulated reader on a real pty, a CardReader on it, and a recorder of its callbacks."""
from __future__ import annotations

import threading
from typing import Any, Callable

import pytest

from hardware.idcard.reader import CardReader
from hardware.idcard.simulator import CardReaderSimulator


class Recorder:
    """Collects (signal name, argument) from a reader's callbacks; waits with a timeout, never sleeps."""

    def __init__(self, reader: Any, names: tuple[str, ...]) -> None:
        self.events: list[tuple[str, Any]] = []
        self._cond = threading.Condition()
        for name in names:
            getattr(reader, name).connect(self._slot(name))

    def _slot(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            with self._cond:
                self.events.append((name, args[0] if args else None))
                self._cond.notify_all()
        return record

    def count(self, name: str) -> int:
        with self._cond:
            return sum(1 for n, _ in self.events if n == name)

    def wait_for(self, name: str, pred: Callable[[Any], bool] = lambda _: True,
                 after: int = 0, timeout: float = 5.0) -> Any:
        """The first `name` event (from index `after`) that satisfies pred."""
        found: list[Any] = []

        def seen() -> bool:
            for n, arg in self.events[after:]:
                if n == name and pred(arg):
                    found.append(arg)
                    return True
            return False

        with self._cond:
            assert self._cond.wait_for(seen, timeout), f"no {name} event in {timeout}s; got {self.names()}"
        return found[0]

    def names(self) -> list[str]:
        with self._cond:
            return [n for n, _ in self.events]

    def mark(self) -> int:
        with self._cond:
            return len(self.events)


@pytest.fixture
def sim():
    simulator = CardReaderSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def reader(sim):
    device = CardReader(sim.port_path, poll_interval=0.02, reopen_interval=0.05, response_timeout=0.2)
    yield device
    device.stop()


SIGNALS = ("card_read", "card_removed", "health_changed", "read_failed")


@pytest.fixture
def recorder_for():
    """Factory: recorder_for(reader) -> Recorder of its callbacks."""
    return lambda device, names=SIGNALS: Recorder(device, names)


@pytest.fixture
def recorder(reader, recorder_for):
    return recorder_for(reader)
