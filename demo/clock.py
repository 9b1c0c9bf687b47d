"""Simulated hospital time shared by every process of the demo (pure, no I/O).

Simulated time runs ``speed`` times faster than the wall clock from an anchor: at wall time
``anchor_wall`` (``time.time()``) it was ``anchor_sim``. Every process given the same three numbers
reads the same simulated time, so the service, the speaker and the screens agree.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Callable
from zoneinfo import ZoneInfo

from common.clock import DEFAULT_TIMEZONE, HospitalClock


@dataclass(frozen=True)
class SimClock:
    anchor_sim: datetime  # naive hospital time
    anchor_wall: float
    speed: float = 1.0
    wall: Callable[[], float] = time.time
    timezone: str = DEFAULT_TIMEZONE

    def __call__(self) -> datetime:
        """Simulated hospital time now (naive, like the service's clock)."""
        return self.anchor_sim + timedelta(seconds=(self.wall() - self.anchor_wall) * self.speed)

    def aware(self) -> datetime:
        """Simulated time with the hospital's zone (for the screens and the speaker)."""
        return self().replace(tzinfo=ZoneInfo(self.timezone))

    def wall_seconds_until(self, when: datetime) -> float:
        """Real seconds until the simulated time reaches ``when`` (negative when past)."""
        return (when - self()).total_seconds() / self.speed

    def to_args(self) -> list[str]:
        return ["--sim-start", self.anchor_sim.isoformat(), "--wall-anchor", repr(self.anchor_wall),
                "--speed", repr(self.speed)]


def clinic_clock(now: datetime | None = None, wall: float | None = None) -> SimClock:
    """Real time (speed 1) during clinic hours, so every clock agrees; outside them today 09:00 at speed 1,
    so that numbers are on sale whatever the hour the demo is started."""
    now = now or HospitalClock()()
    wall = time.time() if wall is None else wall
    if dtime(7, 0) <= now.time() < dtime(16, 30):
        return SimClock(now, wall, 1.0)
    return SimClock(datetime.combine(now.date(), dtime(9, 0)), wall, 1.0)
