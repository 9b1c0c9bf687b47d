"""What the engine keeps: visits and room states, as plain data a store can write as rows.

`Visit.to_row()` gives a dict of str/int/float/bool/date/time/datetime/None; `Visit.from_row()` reads
it back, also from the ISO strings a JSON store returns.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum
from typing import Any, ClassVar

from common.refusal import Refusal


class VisitState(str, Enum):
    """Where a visit is in its day (see spec: States of a visit)."""

    registered = "registered"  # registered, not checked in yet
    waiting = "waiting"  # in the area queue
    room_waiting = "room_waiting"  # dispatched: in a room's queue (诊室候诊)
    called = "called"  # called to a room
    in_service = "in_service"  # with the doctor
    done = "done"
    missed = "missed"  # 过号
    away = "away"  # 检查中 (sent to exams)
    cancelled = "cancelled"  # 弃号


FINAL_STATES = frozenset({VisitState.done, VisitState.cancelled})
QUEUED = frozenset({VisitState.waiting, VisitState.room_waiting})
_OPEN = frozenset(VisitState) - FINAL_STATES


@dataclass(frozen=True)
class StateChange:
    """One command on a visit: the states it may start from, the states it leaves the visit in, and its name in
    the refusal a nurse reads when the visit is elsewhere ("A003 号当前已呼叫，不能签到")."""

    start: frozenset[VisitState]
    end: frozenset[VisitState]
    name_zh: str
    name_en: str
    action: str = ""  # a plain move (QueueEngine.move): its audit action and queue event; "" for the others


_S = VisitState
# Every allowed state change of a visit, in one table: the engine checks a command against it before anything
# else of the visit (EngineState._allow), and the property test (tests/engine/test_engine_properties.py) drives
# random commands from it and checks both columns. Room commands (call next, pause, resume) move visits between
# the queues too: waiting -> room_waiting -> called, and back to waiting when a room pauses. A row's key is the
# command's one name (caller/commands.py: its audit action and idempotency scope; its route is a row of
# caller/api/command_routes.py), e.g. "missed" for POST /visits/{id}/missed, which QueueEngine.move("missed", ...)
# runs.
STATE_CHANGES: dict[str, StateChange] = {
    "check_in": StateChange(frozenset({_S.registered}), QUEUED, "签到", "check in"),
    "call_visit": StateChange(QUEUED, frozenset({_S.called}), "呼叫此号", "call this visit"),
    "call_again": StateChange(frozenset({_S.called}), frozenset({_S.called}), "重呼", "call again"),
    "start": StateChange(frozenset({_S.called, _S.room_waiting}), frozenset({_S.in_service}), "开始就诊", "start",
                         "start"),
    "finish": StateChange(frozenset({_S.in_service}), frozenset({_S.done}), "结束就诊", "finish", "finish"),
    "missed": StateChange(frozenset({_S.called}), frozenset({_S.missed}), "过号", "mark missed", "missed"),
    "recall": StateChange(frozenset({_S.missed}), QUEUED, "召回", "recall", "recall"),
    "away": StateChange(frozenset({_S.waiting, _S.room_waiting, _S.called, _S.in_service}),
                        frozenset({_S.away}), "去检查", "send away", "away"),
    "back": StateChange(frozenset({_S.away}), QUEUED, "检查回来", "come back", "back"),
    "move_up": StateChange(QUEUED, QUEUED, "调整队列", "move up"),
    "priority": StateChange(_OPEN, _OPEN, "设置优先", "set priority"),
    "triage": StateChange(_OPEN, _OPEN, "分诊定级", "set the triage level"),
    "assign_doctor": StateChange(frozenset({_S.registered, _S.waiting, _S.room_waiting}),
                                 frozenset({_S.registered, _S.waiting, _S.room_waiting}), "指定医生", "assign a doctor"),
    "transfer": StateChange(frozenset({_S.waiting, _S.room_waiting, _S.called, _S.in_service, _S.missed, _S.away}),
                            QUEUED, "转诊", "transfer"),
    "dispatch": StateChange(QUEUED, frozenset({_S.room_waiting}), "分诊", "dispatch"),
    "cancel": StateChange(_OPEN, frozenset({_S.cancelled}), "弃号", "cancel"),
    # the patient's own phone page (caller/api/ticket_page.py): only while nobody has called them yet
    "leave_queue": StateChange(frozenset({_S.registered, _S.waiting, _S.room_waiting}), frozenset({_S.cancelled}),
                               "退出排队", "leave the queue"),
    "on_my_way": StateChange(frozenset({_S.registered, _S.waiting, _S.room_waiting}),
                             frozenset({_S.registered, _S.waiting, _S.room_waiting}), "告知马上到", "say on my way"),
    # journey steps (caller/engine/journey.py): a step is a visit at a service point (pharmacy window, lab draw
    # station, imaging room, cashier window) with the same states; these are the commands only steps have
    "pay_step": StateChange(frozenset({_S.registered}), frozenset({_S.registered, _S.waiting}), "缴费开单", "pay"),
    "start_dispensing": StateChange(frozenset({_S.registered}), frozenset({_S.registered}), "开始配药",
                                    "start dispensing"),
    "mark_ready": StateChange(frozenset({_S.registered}), QUEUED, "配药完成", "mark ready"),
    "collect": StateChange(frozenset({_S.called, _S.in_service}), frozenset({_S.done}), "确认取药", "confirm collection"),
    "set_gate": StateChange(frozenset({_S.registered, _S.waiting, _S.room_waiting}),
                            frozenset({_S.registered, _S.waiting, _S.room_waiting}), "登记检查准备", "record preparation"),
    "print_labels": StateChange(frozenset({_S.called, _S.in_service}), frozenset({_S.called, _S.in_service}),
                                "打印标签", "print the specimen labels"),
    "report_ready": StateChange(frozenset({_S.done}), frozenset({_S.done}), "报告完成", "mark the report ready"),
}







def _parse(kind: type, value: Any) -> Any:
    """A date/time/datetime from itself or from its ISO text (as a JSON store gives it back)."""
    if value is None or value == "":
        return None
    if kind is date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])
    if isinstance(value, kind):
        return value
    return kind.fromisoformat(str(value))


@dataclass
class Visit:
    """One registration (挂号) and everything the queue rules need about it."""

    id: str
    ticket: str  # "A001"
    dept_id: str
    area_id: str
    day: date
    session: str  # "am" | "pm"
    number_kind: str  # general | expert | extra | emergency
    source: str  # appointment | onsite
    reg_seq: int  # 挂号号序
    patient_id: str
    patient_name: str  # full name; masking happens at the edge
    registered_at: datetime
    state: VisitState = VisitState.registered
    ticket_no: int = 0  # the running number of the ticket (1 for A001)
    serial: int = 0  # engine-wide issue order, the last tie-breaker
    doctor_id: str | None = None  # expert: its doctor; general: None unless assigned
    slot_start: time | None = None
    slot_end: time | None = None
    triage_level: int | None = None  # emergency: 1 濒危 .. 4 非急症
    room_id: str | None = None  # room queue / called to / served in
    checkin_seq: int | None = None
    checkin_at: datetime | None = None
    called_at: datetime | None = None
    call_count: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    waiting_since: datetime | None = None  # when it (re)entered the waiting list
    late: bool = False  # checked in after its slot ended
    recalled: bool = False  # recalled after missed / back from exams
    placed: str = ""  # how its place was chosen: "" (base order), late, recall, moved, transfer
    priority_kind: str | None = None
    priority_level: int | None = None
    priority_seq: int | None = None
    order_key: str = "[]"  # JSON list of ints: the persisted place in the waiting order
    # journey (一票到底): a step is a visit at a service point that belongs to the clinic visit `journey_id`
    # and carries its ticket; a clinic visit has journey_id None and step_kind "" (caller/engine/journey.py)
    journey_id: str | None = None
    step_kind: str = ""  # "" (clinic) | pharmacy | lab | imaging | cashier
    stage: str = ""  # within a state: unpaid, pending (待配药), dispensing (配药中), ready, booked, drawn, reported
    order_id: str | None = None  # the order this step serves (the HIS order number when it came from the HIS)
    items: str = "[]"  # JSON list of catalog codes (drugs, lab panels, the imaging exam)
    amount: int = 0  # fen
    paid_at: datetime | None = None
    ready_at: datetime | None = None  # pharmacy: 已配好; lab: report ready
    prep: str = "{}"  # JSON: what the step needs before a call (fasting_hours, water_minutes, contrast)
    gates: str = "{}"  # JSON: what the patient has done of it (fasting_since, water_at, consent_at: ISO times)
    on_way_at: datetime | None = None  # the patient said 我马上到 on the phone page (shown to the nurse)

    _DATETIMES: ClassVar[tuple[str, ...]] = (
        "registered_at", "checkin_at", "called_at", "started_at", "finished_at", "waiting_since", "paid_at",
        "ready_at", "on_way_at",
    )

    def to_row(self) -> dict[str, Any]:
        """Plain data for the store (the state as its string value)."""
        row = dict(self.__dict__)  # every field is a flat value: no deep copy needed
        row["state"] = self.state.value
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Visit":
        """Read back a row written by `to_row` (ISO strings accepted for dates and times)."""
        names = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in row.items() if k in names}
        data["state"] = VisitState(data.get("state", "registered"))
        data["day"] = _parse(date, data.get("day"))
        for name in cls._DATETIMES:
            if name in data:
                data[name] = _parse(datetime, data[name])
        for name in ("slot_start", "slot_end"):
            if name in data:
                data[name] = _parse(time, data[name])
        for name in ("late", "recalled"):
            if name in data:
                data[name] = bool(data[name])
        return cls(**data)

    def key(self) -> tuple[int, ...]:
        """The persisted place in the waiting order, as a tuple."""
        return tuple(json.loads(self.order_key))

    @property
    def in_queue(self) -> bool:
        return self.state in (VisitState.waiting, VisitState.room_waiting)

    @property
    def has_priority(self) -> bool:
        return self.priority_kind is not None


@dataclass
class RoomState:
    """The live state of one room: paused (停诊) or open, and who a nurse said sits there this session."""

    room_id: str
    paused: bool = False
    doctor_id: str | None = None  # set by a nurse for one session (doctor_session); else the schedule decides
    doctor_session: str | None = None  # "2026-11-23/am": the session doctor_id was set for
    # fair priority (caller.engine.fairness): normal calls since the room last called a priority visit
    # (None: none yet), and since when priority calls have been passing a waiting normal visit
    calls_since_priority: int | None = None
    priority_passing_since: str | None = None
    return_at: str | None = None  # while paused: when the doctor is expected back ("10:30"), for the door screen

    def to_row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "RoomState":
        return cls(room_id=row["room_id"], paused=bool(row.get("paused", False)), doctor_id=row.get("doctor_id"),
                   doctor_session=row.get("doctor_session"), calls_since_priority=row.get("calls_since_priority"),
                   priority_passing_since=row.get("priority_passing_since"), return_at=row.get("return_at"))


@dataclass
class EngineEvent:
    """Something displays, speakers and consoles must hear about: queue, call, room, alert."""

    type: str
    area_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class AuditEntry:
    """One change of one visit (or room), with who did it: the source of every statistic."""

    visit_id: str | None
    action: str
    actor: str
    before_state: str | None
    after_state: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Change:
    """What one command did: the rows to write, the events to publish and the audit trail."""

    result: Visit | None = None
    visits: list[Visit] = field(default_factory=list)
    rooms: list[RoomState] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    events: list[EngineEvent] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)


class RuleError(Refusal):
    """A command the rules refuse (409 conflict). message_zh is shown to patients and nurses; code is stable."""

    status = 409


class UnknownThing(RuleError):
    """The command names a visit, room, department or doctor the hospital does not have (404)."""

    status = 404


class BadCommand(RuleError):
    """The command itself is malformed: an unknown number kind, session, triage level, reason missing (400)."""

    status = 400
