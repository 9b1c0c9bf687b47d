"""The queue engine: every command of the spec's queue rules, in memory, deterministic, no I/O, no clock.

One instance serves the whole hospital. Every command takes `actor` and `now`, applies as a whole or
raises `RuleError` leaving nothing changed, and returns a `Change` (rows to write, events, audit).
The caller must serialise commands (one lock); queries read the same state.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, time

from caller.engine import fairness, ordering
from caller.engine.journey import JourneySteps
from caller.engine.model import QUEUED, STATE_CHANGES, BadCommand, Change, RuleError, Visit, VisitState
from caller.engine.state import QUEUE_STATES, _not_found
from common.queue_rules import NUMBER_KINDS

S = VisitState


class QueueEngine(JourneySteps):
    """All queues of one hospital. Construct from common.config.HospitalConfig: `QueueEngine(hospital)`."""

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
            raise BadCommand("bad_number_kind", "对不起，号别不正确，请重新选择", f"Unknown number kind {number_kind!r}")
        if source not in ("appointment", "onsite"):
            raise BadCommand("bad_source", "对不起，来源不正确", f"Source must be appointment or onsite, not {source!r}")
        if session not in ordering.SESSION_INDEX:
            raise BadCommand("bad_session", "对不起，时段不正确，请选择上午或下午", f"Session must be am or pm, not {session!r}")
        if triage_level is not None and triage_level not in (1, 2, 3, 4):
            raise BadCommand("bad_triage_level", "分诊级别应为 1-4 级", f"Triage level must be 1-4, not {triage_level}")
        if slot_start and slot_end and slot_end <= slot_start:
            raise BadCommand("bad_slot", "对不起，预约时段不正确", "The slot ends before it starts")
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
        if visit.state in QUEUE_STATES:
            raise RuleError("already_checked_in", "您已签到，请留意叫号，谢谢", "Already checked in")
        self._allow(visit, "check_in")
        self._check_step_checks_in(visit)
        if visit.day != now.date():
            if visit.journey_id is not None and visit.slot_start is not None:  # an exam booked into another day
                opens = self._check_in_opens(visit, rules)
                raise RuleError("wrong_day", f"您好，您的检查预约在 {visit.day.month}月{visit.day.day}日 "
                                f"{visit.slot_start:%H:%M}，请当天{opens:%H:%M}后到登记台签到，谢谢" if opens else
                                f"您好，您的检查预约在 {visit.day.month}月{visit.day.day}日，请当天到登记台签到，谢谢",
                                f"This exam is booked for {visit.day.isoformat()} {visit.slot_start:%H:%M}; "
                                "please check in on that day")
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
            queue = [v for v in self.room_queue(room_id) if self._may_call(v)]  # elsewhere / held: place kept
            visit = queue[0] if queue else None
            area_id = self._room_area[room_id]
            if fairness.active(rules, area_id in self._emergency_areas):
                visit = self._fair_choice(room_id, queue, rules, now, tx)
            if visit is None:
                return tx.change(None)
            tx.touch(visit)
            before = visit.state.value
            self._call_into(visit, room_id, before, {}, now, tx)
            if rules.dispatch == "auto":
                self._top_up(room_id, tx)
            return tx.change(visit)

    def call_visit(self, visit_id: str, room_id: str, reason: str, *, actor: str, now: datetime) -> Change:
        """呼叫此号: call one chosen waiting visit into the room now, out of turn; the reason goes to the audit."""
        cfg = self._room(room_id)
        visit = self._visit(visit_id)
        if self._rooms[room_id].paused:
            raise RuleError("room_paused", f"{cfg.name}已停诊，请先开诊再叫号", f"{room_id} is paused; resume it first")
        self._allow(visit, "call_visit")
        if not reason.strip():
            raise BadCommand("bad_reason", "请说明提前呼叫的原因，谢谢", "Say why this visit is called out of turn")
        self._check_room_fits(visit, room_id, now)
        self._check_may_call(visit, now)
        rules = self._area_rules(self._room_area[room_id])
        with self._command(actor, now) as tx:
            tx.touch(visit)
            before = visit.state.value
            self._call_into(visit, room_id, before, {"out_of_turn": True, "reason": reason.strip()}, now, tx)
            if rules.dispatch == "auto":
                self._top_up(room_id, tx)
            return tx.change(visit)

    def _call_into(self, visit: Visit, room_id: str, before: str, detail: dict, now: datetime, tx) -> None:
        """The first call of ``visit`` into ``room_id``: state, announcement, audit, queue change."""
        visit.state = S.called
        visit.room_id = room_id
        visit.called_at = now
        visit.call_count = 1
        self._announce(visit, tx)
        tx.record(visit, "call", before, {"room_id": room_id, "call_count": 1, **detail})
        tx.queue_changed(visit.area_id, "call", visit.id)

    def _fair_choice(self, room_id: str, queue: list[Visit], rules, now: datetime, tx) -> Visit | None:
        """The visit the room calls under priority_ratio / max_priority_delay_minutes (caller.engine.fairness).

        Candidates: the room's queue, then (automatic dispatch) the area's waiting visits that fit the room,
        so a normal visit can be called even when the room's queue holds only priority visits.
        """
        candidates = list(queue)
        if rules.dispatch == "auto":
            fits = self._fit_test(room_id)
            candidates += [v for v in self.area_queue(self._room_area[room_id]) if fits(v)
                           and (v.number_kind != "extra" or rules.extra_numbers_called)]
        candidates = [v for v in candidates if self._may_call(v)]
        state = tx.touch_room(self._rooms[room_id])
        visit = fairness.choose(candidates, state, rules, now)
        if visit is None:
            return None
        normal_waiting = any(not fairness.is_priority(v) for v in candidates if v.id != visit.id)
        fairness.after_call(state, visit, normal_waiting, now)
        if visit.state == S.waiting:  # taken straight from the area queue
            before = self._set_state(visit, S.room_waiting, tx)
            visit.room_id = room_id
            tx.record(visit, "dispatch", before, {"room_id": room_id, "auto": True, "fair": True})
        return visit

    def call_again(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """重呼: repeat the announcement; counts towards the missed limit."""
        visit = self._visit(visit_id)
        self._allow(visit, "call_again")
        with self._command(actor, now) as tx:
            tx.touch(visit)
            visit.call_count += 1
            visit.called_at = now
            self._announce(visit, tx)
            tx.record(visit, "call_again", S.called.value, {"room_id": visit.room_id, "call_count": visit.call_count})
            return tx.change(visit)

    def move(self, command: str, visit_id: str, *, actor: str, now: datetime) -> Change:
        """One visit moves along its row of STATE_CHANGES (the rows with an ``action``): into the row's one end
        state, or (a row ending in the queue) back into the queue by the recall rule. The row's ``action`` is
        audited and published.

        ``start``: the patient came in, called (or waiting in the room) -> in service. ``finish``: 就诊结束, in
        service -> done; its duration feeds the rolling median. ``missed``: 过号, only after the visit was called
        K times (missed_after_calls). ``recall``: 召回 a missed visit, placed by the recall rule. ``away``: 检查中,
        the patient goes to exams/labs and leaves the queue until back. ``back``: back from exams, waits again,
        placed by the recall rule.
        """
        change = STATE_CHANGES[command]
        if not change.action:
            raise ValueError(f"{command!r} is not a plain move of STATE_CHANGES")
        visit = self._visit(visit_id)
        self._allow(visit, command)
        if command == "missed":
            self._called_enough(visit)
        if command == "start" and visit.state != S.called:  # straight from a room queue: not while elsewhere
            self._check_may_call(visit, now)
        with self._command(actor, now) as tx:
            if change.end == QUEUED:
                self._return_recalled(visit, change.action, tx)
                return tx.change(visit)
            (target,) = change.end
            before = self._set_state(visit, target, tx)
            detail = {"room_id": visit.room_id}
            if target == S.in_service:
                visit.started_at = now
            elif target == S.done:
                visit.finished_at = now
                self._record_duration(visit)
            elif target == S.missed:
                detail["call_count"] = visit.call_count
            tx.record(visit, change.action, before, detail)
            tx.queue_changed(visit.area_id, change.action, visit.id)
            return tx.change(visit)

    def _called_enough(self, visit: Visit) -> None:
        """过号 only after missed_after_calls calls (RuleError not_called_enough otherwise)."""
        needed = self._rules(visit).missed_after_calls
        if visit.call_count < needed:
            more = needed - visit.call_count
            raise RuleError("not_called_enough", f"请再呼叫 {more} 次后再过号",
                            f"Call {more} more time(s) before marking missed ({needed} calls needed)")

    def move_up(self, visit_id: str, before_visit_id: str | None = None, *, actor: str, now: datetime) -> Change:
        """队列调整: move a waiting visit forward, before `before_visit_id` (None: to the head).

        A visit never passes a special patient of a more urgent level (nor, in emergency areas, a more urgent
        triage level): it stops at the head of its group.
        """
        visit = self._visit(visit_id)
        self._allow(visit, "move_up")
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
        self._allow(visit, "priority")
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
            raise BadCommand("bad_triage_level", "分诊级别应为 1-4 级", f"Triage level must be 1-4, not {level}")
        self._allow(visit, "triage")
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
        self._allow(visit, "assign_doctor")
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
        self._allow(visit, "transfer")
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
        if visit.journey_id and dept_id != visit.dept_id:
            raise RuleError("step_transfer", "该患者只能转到本服务的其他窗口，请重新选择",
                            "A journey step moves between the windows of its own service only")
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
        self._allow(visit, "dispatch")
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
        self._allow(visit, "cancel")
        with self._command(actor, now) as tx:
            before = self._set_state(visit, S.cancelled, tx)
            tx.record(visit, "cancel", before)
            tx.queue_changed(visit.area_id, "cancel", visit.id)
            return tx.change(visit)

    def leave_queue(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """我不排了, from the patient's phone page: the visit leaves for good, as a 弃号, until it is called."""
        visit = self._visit(visit_id)
        self._allow_patient(visit, "leave_queue")
        with self._command(actor, now) as tx:
            before = self._set_state(visit, S.cancelled, tx)
            tx.record(visit, "leave_queue", before, {"room_id": visit.room_id})
            tx.queue_changed(visit.area_id, "leave_queue", visit.id)
            return tx.change(visit)

    def on_my_way(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """我马上到, from the patient's phone page: the nurse sees it beside the ticket. Its place does not change."""
        visit = self._visit(visit_id)
        self._allow_patient(visit, "on_my_way")
        with self._command(actor, now) as tx:
            tx.touch(visit)
            visit.on_way_at = now
            tx.record(visit, "on_my_way", visit.state.value)
            tx.queue_changed(visit.area_id, "on_my_way", visit.id)
            return tx.change(visit)

    @staticmethod
    def _allow_patient(visit: Visit, command: str) -> None:
        """The patient's own commands stop once they are called: then the nurse decides, and the page says so."""
        if visit.state in STATE_CHANGES[command].start:
            return
        if visit.state in (S.called, S.in_service):
            raise RuleError("already_called", "您好，您的号已被呼叫，手机上不能再操作。请直接到诊室，或到分诊台找护士，谢谢。",
                            "Your number has been called; the page can no longer change it. Please go to the room or "
                            "ask the nurse at the triage desk.")
        if visit.state == S.missed:
            raise RuleError("already_called", "您好，您的号已过号，手机上不能再操作。请到分诊台找护士，谢谢。",
                            "Your number was called and missed; please ask the nurse at the triage desk.")
        raise RuleError("wrong_state", "您好，这张号票已结束或已取消，手机上不能再操作。如有疑问请到分诊台咨询，谢谢。",
                        "This ticket is finished or cancelled; please ask at the triage desk.")

    def pause_room(self, room_id: str, return_at: str | None = None, *, actor: str, now: datetime) -> Change:
        """停诊: the room gets nobody; its room queue goes back to the area queue in its places.

        ``return_at`` ("10:30"): when the doctor is expected back, shown on the door and wall screens.
        """
        self._room(room_id)
        with self._command(actor, now) as tx:
            state = tx.touch_room(self._rooms[room_id])
            state.paused = True
            state.return_at = return_at
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
            state = tx.touch_room(self._rooms[room_id])
            state.paused, state.return_at = False, None
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

