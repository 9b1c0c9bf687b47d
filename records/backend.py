"""The records interface (`RecordsBackend`) and its embedded implementation (`Records`, built from parts).

The router only calls the protocol, so a hospital information system (HIS) adapter with the same methods can
replace the embedded store without touching the kiosk or the API.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Protocol

from records.billing import Billing
from records.cancel_rule import CancelRule
from records.core import RecordsCore
from records.db import RecordsDB
from records.family import Family
from records.holds import Seats
from records.models import (
    BillCreate,
    FamilyMemberCreate,
    HoldRequest,
    Identify,
    PatientCreate,
    PaymentCreate,
    Proxy,
    RatingCreate,
    ReprintRequest,
)
from records.patients import Patients
from records.payments import Payments
from records.ports import QueueLink
from records.ratings import Ratings
from records.registrations import Registrations
from records.reminders import Reminders
from records.reports import Reports
from records.reprints import Reprints
from records.schedules import Schedules
from records.settings import RecordsSettings, settings_from_config

Json = dict[str, Any]


class RecordsBackend(Protocol):
    """Every operation behind the kiosk. Refusals raise records.errors.RecordsError; results are JSON dicts."""

    # patients
    def identify(self, body: Identify, trusted: bool = True) -> Json: ...
    def create_patient(self, body: PatientCreate, trusted: bool = True) -> Json: ...
    def patient_of(self, kind: str, ident: int) -> int | None: ...
    def identity_number(self, patient_id: int) -> str | None: ...
    def session_department(self, session_id: int) -> str | None: ...
    def get_patient(self, patient_id: int) -> Json: ...
    def add_proxy(self, patient_id: int, proxy: Proxy, at_kiosk: str | None = None) -> Json: ...
    def create_family_member(self, guardian_id: int, body: FamilyMemberCreate) -> Json: ...
    def family_of(self, guardian_id: int) -> list[Json]: ...
    # schedules
    def list_departments(self, day: str | None = None) -> Json: ...
    def list_doctors(self, department_id: str | None, day: str | None = None) -> Json: ...
    def list_slots(self, department_id: str | None, day: str | None = None, doctor_id: str | None = None,
                   session: str | None = None) -> Json: ...
    def stop_clinic(self, session_id: int, notice: str) -> Json: ...
    def notices(self, day: str | None = None) -> Json: ...
    # registrations
    def hold(self, body: HoldRequest, may_add_extra: bool = False) -> Json: ...
    def cancel_registration(self, reg_id: int, idempotency_key: str | None = None, queue_done: bool = False) -> Json: ...
    def refuse_unless_cancellable(self, reg_id: int) -> None: ...
    def check_in(self, reg_id: int, idempotency_key: str | None = None) -> Json: ...
    def reprint_slip(self, reg_id: int, body: ReprintRequest, device: str | None = None) -> Json: ...
    def registration_status(self, reg_id: int) -> Json: ...
    def list_registrations(self, patient_id: int, include_past: bool = False) -> Json: ...
    # bills and payments
    def create_bill(self, body: BillCreate) -> Json: ...
    def list_bills(self, patient_id: int, state: str | None = "unpaid") -> Json: ...
    def price_list(self, category: str | None = None) -> Json: ...
    def create_payment(self, body: PaymentCreate, device: str | None = None) -> Json: ...
    def get_order(self, order_id: int) -> Json: ...
    def confirm_payment(self, order_id: int) -> Json: ...
    def pay_with_code(self, order_id: int, code: str) -> Json: ...
    def abandon_payment(self, order_id: int) -> Json: ...
    def payment_notice(self, order_id: int) -> Json: ...
    def reconcile(self, day: str) -> Json: ...
    # reports
    def list_reports(self, patient_id: int) -> Json: ...
    def get_report(self, report_id: int) -> Json: ...
    def verify_report(self, report_id: int, staff_id: str) -> Json: ...
    def print_report(self, report_id: int, device: str | None = None, idempotency_key: str | None = None) -> Json: ...
    # appointment reminders
    def reminder_view(self, patient_id: int) -> Json: ...
    def set_reminders(self, patient_id: int, channel: str, to: str | None, by: str) -> Json: ...
    def stop_reminders(self, patient_id: int, channel: str) -> Json: ...
    # ratings
    def add_rating(self, body: RatingCreate, device: str | None = None) -> Json: ...
    def rating_stats(self, since: str | None = None) -> Json: ...


class served_by:
    """``identify = served_by("patients")``: the operation is the part's method of the same name (one line says
    which part answers it; no mixin chain to search)."""

    def __init__(self, part: str) -> None:
        self.part = part

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, records: Any, owner: type) -> Any:
        if records is None:  # on the class: the part's function (signature checks read it)
            return getattr(PARTS[self.part], self.name)
        return getattr(getattr(records, self.part), self.name)


PARTS = {"patients": Patients, "seats": Seats, "schedules": Schedules, "registrations": Registrations,
         "billing": Billing, "payments": Payments, "reports": Reports, "reminders": Reminders, "ratings": Ratings,
         "family": Family, "reprints": Reprints, "cancel_rule": CancelRule}


class Records:
    """The embedded backend: parts that share one small core (records/core.py: clock, idempotency keys, audit,
    config lookups) and one database (records/db.py: SQLite or PostgreSQL, the transaction). Each part owns its
    tables; a part that needs another is handed it here, so every dependency is written down once."""

    def __init__(self, db: RecordsDB, settings: RecordsSettings, config: Any = None,
                 clock: Callable[[], datetime] | None = None, queue: QueueLink | None = None, payments: Any = None):
        self.core = core = RecordsCore(db, settings, config=config, clock=clock, queue=queue, payments=payments)
        self.patients = Patients(core)
        self.seats = Seats(core)
        self.schedules = Schedules(core, self.seats)
        self.registrations = Registrations(core, self.patients, self.schedules, self.seats)
        self.billing = Billing(core, self.patients, self.seats)
        self.payments = Payments(core, self.patients, self.registrations, self.seats)
        self.registrations.payments = self.payments  # a cancelled, paid registration is refunded
        self.reports = Reports(core, self.patients)
        self.reminders = Reminders(core)
        self.registrations.reminders = self.reminders  # a visit of a patient who asked for reminders is followed
        self.ratings = Ratings(core)
        self.family = Family(core, self.patients)  # 为家人办理: records made from a guardian's session
        self.reprints = Reprints(core)  # 补打 of a registration's slips, counted and limited
        self.cancel_rule = CancelRule(core)  # 退号 by the patient: the hospital's rule

    # shared state, read and replaced through the core (a reloaded hospital file sets config and settings)
    db = property(lambda self: self.core.db)
    clock = property(lambda self: self.core.clock)
    config = property(lambda self: self.core.config, lambda self, value: setattr(self.core, "config", value))
    settings = property(lambda self: self.core.settings, lambda self, value: setattr(self.core, "settings", value))

    def now(self) -> datetime:
        return self.core.now()

    # patients (identification also lists the family a patient may act for)
    identify = served_by("family")
    create_patient = served_by("patients")
    patient_of = served_by("patients")
    identity_number = served_by("patients")
    session_department = served_by("patients")
    get_patient = served_by("patients")
    add_proxy = served_by("patients")
    create_family_member = served_by("family")
    family_of = served_by("family")
    # schedules and seats
    ensure_day = served_by("schedules")
    list_departments = served_by("schedules")
    list_doctors = served_by("schedules")
    list_slots = served_by("schedules")
    stop_clinic = served_by("schedules")
    notices = served_by("schedules")
    expire_holds = served_by("seats")
    # registrations
    hold = served_by("registrations")
    finalise = served_by("registrations")
    cancel_registration = served_by("registrations")
    refuse_unless_cancellable = served_by("cancel_rule")
    reprint_slip = served_by("reprints")
    check_in = served_by("registrations")
    registration_status = served_by("registrations")
    list_registrations = served_by("registrations")
    # bills and payments
    create_bill = served_by("billing")
    list_bills = served_by("billing")
    get_bill = served_by("billing")
    set_prices = served_by("billing")
    price_list = served_by("billing")
    create_payment = served_by("payments")
    get_order = served_by("payments")
    confirm_payment = served_by("payments")
    pay_with_code = served_by("payments")
    abandon_payment = served_by("payments")
    payment_notice = served_by("payments")
    apply_provider_order = served_by("payments")
    settle = served_by("payments")
    refund_bill = served_by("payments")
    reconcile = served_by("payments")
    # reports
    add_report = served_by("reports")
    list_reports = served_by("reports")
    get_report = served_by("reports")
    verify_report = served_by("reports")
    print_report = served_by("reports")
    # appointment reminders
    reminder_view = served_by("reminders")
    set_reminders = served_by("reminders")
    stop_reminders = served_by("reminders")
    reminder_bookings = served_by("reminders")
    # ratings
    add_rating = served_by("ratings")
    rating_stats = served_by("ratings")


def open_records(db: RecordsDB | str | Path, config: Any = None, *, clock: Callable[[], datetime] | None = None,
                 queue: QueueLink | None = None, payments: Any = None, settings: RecordsSettings | None = None,
                 **overrides: Any) -> Records:
    """Build the embedded backend on a RecordsDB (or a SQLite path / PostgreSQL URL). Settings come from the config
    ([schedule], [fees], [rules]) plus overrides."""
    database = db if isinstance(db, RecordsDB) else RecordsDB(db)
    settings = settings or settings_from_config(config, **overrides)
    return Records(database, settings, config=config, clock=clock, queue=queue, payments=payments)
