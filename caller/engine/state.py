"""The engine's state and the look-ups all its parts share: visits, rooms, counters, current day and session."""
from __future__ import annotations

from collections import deque
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Iterator

from caller.engine import ordering, steps
from caller.engine.index import QueueIndex
from caller.engine.model import (
    FINAL_STATES,
    QUEUED,
    STATE_CHANGES,
    RoomState,
    RuleError,
    UnknownThing,
    Visit,
    VisitState,
)
from caller.engine.slots import SlotBook, SlotGrid
from caller.engine.transaction import Transaction
from common.queue_rules import QueueRules

S = VisitState
ROLLING_WINDOW = 20  # finished visits in the rolling median of service time
QUEUE_STATES = QUEUED  # in the area's or a room's queue
DAY_COUNTER = "day"  # the current day (date ordinal): queues hold that day's visits
CLOCK_COUNTER = "clock"  # seconds since CLOCK_EPOCH of the latest command: which session queries see
CLOCK_EPOCH = datetime(2000, 1, 1)


def _not_found(what_zh: str, what_en: str, ident: str) -> RuleError:
    return UnknownThing("not_found", f"对不起，找不到{what_zh} {ident}，请核对后再试", f"No {what_en} {ident}")


class EngineState:
    """What the engine holds, how it is rebuilt (load) and the helpers commands and queries share."""

    def __init__(self, hospital: Any):
        self.hospital = hospital
        self._areas = {area.id: area for area in hospital.areas}
        self._room_cfg = {room.id: room for area in hospital.areas for room in area.rooms}
        self._room_area = {room.id: area.id for area in hospital.areas for room in area.rooms}
        self._depts = {dept.id: dept for dept in hospital.departments}
        self._emergency_areas = {area.id for area in hospital.areas if getattr(area, "emergency", False)}
        self._doctors = {doc.id: doc for doc in getattr(hospital, "doctors", [])}
        self._visits: dict[str, Visit] = {}
        self._rooms: dict[str, RoomState] = {rid: RoomState(rid) for rid in self._room_cfg}
        self._counters: dict[str, int] = {}
        self._durations: dict[str, deque[float]] = {}
        self._day: date | None = None
        self._now: datetime | None = None  # time of the latest command: which session "now" is for queries
        self._open: set[str] = set()  # ids of visits not done/cancelled: what queues are made of
        self._index = QueueIndex(lambda area_id: area_id in self._emergency_areas)  # today's lists, in order
        self._tx: Transaction | None = None  # the command running now (its touched visits are re-filed on read)
        self._items: dict[tuple[str, bool], dict] = {}  # (visit id, public) -> snapshot item, dropped on change
        schedule = getattr(hospital, "schedule", None)
        self._am_end: time = schedule.session_span("am")[1] if schedule is not None else time(12, 0)
        self._scheduled: dict[tuple[str, int, str], str | None] = {}
        self._journeys: dict[str, set[str]] = {}  # journey (clinic visit) id -> its steps' ids (caller/engine/journey.py)
        spans = [schedule.session_span(s) for s in ("am", "pm")] if schedule is not None else \
            [(time(8, 0), time(12, 0)), (time(13, 30), time(17, 30))]
        self._slot_grids = {dept.id: SlotGrid.of(dept, spans) for dept in hospital.departments
                            if getattr(dept, "service", "clinic") == "imaging"}
        self._slot_book = SlotBook(self._slot_grids.get)  # imaging exams per modality slot (caller/engine/slots.py)

    # =============================================================================================
    # restart
    # =============================================================================================
    def load(self, visits: Iterable[Visit | dict], rooms: Iterable[RoomState | dict], counters: dict[str, int],
             now: datetime | None = None) -> None:
        """Rebuild the state from persisted rows (as Change.visits/rooms/counters wrote them).

        `now` (optional): the current time, so queries before the first command see today's session and
        queues; without it the time of the last persisted command is used.
        """
        self._visits = {}
        for item in visits:
            visit = item if isinstance(item, Visit) else Visit.from_row(item)
            self._visits[visit.id] = visit
        self._open = {vid for vid, visit in self._visits.items() if visit.state not in FINAL_STATES}
        self._journeys = {}
        for visit in self._visits.values():
            if visit.journey_id is not None:
                self._journeys.setdefault(visit.journey_id, set()).add(visit.id)
        self._index.rebuild(self._visits.values())
        self._slot_book.rebuild(self._visits.values())
        self._items = {}
        for item in rooms:
            room = item if isinstance(item, RoomState) else RoomState.from_row(item)
            if room.room_id in self._room_cfg:
                self._rooms[room.room_id] = room
        self._counters = {str(k): int(v) for k, v in counters.items()}
        dept_by_prefix = {dept.prefix: dept.id for dept in self._depts.values()}
        for visit in self._visits.values():  # never re-issue a number a stored visit holds
            issuer = dept_by_prefix.get(visit.ticket.rstrip("0123456789"), visit.dept_id)  # transfers keep tickets
            key = self._ticket_counter_key(issuer, visit.day)
            self._counters[key] = max(self._counters.get(key, 0), visit.ticket_no)
            self._counters["serial"] = max(self._counters.get("serial", 0), visit.serial)
        self._durations = {}
        finished = sorted(
            (v for v in self._visits.values() if v.state == S.done and v.started_at and v.finished_at),
            key=lambda v: v.finished_at,
        )
        for visit in finished:
            self._record_duration(visit)
        days = [v.day for v in self._visits.values() if v.journey_id is None]  # a step may be of a later day
        if DAY_COUNTER in self._counters:
            days.append(date.fromordinal(self._counters[DAY_COUNTER]))
        if now is not None:
            days.append(now.date())
        self._day = max(days) if days else None
        self._now = now
        if now is None and CLOCK_COUNTER in self._counters:
            self._now = CLOCK_EPOCH + timedelta(seconds=self._counters[CLOCK_COUNTER])

    def visit(self, visit_id: str) -> Visit:
        """The visit (raises RuleError not_found)."""
        return self._visit(visit_id)

    def visits(self) -> list[Visit]:
        """Every visit the engine holds (all days loaded), in issue order."""
        return sorted(self._visits.values(), key=lambda v: v.serial)

    def waiting_by_department(self) -> dict[str, int]:
        """How many of today's visits wait in a queue, per department (today's open visits only)."""
        counts: dict[str, int] = {}
        for visit in self._today():
            if visit.state in QUEUE_STATES:
                counts[visit.dept_id] = counts.get(visit.dept_id, 0) + 1
        return counts

    def room_state(self, room_id: str) -> RoomState:
        self._room(room_id)
        return self._rooms[room_id]

    def room_doctor(self, room_id: str, now: datetime | None = None) -> str | None:
        """Who sits in the room now: the doctor a nurse set for this session, else the schedule's."""
        now = now or self._now
        state = self._rooms[room_id]
        if now is None:
            return state.doctor_id
        if state.doctor_session == self._session_key(now):
            return state.doctor_id
        return self._scheduled_doctor(room_id, now)

    def rooms(self) -> list[RoomState]:
        return [self._rooms[rid] for rid in self._room_cfg]

    def counters(self) -> dict[str, int]:
        return dict(self._counters)

    def area_queue(self, area_id: str) -> list[Visit]:
        """The area's waiting list (not yet in a room), head to tail."""
        return self._listed(QueueIndex.state_list(self._day, S.waiting, area_id))

    def room_queue(self, room_id: str | None) -> list[Visit]:
        """The room's own queue (诊室候诊), head to tail."""
        return self._listed(QueueIndex.room_list(self._day, room_id))


    def _queued(self, area_id: str) -> list[Visit]:
        """Everyone of the area not yet called: room queues and area queue, in the one waiting order.

        Rules that count visits (late / recall interleave, transfer by registration time) count here, so
        a room queue filled by automatic dispatch is part of "the queue" as patients see it.
        """
        return self._listed(QueueIndex.queued_list(self._day, area_id))

    def _listed(self, bucket: tuple) -> list[Visit]:
        """One of the index's lists as visits, with the running command's changes filed first."""
        visits = self._visits
        return [visits[vid] for _, vid in self._filed(bucket)]

    def _area_head(self, area_id: str) -> Iterator[Visit]:
        """The area's waiting list read from its head only as far as the reader goes (a room's queue is topped up
        from the first few of a thousand); nothing may change the list while it is read."""
        visits = self._visits
        return (visits[vid] for _, vid in self._filed(QueueIndex.state_list(self._day, S.waiting, area_id)))

    def _filed(self, bucket: tuple) -> list[tuple]:
        """The index's entries of one list, once the running command's changes are filed."""
        tx = self._tx
        if tx is not None:
            visits = self._visits
            for vid in tx.touched_ids():
                self._refile(vid, visits.get(vid))
        return self._index.entries(bucket)

    def _scheduled_doctor(self, room_id: str, now: datetime) -> str | None:
        """The doctor the schedule puts in the room for the session of `now` (the first, if several)."""
        key = (room_id, now.weekday(), self._session_of(now))
        if key not in self._scheduled:
            self._scheduled[key] = None
            for doctor in self._doctors.values():
                works = getattr(doctor, "works", None)
                if doctor.room == room_id and (works(key[1], key[2]) if works else key[2] in doctor.sessions):
                    self._scheduled[key] = doctor.id
                    break
        return self._scheduled[key]

    def _session_of(self, now: datetime) -> str:
        """"am" before the end of the morning session (schedule.am, default 12:00), else "pm"."""
        return "am" if now.time() < self._am_end else "pm"

    def see_day(self, now: datetime) -> None:
        """The clock passed midnight before any command of the new day: queries (snapshots, lists) read the new
        day from now on, so no screen shows yesterday's called visits. Stored with the next command."""
        if self._tx is None and (self._day is None or now.date() > self._day):
            self._day = now.date()

    def _session_key(self, now: datetime) -> str:
        return f"{now.date().isoformat()}/{self._session_of(now)}"

    # =============================================================================================
    # internals: look-ups and helpers
    # =============================================================================================
    @contextmanager
    def _command(self, actor: str, now: datetime) -> Iterator[Transaction]:
        """Run a command: all of it applies, or (on any exception) none of it."""
        tx = Transaction(self._visits, self._rooms, self._counters, actor, now)
        previous_day, previous_now, previous_tx = self._day, self._now, self._tx
        self._tx = tx
        self._now = now
        if self._day is None or now.date() > self._day:
            self._day = now.date()
        if self._counters.get(DAY_COUNTER) != self._day.toordinal():  # also a day first seen by see_day
            tx.set_counter(DAY_COUNTER, self._day.toordinal())
        tx.set_counter(CLOCK_COUNTER, int((now - CLOCK_EPOCH).total_seconds()))
        try:
            yield tx
        except BaseException:
            tx.rollback()
            self._day, self._now = previous_day, previous_now
            self._sync_open(tx.touched_ids())
            raise
        finally:
            self._tx = previous_tx
        self._sync_open(tx.touched_ids())

    def _sync_open(self, visit_ids: Iterable[str]) -> None:
        for vid in visit_ids:
            visit = self._visits.get(vid)
            self._refile(vid, visit)
            if visit is not None and visit.journey_id is not None:
                self._journeys.setdefault(visit.journey_id, set()).add(vid)
            elif visit is None:  # a new step of a command rolled back
                for members in self._journeys.values():
                    members.discard(vid)
            if visit is None or visit.state in FINAL_STATES:
                self._open.discard(vid)
            else:
                self._open.add(vid)

    def _refile(self, visit_id: str, visit: Visit | None) -> None:
        """A command touched the visit: put it in its lists again and forget its snapshot items."""
        self._index.update(visit_id, visit)
        self._slot_book.update(visit_id, visit)
        self._items.pop((visit_id, True), None)
        self._items.pop((visit_id, False), None)

    def _set_state(self, visit: Visit, state: VisitState, tx: Transaction) -> str:
        """Change the state (leaving a room queue clears room_id); returns the state before."""
        tx.touch(visit)
        before = visit.state.value
        if state == S.waiting:
            visit.room_id = None
        visit.state = state
        return before

    # ---- journeys: one patient, several queues (caller/engine/journey.py) ------------------------------
    def _journey_ids(self, visit: Visit) -> list[str]:
        """Every visit of the visit's journey: the clinic visit and its steps (the visit itself included)."""
        root = visit.journey_id or visit.id
        return [root, *sorted(self._journeys.get(root, ()))]

    def _busy_elsewhere(self, visit: Visit) -> Visit | None:
        """Another visit of the same journey that is called or in service now (the patient is there)."""
        visits = self._visits
        for vid in self._journey_ids(visit):
            other = visits.get(vid)
            if other is not None and other.id != visit.id and other.state in (S.called, S.in_service):
                return other
        return None

    def _may_call(self, visit: Visit) -> bool:
        """Call next takes it now: the patient is at no other service point, and its preparation is met.
        A visit that may not be called keeps its place: the call passes it over, once."""
        if visit.journey_id is None and visit.id not in self._journeys:
            return True
        if self._busy_elsewhere(visit) is not None:
            return False
        return not visit.prep or visit.prep == "{}" or steps.gate(visit, self._now or visit.registered_at).met

    def _check_may_call(self, visit: Visit, now: datetime) -> None:
        """Refuse to call (or start) a visit whose patient is at another service point, or whose step is held."""
        other = self._busy_elsewhere(visit)
        if other is not None:
            where = self._room_cfg[other.room_id].name if other.room_id in self._room_cfg else other.area_id
            raise RuleError("busy_elsewhere", f"{visit.ticket} 号患者正在{where}，请稍候再呼叫，其排队位置保留",
                            f"{visit.ticket} is at {other.room_id or other.area_id} now; the place is kept")
        gate = steps.gate(visit, now)
        if not gate.met:
            zh, en = steps.gate_text(gate, now)
            raise RuleError("preparation_pending", f"{visit.ticket} 号：{zh}", f"{visit.ticket}: {en}")

    def _today(self) -> Iterator[Visit]:
        """Today's visits that are not done or cancelled (every queue is made of these)."""
        visits, day = self._visits, self._day
        return (visit for visit in (visits[vid] for vid in self._open) if visit.day == day)

    def _sorted(self, visits: Iterable[Visit]) -> list[Visit]:
        emergency = self._emergency_areas
        return sorted(visits, key=lambda v: ordering.sort_key(v, v.area_id in emergency))

    @staticmethod
    def _plain(queue: list[Visit]) -> list[Visit]:
        """The visits of a queue without special priority (their order is by order key)."""
        return [v for v in queue if v.priority_kind is None]

    def _visit(self, visit_id: str) -> Visit:
        visit = self._visits.get(visit_id)
        if visit is None:
            raise _not_found("挂号记录", "visit", visit_id)
        return visit

    def _room(self, room_id: str) -> Any:
        cfg = self._room_cfg.get(room_id)
        if cfg is None:
            raise _not_found("诊室", "room", room_id)
        return cfg

    def _rules(self, visit: Visit) -> QueueRules:
        return self._area_rules(visit.area_id)

    def _area_rules(self, area_id: str) -> QueueRules:
        return self._areas[area_id].rules

    def _emergency(self, visit: Visit) -> bool:
        return visit.area_id in self._emergency_areas

    def _check_doctor_of(self, doctor_id: str, dept_id: str) -> None:
        doctor = self._doctors.get(doctor_id)
        if doctor is None:
            raise _not_found("医生", "doctor", doctor_id)
        if doctor.department != dept_id:
            raise RuleError("wrong_department", f"{doctor.name}医生不属于该科室", f"{doctor_id} is not a doctor of {dept_id}")

    def _check_in_opens(self, visit: Visit, rules: QueueRules) -> datetime | None:
        """When check-in opens for the visit's slot (None: any time)."""
        if visit.slot_start is None or rules.early_check_in == "any_time":
            return None
        opens = datetime.combine(visit.day, visit.slot_start)
        if rules.early_check_in == "minutes_before":
            opens -= timedelta(minutes=rules.early_check_in_minutes)
        return opens

    def _record_duration(self, visit: Visit) -> None:
        if not (visit.started_at and visit.finished_at):
            return
        minutes = (visit.finished_at - visit.started_at).total_seconds() / 60
        for key in (f"room:{visit.room_id}", f"dept:{visit.dept_id}"):
            self._durations.setdefault(key, deque(maxlen=ROLLING_WINDOW)).append(minutes)

    @staticmethod
    def _ticket_counter_key(dept_id: str, day: date) -> str:
        return f"ticket:{dept_id}:{day.isoformat()}"

    @staticmethod
    def _allow(visit: Visit, command: str) -> None:
        """Refuse (wrong_state) a command the visit's state does not allow: the table STATE_CHANGES decides."""
        change = STATE_CHANGES[command]
        if visit.state not in change.start:
            raise _wrong_state(visit, change.name_zh, change.name_en)


def _wrong_state(visit: Visit, action_zh: str, action_en: str) -> RuleError:
    names = {
        "registered": "未签到", "waiting": "候诊中", "room_waiting": "诊室候诊中", "called": "已呼叫",
        "in_service": "就诊中", "done": "已就诊", "missed": "已过号", "away": "检查中", "cancelled": "已弃号",
    }
    return RuleError("wrong_state", f"{visit.ticket} 号当前{names[visit.state.value]}，不能{action_zh}",
                     f"{visit.ticket} is {visit.state.value}; cannot {action_en}")

