"""What the kiosk shows, independent of the wire format of the service (the backend maps JSON into these)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from common.wire import JourneyStatus


class PatientId(int):
    """The service's number for a patient: the one type and the one name (``Patient.id``) a patient has at the
    kiosk, from the card read to the ticket. The wire carries it as the integer ``patient_id``; a path or JSON
    string of digits ("12") is read into it once, in the backend."""

    def __new__(cls, value: int | str) -> "PatientId":
        number = int(value)
        if number <= 0:
            raise ValueError(f"a patient id is a positive number, not {value!r}")
        return super().__new__(cls, number)


@dataclass(frozen=True)
class Patient:
    id: PatientId
    name: str
    id_number: str = ""
    phone: str = ""
    gender: str = ""
    birth_date: str = ""
    medical_card_no: str = ""
    relation: str = ""  # a family member's relation to the patient at the kiosk (子女, 父母, ...)
    family: tuple["Patient", ...] = ()  # whom this patient may act for (为家人办理), from the service
    phone_masked: str = ""  # the phone on record as the service shows it (138********)
    card_qr: str = ""  # what the medical card's QR code says (MC:<card code>): scanning it identifies the patient


@dataclass(frozen=True)
class CardData:
    """What the ID card reader (or the typed number) gives us before the service knows the patient."""

    id_number: str
    name: str = ""
    gender: str = ""
    birth_date: str = ""
    address: str = ""

    def age_on(self, today: date) -> int | None:
        """Full years on ``today`` from the birth date the card carries; None without one."""
        try:
            born = date.fromisoformat(self.birth_date)
        except ValueError:
            return None
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    location: str = ""
    location_en: str = ""
    taken_today: int = 0  # numbers taken today: elderly mode lists the most used departments first


@dataclass(frozen=True)
class Doctor:
    """One bookable option for a department: a named expert, or the general number (id "")."""

    id: str
    name: str
    name_en: str = ""
    title: str = ""
    title_en: str = ""
    specialty: str = ""
    specialty_en: str = ""
    kind: str = "general"  # "general" 普通号 | "expert" 专家号
    fee_fen: int = 0
    remaining: int = 0


@dataclass(frozen=True)
class Slot:
    id: str
    start: str  # "09:00"
    end: str  # "09:30"
    remaining: int
    session: str = ""
    alternatives: tuple[str, ...] = ()  # other doctors' slots at the same time (general numbers)


@dataclass(frozen=True)
class Hold:
    """A slot held for this patient while they pay."""

    id: str
    amount_fen: int
    expires_at: str = ""
    bill_id: str = ""


@dataclass(frozen=True)
class Ticket:
    """A registration that has been paid and issued: what the result screen and the ticket show."""

    visit_id: str
    ticket: str
    department: str
    department_en: str = ""
    doctor: str = ""
    location: str = ""
    location_en: str = ""
    slot: str = ""
    ahead: int = 0
    estimate_minutes: int = 0
    fee_fen: int = 0
    patient_name: str = ""
    registered_at: str = ""
    reprint_code: str = ""
    room: str = ""
    ticket_token: str = ""   # the key of the phone ticket page /t/<token> (the QR code)
    kind: str = ""  # "general" 普通号 | "expert" 专家号
    doctor_title: str = ""
    date: str = ""  # the visit day, "2026-11-27"
    estimate_min: int | None = None  # the service's wait range, when it gives one
    estimate_max: int | None = None
    registration_id: str = ""
    doctor_en: str = ""  # the doctor's name in pinyin (hospital file name_en)
    late: bool = False  # checked in after the booked slot ended: placed by the hospital's late rule
    why_zh: str = ""  # who is ahead and why, in words ("前面 3 位：1 位老年人优先，2 位先到")
    why_en: str = ""
    doctor_title_en: str = ""  # the hospital file's English title, when it gives one
    room_en: str = ""  # the room's own English name ("Room 3")


@dataclass(frozen=True)
class Appointment:
    id: str
    department: str
    department_en: str = ""
    doctor: str = ""
    doctor_en: str = ""
    slot: str = ""
    checked_in: bool = False
    check_in_from: str = ""  # earliest check-in time "08:30"
    date: str = ""  # "2026-11-30"


@dataclass(frozen=True)
class BillItem:
    name: str
    quantity: float
    amount_fen: int
    name_en: str = ""


@dataclass(frozen=True)
class Bill:
    id: str
    title: str
    total_fen: int
    items: tuple[BillItem, ...] = ()
    title_en: str = ""
    created_at: str = ""


@dataclass(frozen=True)
class Report:
    id: str
    title: str
    released: bool
    title_en: str = ""
    ready_at: str = ""
    printed_count: int = 0
    lines: tuple[tuple[str, str, str, str, str], ...] = ()  # item, result, unit, reference, flag (H/L/"")
    extra: dict = field(default_factory=dict, compare=False)  # age, sex, specimen, tested_by, verified_by


@dataclass(frozen=True)
class VisitStatus:
    visit_id: str
    ticket: str
    department: str
    department_en: str = ""
    state: str = ""
    ahead: int = 0
    estimate_minutes: int = 0
    location: str = ""
    location_en: str = ""
    ticket_token: str = ""
    registration_id: str = ""
    estimate_min: int | None = None  # the service's wait range, when it gives one
    estimate_max: int | None = None
    journey: JourneyStatus | None = None  # the steps after the consulting room (一票到底), once ordered

    @property
    def journey_open(self) -> bool:
        """Steps still to do after the consulting room (what a guide slip 导诊单 is printed for)."""
        return self.journey is not None and any(s.state not in ("done", "cancelled") for s in self.journey.steps[1:])

    @property
    def report_ready(self) -> bool:
        """A lab step of the journey has its report out (报告已出): the patient may print it at a kiosk."""
        return self.journey is not None and any(s.kind == "lab" and s.stage == "reported" for s in self.journey.steps)


@dataclass(frozen=True)
class Payment:
    """A payment order at the provider."""

    id: str
    amount_fen: int
    qr_text: str = ""
    status: str = "pending"  # pending | paid | declined | timeout | cancelled
    reason: str = ""
    transaction_no: str = ""  # the payment gateway's order number, printed on the receipt
    method: str = "qr"  # qr (扫码) | code (付款码) | card (银行卡)


@dataclass
class Session:
    """The current patient's data. Wiped (replaced) when they finish or walk away."""

    patient: Patient | None = None
    card: CardData | None = None
    department: Department | None = None
    doctor: Doctor | None = None
    slot: Slot | None = None
    hold: Hold | None = None
    ticket: Ticket | None = None
    bills: list[Bill] = field(default_factory=list)
    payment: Payment | None = None  # the paid registration fee, for the 挂号凭条
    guardian: Patient | None = None  # the patient at the kiosk, while acting for a family member (``patient``)
    day: str = ""  # the visit day booked ahead ("2026-11-30"); "" = today
    idempotency: dict[str, str] = field(default_factory=dict)
    new_card: str = ""  # the card QR of a record made here in this session: printed on its first slip, then ""

    def clear(self) -> None:
        """The patient finished or walked away: forget everything about them (the flows keep this one object)."""
        for name, value in vars(Session()).items():
            setattr(self, name, value)

    @property
    def in_person(self) -> Patient | None:
        """The patient identified in person at this kiosk (who may act for their family), or None."""
        return self.guardian or self.patient

    @property
    def acting_for_family(self) -> bool:
        return self.guardian is not None and self.patient is not None and self.guardian.id != self.patient.id


def yuan(fen: int) -> str:
    """Money for people: 1250 -> '12.50'."""
    return f"{fen // 100}.{fen % 100:02d}"


@dataclass(frozen=True)
class PatientDay:
    """What an identified patient may want today: check in, pay, print, see their place in the queue."""

    patient: Patient
    appointments: tuple[Appointment, ...] = ()  # today's, paid, not yet checked in
    bills: tuple[Bill, ...] = ()
    reports: tuple[Report, ...] = ()  # released: can be printed now
    reports_pending: tuple[Report, ...] = ()  # not ready yet
    visits: tuple[VisitStatus, ...] = ()  # in the queue today
    upcoming: tuple[Appointment, ...] = ()  # booked for a later day (can be cancelled: 退号)
    invoices: tuple = ()  # issued e-invoices (kiosk.platforms.Invoice), newest first: can be printed again

    @property
    def unpaid_fen(self) -> int:
        return sum(b.total_fen for b in self.bills)

    @property
    def empty(self) -> bool:
        """Nothing waits for this patient today: they most likely came to register."""
        return not (self.appointments or self.bills or self.reports or self.reports_pending or self.visits
                    or self.upcoming or self.invoices)


@dataclass(frozen=True)
class Reprintable:
    """补打: one of the patient's last slips that can be printed again."""

    kind: str  # "ticket" 排队凭条 | "receipt" 挂号凭条 | "report" 检验报告单 | "einvoice" 电子票据
    ref: str  # the registration id (ticket, receipt), the report id or the invoice id
    title: str  # e.g. "A015  内科"
    detail: str = ""  # e.g. "2026-11-28 09:00-09:30"
    report: Report | None = None
    invoice: object = None  # kiosk.platforms.Invoice of an "einvoice"


@dataclass(frozen=True)
class BookingDay:
    """A day the patient may book ahead (预约), with what the chosen department has left."""

    date: str  # "2026-11-30"
    remaining: int = 0
    released: bool = True
    release_at: str = ""  # when an unreleased day opens, "11-23 08:00"
