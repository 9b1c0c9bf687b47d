"""Where visits go: order keys for late/recalled/moved/transferred visits, dispatch to rooms, calls."""
from __future__ import annotations

from datetime import datetime, time
from typing import Callable

from caller.engine import ordering
from caller.engine.announce import call_texts, screen_name
from caller.engine.model import EngineEvent, RuleError, Visit, VisitState
from caller.engine.queries import EngineQueries
from caller.engine.transaction import Transaction
from common.wire import CallData, EmergencyAlert, RoomData

S = VisitState


class EnginePlacement(EngineQueries):
    """Placement in the waiting order, room fit and dispatch, call announcements (used by the commands)."""

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
            tx.emit(EngineEvent("alert", visit.area_id, EmergencyAlert(
                visit_id=visit.id, ticket=visit.ticket, triage_level=visit.triage_level, dept_id=visit.dept_id,
                name=screen_name(visit.patient_name, self._rules(visit)),
                message_zh=f"{visit.triage_level} 级患者 {visit.ticket} 到达，请立即处理",
                message_en=f"Triage level {visit.triage_level} patient {visit.ticket} arrived",
            ).model_dump()))

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
        if space <= 0:
            return
        fits = self._fit_test(room_id)
        chosen: list[Visit] = []  # read first, moved after: the list is read from its head only
        for visit in self._area_head(area_id):
            if len(chosen) >= space:
                break
            if visit.number_kind == "extra" and not rules.extra_numbers_called:
                continue  # extra numbers not called like others: a nurse dispatches them by hand
            if fits(visit) and self._may_call(visit):  # at another point / held: stays in its place
                chosen.append(visit)
        for visit in chosen:
            before = self._set_state(visit, S.room_waiting, tx)
            visit.room_id = room_id
            tx.record(visit, "dispatch", before, {"room_id": room_id, "auto": True})
            tx.queue_changed(area_id, "dispatch", visit.id)

    def _refit(self, room_id: str, action: str, tx: Transaction) -> None:
        """Visits in the room's queue that no longer fit (another doctor sits there now) go back to the area queue."""
        for visit in self.room_queue(room_id):
            if not self._fits(visit, room_id):
                before = self._set_state(visit, S.waiting, tx)
                tx.record(visit, "undispatch", before, {"room_id": room_id, "reason": "doctor_changed"})
                tx.queue_changed(visit.area_id, action, visit.id)

    def _fits(self, visit: Visit, room_id: str | None) -> bool:
        return room_id is not None and self._fit_test(room_id)(visit)

    def _fit_test(self, room_id: str) -> Callable[[Visit], bool]:
        """``visit -> may it go to the room now`` (the rules of :meth:`_why_not`, with the room looked up once)."""
        cfg = self._room_cfg[room_id]
        if self._rooms[room_id].paused:
            return lambda visit: False
        area_id = self._room_area[room_id]
        departments = set(cfg.departments)
        doctor_id = self.room_doctor(room_id)
        doctor = self._doctors.get(doctor_id or "")
        expert_room = doctor is not None and doctor.expert
        levels = set(getattr(cfg, "triage_levels", []) or [])

        def fits(visit: Visit) -> bool:
            if visit.area_id != area_id or visit.dept_id not in departments:
                return False
            if visit.doctor_id is not None:
                if visit.doctor_id != doctor_id:
                    return False
            elif expert_room:
                return False
            return not levels or (visit.triage_level or 4) in levels

        return fits

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
        tx.emit(EngineEvent("call", visit.area_id, CallData(
            visit_id=visit.id, ticket=visit.ticket, name=screen_name(visit.patient_name, rules),
            room_id=room.id, room_name=room.name, room_name_en=getattr(room, "name_en", ""), dept_id=dept.id,
            number_kind=visit.number_kind, text=display, speech=speech, repeat=rules.call_repeat,
            call_count=visit.call_count, targets=targets,
        ).model_dump()))

    def _room_event(self, room_id: str, action: str, tx: Transaction) -> None:
        state = self._rooms[room_id]
        doctor_id = self.room_doctor(room_id)
        room = self._room_cfg[room_id]
        tx.emit(EngineEvent("room", self._room_area[room_id], RoomData(
            room_id=room_id, room_name=room.name, room_name_en=getattr(room, "name_en", ""), paused=state.paused,
            return_at=state.return_at, doctor_id=doctor_id, action=action,
        ).model_dump()))
        tx.record(None, action, None, {"room_id": room_id, "paused": state.paused, "doctor_id": doctor_id})

