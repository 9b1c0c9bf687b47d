"""The scripted morning: who arrives when, how, and what goes wrong (pure, no I/O).

``morning_script(patients, ...)`` spreads arrivals over the simulated morning. Every fault case is in the
script whatever its length; the first patient of each kind and every fault case use a real kiosk window,
the others the same LAN API the kiosk uses.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo.prepare import Appointment, KnownPatient

# kinds of arrival
NEW = "new"                # no record yet: ID card at the kiosk, new record, register today
RETURNING = "returning"    # on file: medical card QR at the kiosk, register today
APPOINTMENT = "appointment"  # booked yesterday: check in
EMERGENCY = "emergency"    # walks into the emergency department: triage desk registers with a level
BILLS = "bills"            # pays outstanding bills at the kiosk (receipt)
REPORTS = "reports"        # prints lab reports at the kiosk

# faults
PAPER_OUT = "paper_out"          # printer runs out of paper after the patient paid: reprint code
PAYMENT_TIMEOUT = "payment_timeout"  # the patient walks away from the payment QR: nothing charged
LATE = "late"                    # checks in after the appointment slot ended
MISSED = "missed"                # does not answer two calls: missed, comes back, recalled

FAULTS = (PAPER_OUT, PAYMENT_TIMEOUT, LATE, MISSED)
WALK_IN_DEPARTMENTS = ("NK", "NK", "NK", "NK", "WK", "YK", "EK")


@dataclass
class Arrival:
    """One patient of the script."""

    number: int
    at: datetime                 # simulated arrival time
    kind: str
    via_kiosk: bool
    kiosk: int = 0               # which kiosk (0 or 1)
    department: str = "NK"
    elderly: bool = False
    fault: str | None = None
    card_seed: int = 0           # new patients: the demo ID card
    card_kind: str = "resident"
    known: KnownPatient | None = None
    appointment: Appointment | None = None
    triage_level: int | None = None
    insurance_qr: str = ""       # bills: pays with 医保 by this 医保电子凭证 QR (the platform simulator's person)
    ehealth_qr: Callable[[], str] | None = None  # identifies by e-health card: its QR as the phone draws it now
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"#{self.number:02d} {self.kind}{'/' + self.fault if self.fault else ''}{' (kiosk)' if self.via_kiosk else ''}"


def _age(birth: str, today: datetime) -> int:
    try:
        year, month, day = (int(x) for x in birth.split("-"))
    except ValueError:
        return 40
    return today.year - year - ((today.month, today.day) < (month, day))


def morning_script(patients: int, start: datetime, minutes: float, known: list[KnownPatient],
                   appointments: list[Appointment], seed: int = 7) -> list[Arrival]:
    """``patients`` arrivals between ``start`` and ``start + minutes`` (simulated)."""
    rng = random.Random(seed)
    patients = max(patients, 8)
    returning = [p for p in known if not p.has_bill and not p.has_report]
    billed = [p for p in known if p.has_bill]
    reported = [p for p in known if p.has_report and not p.has_bill]
    elderly_pool = [p for p in returning if _age(p.birth_date, start) >= 70]
    late_appts = [a for a in appointments if a.start == "08:00"]
    ontime_appts = [a for a in appointments if a not in late_appts[:1]]

    # the fixed cast: (kind, via_kiosk, fault, extra) — always there, so a short run covers every case
    cast: list[Arrival] = []

    def add(kind: str, via_kiosk: bool, **kw) -> Arrival:
        arrival = Arrival(len(cast) + 1, start, kind, via_kiosk, **kw)
        cast.append(arrival)
        return arrival

    add(NEW, True, kiosk=0, card_seed=seed * 1000 + 1)
    add(RETURNING, True, kiosk=1, known=elderly_pool.pop(0) if elderly_pool else returning.pop(0), elderly=True)
    if ontime_appts:
        add(APPOINTMENT, True, kiosk=0, appointment=ontime_appts.pop(0))
    add(NEW, True, kiosk=1, card_seed=seed * 1000 + 2, fault=PAPER_OUT)
    add(NEW, True, kiosk=0, card_seed=seed * 1000 + 3, fault=PAYMENT_TIMEOUT)
    add(EMERGENCY, False, department="JZ", triage_level=2)
    add(NEW, False, card_seed=seed * 1000 + 4, fault=MISSED)
    if late_appts:
        add(APPOINTMENT, True, kiosk=1, appointment=late_appts[0], fault=LATE)
    if patients >= 9 and billed:  # pays with 医保 (the platform simulators): the split, the e-invoice
        add(BILLS, True, kiosk=0, known=billed.pop(0))
    if patients >= 20 and reported:
        add(REPORTS, True, kiosk=1, known=reported.pop(0))
    if patients >= 20:
        add(NEW, True, kiosk=0, card_seed=seed * 1000 + 5, card_kind="hmt")

    while len(cast) < patients:
        roll = rng.random()
        if roll < 0.06:
            add(EMERGENCY, False, department="JZ", triage_level=rng.choice((2, 3, 3, 4, 4)))
        elif roll < 0.30 and ontime_appts:
            add(APPOINTMENT, False, appointment=ontime_appts.pop(0))
        elif roll < 0.60 and returning:
            p = returning.pop(rng.randrange(len(returning)))
            add(RETURNING, False, known=p, department=rng.choice(WALK_IN_DEPARTMENTS),
                elderly=_age(p.birth_date, start) >= 70)
        else:
            add(NEW, False, card_seed=seed * 1000 + 100 + len(cast), department=rng.choice(WALK_IN_DEPARTMENTS))

    # arrival times: spread evenly with a little jitter; the late patient comes after their slot ended
    step = minutes / len(cast)
    for n, arrival in enumerate(cast):
        arrival.at = start + timedelta(minutes=n * step + rng.uniform(0, step * 0.5))
        if arrival.fault == LATE and arrival.appointment is not None:
            slot_end = datetime.combine(start.date(), datetime.strptime(arrival.appointment.end, "%H:%M").time())
            arrival.at = max(arrival.at, slot_end + timedelta(minutes=5))
    cast.sort(key=lambda a: a.at)
    return cast
