"""`HisRecords`: the records the kiosk, console and phone call (`records.backend.RecordsBackend`), with a HIS that
answers questions (the FHIR driver) asked first: who is this patient, what do they owe, which reports are ready.
Everything else is the service's own records, unchanged (ratings, reminders, the queue)."""
from __future__ import annotations

from typing import Any

from records.backend import Records


class HisRecords(Records):
    """The embedded records (the same core and parts, so every operation not written here is the local one), with
    the HIS asked first; ``driver`` has pull_patient, pull_bills, pull_reports and pulled(what, work)."""

    def __init__(self, local: Records, driver: Any):
        self.local = local
        self.driver = driver
        self.core, self.parts = local.core, local.parts
        self.patients, self.seats, self.schedules = local.patients, local.seats, local.schedules
        self.registrations, self.billing, self.payments = local.registrations, local.billing, local.payments
        self.reports, self.reminders, self.ratings = local.reports, local.reminders, local.ratings
        self.family, self.reprints, self.cancel_rule = local.family, local.reprints, local.cancel_rule

    def identify(self, body: Any, trusted: bool = True) -> dict:
        self.driver.pulled("patient", lambda: self.driver.pull_patient(body.id_number, body.medical_card_no))
        return self.local.identify(body, trusted)

    def create_patient(self, body: Any, trusted: bool = True) -> dict:
        number = body.id_card.id_number if body.id_card is not None else body.id_number
        self.driver.pulled("patient", lambda: self.driver.pull_patient(number, body.medical_card_no))
        return self.local.create_patient(body, trusted)

    def list_bills(self, patient_id: int, state: str | None = "unpaid") -> dict:
        if state in (None, "unpaid"):
            self.driver.pulled("bills", lambda: self.driver.pull_bills(patient_id))
        return self.local.list_bills(patient_id, state)

    def list_reports(self, patient_id: int) -> dict:
        self.driver.pulled("reports", lambda: self.driver.pull_reports(patient_id))
        return self.local.list_reports(patient_id)
