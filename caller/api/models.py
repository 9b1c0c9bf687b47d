"""Request bodies of the queue API: validated, with limits, unknown fields refused."""
from __future__ import annotations

import json
import re
from datetime import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.wire import Order

Ident = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")

# C0 controls except tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates and marks
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HEALTH_DETAIL_MAX = 4096  # bytes of JSON a device may report as health detail


def no_control_characters(value: Any) -> Any:
    """Refuse text with control characters or bidi overrides (U+202E would turn 王小明 around on a screen);
    checks strings inside lists and dicts too. Shared by every request body of the service and the records."""
    if isinstance(value, str):
        if CONTROL.search(value):
            raise ValueError("must not contain control characters or bidirectional overrides")
    elif isinstance(value, dict):
        for k, v in value.items():
            no_control_characters(k)
            no_control_characters(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            no_control_characters(v)
    return value


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return no_control_characters(value)


class IdempotentBody(Body):
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128,
                                        description="retrying with the same key returns the first result")


class RegisterBody(IdempotentBody):
    """POST /visits: register a visit and issue its ticket."""

    department: str = Ident
    name: str = Field(min_length=1, max_length=40, description="patient's full name (masked on public screens)")
    patient_id: str | None = Field(default=None, max_length=64, description="records' patient id (never shown publicly)")
    doctor: str | None = Field(default=None, min_length=1, max_length=64, description="expert number: its doctor")
    source: Literal["appointment", "onsite"] = "onsite"
    kind: Literal["general", "expert", "extra", "emergency"] | None = None
    session: Literal["am", "pm"] | None = None
    slot: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$", description="e.g. 09:00-09:15")
    reg_seq: int | None = Field(default=None, ge=1, le=100_000, description="挂号号序; default: next")
    triage_level: int | None = Field(default=None, ge=1, le=4, description="emergency: 1 濒危 .. 4 非急症")

    @field_validator("slot")
    @classmethod
    def _slot(cls, value: str | None) -> str | None:
        if value is None:
            return None
        start, end = value.split("-")
        if time.fromisoformat(end) <= time.fromisoformat(start):
            raise ValueError("slot ends before it starts")
        return value

    def slot_times(self) -> tuple[time | None, time | None]:
        if not self.slot:
            return None, None
        start, end = self.slot.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)


class MoveUpBody(Body):
    before: str | None = Field(default=None, min_length=1, max_length=64, description="put it just before this visit")
    steps: int | None = Field(default=None, ge=1, le=1000, description="or move it this many places forward")


class PriorityBody(Body):
    kind: str | None = Field(default=None, min_length=1, max_length=32,
                             description="special kind (e.g. elderly); null removes the priority")


class TriageBody(Body):
    level: int = Field(ge=1, le=4, description="1 濒危, 2 危重, 3 急症, 4 非急症")


class AssignDoctorBody(Body):
    doctor: str = Ident


class TransferBody(Body):
    department: str | None = Field(default=None, min_length=1, max_length=64)
    room: str | None = Field(default=None, min_length=1, max_length=64)
    at_end: bool = False


class RoomDoctorBody(Body):
    doctor: str | None = Field(default=None, min_length=1, max_length=64, description="null: no doctor")


class PauseBody(Body):
    return_at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                                  description="when the doctor is expected back, e.g. 10:30 (door and wall screens)")


class CallVisitBody(Body):
    room: str = Ident
    reason: str = Field(min_length=1, max_length=100, description="why out of turn (kept in the audit)")


class DispatchBody(Body):
    room: str = Ident


class BroadcastBody(IdempotentBody):
    text: str = Field(min_length=1, max_length=200)
    text_en: str = Field(default="", max_length=400)


class LoginBody(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class PartHealth(Body):
    device: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$", description="printer, idcard, ...")
    status: Literal["ok", "warning", "degraded", "fault", "offline"]
    reason_zh: str = Field(default="", max_length=200)
    reason_en: str = Field(default="", max_length=400)


class HealthBody(Body):
    """POST /devices/health: a heartbeat (every [device_health].heartbeat_s) or a change of state.

    A part's "offline" (does not answer, paper out) shows as a fault; "offline" on the pane is the service's
    own verdict after missed heartbeats.
    """

    status: Literal["ok", "warning", "degraded", "fault", "offline"]
    parts: list[PartHealth] = Field(default_factory=list, max_length=16, description="the device's parts, same heartbeat")
    device: str | None = Field(default=None, min_length=1, max_length=64,
                               description="a sub-device (e.g. printer); default: the reporting device")
    reason_zh: str = Field(default="", max_length=200)
    reason_en: str = Field(default="", max_length=400)
    detail: dict = Field(default_factory=dict, description=f"at most {HEALTH_DETAIL_MAX} bytes as JSON")

    @field_validator("detail")
    @classmethod
    def _small_detail(cls, value: dict) -> dict:
        if len(json.dumps(value, ensure_ascii=False, default=str).encode()) > HEALTH_DETAIL_MAX:
            raise ValueError(f"at most {HEALTH_DETAIL_MAX} bytes")
        return value


class HelpBody(IdempotentBody):
    """POST /help: a patient at a kiosk asks for staff."""

    screen: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$",
                        description="the screen the kiosk was showing (never patient data)")


# ------------------------------------------------------------------------------------ journey (docs/journey.md)
class OrdersBody(Body):
    """开单: the doctor's orders for the visit (common.wire.Order), the patient's flags for the services'
    ``auto_priority``, and whether the patient pays at a cashier window."""

    orders: list[Order] = Field(min_length=1, max_length=20)
    flags: list[Literal["elderly", "child", "pregnant", "disabled", "military"]] = Field(default_factory=list)
    pay_at_window: bool = False
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128)


class ReadyBody(Body):
    room: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                             description="the window the medicine waits at (default: the shortest list)")


class CodeBody(Body):
    code: str = Field(min_length=1, max_length=256, description="what was scanned or typed: the ticket QR, the guide "
                      "slip's code, or today's ticket number")


class PrepBody(Body):
    fasting_since: str | None = Field(default=None, description="when the patient last ate (HH:MM today, or ISO)")
    water_at: str | None = Field(default=None, description="when the patient drank the water (HH:MM or ISO)")
    consent: bool = False
