"""Cockpit benchmarks.

wait_estimate: synthetic mornings of the demo hospital (internal medicine, 4 rooms; arrivals 07:40-11:00, log-normal
consultations around 8 minutes, 3 % no-shows; seeds 1-4 with 40, 50, 60 and 70 patients) replayed through the
real engine. At each check-in the old estimate (ahead x median service minutes) and the new one (ahead / rooms
that may serve it, with a 20th-80th percentile range) are taken; at the first call the actual wait is known.
Figures: mean absolute error of both (minutes) and how often the actual wait fell inside the new range.
"""
from __future__ import annotations

from datetime import date


def wait_estimate() -> dict:
    from caller.config import DEMO_CONFIG, load_hospital
    from caller.simulate import replay, synthetic_day

    config = load_hospital(DEMO_CONFIG)
    rows = []
    for seed, visits in ((1, 40), (2, 50), (3, 60), (4, 70)):
        day = date(2026, 11, 23)
        out = replay(config, day, synthetic_day(config, day, visits, seed=seed), with_estimates=True)
        rows.extend(out.estimates)
    n = len(rows)
    return {"mae_old_min": round(sum(abs(a - old) for a, old, _l, _h, _p in rows) / n, 1),
            "mae_new_min": round(sum(abs(a - p) for a, _o, _l, _h, p in rows) / n, 1),
            "coverage": round(sum(1 for a, _o, low, high, _p in rows if low <= a <= high) / n, 3)}


BENCHES = {"wait_estimate": wait_estimate}
