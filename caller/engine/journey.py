"""Journeys (一票到底): after the consulting room, the same ticket through the pharmacy, the lab, imaging and the cashier.

A *step* is a visit (:class:`caller.engine.model.Visit`) at a service point: a pharmacy window, a lab draw station,
an imaging room of one modality, a cashier window. Service points are rooms of areas whose departments say
which service they are (``service = "pharmacy"`` ...); each area has its own rules (order by check-in = ready
time for a pharmacy, check-in for a lab, slot for imaging; ``auto_priority``). A step carries the journey's
ticket, patient and priority, lives in the same states as a clinic visit (registered, waiting, room_waiting,
called, in_service, done, missed) and is audited like one. What only steps have is in ``stage``:

=========  ===============================================================================================
pharmacy   unpaid -> pending (待配药) -> dispensing (配药中) -> ready (已配好: waiting at a window) -> collected
lab        unpaid -> open (check in at the lab) -> drawn (采血完成, done) -> reported (报告已出)
imaging    unpaid -> booked (check in at the desk; held until the preparation gates are met) -> done
cashier    the unpaid orders of a patient who pays at a window: finishing it pays them
=========  ===============================================================================================

Rules every command keeps (tests/engine/test_journey_properties.py):
  * a patient is never called (nor in service) at two points at once: call next passes over a visit whose
    patient is at another point, and calling it by hand is refused;
  * that visit keeps its place and is called as soon as the patient is free;
  * a step keeps its journey's priority, and a moved step (transfer to another window) its order of arrival.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time
from typing import Any, Iterable

from caller.engine import ordering, steps
from caller.engine.announce import screen_name
from caller.engine.model import BadCommand, Change, EngineEvent, RuleError, Visit, VisitState
from caller.engine.placement import EnginePlacement
from common.wire import Order, ReadyData

S = VisitState
OPENED_STAGE = {"pharmacy": "pending", "lab": "open", "imaging": "booked", "cashier": ""}
SERVICE_OF_ORDER = {"drug": "pharmacy", "lab": "lab", "imaging": "imaging"}


class JourneySteps(EnginePlacement):
    """The journey commands and queries; the rules of calls for every visit live in EngineState._may_call."""

    # ============================================================================================ queries
    def journey(self, visit_id: str) -> list[Visit]:
        """The clinic visit, then its steps in the order they were opened (any member's id may be given). An exam
        booked into a later day is held with its own day: on that day the clinic visit of an earlier day may no
        longer be held, and the journey is its steps."""
        if visit_id not in self._visits and visit_id in self._journeys:
            return [self._visits[vid] for vid in sorted(self._journeys[visit_id]) if vid in self._visits]
        visit = self._visit(visit_id)
        return [self._visits[vid] for vid in self._journey_ids(visit) if vid in self._visits]

    def step_gate(self, visit_id: str, now: datetime | None = None) -> steps.Gate:
        visit = self._visit(visit_id)
        return steps.gate(visit, now or self._now or visit.registered_at)

    def busy_elsewhere(self, visit_id: str) -> Visit | None:
        """The visit of the same patient called or in service at another point now, if any."""
        return self._busy_elsewhere(self._visit(visit_id))

    def area_steps(self, area_id: str) -> list[Visit]:
        """Today's open steps (not done nor cancelled) at an area's service points, oldest first: what its window
        staff work on, 待配药 and 配药中 included (those wait nowhere until 已配好)."""
        found = [self._visits[vid] for vid in self._open
                 if self._visits[vid].area_id == area_id and self._visits[vid].journey_id is not None
                 and self._visits[vid].day == self._day]
        return sorted(found, key=lambda v: (v.serial, v.id))

    def journey_of_ticket(self, ticket: str) -> Visit | None:
        """Today's clinic visit (journey) holding a ticket number, for a scanned slip or typed number."""
        for vid in self._open:
            visit = self._visits[vid]
            if visit.ticket == ticket and visit.journey_id is None and visit.day == self._day:
                return visit
        for visit in self._visits.values():
            if visit.ticket == ticket and visit.journey_id is None and visit.day == self._day:
                return visit
        return None

    # =========================================================================================== commands
    def open_steps(self, visit_id: str, orders: Iterable[Order | dict], flags: Iterable[str] = (),
                   pay_at_window: bool = False, *, actor: str, now: datetime) -> Change:
        """开单: open the steps of ``orders`` on the journey of ``visit_id``; a paid order's step opens at once.

        One step per order and service department (an imaging order: one per exam). An order already opened
        (same ``order_id``) is not opened twice. ``flags`` (elderly, child, pregnant, ...) give each step the special
        kinds its area's ``auto_priority`` lists; ``fasting`` is added for fasting lab panels and exams.
        ``pay_at_window``: the unpaid orders also open a cashier step, waiting at once, whose end pays them.
        """
        root = self._visit(visit_id)
        root = self._visit(root.journey_id) if root.journey_id else root
        if root.state == S.cancelled:
            raise RuleError("journey_cancelled", f"{root.ticket} 号已弃号，不能开单", f"{root.ticket} is cancelled")
        parsed = [o if isinstance(o, Order) else Order.model_validate(o) for o in orders]
        if not parsed:
            raise BadCommand("no_orders", "请至少开一项医嘱，谢谢", "Give at least one order")
        for order in parsed:
            if order.slot_day is not None and (order.kind != "imaging" or order.slot_day < now.date()):
                raise BadCommand("bad_slot_day", "检查预约日期须为今天或以后，且只有检查项目可以预约，请核对",
                                 "Only an imaging exam is booked into a day, today or later")
        known = {(v.order_id, v.dept_id, v.items) for v in self.journey(root.id) if v.order_id}
        planned = [plan for order in parsed for plan in self._plan(order, known)]
        flags = set(flags)
        bookings = self._book_slots(planned, now)
        with self._command(actor, now) as tx:
            opened: list[Visit] = []
            for (order, dept_id, lines, amount, prep, fasting), booking in zip(planned, bookings):
                step = self._new_step(root, order, dept_id, lines, amount, prep, booking, now, tx)
                self._auto_priority(step, root, flags | ({"fasting"} if fasting else set()), tx)
                tx.record(step, "open_step", None, {"journey_id": root.id, "kind": step.step_kind,
                                                    "order_id": order.order_id, "items": json.loads(step.items),
                                                    "amount": amount})
                if order.paid:
                    self._pay(step, "order_paid", tx)
                opened.append(step)
            unpaid = [s for s in opened if s.stage == "unpaid"]
            if pay_at_window and unpaid:
                opened.append(self._cashier_step(root, unpaid, now, tx))
            return tx.change(opened[0] if opened else root)

    def pay_step(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """The step's order is paid (at a kiosk, a cashier window, the HIS): the step opens."""
        step = self._step(visit_id)
        self._allow(step, "pay_step")
        if step.stage != "unpaid":
            raise RuleError("already_paid", f"{step.ticket} 号该项目已缴费，谢谢", "This order is paid already")
        with self._command(actor, now) as tx:
            self._pay(step, "pay", tx)
            return tx.change(step)

    def start_dispensing(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """配药中: the pharmacist starts on a paid prescription."""
        step = self._step(visit_id, "pharmacy")
        self._allow(step, "start_dispensing")
        if step.stage != "pending":
            raise RuleError("wrong_stage", f"{step.ticket} 号处方{_STAGES_ZH.get(step.stage, step.stage)}，不能开始配药",
                            f"The prescription is {step.stage or 'open'}; cannot start dispensing")
        with self._command(actor, now) as tx:
            tx.touch(step)
            step.stage = "dispensing"
            tx.record(step, "start_dispensing", step.state.value)
            tx.queue_changed(step.area_id, "start_dispensing", step.id)
            return tx.change(step)

    def mark_ready(self, visit_id: str, room_id: str | None = None, *, actor: str, now: datetime) -> Change:
        """已配好: the medicine waits at window ``room_id`` (default: the open window with the shortest list); the
        patient joins that window's call list in order of ready time (with the pharmacy's priorities) and the
        pharmacy wall shows 请以下患者取药."""
        step = self._step(visit_id, "pharmacy")
        self._allow(step, "mark_ready")
        if step.stage not in ("pending", "dispensing"):
            raise RuleError("wrong_stage", f"{step.ticket} 号处方{_STAGES_ZH.get(step.stage, step.stage)}，不能标记配好",
                            f"The prescription is {step.stage}; cannot mark it ready")
        if room_id is not None:
            self._check_room_fits(step, room_id, now)
        else:
            room_id = self._shortest_window(step)
        rules = self._rules(step)
        with self._command(actor, now) as tx:
            tx.touch(step)
            step.stage, step.ready_at = "ready", now
            step.checkin_at = now
            step.checkin_seq = tx.next_counter(f"checkin:{step.dept_id}:{step.day.isoformat()}")
            self._place(step, ordering.natural_key(step, rules, False), tx)
            if room_id is not None:
                step.state, step.room_id = S.room_waiting, room_id
            tx.record(step, "ready", S.registered.value, {"room_id": room_id, "checkin_seq": step.checkin_seq})
            tx.queue_changed(step.area_id, "ready", step.id)
            room = self._room_cfg.get(room_id or "")
            name = screen_name(step.patient_name, rules)
            place = room.name if room is not None else self._depts[step.dept_id].name
            tx.emit(EngineEvent("ready", step.area_id, ReadyData(
                kind="medicine", visit_id=step.id, journey_id=step.journey_id or "", ticket=step.ticket, name=name,
                room_id=room_id, room_name=room.name if room else None,
                room_name_en=getattr(room, "name_en", "") if room else "",
                text=f"请 {step.ticket} 号 {name} 到 {place}取药".replace("  ", " "),
                text_en=f"{step.ticket}: please collect your medicine at {getattr(room, 'name_en', '') or place}",
            ).model_dump()))
            return tx.change(step)

    def collect(self, visit_id: str, scanned_journey: str, *, actor: str, now: datetime) -> Change:
        """已取药: the window scanned the patient's code (``scanned_journey``: the journey it belongs to)."""
        step = self._step(visit_id, "pharmacy")
        self._allow(step, "collect")
        if scanned_journey != step.journey_id:
            raise RuleError("wrong_patient", "扫码结果与取药患者不符，请核对患者后再扫码",
                            "The scanned code is not this patient's; check the patient and scan again")
        with self._command(actor, now) as tx:
            before = self._set_state(step, S.done, tx)
            step.started_at = step.started_at or now
            step.finished_at = now
            step.stage = "collected"
            self._record_duration(step)
            tx.record(step, "collect", before, {"room_id": step.room_id})
            tx.queue_changed(step.area_id, "collect", step.id)
            return tx.change(step)

    def settle(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """收费完成 at a cashier window: the cashier step ends and the orders it carried are paid (their steps open)."""
        step = self._step(visit_id, "cashier")
        self._allow(step, "collect")
        with self._command(actor, now) as tx:
            before = self._set_state(step, S.done, tx)
            step.started_at = step.started_at or now
            step.finished_at = now
            self._record_duration(step)
            tx.record(step, "settle", before, {"room_id": step.room_id})
            tx.queue_changed(step.area_id, "settle", step.id)
            for paid_id in json.loads(step.items):
                paid = self._visits.get(paid_id)
                if paid is not None and paid.stage == "unpaid":
                    self._pay(paid, "pay", tx)
            return tx.change(step)

    def set_gate(self, visit_id: str, fasting_since: datetime | None = None, water_at: datetime | None = None,
                 consent: bool = False, *, actor: str, now: datetime) -> Change:
        """登记检查准备: when the patient last ate, drank the water, signed the contrast consent. The step is called
        once every gate its exam needs is met; until then its timer shows on the phone and at the desk."""
        step = self._step(visit_id, "imaging")
        self._allow(step, "set_gate")
        for moment, what in ((fasting_since, "进食时间"), (water_at, "饮水时间")):
            if moment is not None and moment > now:
                raise BadCommand("bad_time", f"{what}不能晚于现在，请核对", f"The {what} time is in the future")
        with self._command(actor, now) as tx:
            tx.touch(step)
            done = steps.loads(step.gates)
            if fasting_since is not None:
                done["fasting_since"] = fasting_since.isoformat(timespec="minutes")
            if water_at is not None:
                done["water_at"] = water_at.isoformat(timespec="minutes")
            if consent:
                done["consent_at"] = now.isoformat(timespec="minutes")
            step.gates = steps.dumps(done)
            gate = steps.gate(step, now)
            tx.record(step, "set_gate", step.state.value, {**done, "met": gate.met,
                                                           "ready_at": gate.ready_at.isoformat() if gate.ready_at else None})
            tx.queue_changed(step.area_id, "set_gate", step.id)
            return tx.change(step)

    def print_labels(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """打印标签 at the draw window (the patient is there: called or in service); audited with the barcodes."""
        step = self._step(visit_id, "lab")
        self._allow(step, "print_labels")
        with self._command(actor, now) as tx:
            tx.record(step, "print_labels", step.state.value, {"room_id": step.room_id,
                                                               "barcodes": [b for b, _ in self.specimens(step.id)]})
            return tx.change(step)

    def specimens(self, visit_id: str) -> list[tuple[str, list[str]]]:
        """A lab step's tubes: (specimen barcode, the panel codes drawn into it), one per tube colour."""
        step = self._step(visit_id, "lab")
        catalog = self.hospital.catalog
        tubes: dict[str, list[str]] = {}
        for code in step_items(step):
            panel = catalog.find("lab", code.split("x")[0])
            if panel is not None:
                tubes.setdefault(panel.tube, []).append(panel.code)
        base = step.id.replace("-", "")[2:]
        return [(f"{base}{n}", codes) for n, codes in enumerate(tubes.values(), start=1)]

    def report_ready(self, visit_id: str, *, actor: str, now: datetime) -> Change:
        """检验报告已出: the lab step's turnaround ends (采血 -> report); phones and kiosks are told."""
        step = self._step(visit_id, "lab")
        self._allow(step, "report_ready")
        if step.stage == "reported":
            raise RuleError("already_reported", "该报告已发布", "The report is ready already")
        with self._command(actor, now) as tx:
            tx.touch(step)
            step.stage, step.ready_at = "reported", now
            minutes = round((now - step.finished_at).total_seconds() / 60, 1) if step.finished_at else None
            tx.record(step, "report_ready", step.state.value, {"turnaround_minutes": minutes})
            rules = self._rules(step)
            tx.emit(EngineEvent("ready", step.area_id, ReadyData(
                kind="report", visit_id=step.id, journey_id=step.journey_id or "", ticket=step.ticket,
                name=screen_name(step.patient_name, rules), room_id=None,
                text=f"{step.ticket} 号的检验报告已出，可在自助机打印或手机查看",
                text_en=f"The lab report of {step.ticket} is ready: print it at a kiosk or see it on your phone",
            ).model_dump()))
            return tx.change(step)

    # ========================================================================================== internals
    def _step(self, visit_id: str, kind: str | None = None) -> Visit:
        step = self._visit(visit_id)
        if not step.journey_id or (kind is not None and step.step_kind != kind):
            what = {"pharmacy": "取药", "lab": "检验", "imaging": "检查", "cashier": "收费"}.get(kind or "", "")
            raise RuleError("not_a_step", f"{step.ticket} 号没有这项{what}，请核对", f"{visit_id} is not a {kind or 'journey'} step")
        return step

    def _check_step_checks_in(self, visit: Visit) -> None:
        """签到 of a step: only a paid lab or imaging step checks in (a prescription enters by 已配好)."""
        if not visit.journey_id:
            return
        if visit.stage == "unpaid":
            raise RuleError("not_paid", f"{visit.ticket} 号该项目尚未缴费，请先到自助机或收费窗口缴费，谢谢",
                            "This order is not paid yet; please pay first")
        if visit.step_kind == "pharmacy":
            raise RuleError("pharmacy_no_check_in", "药房配好药后会自动叫号，请留意大屏，谢谢",
                            "The pharmacy calls you when the medicine is ready")

    def _plan(self, order: Order, known: set) -> list[tuple[Order, str, list, int, dict, bool]]:
        """(order, department, lines, amount, prep, fasting) per step the order opens, catalog-checked."""
        catalog = getattr(self.hospital, "catalog", None)
        service = SERVICE_OF_ORDER[order.kind]
        groups: dict[str, list] = {}
        plans = []
        for line in order.items:
            item = catalog.find(order.kind, line.code) if catalog is not None else None
            if item is None:
                what = {"drug": "药品", "lab": "检验项目", "imaging": "检查项目"}[order.kind]
                raise BadCommand("unknown_item", f"对不起，{what}目录中没有 {line.code}，请核对", f"No {order.kind} {line.code!r} in the catalog")
            try:
                dept = self.hospital.service_department(order.kind, line.code)
            except KeyError:
                raise RuleError("no_service", "本院未配置该服务窗口，请联系信息科", f"No {service} department") from None
            if order.kind == "imaging":
                prep = {k: v for k, v in (("fasting_hours", item.fasting_hours), ("water_minutes", item.water_minutes),
                                          ("contrast", item.contrast)) if v}
                plans.append((order, dept.id, [(line, item)], item.price * line.quantity, prep, item.fasting_hours > 0))
            else:
                groups.setdefault(dept.id, []).append((line, item))
        for dept_id, lines in groups.items():
            fasting = any(getattr(item, "fasting", False) for _, item in lines)
            plans.append((order, dept_id, lines, sum(item.price * line.quantity for line, item in lines), {}, fasting))
        return [p for p in plans if (order.order_id, p[1], _codes(p[2])) not in known]

    def _book_slots(self, planned: list, now: datetime) -> list[tuple[date, time] | None]:
        """The modality slot of each planned imaging step (None for the other steps), before anything changes:
        a requested slot that is full is refused (slot_taken), an exam without a time gets the next free slot.
        Exams of the same command count against each other."""
        extra: dict[tuple[str, date], Counter] = {}
        days_ahead = getattr(getattr(self.hospital, "schedule", None), "book_days_ahead", 7) or 7
        bookings: list[tuple[date, time] | None] = []
        for order, dept_id, *_ in planned:
            grid = self._slot_grids.get(dept_id)
            if order.kind != "imaging" or grid is None:
                bookings.append(None)
                continue

            def used_on(day: date, dept_id: str = dept_id) -> Counter:
                return self._slot_book.used(dept_id, day) + extra.get((dept_id, day), Counter())

            day, start = grid.place(used_on, order.slot_day, order.slot_start, now, days_ahead)
            extra.setdefault((dept_id, day), Counter())[grid.slot_of(start)] += 1
            bookings.append((day, start))
        return bookings

    def _new_step(self, root: Visit, order: Order, dept_id: str, lines: list, amount: int, prep: dict,
                  booking: tuple[date, time] | None, now: datetime, tx) -> Visit:
        dept = self._depts[dept_id]
        kind = SERVICE_OF_ORDER[order.kind]
        number = tx.next_counter(f"step:{root.id}")
        slot_start = slot_end = None
        day = root.day
        if booking is not None:  # an exam: its modality slot (_book_slots)
            item = lines[0][1]
            booked_day, slot_start = booking
            end_minutes = min(ordering.minutes(slot_start) + item.slot_minutes, 23 * 60 + 59)
            slot_end = slot_start.replace(hour=end_minutes // 60, minute=end_minutes % 60)
            # an exam booked into a later day's slot is a visit of that day: it waits, is checked in and called then
            day = booked_day if booked_day > root.day else root.day
        at = slot_start if day != root.day and slot_start is not None else now.time()
        step = Visit(
            id=f"{root.id}-{number:02d}", ticket=root.ticket, dept_id=dept_id, area_id=dept.area, day=day,
            session="am" if at < self._am_end else "pm", number_kind="general",
            source="appointment" if slot_start else "onsite", reg_seq=root.reg_seq, patient_id=root.patient_id,
            patient_name=root.patient_name, registered_at=now, ticket_no=root.ticket_no,
            serial=tx.next_counter("serial"), slot_start=slot_start, slot_end=slot_end,
            journey_id=root.id, step_kind=kind, stage="unpaid", order_id=order.order_id, items=_codes(lines),
            amount=amount, prep=steps.dumps(prep),
        )
        tx.touch(step)
        self._visits[step.id] = step
        self._open.add(step.id)
        tx.queue_changed(step.area_id, "open_step", step.id)
        return step

    def _cashier_step(self, root: Visit, unpaid: list[Visit], now: datetime, tx) -> Visit:
        try:
            dept = self.hospital.service_department("cashier")
        except KeyError:
            raise RuleError("no_service", "本院未配置收费窗口，请在自助机缴费", "No cashier department") from None
        number = tx.next_counter(f"step:{root.id}")
        step = Visit(
            id=f"{root.id}-{number:02d}", ticket=root.ticket, dept_id=dept.id, area_id=dept.area, day=root.day,
            session="am" if now.time() < self._am_end else "pm", number_kind="general", source="onsite",
            reg_seq=root.reg_seq, patient_id=root.patient_id, patient_name=root.patient_name, registered_at=now,
            ticket_no=root.ticket_no, serial=tx.next_counter("serial"), journey_id=root.id, step_kind="cashier",
            items=json.dumps([s.id for s in unpaid]), amount=sum(s.amount for s in unpaid),
            priority_kind=root.priority_kind, priority_level=root.priority_level,
            priority_seq=tx.next_counter("priority") if root.priority_kind else None,
        )
        tx.touch(step)
        self._visits[step.id] = step
        self._open.add(step.id)
        tx.record(step, "open_step", None, {"journey_id": root.id, "kind": "cashier", "pays": json.loads(step.items)})
        self._check_in_step(step, tx)
        return step

    def _pay(self, step: Visit, action: str, tx) -> None:
        """The step's order is paid: it opens (a cashier step pays several)."""
        tx.touch(step)
        step.paid_at = tx.now
        step.stage = OPENED_STAGE.get(step.step_kind, "")
        tx.record(step, action, step.state.value, {"amount": step.amount, "stage": step.stage})
        tx.queue_changed(step.area_id, action, step.id)
        if not self._rules(step).check_in_mode and step.step_kind in ("lab", "imaging") \
                and step.day <= tx.now.date():  # an exam of a later day waits for its day
            self._check_in_step(step, tx)

    def _check_in_step(self, step: Visit, tx) -> None:
        """The step waits now (a cashier step; a lab without check-in): check-in order is its arrival order."""
        tx.touch(step)
        step.checkin_at = tx.now
        step.checkin_seq = tx.next_counter(f"checkin:{step.dept_id}:{step.day.isoformat()}")
        self._place(step, ordering.natural_key(step, self._rules(step), False), tx)
        tx.record(step, "check_in", S.registered.value, {"checkin_seq": step.checkin_seq, "auto": True})
        tx.queue_changed(step.area_id, "check_in", step.id)

    def _auto_priority(self, step: Visit, root: Visit, flags: set[str], tx) -> None:
        """The step keeps the journey's priority, or takes the most urgent kind its area gives for the flags."""
        rules = self._rules(step)
        candidates = [rules.special_kind(kind) for kind in rules.auto_priority if kind in flags]
        if root.priority_kind is not None:
            candidates.append(rules.special_kind(root.priority_kind) or _Kept(root.priority_kind, root.priority_level))
        candidates = [c for c in candidates if c is not None]
        if not candidates:
            return
        best = min(candidates, key=lambda k: k.level)
        step.priority_kind, step.priority_level = best.kind, best.level
        step.priority_seq = tx.next_counter("priority")

    def _shortest_window(self, step: Visit) -> str | None:
        """With manual dispatch, the open window of the step's department with the fewest waiting; else None."""
        area_id = step.area_id
        if self._area_rules(area_id).dispatch != "manual":
            return None
        windows = [rid for rid, cfg in self._room_cfg.items() if self._room_area[rid] == area_id
                   and step.dept_id in cfg.departments and not self._rooms[rid].paused]
        if not windows:
            raise RuleError("no_window", "当前没有开放的取药窗口，请先开窗", "No open window")
        return min(windows, key=lambda rid: (len(self.room_queue(rid)), list(self._room_cfg).index(rid)))


class _Kept:
    """A journey's special kind the step's area does not list: kept with its level (the priority follows)."""

    def __init__(self, kind: str, level: int | None):
        self.kind, self.level = kind, level or 99


_STAGES_ZH = {"unpaid": "尚未缴费", "pending": "待配药", "dispensing": "配药中", "ready": "已配好",
              "collected": "已取药", "open": "待签到", "booked": "已预约", "reported": "报告已出"}


def _codes(lines: list) -> str:
    return json.dumps(sorted(f"{line.code}x{line.quantity}" if line.quantity > 1 else line.code
                             for line, _ in lines), ensure_ascii=False)


def step_items(visit: Visit) -> list[str]:
    """The catalog codes a step serves (``"CBC"``, ``"AMOXx2"`` for two boxes)."""
    try:
        value: Any = json.loads(visit.items or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
