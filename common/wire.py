"""What the caller service sends to screens, speakers, consoles and phones: one model per message.

Start here to learn what a device receives. Each live event of an area is an :class:`Envelope`
(``seq``, ``type``, ``area``, ``ts``, ``data``) whose ``data`` is one of the models below:

=============  =====================================  ==================================================
``type``       ``data``                               who acts on it
=============  =====================================  ==================================================
``snapshot``   :class:`AreaSnapshot`                  every screen and console, when it connects
``queue``      :class:`QueueData`                     every screen and console, after each change
``call``       :class:`CallData`                      wall and door screens (``text``), speakers (``speech``)
``broadcast``  :class:`BroadcastData`                 screens (``text``), speakers (``speech``)
``room``       :class:`RoomData`                      screens (paused / doctor changed)
``ready``      :class:`ReadyData`                     pharmacy walls (请以下患者取药), phones and kiosks
``alert``      :class:`EmergencyAlert` |              consoles (screens ignore it)
               :class:`WaitAlert` | :class:`HelpAlert`
               | :class:`DeviceAlert`
=============  =====================================  ==================================================

So "what does a wall screen receive when a patient is called" is :class:`CallData` inside an
:class:`Envelope` of type ``call``, followed by a ``queue`` envelope whose ``data.queue`` is the
public :class:`AreaSnapshot`.

Two audiences (docs/events.md, spec privacy.md): *public* (wall, door, speaker, kiosk, phone) and *staff*
(consoles, admin). Names are masked where the data is made, through the ``privacy`` package only
(:func:`visit_item`, and the engine's call texts). What differs between the audiences is said once, here:

* a visit item: :func:`visit_item` gives the public item (:class:`VisitItem`) or the staff item
  (:class:`StaffVisitItem`: every stored field of the visit, full name included);
* event data: fields marked ``staff_only`` on a model are kept for staff and dropped by :func:`project`
  for the public audience, which also drops any key its model does not name (deny by default).

docs/events.md shows these models: its examples and field tables are generated from them
(``python -m caller events-doc --write docs/events.md``; a test fails when the two differ).
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Generic, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from common import privacy

PUBLIC = "public"
STAFF = "staff"
Audience = Literal["public", "staff"]
VisitStateName = Literal["registered", "waiting", "room_waiting", "called", "in_service", "done", "missed", "away",
                         "cancelled"]
CallTargetName = Literal["area_screen", "room_screen", "speaker"]


def _staff_only(description: str) -> Any:
    """A field only the staff audience receives (:func:`project` drops it for public devices)."""
    return Field(default=None, description=description, json_schema_extra={"staff_only": True})


class WireModel(BaseModel):
    """A message part. Unknown keys are ignored when reading (a newer service may add fields)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# ------------------------------------------------------------------------------------------- visit items
class VisitItem(WireModel):
    """One visit in a list (snapshot, queue change), as every audience sees it."""

    visit_id: str = Field(description="the visit's id, e.g. 20261123-NK-0007")
    ticket: str = Field(description="the printed ticket number")
    name: str = Field(description="masked name (王小明 → 王*明); \"\" when the area's screen_name is \"none\"")
    dept_id: str = Field(description="department id")
    doctor_id: str | None = Field(description="the doctor the visit is for (expert numbers, assigned), else null")
    number_kind: str = Field(description="general, expert, extra or emergency")
    state: VisitStateName = Field(description="where the visit is in its day")
    room_id: str | None = Field(description="the room it waits for, is called to or is in; null in the area queue")
    late: bool = Field(description="checked in after its slot ended")
    recalled: bool = Field(description="back after 过号 or exams")
    priority: bool = Field(description="a special patient (军人, 老年人, ...)")
    triage_level: int | None = Field(description="emergency triage level 1-4, else null")
    call_count: int = Field(description="0 before the first call, then 1, 2, ... (call again)")


class StaffVisitItem(VisitItem):
    """The staff item: the public item plus every stored field of the visit (full name included)."""

    patient_name: str = Field(description="the full name")
    patient_id: str = Field(description="the records' patient id")
    area_id: str
    day: str
    session: str = Field(description="am or pm")
    source: str = Field(description="appointment or onsite")
    reg_seq: int = Field(description="挂号号序")
    registered_at: str | None
    ticket_no: int
    serial: int
    slot_start: str | None
    slot_end: str | None
    checkin_seq: int | None
    checkin_at: str | None
    called_at: str | None
    started_at: str | None
    finished_at: str | None
    waiting_since: str | None
    placed: str = Field(description="how its place was chosen: \"\", late, recall, moved, transfer")
    priority_kind: str | None
    priority_level: int | None
    priority_seq: int | None
    order_key: str
    journey_id: str | None = Field(default=None, description="a journey step: the clinic visit it belongs to")
    step_kind: str = Field(default="", description="\"\" (clinic visit), pharmacy, lab, imaging or cashier")
    stage: str = Field(default="", description="a step's stage: unpaid, pending, dispensing, ready, booked, ...")
    order_id: str | None = None
    items: str = Field(default="[]", description="JSON list of the catalog codes the step serves")
    amount: int = Field(default=0, description="fen")
    paid_at: str | None = None
    ready_at: str | None = Field(default=None, description="pharmacy: dispensed; lab: report ready")
    prep: str = Field(default="{}", description="JSON: what the exam needs (fasting_hours, water_minutes, contrast)")
    gates: str = Field(default="{}", description="JSON: what the patient has done of it")
    on_way_at: str | None = Field(default=None, description="when the patient said 我马上到 on the phone page")


class VisitSummary(VisitItem):
    """A visit with the names of its department, room and doctor (queue ``changed``, command answers)."""

    dept_name: str
    room_name: str | None
    doctor_name: str | None
    priority_kind: str | None
    position: int | None = Field(description="null here (the kiosk's status call fills it)")


class StaffVisitSummary(StaffVisitItem, VisitSummary):
    """The staff command answer's visit: the staff item with the names."""


ItemT = TypeVar("ItemT", bound=VisitItem)


_AS_IS = frozenset((str, int, float, bool, type(None)))  # most of a visit's fields: nothing to look at


def plain(value: Any) -> Any:
    """JSON-safe form of a stored value (dates and times as ISO text, enums as their value)."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def visit_item(visit: Any, screen_name_rule: str, audience: Audience) -> dict[str, Any]:
    """The one projection of a visit (``caller.engine.model.Visit``) for ``audience``.

    Public: :class:`VisitItem` (masked name, no patient id). Staff: :class:`StaffVisitItem`.
    ``screen_name_rule`` is the area's ``screen_name`` ("masked" or "none").
    """
    item = {
        "visit_id": visit.id,
        "ticket": visit.ticket,
        "name": privacy.screen_name(visit.patient_name, screen_name_rule),
        "dept_id": visit.dept_id,
        "doctor_id": visit.doctor_id,
        "number_kind": visit.number_kind,
        "state": visit.state.value,
        "room_id": visit.room_id,
        "late": visit.late,
        "recalled": visit.recalled,
        "priority": visit.priority_kind is not None,
        "triage_level": visit.triage_level,
        "call_count": visit.call_count,
    }
    if audience == STAFF:
        item.update({key: plain(value) for key, value in visit.__dict__.items() if key not in item and key != "id"})
    return item


# ----------------------------------------------------------------------------------------------- snapshot
class BroadcastData(WireModel):
    """``broadcast``: a notice from a nurse. Screens show ``text`` in their notice band; speakers say
    ``speech`` once, between calls, never over a call."""

    text: str = Field(description="what screens show")
    text_en: str = Field(default="", description="the English line, when the nurse gave one")
    speech: str = Field(description="what speakers say: the text made speakable (no symbols, Latin letters spelled)")


class SentBroadcast(BroadcastData):
    """A broadcast of today inside a snapshot (a screen that starts shows a notice sent minutes ago)."""

    seq: int
    ts: str


class RoomSnapshot(WireModel, Generic[ItemT]):
    """One room of an area snapshot."""

    room_id: str
    name: str = Field(description="the room's name (内科3诊室)")
    name_en: str = ""
    paused: bool = Field(description="停诊")
    return_at: str | None = Field(description="while paused: when the doctor is expected back (\"10:30\")")
    doctor_id: str | None
    doctor_name: str = Field(description="who sits there this session; \"\" when nobody")
    called: list[ItemT] = Field(description="called to this room, latest first")
    in_service: list[ItemT] = Field(description="with the doctor")
    queue: list[ItemT] = Field(description="the room's own queue, calling order")
    next: list[ItemT] = Field(description="who the room calls next (its queue, then fitting area visits); "
                                          "what a door screen shows as 请以下患者准备")
    called_total: int | None = Field(default=None, description="public only: the full count of `called`")
    queue_total: int | None = Field(default=None, description="public only: the full count of `queue`")


class AreaSnapshot(WireModel, Generic[ItemT]):
    """``snapshot`` (and ``queue``'s ``data.queue``; also ``GET /api/v1/areas/{area}/queue``): the whole area.

    Public lists are cut to their first 10 items (a room's ``called``: 3) and ``*_total`` gives the full
    count; staff snapshots are complete, have no ``*_total`` and carry a ``version`` (queue deltas)."""

    area_id: str
    name: str
    name_en: str = ""
    location: str = ""
    emergency: bool = False
    day: str | None = Field(description="the queue day (ISO date)")
    waiting: list[ItemT] = Field(description="the area queue (not yet in a room), head first")
    called: list[ItemT] = Field(description="called and not yet in service, latest call first")
    missed: list[ItemT] = Field(description="marked missed (过号) today")
    away: list[ItemT] = Field(description="sent to exams (检查中)")
    waiting_total: int | None = None
    called_total: int | None = None
    missed_total: int | None = None
    away_total: int | None = None
    rooms: list[RoomSnapshot[ItemT]]
    notices: list[str] = Field(description="the area's scrolling notices (hospital file)")
    broadcasts: list[SentBroadcast] = Field(description="today's latest broadcasts, newest first, at most 5")
    version: int | None = _staff_only("staff only: the version queue deltas build on")


PublicSnapshot = AreaSnapshot[VisitItem]
StaffSnapshot = AreaSnapshot[StaffVisitItem]


# ------------------------------------------------------------------------------------------------- events
class CallData(WireModel):
    """``call``: a visit is called to a room (call next or call again). The ``queue`` event of the same
    command follows it."""

    visit_id: str
    ticket: str
    name: str = Field(description="masked name; \"\" when the area's screen_name is \"none\"")
    room_id: str
    room_name: str = Field(description="the room's name, as screens show it")
    room_name_en: str = ""
    dept_id: str
    number_kind: str
    text: str = Field(description="what screens show (the area's call template, masked name)")
    speech: str = Field(description="what speakers say, exactly: the same template with the spoken name "
                                    "(privacy.spoken_name: surname + 某某 by default), the ticket read one "
                                    "character at a time and room numbers read with 号")
    repeat: int = Field(description="how many times a speaker says it")
    call_count: int = Field(description="1 for the first call, 2, 3, ... for each call again (重呼)")
    targets: list[CallTargetName] = Field(description="where the call goes: a wall shows it when area_screen "
                                                      "is listed, the door screen of room_id when room_screen is, "
                                                      "a speaker says it when speaker is")


class RoomData(WireModel):
    """``room``: a room paused, resumed, or its doctor changed. A ``queue`` event follows when visits moved."""

    room_id: str
    room_name: str
    room_name_en: str = ""
    paused: bool
    return_at: str | None = None
    doctor_id: str | None
    action: Literal["pause_room", "resume_room", "set_room_doctor"]


class QueueData(WireModel):
    """``queue``: the area's queue changed. A public screen can replace its whole state with ``queue``.

    Staff peers get ``delta`` (built on ``base``, giving ``version``) instead of ``queue`` once they hold a
    snapshot (common/queue_delta.py)."""

    reason: str = Field(description="the first of reasons")
    reasons: list[str] = Field(default_factory=list, description="what happened: register check_in call dispatch "
                               "start finish missed recall back away move_up priority assign_doctor transfer "
                               "cancel pause_room set_room_doctor config_reload")
    changed: list[VisitSummary] = Field(default_factory=list,
                                        description="the visits this command changed in this area (public items)")
    queue: AreaSnapshot[VisitItem] | None = Field(default=None, description="the area snapshot after the change "
                                                  "(added when sent, for the receiver's audience)")
    names: dict[str, str] | None = _staff_only("staff only: the changed visits' full names by visit id")
    base: int | None = _staff_only("staff only: the snapshot version the delta builds on")
    version: int | None = _staff_only("staff only: the version after the delta")
    delta: dict[str, Any] | None = _staff_only("staff only: the change (common/queue_delta.py)")


class EmergencyAlert(WireModel):
    """``alert`` kind ``emergency``: a triage level 1 or 2 patient arrived."""

    kind: Literal["emergency"] = "emergency"
    visit_id: str
    ticket: str
    triage_level: int
    dept_id: str
    name: str = Field(description="masked name")
    message_zh: str
    message_en: str


class WaitAlert(WireModel):
    """``alert`` kind ``wait``: a department's longest wait passed the area's ``wait_alert_minutes`` (checked
    every 30 s), and again with ``active: false`` when it is back under."""

    kind: Literal["wait"] = "wait"
    dept_id: str
    dept: str = Field(description="the department's name")
    wait_minutes: float
    threshold_minutes: float
    waiting: int
    active: bool
    area: str
    message_zh: str
    message_en: str


class HelpAlert(WireModel):
    """``alert`` kind ``help``: a patient pressed 呼叫工作人员 at a kiosk (each later step of the call too)."""

    kind: Literal["help"] = "help"
    help_id: str
    state: Literal["open", "acknowledged", "closed"]
    device: str
    name: str = Field(description="the kiosk's name from the hospital file (no patient data)")
    screen: str = Field(description="what the kiosk was showing")
    created_at: str
    escalated: bool
    acked_by: str | None
    outcome: str | None
    active: bool
    message_zh: str
    message_en: str


class DeviceAlert(WireModel):
    """``alert`` kind ``device``: a device or one of its parts turned faulty or offline, or is fine again."""

    kind: Literal["device"] = "device"
    device: str
    part: str | None
    state: str
    active: bool
    message_zh: str
    message_en: str


class PhoneStatus(WireModel):
    """What a patient's phone ticket page shows (``GET /t/{token}/status``, the ``status`` Server-Sent Event):
    the visit as a wall screen may show it, plus its place and where to go. Display-safe: the masked name only."""

    ticket: str
    name: str = Field(description="masked name, as on the wall screen")
    state: VisitStateName
    ahead: int = Field(description="visits ahead (0 when not waiting)")
    position: int | None = Field(description="ahead + 1 while waiting, else null")
    estimate_minutes: float
    estimate_min: float = Field(description="the estimate's range (0 when not waiting)")
    estimate_max: float
    call_count: int
    dept_name: str
    dept_name_en: str
    room_name: str | None = Field(description="null until dispatched (the page says 待分配)")
    room_name_en: str
    room_location: str
    room_location_en: str = ""
    location: str = Field(description="the room's location, else the department's, else the area's")
    location_en: str = Field(default="", description="the same place in English (the English page shows only it)")
    area_name: str
    area_name_en: str
    room_paused: bool
    on_way_at: str | None = Field(default=None, description="HH:MM the patient said 我马上到 on this page")
    may_leave: bool = Field(default=False, description="我不排了 and 我马上到 are offered (not yet called)")
    doctor_name: str | None
    why_zh: str | None = Field(default=None, description="while waiting: why the visit waits where it does")
    why_en: str | None = None
    late: bool
    recalled: bool
    number_kind: str
    hospital: str
    hospital_en: str
    day: str
    journey: "JourneyStatus | None" = Field(default=None, description="the steps after the consulting room "
                                            "(pharmacy, lab, imaging, cashier), once ordered; else null")


class LeaveTerms(WireModel):
    """我不排了 on the phone page: what leaving the queue does to the seat and the fee, told before the patient
    confirms (``GET /t/{token}/leave``) and answered again once done (``POST /t/{token}/leave``)."""

    refund_fen: int = Field(default=0, description="the registration fee paid back to where it came from")
    refund: bool = Field(default=False, description="the hospital's rule refunds the fee now")
    text: str = Field(description="the rule in one or two sentences, for the confirmation")
    text_en: str = ""


# ----------------------------------------------------------------------------------------- journey (一票到底)
OrderKind = Literal["drug", "lab", "imaging"]
StepKind = Literal["clinic", "pharmacy", "lab", "imaging", "cashier"]


class OrderLine(BaseModel):
    """One line of an order: a catalog code (drug, lab panel, imaging exam) and how many."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    quantity: int = Field(default=1, ge=1, le=99)


class Order(BaseModel):
    """A doctor's order (开单) for a visit: a prescription, lab panels or an imaging exam. The one typed shape every
    source gives the service (the console's doctor view, the HIS through HL7 ORM^O01 / RDE^O11 or FHIR
    ServiceRequest / MedicationRequest): ``CallerService.open_steps(visit_id, orders, who)`` opens the steps.

    ``order_id``: the order's number at its source (the HIS placer number); the same order sent twice opens its
    step once. ``paid``: already paid elsewhere (the step opens at once); else paying it opens it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: OrderKind
    items: list[OrderLine] = Field(min_length=1, max_length=50)
    order_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    paid: bool = False
    slot_start: time | None = Field(default=None, description="imaging: the booked slot's start (HH:MM)")
    slot_day: date | None = Field(default=None, description="imaging: the day of the booked slot, today or later "
                                  "(null: today); a later day's exam is checked in and called on that day")


class ReadyData(WireModel):
    """``ready``: a pharmacy step is dispensed (已配好: the patient goes on the window's list and the pharmacy wall's
    请以下患者取药), or a lab step's report is ready (kind ``report``: phones and kiosks say so). Masked name only."""

    kind: Literal["medicine", "report"]
    visit_id: str = Field(description="the step's id")
    journey_id: str = Field(description="the clinic visit the step belongs to")
    ticket: str
    name: str = Field(description="masked name; \"\" when the area's screen_name is \"none\"")
    room_id: str | None = Field(description="medicine: the window it waits at")
    room_name: str | None = None
    room_name_en: str = ""
    text: str = Field(description="what a wall shows (请 A015 号 王*明 到 3号窗口取药 / 检验报告已出)")
    text_en: str = ""


class StepStatus(WireModel):
    """One step of a journey as the patient's phone, the kiosk and the guide slip (导诊单) show it."""

    visit_id: str
    kind: StepKind
    stage: str = Field(description="unpaid, pending (待配药), dispensing (配药中), ready (已配好), booked, drawn, "
                                   "reported, collected, or \"\"")
    state: VisitStateName
    ticket: str
    title: str = Field(description="what the step is (取药, 采血: 血常规, 检查: 腹部彩超)")
    title_en: str = ""
    place: str = Field(description="where: the room or window when known, else the department, with the floor")
    place_en: str = ""
    ahead: int | None = Field(description="places ahead while waiting, else null")
    text: str = Field(description="one line for the patient: 药已配好，可到 3号窗口取药")
    text_en: str = ""
    prepare: str = Field(default="", description="what to bring or do before (空腹 8 小时, 带上导诊单)")
    prepare_en: str = ""
    gate_seconds: int | None = Field(default=None, description="preparation timer: seconds left, null when none "
                                     "(as of when the status was sent: a page counts it down itself)")
    gate_what: str = Field(default="", description="what the timer waits for (憋尿, 空腹), with gate_seconds")
    gate_what_en: str = ""
    amount: int = Field(default=0, description="fen")
    paid: bool = True
    booked_at: str | None = Field(default=None, description="an exam's booked slot, day and time (2026-12-08T10:00)")
    booked_code: str | None = Field(default=None, description="an exam booked into a later day: its own code, which "
                                    "the exam desk scans that day (the ticket's code is of the visit's day)")


class StationStep(StaffVisitSummary):
    """One open step of a service point's area as its window staff see it (``GET /areas/{area}/steps``): the staff
    visit plus what the step is and, for a held exam, its preparation. Staff only (full name)."""

    title: str = Field(description="what the step serves: 阿莫西林胶囊×1、布洛芬缓释胶囊×2 / 血常规、空腹血糖 / 盆腔彩超")
    gate_met: bool = Field(default=True, description="imaging: every preparation gate is met (else held)")
    gate_ready_at: str | None = Field(default=None, description="held by time only: when it may be called (ISO)")
    gate_text: str = Field(default="", description="the held step's line (检查准备中（憋尿），还需约 25 分钟)")
    booked_at: str | None = Field(default=None, description="an exam's booked slot, day and time (2026-12-08T10:00)")


class JourneyStatus(WireModel):
    """A patient's whole journey (一票到底): the clinic visit and every step, in order, display-safe."""

    journey_id: str
    ticket: str
    name: str = Field(description="masked name")
    steps: list[StepStatus]
    next_text: str = Field(description="the patient's next move in one line")
    next_text_en: str = ""


PhoneStatus.model_rebuild()


AlertData = Annotated[Union[EmergencyAlert, WaitAlert, HelpAlert, DeviceAlert], Field(discriminator="kind")]
ALERT = TypeAdapter(AlertData)


class Envelope(WireModel):
    """Every event message: ``data`` is the model of its ``type``."""

    seq: int = Field(description="global, strictly increasing, durable; a per-area subscriber sees gaps")
    type: Literal["snapshot", "queue", "call", "broadcast", "room", "alert", "ready"]
    area: str
    ts: str = Field(description="local hospital time, ISO 8601")
    data: dict[str, Any]


class Heartbeat(WireModel):
    """Every 2 s to every subscriber: silence for 6 s means the link is lost."""

    type: Literal["heartbeat"] = "heartbeat"
    seq: int = Field(description="the current global seq")
    ts: str = Field(description="hospital wall-clock time, like every event's ts")
    time: str = Field(description="the same instant with the hospital's UTC offset")


class ErrorBody(WireModel):
    code: str
    message_zh: str
    message_en: str


class RefusedSubscription(WireModel):
    """A refused subscription gets this one message, then the socket closes (4401, 4403, 4404, 4400)."""

    type: Literal["error"] = "error"
    error: ErrorBody


EVENT_DATA: dict[str, Any] = {
    "snapshot": AreaSnapshot[VisitItem], "queue": QueueData, "call": CallData, "broadcast": BroadcastData,
    "room": RoomData, "ready": ReadyData,
}


def _fields(model: type[BaseModel]) -> tuple[frozenset[str], frozenset[str]]:
    """(every field name, the staff-only ones) of a model."""
    staff = {name for name, f in model.model_fields.items()
             if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("staff_only")}
    return frozenset(model.model_fields), frozenset(staff)


_PUBLIC_KEYS: dict[str, frozenset[str]] = {}
for _type, _model in EVENT_DATA.items():
    _all, _staff = _fields(_model)
    _PUBLIC_KEYS[_type] = _all - _staff
_PUBLIC_KEYS["alert"] = frozenset().union(*(_fields(m)[0] for m in (EmergencyAlert, WaitAlert, HelpAlert, DeviceAlert)))


def project(etype: str, data: dict[str, Any], audience: Audience) -> dict[str, Any]:
    """The event data ``audience`` may receive: staff get it whole; public devices only the keys their
    model names that are not ``staff_only`` (an unknown key is dropped, never passed on)."""
    if audience == STAFF:
        return data
    keys = _PUBLIC_KEYS.get(etype)
    if keys is None:
        return {}
    if keys.issuperset(data):
        return data
    return {k: v for k, v in data.items() if k in keys}


def read_call(event: dict[str, Any]) -> CallData:
    """The ``data`` of a received ``call`` event (ValueError when it is not one)."""
    return CallData.model_validate(event.get("data"))


def read_broadcast(data: dict[str, Any]) -> BroadcastData:
    return BroadcastData.model_validate(data)


def read_room(event: dict[str, Any]) -> RoomData:
    return RoomData.model_validate(event.get("data"))


def read_alert(event: dict[str, Any]) -> EmergencyAlert | WaitAlert | HelpAlert | DeviceAlert:
    return ALERT.validate_python(event.get("data"))


def event_time(value: Any, zone: Any) -> datetime | None:
    """An event's ``ts`` (naive hospital time, ISO 8601) as an aware datetime read in ``zone`` (the hospital's,
    from the device's service clock, never this machine's zone); None when missing or bad."""
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, str) and value:
        try:
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if ts.tzinfo:
        return ts
    return ts.replace(tzinfo=zone) if zone is not None else ts.astimezone()


def snapshot_of(event: dict[str, Any]) -> dict[str, Any] | None:
    """The area snapshot an event carries: a ``snapshot``'s data, a ``queue`` event's ``data.queue``."""
    data = event.get("data")
    if not isinstance(data, dict):
        return None
    if event.get("type") == "snapshot":
        return data
    queue = data.get("queue") if event.get("type") == "queue" else None
    return queue if isinstance(queue, dict) else None


# HTTP keep-alive between the apps and the service: the service closes a connection idle for SERVICE_KEEP_ALIVE_S;
# a client stops reusing its own sooner (client/http.py). With the same figure on both ends a console that stayed
# idle that long could write its next command into a connection the service was closing at that moment, and the
# nurse would see "cannot reach the service" for a call that never left.
SERVICE_KEEP_ALIVE_S = 5.0
CLIENT_KEEP_ALIVE_S = 2.0
