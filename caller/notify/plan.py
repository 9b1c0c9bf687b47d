"""Which messages a queue command causes (pure: the engine's Change and state in, messages out).

Only visits that opted in get messages. Keys make each message unique, so planning the same fact twice (a retried
command, a second "3 ahead" as the queue moves) adds nothing:

| event | when | key |
|---|---|---|
| ahead | a queued visit has ``ahead`` (per area, default 3) or fewer visits ahead | visit:ahead:N:recalled |
| called | a call (and each call again) | visit:called:call_count |
| missed | marked missed (过号) | visit:missed:time |
| recalled | recalled (召回) or back from exams | visit:recalled:time |
| stopped | its room was paused (停诊) while it waited there | visit:stopped:time |
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from caller.engine.model import Change, Visit, VisitState
from caller.notify.model import Message
from caller.notify.texts import NEXT_STEPS, render
from common.config import HospitalConfig
from common.notify_settings import NotifySettings

QUEUED = (VisitState.registered, VisitState.waiting, VisitState.room_waiting)
EXPIRES = {"ahead": timedelta(hours=2), "called": timedelta(minutes=10), "missed": timedelta(hours=2),
           "recalled": timedelta(hours=2), "stopped": timedelta(hours=2), "report_ready": timedelta(hours=24)}


@dataclass
class Context:
    """What planning reads besides the Change."""

    config: HospitalConfig
    settings: NotifySettings
    now: datetime
    optins: Callable[[Iterable[str]], dict[str, list[tuple[str, str]]]]  # visit ids -> [(channel, recipient)]
    visit: Callable[[str], Visit]
    ahead: Callable[[Visit], int]
    queued_in: Callable[[str], list[Visit]]  # the queued visits of an area

    @property
    def hospital(self) -> str:
        return self.config.hospital.name


def _place(config: HospitalConfig, visit: Visit) -> dict[str, str]:
    dept = next((d for d in config.departments if d.id == visit.dept_id), None)
    area = config.area(visit.area_id)
    room = next((r for r in area.rooms if r.id == visit.room_id), None) if visit.room_id else None
    return {"dept": dept.name if dept else visit.dept_id, "area": area.name,
            "room": room.name if room else "", "location": (room.location if room else "") or area.location}


def message(ctx: Context, visit: Visit, event: str, key: str, channel: str, recipient: str, **extra) -> Message:
    params = {"hospital": ctx.hospital, "ticket": visit.ticket, **_place(ctx.config, visit), **extra}
    template = event
    return Message(key=f"{key}:{channel}", event=event, channel=channel, recipient=recipient, template=template,
                   params=params, text=render(template, params), visit_id=visit.id, due_at=ctx.now,
                   expires_at=ctx.now + EXPIRES[event])


def plan_change(change: Change, ctx: Context) -> list[Message]:
    """The messages one engine command causes for the visits that opted in."""
    stamp = ctx.now.strftime("%H%M%S%f")
    facts: list[tuple[Visit, str, str, dict]] = []   # (visit, event, key, extra params)
    for ev in change.events:
        if ev.type == "call" and ev.data.get("visit_id"):
            visit = ctx.visit(ev.data["visit_id"])
            facts.append((visit, "called", f"{visit.id}:called:{visit.call_count}", {"call_count": visit.call_count}))
    for entry in change.audit:
        if not entry.visit_id:
            continue
        if entry.action == "missed":
            facts.append((ctx.visit(entry.visit_id), "missed", f"{entry.visit_id}:missed:{stamp}", {}))
        elif entry.action in ("recall", "back"):
            facts.append((ctx.visit(entry.visit_id), "recalled", f"{entry.visit_id}:recalled:{stamp}", {}))
        elif entry.action == "undispatch" and (entry.detail or {}).get("reason") == "room_paused":
            visit = ctx.visit(entry.visit_id)
            room_id = (entry.detail or {}).get("room_id")
            room = next((r.name for a in ctx.config.areas for r in a.rooms if r.id == room_id), "诊室")
            facts.append((visit, "stopped", f"{visit.id}:stopped:{stamp}",
                          {"what": room, "next": NEXT_STEPS["room"].format(ticket=visit.ticket)}))
    areas = {ev.area_id for ev in change.events if ev.type == "queue"}
    queued = [v for area in sorted(areas) for v in ctx.queued_in(area)]
    optins = ctx.optins({v.id for v, *_ in facts} | {v.id for v in queued})
    out = [message(ctx, visit, event, key, channel, to, **extra)
           for visit, event, key, extra in facts for channel, to in optins.get(visit.id, ())]
    for visit in queued:
        if visit.id in optins:
            out += plan_ahead(ctx, visit, optins[visit.id])
    return out


def plan_ahead(ctx: Context, visit: Visit, optins: list[tuple[str, str]]) -> list[Message]:
    """"N ahead" for a queued visit that opted in, once it is that close."""
    if visit.state not in QUEUED:
        return []
    limit = ctx.settings.ahead_for(visit.area_id)
    ahead = ctx.ahead(visit)
    if ahead > limit or ahead <= 0:
        return []
    key = f"{visit.id}:ahead:{limit}:{int(visit.recalled)}"
    return [message(ctx, visit, "ahead", key, channel, to, ahead=ahead) for channel, to in optins]


def still_true(event: str, visit: Visit | None, params: dict) -> bool:
    """Whether a message is still worth sending (dropped otherwise): '3 ahead' after the call is not."""
    if visit is None:
        return True  # about no visit (a booked session's 停诊): nothing in the queue can make it untrue
    if event in ("ahead", "recalled"):
        return visit.state in QUEUED
    if event == "called":
        return visit.state == VisitState.called and visit.call_count == params.get("call_count", visit.call_count)
    if event == "missed":
        return visit.state == VisitState.missed
    return True
