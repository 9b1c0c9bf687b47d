"""What the console lists at a service point (window/station mode: pharmacy, lab, imaging, cashier), built from the
staff snapshot of the area and its open steps (``GET /areas/{area}/steps``). Pure: no I/O, no clock.

| service  | lists                                                                                          |
|----------|------------------------------------------------------------------------------------------------|
| pharmacy | 待配药 (paid), 配药中, 已配好 (waiting at a window, this window first), 已呼叫 / 取药中, 过号    |
| lab      | 待签到 (paid, not yet checked in), 已签到候检, 已呼叫 / 采血中, 过号                              |
| imaging  | 待签到 (booked), 候检 with each exam's preparation (a countdown while it is held), 已呼叫 / 检查中, 过号 |
| cashier  | 候缴, 已呼叫 / 收费中, 过号                                                                      |
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from caller_console.model import Row, row_of

STATIONS = ("pharmacy", "lab", "imaging", "cashier")
SERVICE_ZH = {"pharmacy": "药房", "lab": "采血", "imaging": "检查", "cashier": "收费"}
POINT_ZH = {"pharmacy": "取药窗口", "lab": "采血窗口", "imaging": "检查室", "cashier": "收费窗口"}
STAGE_ZH = {"unpaid": "未缴费", "pending": "待配药", "dispensing": "配药中", "ready": "已配好", "open": "待签到",
            "booked": "已预约"}
STATION_COLUMNS = ("票号", "姓名", "标记", "等候", "窗口", "状态", "项目 / 准备")


def service_of_area(hospital: dict[str, Any], area_id: str) -> str:
    """The service an area's points are (pharmacy, lab, imaging, cashier), from its departments; "clinic" else."""
    for dept in hospital.get("departments") or []:
        if dept.get("area") == area_id and dept.get("service") in STATIONS:
            return str(dept["service"])
    return "clinic"


@dataclass
class StationView:
    """The lists of one service point (``room_id``: the window or room this console works)."""

    service: str
    room_id: str
    lists: dict[str, list[Row]] = field(default_factory=dict)  # list key -> rows, in STATION_LISTS order

    def all_rows(self) -> list[Row]:
        return [row for rows in self.lists.values() for row in rows]

    def find(self, visit_id: str) -> Row | None:
        return next((r for r in self.all_rows() if r.visit_id == visit_id), None)

    def room(self) -> None:
        """A window's pause is refused by the service when it matters (call next); the lists do not show it."""
        return None

    def current_of_room(self) -> Row | None:
        """The patient this window is serving: called to it or in service there."""
        return next((r for r in self.lists.get("called", []) if r.room_id == self.room_id), None)


# (key, title) of the panes per service, in the order they are laid out
STATION_LISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "pharmacy": (("called", "已呼叫 / 取药中"), ("ready", "已配好 · 等候取药"), ("pending", "待配药"),
                 ("dispensing", "配药中"), ("missed", "过号")),
    "lab": (("called", "已呼叫 / 采血中"), ("queue", "已签到 · 候检"), ("arriving", "待签到（已缴费）"),
            ("missed", "过号")),
    "imaging": (("called", "已呼叫 / 检查中"), ("queue", "已签到 · 候检（检查准备）"), ("arriving", "待签到（已预约）"),
                ("missed", "过号")),
    "cashier": (("called", "已呼叫 / 收费中"), ("queue", "候缴"), ("missed", "过号")),
}


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def prep_text(step: dict[str, Any], now: datetime) -> str:
    """An exam's preparation as the desk reads it: a countdown while time is missing, what is missing, or 准备完成."""
    if step.get("gate_met", True):
        return "准备完成" if step.get("prep") not in (None, "", "{}") else ""
    ready_at = _parse(step.get("gate_ready_at"))
    if ready_at is not None:
        if ready_at.tzinfo is not None and now.tzinfo is None:
            ready_at = ready_at.replace(tzinfo=None)
        left = max(0, int((ready_at - now).total_seconds()))
        text = str(step.get("gate_text") or "")
        what = text[text.find("（"):text.find("）") + 1] if "（" in text else ""
        return f"准备中{what}，还需 {(left + 59) // 60} 分钟（{ready_at:%H:%M} 可叫）"
    return str(step.get("gate_text") or "检查准备未完成")


def build_station_view(service: str, snapshot: dict[str, Any], steps: list[dict[str, Any]], room_id: str,
                       now: datetime, kind_names: dict[str, str] | None = None) -> StationView:
    """The lists of ``service``'s point ``room_id`` from the area's staff snapshot and open steps."""
    kinds = kind_names or {}
    rooms_raw = [r for r in snapshot.get("rooms") or [] if isinstance(r, dict)]
    room_names = {str(r.get("room_id")): str(r.get("name") or r.get("room_id")) for r in rooms_raw}
    by_id = {str(s.get("visit_id")): s for s in steps}

    def row(item: dict[str, Any]) -> Row:
        step = {**by_id.get(str(item.get("visit_id")), {}), **item}  # the live snapshot wins; the step adds what it serves
        base = row_of(step, now, kinds, room_names)
        stage = str(step.get("stage") or "")
        detail = str(step.get("title") or "")
        booked = str(step.get("booked_at") or "")
        if service == "imaging" and len(booked) >= 16:  # the exam's booked slot (its day is today's list)
            detail = "；".join(x for x in (detail, f"预约 {booked[11:16]}") if x)
        if service == "imaging" and base.state in ("registered", "waiting", "room_waiting"):
            prepared = prep_text(step, now)
            detail = "；".join(x for x in (detail, prepared) if x)
        state = STAGE_ZH.get(stage, "") if base.state == "registered" else ""
        if not state and stage == "ready" and base.state in ("waiting", "room_waiting"):
            state = "已配好"
        return replace(base, why=detail, stage=state or base.state_zh)

    def mine_first(rows: list[Row]) -> list[Row]:
        return [r for r in rows if r.room_id == room_id] + [r for r in rows if r.room_id != room_id]

    called: list[Row] = []
    queued: list[Row] = []
    for raw in rooms_raw:
        called += [row(i) for i in (raw.get("called") or []) + (raw.get("in_service") or []) if isinstance(i, dict)]
        queued += [row(i) for i in raw.get("queue") or [] if isinstance(i, dict)]
    waiting = [row(i) for i in snapshot.get("waiting") or [] if isinstance(i, dict)]
    missed = [row(i) for i in snapshot.get("missed") or [] if isinstance(i, dict)]
    listed = {r.visit_id for r in called + queued + waiting + missed}  # a step the snapshot lists is past 签到
    fresh = [s for s in _registered(steps) if str(s.get("visit_id")) not in listed]
    registered = [row(s) for s in fresh]

    view = StationView(service, room_id)
    view.lists["called"] = mine_first(called)
    if service == "pharmacy":
        view.lists["ready"] = mine_first(queued + waiting)
        view.lists["pending"] = [r for r, s in zip(registered, fresh) if s.get("stage") == "pending"]
        view.lists["dispensing"] = [r for r, s in zip(registered, fresh) if s.get("stage") == "dispensing"]
    else:
        view.lists["queue"] = mine_first(queued) + waiting
        if service in ("lab", "imaging"):
            view.lists["arriving"] = [r for r, s in zip(registered, fresh) if s.get("stage") != "unpaid"]
    view.lists["missed"] = missed
    return view


def _registered(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in steps if s.get("state") == "registered"]


def station_cells(row: Row) -> tuple[str, ...]:
    """The texts of one station line, in STATION_COLUMNS order."""
    state = row.stage or row.state_zh
    if row.state == "called":
        state += f" · 第{row.call_count}次呼叫"
    return (row.ticket, row.name, " ".join(row.badges), "" if row.minutes is None else f"{row.minutes} 分钟",
            row.room_name, state, row.why)
