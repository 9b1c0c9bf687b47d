"""What a patient sees of their journey (一票到底): every step, where it is, what to prepare, places ahead, one line
for the next move. Display-safe (masked name, no patient id): the phone page, the kiosk's day page and the guide
slip (导诊单) read it. A presenter: it takes the engine and the hospital file, never the service.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from caller.engine import steps
from caller.engine.journey import step_items
from caller.engine.model import Visit, VisitState
from common import privacy
from common.config import TUBES
from common.wire import JourneyStatus, StationStep, StepStatus

S = VisitState
TITLE = {"clinic": ("就诊", "Consultation"), "pharmacy": ("取药", "Pharmacy"), "lab": ("采血", "Blood draw"),
         "imaging": ("检查", "Exam"), "cashier": ("缴费", "Pay at the cashier")}


def _names(config: Any, visit: Visit, kind: str) -> tuple[str, str]:
    title_zh, title_en = TITLE[kind]
    if kind in ("lab", "imaging", "pharmacy"):
        order_kind = {"lab": "lab", "imaging": "imaging", "pharmacy": "drug"}[kind]
        items = [config.catalog.find(order_kind, code.split("x")[0]) for code in step_items(visit)]
        items = [i for i in items if i is not None]
        if items and kind != "pharmacy":
            return (f"{title_zh}：{'、'.join(i.name for i in items)}",
                    f"{title_en}: {', '.join(i.name_en or i.name for i in items)}")
    if kind == "clinic":
        dept = config.department(visit.dept_id)
        return f"{dept.name}{title_zh}", f"{title_en}, {dept.name_en or dept.name}"
    return title_zh, title_en


def _place(config: Any, visit: Visit) -> tuple[str, str]:
    if visit.room_id:
        room = config.room(visit.room_id)
        if room.location:
            return room.location, room.location_en or room.name_en or room.name
    dept = config.department(visit.dept_id)
    area = config.area(dept.area)
    return dept.location or area.location, dept.location_en or area.location_en or dept.name_en


def _prepare(config: Any, visit: Visit, kind: str) -> tuple[str, str]:
    if kind == "imaging":
        exam = next((config.catalog.find("imaging", c) for c in step_items(visit)), None)
        if exam is not None:
            return exam.prepare, exam.prepare_en
    if kind == "lab":
        panels = [config.catalog.find("lab", c) for c in step_items(visit)]
        if any(p is not None and p.fasting for p in panels):
            return "需空腹采血（8 小时内未进食）", "Fasting draw: no food for 8 hours"
        return "请带上导诊单或就诊码", "Bring the guide slip or your visit code"
    if kind == "pharmacy":
        return "取药时请出示导诊单或就诊码", "Show the guide slip or your visit code at the window"
    return "", ""


WEEKDAYS = "一二三四五六日"


def booked_at(visit: Visit) -> str | None:
    """An exam's booked slot (``2026-12-08T10:00``), else None."""
    if visit.step_kind != "imaging" or visit.slot_start is None:
        return None
    return f"{visit.day.isoformat()}T{visit.slot_start:%H:%M}"


def booked_line(visit: Visit, now: datetime, minutes_before: int | None) -> tuple[str, str]:
    """An exam not checked in yet: its booked day and time, and when to come to the desk."""
    if visit.slot_start is None:
        return "请按预约时间到检查登记台签到", "Please check in at the exam desk at your booked time"
    day = visit.day
    when = "今天" if day == now.date() else f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"
    when_en = "today" if day == now.date() else f"{day:%a %d %b}"
    early = f"请提前 {minutes_before} 分钟" if minutes_before else "请按时"
    early_en = f"{minutes_before} minutes before" if minutes_before else "on time"
    return (f"已预约{when} {visit.slot_start:%H:%M} 检查，{early}到检查登记台签到",
            f"Booked {when_en} at {visit.slot_start:%H:%M}: check in at the exam desk {early_en}")


def _line(visit: Visit, kind: str, room_name: str, room_en: str, ahead: int | None, gate: steps.Gate,
          now: datetime, minutes_before: int | None = None) -> tuple[str, str]:
    """The one line a patient reads about a step."""
    state, stage = visit.state, visit.stage
    if stage == "unpaid":
        return "尚未缴费，请在自助机或收费窗口缴费", "Not paid yet: pay at a kiosk or the cashier"
    if state == S.called:
        return f"正在叫您，请到 {room_name}", f"You are called: please go to {room_en or room_name}"
    if state == S.in_service:
        return "正在办理中", "In progress"
    if state == S.missed:
        return "已过号，请到窗口找工作人员", "Missed: please see the staff at the window"
    if state == S.done:
        if kind == "pharmacy":
            return "已取药", "Medicine collected"
        if kind == "lab":
            if stage == "reported":
                return "检验报告已出，可在自助机打印", "Report ready: print it at a kiosk"
            return "已采血，报告出来后会通知您", "Sample taken: you will be told when the report is ready"
        return "已完成", "Done"
    if state == S.cancelled:
        return "已取消", "Cancelled"
    if kind == "pharmacy":
        if stage in ("pending", "dispensing"):
            return "药房正在配药，配好后会叫号，请稍候", "The pharmacy is preparing your medicine; please wait"
        where = f"到 {room_name}" if room_name else ""
        return (f"药已配好，可{where}取药，前面 {ahead or 0} 人",
                f"Medicine ready{' at ' + (room_en or room_name) if room_name else ''}; {ahead or 0} ahead")
    if state == S.registered:
        if kind == "imaging":
            return booked_line(visit, now, minutes_before)
        return "请到采血处签到（刷卡、扫码或扫导诊单）", "Please check in at the lab (card, code or guide slip)"
    if not gate.met:
        return steps.gate_text(gate, now)
    return f"排队中，前面 {ahead or 0} 人", f"Waiting: {ahead or 0} ahead"


def journey_status(engine: Any, config: Any, visit_id: str, now: datetime,
                   code_of: Callable[[Visit], str] | None = None) -> dict:
    """The :class:`common.wire.JourneyStatus` of the journey holding ``visit_id`` (any of its visits). ``code_of``
    gives an exam booked into a later day its own code (the step's page key), which the desk scans on that day."""
    members = engine.journey(visit_id)
    root = members[0]
    rules = config.rules_for_area(root.area_id)
    out: list[dict] = []
    for visit in members:
        kind = visit.step_kind or "clinic"
        room = config.room(visit.room_id) if visit.room_id else None
        ahead = engine.position(visit.id)[0] if visit.state in (S.waiting, S.room_waiting) else None
        if kind == "pharmacy" and visit.stage in ("pending", "dispensing"):
            ahead = None
        gate = steps.gate(visit, now)
        area_rules = config.rules_for_area(visit.area_id)
        minutes_before = area_rules.early_check_in_minutes if area_rules.early_check_in == "minutes_before" else None
        text, text_en = _line(visit, kind, room.name if room else "", room.name_en if room else "", ahead, gate, now,
                              minutes_before)
        title, title_en = _names(config, visit, kind)
        place, place_en = _place(config, visit)
        prepare, prepare_en = _prepare(config, visit, kind)
        left = gate.seconds_left(now)  # the timer: with what it waits for while the line is the timer's
        timed = left is not None and (text, text_en) == steps.gate_text(gate, now)
        gate_what, gate_what_en = steps.gate_names(gate) if timed else ("", "")
        out.append(StepStatus(
            visit_id=visit.id, kind=kind, stage=visit.stage, state=visit.state.value, ticket=visit.ticket,
            title=title, title_en=title_en, place=place, place_en=place_en, ahead=ahead, text=text, text_en=text_en,
            prepare=prepare, prepare_en=prepare_en, gate_seconds=left, gate_what=gate_what, gate_what_en=gate_what_en,
            amount=visit.amount, paid=visit.stage != "unpaid", booked_at=booked_at(visit),
            booked_code=code_of(visit) if code_of is not None and visit.day != root.day else None,
        ).model_dump())
    open_steps = [s for s in out if s["state"] not in ("done", "cancelled")]
    first = next((s for s in open_steps if s["state"] in ("called", "in_service")), None) or \
        (open_steps[0] if open_steps else None)
    if first is None:
        next_zh, next_en = "今天的就诊已全部完成，祝您健康", "All done for today. Take care"
    else:
        rest = [s for s in open_steps if s is not first]
        next_zh, next_en = first["text"], first["text_en"]
        if rest:
            after = rest[0]
            ahead = after["ahead"] if after["ahead"] is not None and after["paid"] else None
            next_zh += f"；下一步：{after['place']} {after['title']}" + (f"，前面 {ahead} 人" if ahead is not None else "")
            next_en += f"; next: {after['title_en']}, {after['place_en']}" + (
                f", {ahead} ahead" if ahead is not None else "")
    return JourneyStatus(journey_id=root.id, ticket=root.ticket,
                         name=privacy.screen_name(root.patient_name, rules.screen_name), steps=out,
                         next_text=next_zh, next_text_en=next_en).model_dump()


def specimen_labels(engine: Any, config: Any, visit_id: str, now: datetime) -> list[dict]:
    """The labels of a lab step's tubes, for the draw window's label printer (staff: the full name, which a
    specimen needs beside its number). Keys are those of :class:`hardware.label.SpecimenLabel`."""

    step = engine.visit(visit_id)
    out = []
    for barcode, codes in engine.specimens(visit_id):
        panels = [config.catalog.find("lab", code) for code in codes]
        tube = panels[0].tube
        out.append({"barcode": barcode, "name": step.patient_name, "ticket": step.ticket,
                    "tests": [p.name for p in panels], "tube": TUBES[tube][0], "tube_en": TUBES[tube][1],
                    "drawn_at": now.strftime("%m-%d %H:%M")})
    return out


def station_step(config: Any, visit: Visit, now: datetime, summary: dict) -> dict:
    """One open step as its window staff see it (:class:`common.wire.StationStep`): ``summary`` is the visit's staff
    summary (caller.views.summary); added: what it serves and, for an exam, its preparation gates."""
    kind = visit.step_kind or "clinic"
    order_kind = {"lab": "lab", "imaging": "imaging", "pharmacy": "drug"}.get(kind)
    parts = []
    for code in step_items(visit):
        base, _, quantity = code.partition("x")
        item = config.catalog.find(order_kind, base) if order_kind else None
        name = item.name if item is not None else base
        parts.append(f"{name}×{quantity}" if quantity else name)
    if kind == "cashier":
        parts = [f"待缴 {visit.amount / 100:.2f} 元"]
    gate = steps.gate(visit, now)
    return StationStep.model_validate({
        **summary, "title": "、".join(parts), "gate_met": gate.met, "booked_at": booked_at(visit),
        "gate_ready_at": gate.ready_at.isoformat(timespec="seconds") if gate.ready_at and not gate.met else None,
        "gate_text": "" if gate.met else steps.gate_text(gate, now)[0],
    }).model_dump()
