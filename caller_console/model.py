"""What the nurse console lists, built from the staff snapshot of an area (pure, no I/O, no clock).

Panes: the area's waiting list, the chosen room's queue, called / in service, missed (过号) and
away at exams (检查中). Each row carries the badges a nurse scans for: appointment 预约, late 迟到,
recalled 召回, 马上到 (the patient said "on my way" on the phone page), the special-patient kind (军人, 老年人 ...), the emergency level, expert 专家 / extra 加号.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable

from common.why import why_of_list

TRIAGE_ZH = {1: "1级 濒危", 2: "2级 危重", 3: "3级 急症", 4: "4级 非急症"}
STATE_ZH = {
    "registered": "未签到", "waiting": "候诊", "room_waiting": "诊室候诊", "called": "已呼叫",
    "in_service": "就诊中", "done": "已完成", "missed": "过号", "away": "检查中", "cancelled": "已弃号",
}
ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")




@dataclass(frozen=True)
class Row:
    """One visit as a console line."""

    visit_id: str
    ticket: str
    name: str
    state: str
    badges: tuple[str, ...] = ()
    minutes: int | None = None  # minutes waited so far (None when not waiting)
    room_id: str = ""
    room_name: str = ""
    doctor_name: str = ""
    dept_name: str = ""
    dept_id: str = ""
    patient_id: str = ""
    triage_level: int | None = None
    priority_kind: str | None = None
    call_count: int = 0
    why: str = ""  # why the visit waits here (common.why), e.g. 前面 3 位：1 位老年人优先，2 位先到
    stage: str = ""  # a journey step's stage as window staff say it (待配药, 配药中, 已配好); "" for clinic visits

    @property
    def state_zh(self) -> str:
        return STATE_ZH.get(self.state, self.state)


@dataclass(frozen=True)
class RoomInfo:
    room_id: str
    name: str
    paused: bool
    doctor_name: str = ""


@dataclass
class ConsoleView:
    """Everything the panes show for one area and one chosen room."""

    area_id: str
    room_id: str
    waiting: list[Row] = field(default_factory=list)
    room_queue: list[Row] = field(default_factory=list)
    called: list[Row] = field(default_factory=list)  # called + in service, of the chosen room first
    missed: list[Row] = field(default_factory=list)
    away: list[Row] = field(default_factory=list)
    rooms: list[RoomInfo] = field(default_factory=list)

    def room(self) -> RoomInfo | None:
        return next((r for r in self.rooms if r.room_id == self.room_id), None)

    def all_rows(self) -> Iterable[Row]:
        for rows in (self.called, self.room_queue, self.waiting, self.missed, self.away):
            yield from rows

    def find(self, visit_id: str) -> Row | None:
        return next((r for r in self.all_rows() if r.visit_id == visit_id), None)

    def current_of_room(self) -> Row | None:
        """The visit a "call again / missed / finish" without a selection is about."""
        mine = [r for r in self.called if r.room_id == self.room_id]
        return mine[0] if mine else None


def _parse(ts: Any) -> datetime | None:
    if not isinstance(ts, str) or not ts:
        return None
    try:
        return datetime.fromisoformat(ts)
    except ValueError:
        return None


def badges_of(item: dict[str, Any], kind_names: dict[str, str]) -> tuple[str, ...]:
    out: list[str] = []
    level = item.get("triage_level")
    if level:
        out.append(TRIAGE_ZH.get(int(level), f"{level}级"))
    kind = item.get("priority_kind")
    if kind or item.get("priority"):
        out.append(kind_names.get(str(kind), str(kind or "优先")))
    if item.get("source") == "appointment":
        out.append("预约")
    if item.get("late"):
        out.append("迟到")
    if item.get("recalled"):
        out.append("召回")
    on_way = _parse(item.get("on_way_at"))
    if on_way is not None and item.get("state") in ("registered", "waiting", "room_waiting"):
        out.append(f"马上到 {on_way:%H:%M}")  # said on the patient's phone page (docs/phone.md)
    if item.get("number_kind") == "expert":
        out.append("专家")
    elif item.get("number_kind") == "extra":
        out.append("加号")
    return tuple(out)


def minutes_waited(item: dict[str, Any], now: datetime) -> int | None:
    """Whole minutes since the visit (re)entered the waiting list; None when it is not waiting."""
    if item.get("state") not in ("waiting", "room_waiting", "registered"):
        return None
    since = _parse(item.get("waiting_since")) or _parse(item.get("checkin_at")) or _parse(item.get("registered_at"))
    if since is None:
        return None
    if since.tzinfo is not None and now.tzinfo is None:
        since = since.replace(tzinfo=None)
    return max(0, int((now - since).total_seconds() // 60))


def row_of(item: dict[str, Any], now: datetime, kind_names: dict[str, str], room_names: dict[str, str],
           doctor_names: dict[str, str] | None = None) -> Row:
    room_id = str(item.get("room_id") or "")
    doctor_id = str(item.get("doctor_id") or "")
    return Row(
        visit_id=str(item.get("visit_id") or ""),
        ticket=str(item.get("ticket") or ""),
        name=str(item.get("patient_name") or item.get("name") or ""),
        state=str(item.get("state") or ""),
        badges=badges_of(item, kind_names),
        minutes=minutes_waited(item, now),
        room_id=room_id,
        room_name=str(item.get("room_name") or room_names.get(room_id, room_id)),
        doctor_name=str(item.get("doctor_name") or (doctor_names or {}).get(doctor_id, "")),
        dept_id=str(item.get("dept_id") or ""),
        dept_name=str(item.get("dept_name") or ""),
        patient_id=str(item.get("patient_id") or ""),
        triage_level=item.get("triage_level"),
        priority_kind=item.get("priority_kind"),
        call_count=int(item.get("call_count") or 0),
    )


def build_view(snapshot: dict[str, Any], room_id: str, now: datetime,
               kind_names: dict[str, str] | None = None, doctor_names: dict[str, str] | None = None) -> ConsoleView:
    """The console's panes from an area snapshot (staff audience) for the chosen room.

    ``kind_names`` maps special-patient kinds to their Chinese names, ``doctor_names`` doctor ids to names.
    """
    kinds = kind_names or {}
    rooms_raw = [r for r in snapshot.get("rooms") or [] if isinstance(r, dict)]
    room_names = {str(r.get("room_id")): str(r.get("name") or r.get("room_id")) for r in rooms_raw}

    def rows(items: Any) -> list[Row]:
        return [row_of(i, now, kinds, room_names, doctor_names) for i in items or [] if isinstance(i, dict)]

    def waiting_rows(items: Any) -> list[Row]:
        """Waiting rows with their "why here" (each in its department-and-doctor line)."""
        items = [i for i in items or [] if isinstance(i, dict)]
        return [replace(row_of(i, now, kinds, room_names, doctor_names), why=zh)
                for i, (zh, _en) in zip(items, why_of_list(items, kinds))]

    view = ConsoleView(area_id=str(snapshot.get("area_id") or ""), room_id=room_id)
    view.waiting = waiting_rows(snapshot.get("waiting"))
    view.missed = rows(snapshot.get("missed"))
    view.away = rows(snapshot.get("away"))
    mine: list[Row] = []
    others: list[Row] = []
    for raw in rooms_raw:
        rid = str(raw.get("room_id") or "")
        view.rooms.append(RoomInfo(rid, room_names[rid], bool(raw.get("paused")), str(raw.get("doctor_name") or "")))
        called = rows(raw.get("called")) + rows(raw.get("in_service"))
        if rid == room_id:
            view.room_queue = waiting_rows(raw.get("queue"))
            mine.extend(called)
        else:
            others.extend(called)
    view.called = mine + others
    return view


def matches(row: Row, query: str, patient_ids: frozenset[str] = frozenset()) -> bool:
    """Search by ticket (a015 finds A015), by name (part of it), or by patient ids found for a swiped ID card."""
    query = query.strip()
    if not query:
        return True
    if patient_ids and row.patient_id in patient_ids:
        return True
    if ID_NUMBER.match(query):
        return False
    q = query.upper()
    return q == row.ticket.upper() or (len(q) >= 2 and q in row.ticket.upper()) or query in row.name
