"""Request bodies of the records API (pydantic v2). Responses are plain JSON dicts documented in docs/records.md."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from caller.api.models import no_control_characters

ID_MAX = 2**63 - 1  # SQLite's integer range: larger ids are refused as 422, never a 500


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        no_control_characters(value)
        for number in (value if isinstance(value, list) else [value]):
            if isinstance(number, int) and not isinstance(number, bool) and abs(number) > ID_MAX:
                raise ValueError("number out of range")
        return value


class IdCardData(_Body):
    """Everything the ID card reader gives; photo as base64 of the opaque 1024-byte blob."""

    name: str = Field(min_length=1, max_length=60)
    gender: str | None = None
    ethnicity: str | None = None
    birth_date: str | None = None
    address: str | None = None
    id_number: str
    authority: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    card_kind: str | None = None
    photo_b64: str | None = None


class Proxy(_Body):
    """A family member who may act for the patient (家属代办)."""

    name: str = Field(min_length=1, max_length=60)
    relation: str = Field(min_length=1, max_length=20)
    phone: str | None = Field(default=None, max_length=20)
    id_number: str | None = None


class FamilyMemberCreate(_Body):
    """为家人建档: a child (or other family member) created from the guardian's session. With an ID number (from the
    household register) sex and birth date come from it; a newborn has none: sex and birth date are given."""

    idempotency_key: str | None = None
    name: str = Field(min_length=1, max_length=60)
    relation: str = Field(default="父母", min_length=1, max_length=20, description="the guardian to the child")
    id_number: str | None = Field(default=None, max_length=18)
    gender: Literal["男", "女"] | None = None
    birth_date: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")


class PatientCreate(_Body):
    idempotency_key: str | None = None
    source: Literal["id_card", "medical_card", "typed"]
    id_card: IdCardData | None = None
    id_number: str | None = None
    name: str | None = Field(default=None, max_length=60)
    phone: str | None = Field(default=None, max_length=20)
    medical_card_no: str | None = Field(default=None, max_length=40)
    proxies: list[Proxy] = Field(default_factory=list)


class Identify(_Body):
    """Who stands at the kiosk. A typed ID number needs a second factor: the last 4 digits of the phone on
    record, or (card read) the name the ID card gives. Without it no name is revealed."""

    id_number: str | None = Field(default=None, max_length=18)
    card_code: str | None = Field(default=None, max_length=40,
                                  description="what a medical card's QR code carries (MC:<code>): proof by itself")
    medical_card_no: str | None = Field(default=None, max_length=40,
                                        description="the printed card number: needs phone_last4 at a kiosk")
    card_name: str | None = Field(default=None, min_length=1, max_length=60,
                                  description="the name the ID card reader gave (a card was read)")
    phone_last4: str | None = Field(default=None, pattern=r"^[0-9]{4}$",
                                    description="second factor for a typed ID number or card number")


class HoldRequest(_Body):
    idempotency_key: str | None = None
    patient_id: int
    slot_id: int
    proxy_id_number: str | None = None
    extra: bool = False


class CancelRequest(_Body):
    idempotency_key: str | None = None
    reason: str | None = None


class CheckInRequest(_Body):
    idempotency_key: str | None = None


class StopClinic(_Body):
    notice: str = Field(min_length=1, max_length=200)


class BillItemIn(_Body):
    name: str = Field(min_length=1)
    quantity: int = Field(ge=1)
    unit: str | None = None
    unit_fen: int = Field(ge=0)


class BillCreate(_Body):
    idempotency_key: str | None = None
    patient_id: int
    kind: Literal["visit", "drug", "exam", "registration"]
    title: str = Field(min_length=1)
    items: list[BillItemIn] = Field(min_length=1)


class PaymentCreate(_Body):
    idempotency_key: str | None = None
    patient_id: int
    bill_ids: list[int] = Field(min_length=1)
    amount_fen: int = Field(ge=0)
    method: Literal["qr", "code", "card"] = "qr"
    proxy_id_number: str | None = None
    insurance_claim_id: int | None = Field(default=None, description="the 医保 claim whose 自付 part this pays")


class PaymentNotice(_Body):
    order_id: int


class PayCode(_Body):
    code: str = Field(min_length=10, max_length=40)


class ReconcileRequest(_Body):
    date: str


class ReportVerify(_Body):
    staff_id: str | None = Field(default=None, min_length=1, max_length=40, description="only for admin/LIS tokens; console: the logged-in user")


class ReprintRequest(_Body):
    """补打 of a registration's slip: the queue ticket or the 挂号凭条."""

    idempotency_key: str | None = None
    kind: Literal["ticket", "receipt"]


class ReportPrint(_Body):
    idempotency_key: str | None = None


class RatingCreate(_Body):
    idempotency_key: str | None = None
    stars: int = Field(ge=1, le=5)
    tags: list[str] = Field(default_factory=list, max_length=20)
    transaction_kind: Literal["registration", "check_in", "payment", "report", "record", "visit", "other"]
    transaction_id: str | None = Field(default=None, max_length=40)
    comment: str | None = Field(default=None, max_length=500)


class ReminderOptIn(_Body):
    """Appointment reminders for a patient: SMS to the phone on record unless ``to`` gives another number."""

    channel: Literal["sms", "wechat"] = "sms"
    to: str | None = Field(default=None, max_length=64, description="mobile number (sms) or WeChat openid")
