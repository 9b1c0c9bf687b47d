"""What happened during the scripted morning, and the figures of summary.json (pure apart from the lock)."""
from __future__ import annotations

import statistics
import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CallRecord:
    """A call command a nurse sent (call next, call again or a call after a recall)."""

    visit_id: str
    ticket: str
    room: str
    area: str
    sent: float               # time.monotonic() when the command was sent
    wait_minutes: float | None  # simulated minutes from check-in to this (first) call
    first: bool = True


@dataclass
class Fault:
    case: str
    patient: str
    handled: bool
    how: str


@dataclass
class Ledger:
    """Thread-safe record of the run; the main thread adds what the wall screen showed."""

    patients: list[dict[str, Any]] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    shown: dict[str, list[float]] = field(default_factory=dict)  # visit id -> monotonic times the wall showed it
    faults: list[Fault] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    served: set[str] = field(default_factory=set)
    missed: set[str] = field(default_factory=set)
    recalled: set[str] = field(default_factory=set)
    queued: dict[str, str] = field(default_factory=dict)  # visit id -> area

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def patient(self, **info: Any) -> None:
        with self.lock:
            self.patients.append(info)
            if info.get("visit_id"):
                self.queued[info["visit_id"]] = info.get("area", "")

    def call(self, record: CallRecord) -> None:
        with self.lock:
            self.calls.append(record)

    def fault(self, case: str, patient: str, handled: bool, how: str) -> None:
        with self.lock:
            self.faults.append(Fault(case, patient, handled, how))
            if not handled:
                self.problems.append(f"{case} ({patient}): {how}")

    def problem(self, text: str) -> None:
        with self.lock:
            if text not in self.problems:
                self.problems.append(text)

    def saw_on_wall(self, visit_id: str, at: float) -> None:
        with self.lock:
            self.shown.setdefault(visit_id, []).append(at)

    # ------------------------------------------------------------------ figures
    def latencies_ms(self, area: str) -> list[float]:
        """Call command sent -> wall screen showing that visit, for the calls of ``area``."""
        out = []
        with self.lock:
            for call in self.calls:
                if call.area != area:
                    continue
                seen = [t for t in self.shown.get(call.visit_id, []) if t >= call.sent]
                if seen:
                    out.append((min(seen) - call.sent) * 1000.0)
        return out

    def unseen_calls(self, area: str) -> list[str]:
        with self.lock:
            return [c.ticket for c in self.calls if c.area == area
                    and not any(t >= c.sent for t in self.shown.get(c.visit_id, []))]


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def spread(values: list[float], digits: int = 1) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    return {"count": len(values), "median": round(statistics.median(values), digits),
            "p90": round(percentile(values, 90), digits), "max": round(max(values), digits)}


def _count_by_area(ledger: Ledger) -> dict[str, int]:
    counts: dict[str, int] = {}
    with ledger.lock:
        for call in ledger.calls:
            counts[call.area] = counts.get(call.area, 0) + 1
    return counts


def summarise(ledger: Ledger, *, arrivals: int, later_slots: list[str] | None = None, artefacts: dict[str, Any], timing: dict[str, Any],
              wall_area: str = "NK") -> dict[str, Any]:
    """The content of summary.json."""
    waits = [c.wait_minutes for c in ledger.calls if c.first and c.wait_minutes is not None]
    by_via: dict[str, int] = {}
    for p in ledger.patients:
        by_via[p.get("via", "?")] = by_via.get(p.get("via", "?"), 0) + 1
    return {
        "patients_arrived": arrivals,
        "patients_by_channel": by_via,
        "visits_queued": len(ledger.queued),
        "patients_served": len(ledger.served),
        "registered_for_later_slots": list(later_slots or []),
        "no_shows": {"missed": sorted(ledger.missed), "recalled": sorted(ledger.recalled),
                     "missed_not_back": sorted(ledger.missed - ledger.recalled)},
        "calls": len(ledger.calls),
        "calls_by_area": _count_by_area(ledger),
        "wait_minutes_simulated": {"what": "check-in to first call, in minutes of simulated hospital time",
                                   **spread(waits)},
        "call_to_wall_ms": {"what": f"nurse's call command sent -> area {wall_area} wall screen showing it, "
                                    "real milliseconds", **spread(ledger.latencies_ms(wall_area))},
        "failures_handled": [asdict(f) for f in ledger.faults],
        "problems": list(ledger.problems),
        "artefacts": artefacts,
        "timing": timing,
        "ok": not ledger.problems,
    }
