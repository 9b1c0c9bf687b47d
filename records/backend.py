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


PARTS = (Patients, Seats, Schedules, Registrations, Billing, Payments, Reports, Reminders, Ratings, Family, Reprints,
         CancelRule)


class served_by:
    """``identify = served_by(Family.identify)``: the operation is that method of the part (one line says which part
    answers it, and a reader follows the reference; no mixin chain to search)."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self.method = method
        self.part = next(part for part in PARTS if method in vars(part).values())

    def __get__(self, records: Any, owner: type) -> Any:
        if records is None:  # on the class: the part's function (signature checks read it)
            return self.method
        return self.method.__get__(records.parts[self.part])


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
        self.parts: dict[type, Any] = {type(part): part for part in (
            self.patients, self.seats, self.schedules, self.registrations, self.billing, self.payments, self.reports,
            self.reminders, self.ratings, self.family, self.reprints, self.cancel_rule)}

    # shared state, read and replaced through the core (a reloaded hospital file sets config and settings)
    db = property(lambda self: self.core.db)
    clock = property(lambda self: self.core.clock)
    config = property(lambda self: self.core.config, lambda self, value: setattr(self.core, "config", value))
    settings = property(lambda self: self.core.settings, lambda self, value: setattr(self.core, "settings", value))

    def now(self) -> datetime:
        return self.core.now()

    # patients (identification also lists the family a patient may act for)
    identify = served_by(Family.identify)
    create_patient = served_by(Patients.create_patient)
    patient_of = served_by(Patients.patient_of)
    identity_number = served_by(Patients.identity_number)
    session_department = served_by(Patients.session_department)
    get_patient = served_by(Patients.get_patient)
    add_proxy = served_by(Patients.add_proxy)
    create_family_member = served_by(Family.create_family_member)
    family_of = served_by(Family.family_of)
    # schedules and seats
    ensure_day = served_by(Schedules.ensure_day)
    list_departments = served_by(Schedules.list_departments)
    list_doctors = served_by(Schedules.list_doctors)
    list_slots = served_by(Schedules.list_slots)
    stop_clinic = served_by(Schedules.stop_clinic)
    notices = served_by(Schedules.notices)
    expire_holds = served_by(Seats.expire_holds)
    # registrations
    hold = served_by(Registrations.hold)
    finalise = served_by(Registrations.finalise)
    cancel_registration = served_by(Registrations.cancel_registration)
    refuse_unless_cancellable = served_by(CancelRule.refuse_unless_cancellable)
    reprint_slip = served_by(Reprints.reprint_slip)
    check_in = served_by(Registrations.check_in)
    registration_status = served_by(Registrations.registration_status)
    list_registrations = served_by(Registrations.list_registrations)
    # bills and payments
    create_bill = served_by(Billing.create_bill)
    list_bills = served_by(Billing.list_bills)
    get_bill = served_by(Billing.get_bill)
    set_prices = served_by(Billing.set_prices)
    price_list = served_by(Billing.price_list)
    create_payment = served_by(Payments.create_payment)
    get_order = served_by(Payments.get_order)
    confirm_payment = served_by(Payments.confirm_payment)
    pay_with_code = served_by(Payments.pay_with_code)
    abandon_payment = served_by(Payments.abandon_payment)
    payment_notice = served_by(Payments.payment_notice)
    apply_provider_order = served_by(Payments.apply_provider_order)
    settle = served_by(Payments.settle)
    refund_bill = served_by(Payments.refund_bill)
    reconcile = served_by(Payments.reconcile)
    # reports
    add_report = served_by(Reports.add_report)
    list_reports = served_by(Reports.list_reports)
    get_report = served_by(Reports.get_report)
    verify_report = served_by(Reports.verify_report)
    print_report = served_by(Reports.print_report)
    # appointment reminders
    reminder_view = served_by(Reminders.reminder_view)
    set_reminders = served_by(Reminders.set_reminders)
    stop_reminders = served_by(Reminders.stop_reminders)
    reminder_bookings = served_by(Reminders.reminder_bookings)
    # ratings
    add_rating = served_by(Ratings.add_rating)
    rating_stats = served_by(Ratings.rating_stats)


def open_records(db: RecordsDB | str | Path, config: Any = None, *, clock: Callable[[], datetime] | None = None,
                 queue: QueueLink | None = None, payments: Any = None, settings: RecordsSettings | None = None,
                 **overrides: Any) -> Records:
    """Build the embedded backend on a RecordsDB (or a SQLite path / PostgreSQL URL). Settings come from the config
    ([schedule], [fees], [rules]) plus overrides."""
    database = db if isinstance(db, RecordsDB) else RecordsDB(db)
    settings = settings or settings_from_config(config, **overrides)
    return Records(database, settings, config=config, clock=clock, queue=queue, payments=payments)
