"""The queue engine: every command of the spec's queue rules, in memory, deterministic, no I/O, no clock.

One instance serves the whole hospital. Every command takes `actor` and `now`, applies as a whole or
raises `RuleError` leaving nothing changed, and returns a `Change` (rows to write, events, audit).
The caller must serialise commands (one lock); queries read the same state.
"""
from __future__ import annotations

import dataclasses
import statistics
from collections import deque
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Iterator

from caller.engine import ordering
from caller.engine.announce import call_texts, screen_name, visit_item
from caller.engine.model import (
    FINAL_STATES,
    Change,
    EngineEvent,
    RoomState,
    RuleError,
    Visit,
    VisitState,
)
from caller.engine.rules import NUMBER_KINDS, QueueRules
from caller.engine.transaction import Transaction

S = VisitState
ROLLING_WINDOW = 20  # finished visits in the rolling median of service time
QUEUE_STATES = (S.waiting, S.room_waiting)
DAY_COUNTER = "day"  # the current day (date ordinal): queues hold that day's visits
CLOCK_COUNTER = "clock"  # seconds since CLOCK_EPOCH of the latest command: which session queries see
CLOCK_EPOCH = datetime(2000, 1, 1)


def _not_found(what_zh: str, what_en: str, ident: str) -> RuleError:
    return RuleError("not_found", f"对不起，找不到{what_zh} {ident}，请核对后再试", f"No {what_en} {ident}")


class QueueEngine:
    """All queues of one hospital. Construct from caller.config.HospitalConfig."""

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
        schedule = getattr(hospital, "schedule", None)
        self._am_end: time = schedule.session_span("am")[1] if schedule is not None else time(12, 0)
        self._scheduled: dict[tuple[str, int, str], str | None] = {}

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
        days = [v.day for v in self._visits.values()]
        if DAY_COUNTER in self._counters:
            days.append(date.fromordinal(self._counters[DAY_COUNTER]))
        if now is not None:
            days.append(now.date())
        self._day = max(days) if days else None
        self._now = now
        if now is None and CLOCK_COUNTER in self._counters:
            self._now = CLOCK_EPOCH + timedelta(seconds=self._counters[CLOCK_COUNTER])

    # =============================================================================================
    # commands
    # =============================================================================================
    def register(
        self,
        dept_id: str,
        patient_id: str,
        patient_name: str,
        number_kind: str,
        source: str,
        session: str,
        now: datetime,
        reg_seq: int | None = None,
        doctor_id: str | None = None,
        slot_start: time | None = None,
        slot_end: time | None = None,
        triage_level: int | None = None,
        visit_id: str | None = None,
        actor: str = "system",
    ) -> Change:
        """Issue a ticket (prefix + running number per department per day) for a registration."""
        dept = self._depts.get(dept_id)
        if dept is None:
            raise _not_found("科室", "department", dept_id)
        if number_kind not in NUMBER_KINDS:
            raise RuleError("bad_number_kind", "对不起，号别不正确，请重新选择", f"Unknown number kind {number_kind!r}")
        if source not in ("appointment", "onsite"):
            raise RuleError("bad_source", "对不起，来源不正确", f"Source must be appointment or onsite, not {source!r}")
        if session not in ordering.SESSION_INDEX:
            raise RuleError("bad_session", "对不起，时段不正确，请选择上午或下午", f"Session must be am or pm, not {session!r}")
        if triage_level is not None and triage_level not in (1, 2, 3, 4):
            raise RuleError("bad_triage_level", "分诊级别应为 1-4 级", f"Triage level must be 1-4, not {triage_level}")
        if slot_start and slot_end and slot_end <= slot_start:
            raise RuleError("bad_slot", "对不起，预约时段不正确", "The slot ends before it starts")
        if number_kind == "expert":
            doctor = self._doctors.get(doctor_id or "")
            if doctor is None or doctor.department != dept_id or not doctor.expert:
                raise RuleError("expert_needs_doctor", "专家号需要指定本科室的专家", "An expert number needs an expert doctor of the department")
        elif doctor_id is not None:
            self._check_doctor_of(doctor_id, dept_id)
        with self._command(actor, now) as tx:
            day = now.date()
            number = tx.next_counter(self._ticket_counter_key(dept_id, day))
            ticket = f"{dept.prefix}{number:03d}"
            vid = visit_id or f"{day:%Y%m%d}-{dept_id}-{number:04d}"
            if vid in self._visits:
                raise RuleError("duplicate_visit", "该挂号已存在", f"Visit {vid} exists already")
            visit = Visit(
                id=vid, ticket=ticket, dept_id=dept_id, area_id=dept.area, day=day, session=session,
                number_kind=number_kind, source=source, reg_seq=reg_seq if reg_seq is not None else number,
                patient_id=patient_id, patient_name=patient_name, registered_at=now, ticket_no=number,
                serial=tx.next_counter("serial"), doctor_id=doctor_id, slot_start=slot_start, slot_end=slot_end,
                triage_level=triage_level,
            )
            tx.touch(visit)
            self._visits[vid] = visit
            self._open.add(vid)
            if not self._rules(visit).check_in_mode:
                self._place(visit, ordering.natural_key(visit, self._rules(visit), self._emergency(visit)), tx)
                self._arrival_alert(visit, tx)
            tx.record(visit, "register", None, {"ticket": ticket, "dept_id": dept_id, "number_kind": number_kind})
            tx.queue_changed(visit.area_id, "register", vid)
            return tx.change(visit)

    def check_in(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """签到: a registered visit starts waiting (late arrivals placed by the late rule)."""
        visit = self._visit(visit_id)
        rules = self._rules(visit)
        if visit.state != S.registered:
            if visit.state in QUEUE_STATES:
                raise RuleError("already_checked_in", "您已签到，请留意叫号，谢谢", "Already checked in")
            raise self._wrong_state(visit, "签到", "check in")
        if visit.day != now.date():
            raise RuleError("wrong_day", f"对不起，您的挂号日期是 {visit.day:%m月%d日}，请在当天签到",
                            f"This registration is for {visit.day.isoformat()}")
        allowed = self._check_in_opens(visit, rules)
        if allowed is not None and now < allowed:
            raise RuleError(
                "too_early",
                f"您好，您的就诊时段从 {visit.slot_start:%H:%M} 开始，请于 {allowed:%H:%M} 后签到，谢谢",
                f"Too early: check-in opens at {allowed:%H:%M}",
            )
        with self._command(actor, now) as tx:
            tx.touch(visit)
            visit.checkin_at = now
            visit.checkin_seq = tx.next_counter(f"checkin:{visit.dept_id}:{visit.day.isoformat()}")
            visit.late = visit.slot_end is not None and now > datetime.combine(visit.day, visit.slot_end)
            if visit.late and rules.late_mode != "normal":
                visit.placed = "late"
                key = self._rule_key(visit, rules.late_mode, rules.late_interleave, "late", now, tx)
            else:
                key = ordering.natural_key(visit, rules, self._emergency(visit))
            self._place(visit, key, tx)
            self._arrival_alert(visit, tx)
            tx.record(visit, "check_in", S.registered.value, {"late": visit.late, "checkin_seq": visit.checkin_seq})
            tx.queue_changed(visit.area_id, "check_in", visit.id)
            return tx.change(visit)

    def call_next(self, room_id: str, *, actor: str, now: datetime) -> Change:
        """The room calls: (auto dispatch) top its queue up, call its head, top up again. Nobody: result None."""
        cfg = self._room(room_id)
        state = self._rooms[room_id]
        if state.paused:
            raise RuleError("room_paused", f"{cfg.name}已停诊，请先开诊再叫号", f"{room_id} is paused; resume it first")
        rules = self._area_rules(self._room_area[room_id])
        with self._command(actor, now) as tx:
            self._refit(room_id, "call_next", tx)
            if rules.dispatch == "auto":
                self._top_up(room_id, tx)
            queue = self.room_queue(room_id)
            if not queue:
                return tx.change(None)
            visit = queue[0]
            tx.touch(visit)
            before = visit.state.value
            visit.state = S.called
            visit.room_id = room_id
            visit.called_at = now
            visit.call_count = 1
            self._announce(visit, tx)
            tx.record(visit, "call", before, {"room_id": room_id, "call_count": 1})
            tx.queue_changed(visit.area_id, "call", visit.id)
            if rules.dispatch == "auto":
                self._top_up(room_id, tx)
            return tx.change(visit)

    def call_again(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """重呼: repeat the announcement; counts towards the missed limit."""
        visit = self._visit(visit_id)
        if visit.state != S.called:
            raise self._wrong_state(visit, "重呼", "call again")
        with self._command(actor, now) as tx:
            tx.touch(visit)
            visit.call_count += 1
            visit.called_at = now
            self._announce(visit, tx)
            tx.record(visit, "call_again", S.called.value, {"room_id": visit.room_id, "call_count": visit.call_count})
            return tx.change(visit)

    def start(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """The patient came in: called (or waiting in the room) -> in service."""
        visit = self._visit(visit_id)
        if visit.state not in (S.called, S.room_waiting):
            raise self._wrong_state(visit, "开始就诊", "start")
        with self._command(actor, now) as tx:
            before = self._set_state(visit, S.in_service, tx)
            visit.started_at = now
            tx.record(visit, "start", before, {"room_id": visit.room_id})
            tx.queue_changed(visit.area_id, "start", visit.id)
            return tx.change(visit)

    def finish(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """就诊结束: in service -> done; its duration feeds the rolling median."""
        visit = self._visit(visit_id)
        if visit.state != S.in_service:
            raise self._wrong_state(visit, "结束就诊", "finish")
        with self._command(actor, now) as tx:
            before = self._set_state(visit, S.done, tx)
            visit.finished_at = now
            self._record_duration(visit)
            tx.record(visit, "finish", before, {"room_id": visit.room_id})
            tx.queue_changed(visit.area_id, "finish", visit.id)
            return tx.change(visit)

    def mark_missed(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """过号: only after the visit was called K times (missed_after_calls)."""
        visit = self._visit(visit_id)
        if visit.state != S.called:
            raise self._wrong_state(visit, "过号", "mark missed")
        needed = self._rules(visit).missed_after_calls
        if visit.call_count < needed:
            more = needed - visit.call_count
            raise RuleError("not_called_enough", f"请再呼叫 {more} 次后再过号",
                            f"Call {more} more time(s) before marking missed ({needed} calls needed)")
        with self._command(actor, now) as tx:
            before = self._set_state(visit, S.missed, tx)
            tx.record(visit, "missed", before, {"room_id": visit.room_id, "call_count": visit.call_count})
            tx.queue_changed(visit.area_id, "missed", visit.id)
            return tx.change(visit)

    def recall(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """召回 a missed visit: placed by the recall rule."""
        visit = self._visit(visit_id)
        if visit.state != S.missed:
            raise self._wrong_state(visit, "召回", "recall")
        with self._command(actor, now) as tx:
            self._return_recalled(visit, "recall", tx)
            return tx.change(visit)

    def send_away(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """检查中: the patient goes to exams/labs and leaves the queue until back."""
        visit = self._visit(visit_id)
        if visit.state not in (S.waiting, S.room_waiting, S.called, S.in_service):
            raise self._wrong_state(visit, "去检查", "send away")
        with self._command(actor, now) as tx:
            before = self._set_state(visit, S.away, tx)
            tx.record(visit, "away", before, {"room_id": visit.room_id})
            tx.queue_changed(visit.area_id, "away", visit.id)
            return tx.change(visit)

    def back_from_away(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """Back from exams: waits again, placed by the recall rule."""
        visit = self._visit(visit_id)
        if visit.state != S.away:
            raise self._wrong_state(visit, "检查回来", "come back")
        with self._command(actor, now) as tx:
            self._return_recalled(visit, "back", tx)
            return tx.change(visit)

    def move_up(self, visit_id: str, before_visit_id: str | None = None, *, actor: str, now: datetime) -> Change:
        """队列调整: move a waiting visit forward, before `before_visit_id` (None: to the head).

        A visit never passes a special patient of a more urgent level (nor, in emergency areas, a more urgent
        triage level): it stops at the head of its group.
        """
        visit = self._visit(visit_id)
        if visit.state not in QUEUE_STATES:
            raise self._wrong_state(visit, "调整队列", "move up")
        queue = self.room_queue(visit.room_id) if visit.state == S.room_waiting else self.area_queue(visit.area_id)
        emergency = self._emergency(visit)
        group = [v for v in queue if ordering.group_of(v, emergency) == ordering.group_of(visit, emergency)]
        target: Visit | None = None
        if before_visit_id is not None:
            target = self._visit(before_visit_id)
            if target.id not in {v.id for v in queue}:
                raise RuleError("not_same_queue", "只能在同一队列内调整", "Both visits must be in the same queue")
            if [v.id for v in queue].index(target.id) > [v.id for v in queue].index(visit.id):
                raise RuleError("not_ahead", "只能向前调整", "The target is behind this visit; move up only")
            if target.id not in {v.id for v in group}:
                target = None  # a more urgent group: stop at the head of our own
        target = target or group[0]
        with self._command(actor, now) as tx:
            if target.id != visit.id:
                tx.touch(visit)
                if visit.priority_kind is None:
                    visit.order_key = ordering.encode(ordering.key_before([v for v in group if v.id != visit.id], target))
                else:
                    self._reorder_priority(group, visit, target, tx)
                tx.record(visit, "move_up", visit.state.value, {"before": target.id})
                tx.queue_changed(visit.area_id, "move_up", visit.id)
            return tx.change(visit)

    def set_priority(self, visit_id: str, kind: str | None, *, actor: str, now: datetime) -> Change:
        """Give (kind) or remove (None) special-patient priority."""
        visit = self._visit(visit_id)
        if visit.state in FINAL_STATES:
            raise self._wrong_state(visit, "设置优先", "set priority")
        rules = self._rules(visit)
        special = rules.special_kind(kind) if kind is not None else None
        if kind is not None and special is None:
            known = "、".join(f"{k.name}" for k in rules.special_kinds)
            raise RuleError("unknown_priority", f"对不起，没有这种特殊患者类别（可选：{known}）", f"Unknown special kind {kind!r}")
        with self._command(actor, now) as tx:
            if kind != visit.priority_kind:
                tx.touch(visit)
                before_kind = visit.priority_kind
                if special is None:
                    visit.priority_kind = visit.priority_level = visit.priority_seq = None
                else:
                    visit.priority_kind = special.kind
                    visit.priority_level = special.level
                    visit.priority_seq = tx.next_counter("priority")
                tx.record(visit, "priority", visit.state.value, {"from": before_kind, "to": kind})
                tx.queue_changed(visit.area_id, "priority", visit.id)
            return tx.change(visit)

    def set_triage(self, visit_id: str, level: int, *, actor: str, now: datetime) -> Change:
        """分诊级别 of an emergency visit (1 濒危 .. 4 非急症); levels 1-2 raise an alert at once."""
        visit = self._visit(visit_id)
        if level not in (1, 2, 3, 4):
            raise RuleError("bad_triage_level", "分诊级别应为 1-4 级", f"Triage level must be 1-4, not {level}")
        if visit.state in FINAL_STATES:
            raise self._wrong_state(visit, "分诊定级", "set the triage level")
        with self._command(actor, now) as tx:
            if level != visit.triage_level:
                tx.touch(visit)
                before_level, visit.triage_level = visit.triage_level, level
                if visit.placed == "" and visit.state in QUEUE_STATES:  # by level, then arrival
                    visit.order_key = ordering.encode(ordering.natural_key(visit, self._rules(visit), self._emergency(visit)))
                if visit.state == S.room_waiting and not self._fits(visit, visit.room_id):
                    self._set_state(visit, S.waiting, tx)
                if visit.state in QUEUE_STATES:
                    self._arrival_alert(visit, tx)
                tx.record(visit, "triage", visit.state.value, {"from": before_level, "to": level})
                tx.queue_changed(visit.area_id, "triage", visit.id)
            return tx.change(visit)

    def assign_doctor(self, visit_id: str, doctor_id: str | None, *, actor: str, now: datetime) -> Change:
        """指定医生: bind a general visit to one doctor of its department (None: unbind)."""
        visit = self._visit(visit_id)
        if visit.number_kind == "expert":
            raise RuleError("expert_has_doctor", "专家号已指定医生，不能更改", "An expert number already names its doctor")
        if visit.state not in (S.registered, S.waiting, S.room_waiting):
            raise self._wrong_state(visit, "指定医生", "assign a doctor")
        if doctor_id is not None:
            self._check_doctor_of(doctor_id, visit.dept_id)
        with self._command(actor, now) as tx:
            tx.touch(visit)
            before_doctor = visit.doctor_id
            visit.doctor_id = doctor_id
            if visit.state == S.room_waiting and not self._fits(visit, visit.room_id):
                self._set_state(visit, S.waiting, tx)
            tx.record(visit, "assign_doctor", visit.state.value, {"from": before_doctor, "to": doctor_id})
            tx.queue_changed(visit.area_id, "assign_doctor", visit.id)
            return tx.change(visit)

    def transfer(self, visit_id: str, dept_id: str | None = None, room_id: str | None = None, at_end: bool = False,
                 *, actor: str, now: datetime) -> Change:
        """转诊 to another department and/or room. Keeps its registration-time place unless at_end.

        A general visit sent to a room (or another department) loses its assigned doctor: the room is the choice.
        """
        visit = self._visit(visit_id)
        if visit.state not in (S.waiting, S.room_waiting, S.called, S.in_service, S.missed, S.away):
            raise self._wrong_state(visit, "转诊", "transfer")
        if dept_id is None and room_id is None:
            raise RuleError("transfer_where", "请选择转往的科室或诊室", "Name a department or a room to transfer to")
        if room_id is not None:
            cfg = self._room(room_id)
            if dept_id is None:
                if visit.dept_id in cfg.departments:
                    dept_id = visit.dept_id
                elif len(cfg.departments) == 1:
                    dept_id = cfg.departments[0]
                else:
                    raise RuleError("transfer_where", "请同时选择科室", "This room serves several departments; name one")
        dept_id = dept_id or visit.dept_id
        dept = self._depts.get(dept_id)
        if dept is None:
            raise _not_found("科室", "department", dept_id)
        if dept_id != visit.dept_id and visit.number_kind == "expert":
            raise RuleError("expert_transfer", "专家号不能转往其他科室，请重新挂号", "An expert number cannot move to another department")
        keeps_doctor = visit.number_kind == "expert" or (dept_id == visit.dept_id and room_id is None)
        probe = dataclasses.replace(visit, dept_id=dept_id, area_id=dept.area,
                                    doctor_id=visit.doctor_id if keeps_doctor else None)
        if room_id is not None:
            self._check_room_fits(probe, room_id, now)
        with self._command(actor, now) as tx:
            tx.touch(visit)
            before = visit.state.value
            from_area, from_dept, from_room = visit.area_id, visit.dept_id, visit.room_id
            visit.dept_id, visit.area_id, visit.doctor_id = probe.dept_id, probe.area_id, probe.doctor_id
            same_place = dept_id == from_dept and visit.state in QUEUE_STATES
            if room_id is not None:
                if at_end or not same_place:
                    visit.order_key = ordering.encode(self._transfer_key(visit, self.room_queue(room_id), at_end))
                visit.state, visit.room_id = S.room_waiting, room_id
            else:
                if at_end or not same_place:
                    line = [v for v in self._queued(visit.area_id) if v.dept_id == dept_id]
                    visit.order_key = ordering.encode(self._transfer_key(visit, line, at_end))
                visit.state, visit.room_id = S.waiting, None
            visit.call_count = 0
            visit.waiting_since = now
            tx.record(visit, "transfer", before, {"from_dept": from_dept, "to_dept": dept_id, "from_room": from_room,
                                                  "to_room": room_id, "at_end": at_end})
            tx.queue_changed(from_area, "transfer", visit.id)
            tx.queue_changed(visit.area_id, "transfer", visit.id)
            return tx.change(visit)

    def dispatch(self, visit_id: str, room_id: str, *, actor: str, now: datetime) -> Change:
        """分诊 (manual): move a waiting visit into a room's queue."""
        visit = self._visit(visit_id)
        if visit.state not in QUEUE_STATES:
            raise self._wrong_state(visit, "分诊", "dispatch")
        self._check_room_fits(visit, room_id, now)
        with self._command(actor, now) as tx:
            before = self._set_state(visit, S.room_waiting, tx)
            visit.room_id = room_id
            tx.record(visit, "dispatch", before, {"room_id": room_id})
            tx.queue_changed(visit.area_id, "dispatch", visit.id)
            return tx.change(visit)

    def cancel(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """弃号: the visit leaves for good; its ticket number is never reused."""
        visit = self._visit(visit_id)
        if visit.state in FINAL_STATES:
            raise self._wrong_state(visit, "弃号", "cancel")
        with self._command(actor, now) as tx:
            before = self._set_state(visit, S.cancelled, tx)
            tx.record(visit, "cancel", before)
            tx.queue_changed(visit.area_id, "cancel", visit.id)
            return tx.change(visit)

    def pause_room(self, room_id: str, *, actor: str, now: datetime) -> Change:
        """停诊: the room gets nobody; its room queue goes back to the area queue in its places."""
        self._room(room_id)
        with self._command(actor, now) as tx:
            state = tx.touch_room(self._rooms[room_id])
            state.paused = True
            for visit in self.room_queue(room_id):
                before = self._set_state(visit, S.waiting, tx)
                tx.record(visit, "undispatch", before, {"room_id": room_id, "reason": "room_paused"})
                tx.queue_changed(visit.area_id, "pause_room", visit.id)
            self._room_event(room_id, "pause_room", tx)
            return tx.change(None)

    def resume_room(self, room_id: str, *, actor: str, now: datetime) -> Change:
        """开诊: the room receives visits again at its next call."""
        self._room(room_id)
        with self._command(actor, now) as tx:
            tx.touch_room(self._rooms[room_id]).paused = False
            self._room_event(room_id, "resume_room", tx)
            return tx.change(None)

    def set_room_doctor(self, room_id: str, doctor_id: str | None, *, actor: str, now: datetime) -> Change:
        """Who sits in the room this session; visits in its queue that no longer fit go back to the area queue."""
        cfg = self._room(room_id)
        if doctor_id is not None:
            doctor = self._doctors.get(doctor_id)
            if doctor is None:
                raise _not_found("医生", "doctor", doctor_id)
            if doctor.department not in cfg.departments:
                raise RuleError("wrong_room", f"{doctor.name}医生的科室不在{cfg.name}", f"{doctor_id} does not work for this room's departments")
        with self._command(actor, now) as tx:
            state = tx.touch_room(self._rooms[room_id])
            state.doctor_id, state.doctor_session = doctor_id, self._session_key(now)
            self._refit(room_id, "set_room_doctor", tx)
            self._room_event(room_id, "set_room_doctor", tx)
            return tx.change(None)

    # =============================================================================================
    # queries
    # =============================================================================================
    def visit(self, visit_id: str) -> Visit:
        """The visit (raises RuleError not_found)."""
        return self._visit(visit_id)

    def visits(self) -> list[Visit]:
        """Every visit the engine holds (all days loaded), in issue order."""
        return sorted(self._visits.values(), key=lambda v: v.serial)

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
        return self._sorted(v for v in self._today() if v.state == S.waiting and v.area_id == area_id)

    def room_queue(self, room_id: str | None) -> list[Visit]:
        """The room's own queue (诊室候诊), head to tail."""
        return self._sorted(v for v in self._today() if v.state == S.room_waiting and v.room_id == room_id)

    def called(self, area_id: str) -> list[Visit]:
        """Visits called and not yet in service, latest call first."""
        found = [v for v in self._today() if v.state == S.called and v.area_id == area_id]
        return sorted(found, key=lambda v: (v.called_at or datetime.min, v.serial), reverse=True)

    def in_service(self, area_id: str) -> list[Visit]:
        return sorted((v for v in self._today() if v.state == S.in_service and v.area_id == area_id), key=lambda v: v.serial)

    def missed(self, area_id: str) -> list[Visit]:
        return sorted((v for v in self._today() if v.state == S.missed and v.area_id == area_id), key=lambda v: v.serial)

    def away(self, area_id: str) -> list[Visit]:
        return sorted((v for v in self._today() if v.state == S.away and v.area_id == area_id), key=lambda v: v.serial)

    def position(self, visit_id: str) -> tuple[int, float]:
        """(visits ahead, estimated minutes): ahead x rolling median service time of its room or department."""
        visit = self._visit(visit_id)
        rules = self._rules(visit)
        if visit.state == S.room_waiting:
            ahead = [v.id for v in self.room_queue(visit.room_id)].index(visit.id)
        elif visit.state in (S.waiting, S.registered):
            line = [v for v in self.area_queue(visit.area_id) if v.dept_id == visit.dept_id and v.doctor_id == visit.doctor_id]
            ids = [v.id for v in line]
            ahead = ids.index(visit.id) if visit.id in ids else len(ids)
            for room_id in self._room_cfg:
                if self._room_area[room_id] == visit.area_id and self._fits(visit, room_id):
                    ahead += len(self.room_queue(room_id))
        else:
            return 0, 0.0
        return ahead, round(ahead * self.service_minutes(visit.room_id, visit.dept_id, rules), 1)

    def service_minutes(self, room_id: str | None, dept_id: str, rules: QueueRules | None = None) -> float:
        """Rolling median of start->finish minutes of the room, else the department, else the default."""
        for key in (f"room:{room_id}" if room_id else None, f"dept:{dept_id}"):
            if key and self._durations.get(key):
                return float(statistics.median(self._durations[key]))
        rules = rules or self._area_rules(self._depts[dept_id].area)
        return rules.default_service_minutes

    def wait_alerts(self, now: datetime) -> list[EngineEvent]:
        """An "alert" event per department whose longest current wait passes wait_alert_minutes."""
        alerts: list[EngineEvent] = []
        for dept in self._depts.values():
            queued = [v for v in self._today() if v.dept_id == dept.id and v.state in QUEUE_STATES]
            if not queued:
                continue
            rules = self._area_rules(dept.area)
            since = min(v.waiting_since or v.checkin_at or v.registered_at for v in queued)
            waited = (now - since).total_seconds() / 60
            if waited > rules.wait_alert_minutes:
                alerts.append(EngineEvent("alert", dept.area, {
                    "kind": "wait", "dept_id": dept.id, "dept": dept.name, "wait_minutes": round(waited, 1),
                    "threshold_minutes": rules.wait_alert_minutes, "waiting": len(queued),
                    "message_zh": f"{dept.name}已有患者等候 {int(waited)} 分钟，超过 {rules.wait_alert_minutes} 分钟",
                    "message_en": f"{dept.id}: a patient has waited {int(waited)} min (threshold {rules.wait_alert_minutes})",
                }))
        return alerts

    def snapshot(self, area_id: str, public: bool) -> dict[str, Any]:
        """The area's queues as JSON-able data. Public: masked names per screen_name, no patient ids."""
        area = self._areas.get(area_id)
        if area is None:
            raise _not_found("诊区", "area", area_id)
        rules = area.rules

        def items(visits: list[Visit]) -> list[dict]:
            shown = [v for v in visits if not (public and v.number_kind == "extra" and not rules.extra_numbers_called)]
            return [visit_item(v, rules, public) for v in shown]

        rooms = []
        for room in area.rooms:
            state = self._rooms[room.id]
            doctor_id = self.room_doctor(room.id)
            doctor = self._doctors.get(doctor_id or "")
            rooms.append({
                "room_id": room.id, "name": room.name, "name_en": getattr(room, "name_en", ""),
                "paused": state.paused, "doctor_id": doctor_id, "doctor_name": doctor.name if doctor else "",
                "called": items([v for v in self.called(area_id) if v.room_id == room.id]),
                "in_service": items([v for v in self.in_service(area_id) if v.room_id == room.id]),
                "queue": items(self.room_queue(room.id)),
            })
        return {
            "area_id": area_id, "name": area.name, "name_en": getattr(area, "name_en", ""),
            "day": self._day.isoformat() if self._day else None,
            "waiting": items(self.area_queue(area_id)), "called": items(self.called(area_id)),
            "missed": items(self.missed(area_id)), "away": items(self.away(area_id)), "rooms": rooms,
        }

    # =============================================================================================
    # internals: placement
    # =============================================================================================
    def _place(self, visit: Visit, key: ordering.Key, tx: Transaction) -> None:
        """The visit enters the area's waiting list at `key`."""
        tx.touch(visit)
        visit.order_key = ordering.encode(key)
        visit.state = S.waiting
        visit.room_id = None
        visit.waiting_since = tx.now

    def _arrival_alert(self, visit: Visit, tx: Transaction) -> None:
        """Emergency level 1-2 arrivals raise an alert on the console at once."""
        if self._emergency(visit) and visit.triage_level in (1, 2):
            tx.emit(EngineEvent("alert", visit.area_id, {
                "kind": "emergency", "visit_id": visit.id, "ticket": visit.ticket, "triage_level": visit.triage_level,
                "dept_id": visit.dept_id, "name": screen_name(visit.patient_name, self._rules(visit)),
                "message_zh": f"{visit.triage_level} 级患者 {visit.ticket} 到达，请立即处理",
                "message_en": f"Triage level {visit.triage_level} patient {visit.ticket} arrived",
            }))

    def _queued(self, area_id: str) -> list[Visit]:
        """Everyone of the area not yet called: room queues and area queue, in the one waiting order.

        Rules that count visits (late / recall interleave, transfer by registration time) count here, so
        a room queue filled by automatic dispatch is part of "the queue" as patients see it.
        """
        return self._sorted(v for v in self._today() if v.state in QUEUE_STATES and v.area_id == area_id)

    def _line(self, visit: Visit) -> tuple[list[Visit], list[Visit]]:
        """(the area's non-priority queued visits, those of the visit's department), without the visit."""
        plain = [v for v in self._plain(self._queued(visit.area_id)) if v.id != visit.id]
        return plain, [v for v in plain if v.dept_id == visit.dept_id]

    def _rule_key(self, visit: Visit, mode: str, n: int, marker: str, now: datetime, tx: Transaction) -> ordering.Key:
        """The key of a late or recalled visit under `mode` (interleave / end_of_session / end_of_slot)."""
        rules = self._rules(visit)
        plain, line = self._line(visit)
        if mode == "end_of_session":
            return ordering.end_of_session_key(visit.session, tx.next_counter("order"))
        if mode == "end_of_slot":
            slot = self._slot_at(visit, now)
            if rules.precise_slots:
                return ordering.end_of_slot_key(visit.session, slot or now, tx.next_counter("order"))
            if slot is None:  # nobody in this line has slots: the end of the session is the end of the slot
                return ordering.end_of_session_key(visit.session, tx.next_counter("order"))
            before = [v for v in line if v.placed == "" and v.slot_start is not None and v.slot_start <= slot]
            anchor = before[-1] if before else None
            return ordering.key_after(plain, anchor) or ordering.natural_key(visit, rules, self._emergency(visit))
        index = ordering.interleave_after(
            line, n, is_marker=lambda v: v.placed == marker, is_normal=lambda v: v.placed == "")
        if not line:
            return ordering.natural_key(visit, rules, self._emergency(visit))
        if index < 0:
            return ordering.key_before(plain, line[0])
        return ordering.key_after(plain, line[index])

    def _slot_at(self, visit: Visit, now: datetime) -> time | None:
        """Start of the slot that contains `now` among the department's slots today (latest start wins)."""
        moment = now.time()
        starts = [v.slot_start for v in self._today() if v.dept_id == visit.dept_id and v.slot_start and v.slot_end
                  and v.slot_start <= moment < v.slot_end]
        return max(starts) if starts else None

    def _return_recalled(self, visit: Visit, action: str, tx: Transaction) -> None:
        rules = self._rules(visit)
        tx.touch(visit)
        before = visit.state.value
        visit.recalled = True
        visit.placed = "recall"
        visit.call_count = 0
        key = self._rule_key(visit, rules.recall_mode, rules.recall_interleave, "recall", tx.now, tx)
        self._place(visit, key, tx)
        tx.record(visit, action, before, {"recall_mode": rules.recall_mode})
        tx.queue_changed(visit.area_id, action, visit.id)

    def _transfer_key(self, visit: Visit, queue: list[Visit], at_end: bool) -> ordering.Key:
        """In `queue`: at the end, or after the last visit registered no later than this one."""
        plain = [v for v in self._plain(queue) if v.id != visit.id]
        if not plain:
            return ordering.natural_key(visit, self._rules(visit), self._emergency(visit))
        if at_end:
            return ordering.key_after(plain, plain[-1])
        earlier = [v for v in plain if (v.registered_at, v.serial) <= (visit.registered_at, visit.serial)]
        return ordering.key_after(plain, earlier[-1] if earlier else None)

    def _reorder_priority(self, group: list[Visit], visit: Visit, target: Visit, tx: Transaction) -> None:
        """Within one priority level: hand the group's priority sequence numbers out in the new order."""
        seqs = [v.priority_seq for v in group]
        order = [v for v in group if v.id != visit.id]
        order.insert([v.id for v in order].index(target.id), visit)
        for member, seq in zip(order, seqs):
            if member.priority_seq != seq:
                tx.touch(member)
                member.priority_seq = seq

    # =============================================================================================
    # internals: rooms and calls
    # =============================================================================================
    def _top_up(self, room_id: str, tx: Transaction) -> None:
        """Fill the room's queue up to room_cap from the head of the area queue, visits that fit only."""
        area_id = self._room_area[room_id]
        rules = self._area_rules(area_id)
        space = rules.room_cap - len(self.room_queue(room_id))
        for visit in self.area_queue(area_id):
            if space <= 0:
                break
            if visit.number_kind == "extra" and not rules.extra_numbers_called:
                continue  # extra numbers not called like others: a nurse dispatches them by hand
            if self._fits(visit, room_id):
                before = self._set_state(visit, S.room_waiting, tx)
                visit.room_id = room_id
                tx.record(visit, "dispatch", before, {"room_id": room_id, "auto": True})
                tx.queue_changed(area_id, "dispatch", visit.id)
                space -= 1

    def _refit(self, room_id: str, action: str, tx: Transaction) -> None:
        """Visits in the room's queue that no longer fit (another doctor sits there now) go back to the area queue."""
        for visit in self.room_queue(room_id):
            if not self._fits(visit, room_id):
                before = self._set_state(visit, S.waiting, tx)
                tx.record(visit, "undispatch", before, {"room_id": room_id, "reason": "doctor_changed"})
                tx.queue_changed(visit.area_id, action, visit.id)

    def _fits(self, visit: Visit, room_id: str | None) -> bool:
        return room_id is not None and self._why_not(visit, room_id) is None

    def _why_not(self, visit: Visit, room_id: str, now: datetime | None = None) -> RuleError | None:
        """Why `visit` may not go to `room_id` (None: it may)."""
        cfg = self._room_cfg[room_id]
        state = self._rooms[room_id]
        if state.paused:
            return RuleError("room_paused", f"{cfg.name}已停诊，不能分诊到该诊室", f"{room_id} is paused")
        if self._room_area[room_id] != visit.area_id or visit.dept_id not in cfg.departments:
            return RuleError("wrong_room", f"{cfg.name}不接诊该科室患者", f"{room_id} does not serve {visit.dept_id}")
        room_doctor_id = self.room_doctor(room_id, now)
        room_doctor = self._doctors.get(room_doctor_id or "")
        if visit.doctor_id is not None and visit.doctor_id != room_doctor_id:
            return RuleError("wrong_doctor", f"该患者指定的医生不在{cfg.name}", f"The visit's doctor does not sit in {room_id}")
        if visit.doctor_id is None and room_doctor is not None and room_doctor.expert:
            return RuleError("wrong_doctor", f"{cfg.name}为专家诊室，只接诊该专家的患者", f"{room_id} is an expert's room")
        levels = list(getattr(cfg, "triage_levels", []) or [])
        if levels and (visit.triage_level or 4) not in levels:
            return RuleError("triage_level", f"{cfg.name}只接诊 {'、'.join(map(str, levels))} 级患者",
                             f"{room_id} takes triage levels {levels} only")
        return None

    def _check_room_fits(self, visit: Visit, room_id: str, now: datetime) -> None:
        self._room(room_id)
        problem = self._why_not(visit, room_id, now)
        if problem is not None:
            raise problem

    def _announce(self, visit: Visit, tx: Transaction) -> None:
        """The "call" event: display text, speech text, repeat, targets."""
        rules = self._rules(visit)
        room = self._room_cfg[visit.room_id]
        dept = self._depts[visit.dept_id]
        doctor = self._doctors.get(self.room_doctor(visit.room_id) or "")
        display, speech = call_texts(visit, rules, room.name, dept.name, doctor.name if doctor else "")
        targets = list(rules.call_targets)
        if visit.number_kind == "extra" and not rules.extra_numbers_called:
            targets = [t for t in targets if t == "room_screen"]
        tx.emit(EngineEvent("call", visit.area_id, {
            "visit_id": visit.id, "ticket": visit.ticket, "name": screen_name(visit.patient_name, rules),
            "room_id": room.id, "room": room.name, "room_en": getattr(room, "name_en", ""), "dept_id": dept.id,
            "number_kind": visit.number_kind, "text": display, "speech": speech, "repeat": rules.call_repeat,
            "call_count": visit.call_count, "targets": targets,
        }))

    def _room_event(self, room_id: str, action: str, tx: Transaction) -> None:
        state = self._rooms[room_id]
        doctor_id = self.room_doctor(room_id)
        tx.emit(EngineEvent("room", self._room_area[room_id], {
            "room_id": room_id, "room": self._room_cfg[room_id].name, "paused": state.paused,
            "doctor_id": doctor_id, "action": action,
        }))
        tx.record(None, action, None, {"room_id": room_id, "paused": state.paused, "doctor_id": doctor_id})

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

    def _session_key(self, now: datetime) -> str:
        return f"{now.date().isoformat()}/{self._session_of(now)}"

    # =============================================================================================
    # internals: look-ups and helpers
    # =============================================================================================
    @contextmanager
    def _command(self, actor: str, now: datetime) -> Iterator[Transaction]:
        """Run a command: all of it applies, or (on any exception) none of it."""
        tx = Transaction(self._visits, self._rooms, self._counters, actor, now)
        previous_day, previous_now = self._day, self._now
        self._now = now
        if self._day is None or now.date() > self._day:
            self._day = now.date()
            tx.set_counter(DAY_COUNTER, self._day.toordinal())
        tx.set_counter(CLOCK_COUNTER, int((now - CLOCK_EPOCH).total_seconds()))
        try:
            yield tx
        except BaseException:
            tx.rollback()
            self._day, self._now = previous_day, previous_now
            self._sync_open(tx.touched_ids())
            raise
        self._sync_open(tx.touched_ids())

    def _sync_open(self, visit_ids: Iterable[str]) -> None:
        for vid in visit_ids:
            visit = self._visits.get(vid)
            if visit is None or visit.state in FINAL_STATES:
                self._open.discard(vid)
            else:
                self._open.add(vid)

    def _set_state(self, visit: Visit, state: VisitState, tx: Transaction) -> str:
        """Change the state (leaving a room queue clears room_id); returns the state before."""
        tx.touch(visit)
        before = visit.state.value
        if state == S.waiting:
            visit.room_id = None
        visit.state = state
        return before

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
    def _wrong_state(visit: Visit, action_zh: str, action_en: str) -> RuleError:
        names = {
            "registered": "未签到", "waiting": "候诊中", "room_waiting": "诊室候诊中", "called": "已呼叫",
            "in_service": "就诊中", "done": "已就诊", "missed": "已过号", "away": "检查中", "cancelled": "已弃号",
        }
        return RuleError("wrong_state", f"{visit.ticket} 号当前{names[visit.state.value]}，不能{action_zh}",
                         f"{visit.ticket} is {visit.state.value}; cannot {action_en}")
