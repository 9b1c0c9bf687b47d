"""Waiting-time estimates shown to patients, with a range ("约 12-20 分钟").

The old estimate was `ahead x median service minutes` of the room or department, whatever the number of rooms
serving that queue. The estimate here divides by the rooms that may serve the visit now (open, not paused, fitting
its department and doctor): with `ahead` visits before it and `r` rooms, the visit waits for `ahead / r`
consultations plus what is left of the one under way, and for the session to start when it is early. The range
takes the 20th and 80th percentile of recent service times (low: nothing left of the current consultation; high:
a whole one). Pure: the engine supplies the inputs (`QueueEngine.estimate_inputs`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

LOW_Q, HIGH_Q = 0.2, 0.8  # the range spans the 20th to 80th percentile of recent service times


@dataclass(frozen=True)
class Estimate:
    minutes: float  # the single figure (the old field estimate_minutes)
    low: int  # whole minutes, shown as "约 low-high 分钟"
    high: int

    def as_json(self) -> dict:
        return {"estimate_minutes": self.minutes, "estimate_min": self.low, "estimate_max": self.high}


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered) - 1e-9))
    return ordered[rank - 1]


def estimate(ahead: int, rooms: int, service_minutes: list[float], default_minutes: float,
             opens_in: float = 0.0) -> Estimate:
    """The wait of a visit with `ahead` visits before it, `rooms` rooms that may serve it, recent service times,
    and `opens_in` minutes until the rooms start calling (before the session starts)."""
    samples = list(service_minutes) or [default_minutes * 0.6, default_minutes, default_minutes * 1.5]
    share = ahead / max(1, rooms)  # consultations each room gives before this one
    median = _quantile(samples, 0.5)
    low_s, high_s = _quantile(samples, LOW_Q), _quantile(samples, HIGH_Q)
    gap = max(0.0, opens_in)
    minutes = round(gap + (share + 0.5) * median, 1)  # plus, on average, half of the consultation under way
    low = math.floor(gap + share * low_s)
    high = math.ceil(gap + (share + 1) * high_s)
    return Estimate(minutes, min(low, math.floor(minutes)), max(high, math.ceil(minutes), low + 1))


def text_zh(low: int, high: int) -> str:
    return f"约 {low}-{high} 分钟"
