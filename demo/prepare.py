"""Before the service starts: the demo records (fixed seed) and the appointments the script checks in.

Appointments are booked as the hospital's phone/app channel would have done the day before (paid there,
so final), through the records backend on the database file the service is about to open.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class KnownPatient:
    """A patient already on file (a returning patient of the script)."""

    patient_id: int
    name: str
    medical_card_no: str
    birth_date: str
    has_bill: bool = False
    has_report: bool = False
    card_code: str = ""  # what the card's QR code carries (records/cardcode.py)
    id_number: str = ""  # the resident ID number on file (the 医保 platform knows the insured by it)


@dataclass(frozen=True)
class Appointment:
    """A final registration for today, to be checked in at a kiosk."""

    registration_id: int
    patient: KnownPatient
    department_id: str
    start: str
    end: str


def prepare(config: Any, db: str | Path, *, seed: int, today: date, appointments: int = 12) -> tuple[
        list[KnownPatient], list[Appointment]]:
    """Generate the records and book ``appointments`` NK appointments for this morning (one at 08:00-08:30)."""
    from records.backend import open_records
    from records.demo_data import generate
    from records.errors import RecordsError
    from records.models import HoldRequest

    generate(config, db, seed=seed, today=today)
    yesterday = datetime.combine(today - timedelta(days=1), time(9, 0))
    records = open_records(db, config, clock=lambda: yesterday, pay_at_visit=True)
    try:
        db_ = records.db
        busy = {r["patient_id"] for r in db_.all(
            "SELECT patient_id FROM rec_registrations WHERE date = ? AND state IN ('held', 'final')", (today.isoformat(),))}
        billed = {r["patient_id"] for r in db_.all("SELECT patient_id FROM rec_bills WHERE state = 'unpaid'")}
        reported = {r["patient_id"] for r in db_.all("SELECT patient_id FROM rec_reports WHERE released_at IS NOT NULL")}
        rows = db_.all("SELECT id, name, medical_card_no, birth_date, card_code, id_number FROM rec_patients "
                       "ORDER BY id")
        known = [KnownPatient(r["id"], r["name"], r["medical_card_no"], r["birth_date"] or "",
                              r["id"] in billed, r["id"] in reported, r["card_code"] or "", r["id_number"] or "")
                 for r in rows if r["id"] not in busy]
        slots = db_.all(
            "SELECT x.id, x.starts, x.ends, x.quota - x.taken AS free, s.department_id FROM rec_slots x"
            " JOIN rec_sessions s ON s.id = x.session_id WHERE x.date = ? AND s.department_id = 'NK'"
            " AND s.kind = 'general' AND s.session = 'am' AND x.starts < '10:00' ORDER BY x.starts, x.id",
            (today.isoformat(),))
        booked: list[Appointment] = []
        free = [p for p in known if not p.has_bill and not p.has_report]
        per_start: dict[str, int] = {}
        for slot in slots:
            for _ in range(max(0, min(slot["free"], 2 - per_start.get(slot["starts"], 0)))):
                if len(booked) >= appointments or not free:
                    break
                patient = free.pop(0)
                try:
                    reg = records.hold(HoldRequest(patient_id=patient.patient_id, slot_id=slot["id"]))
                except RecordsError:  # slot filled meanwhile: try the next one
                    continue
                per_start[slot["starts"]] = per_start.get(slot["starts"], 0) + 1
                booked.append(Appointment(reg["registration_id"], patient, "NK", slot["starts"], slot["ends"]))
        taken = {a.patient.patient_id for a in booked}
        return [p for p in known if p.patient_id not in taken], booked
    finally:
        records.db.close()
