"""What a wall, door or window screen shows, as plain data: the board (common/board.py) laid out by the screen's
layout (common/screen_layout.py, common/legible.py), for screens that draw it themselves (the web screens at /screen/).

Pure: no Qt, no I/O, no clock. The Qt screens and the web screens read the same board and the same layout, so a
rule of what is listed where, and at what size, is kept in one place. Lines that must fit come as a list of
choices, longest first (:func:`common.legible.patient_choices`): the page takes the first that fits at the
legible size, as the Qt labels do.

Names here are the board's, already masked (the board masks again whatever it is given).
"""
from __future__ import annotations

from typing import Any

from common.board import AreaBoard, CallLine, RoomBoard
from common.legible import patient_choices
from common.screen_layout import ScreenLayout

PAUSED_ZH = "暂停接诊"
NEXT_ZH = "请准备："
NOBODY_ZH = "—"
CALL_CAPTION_ZH = "请以下患者就诊"
IDLE_ZH = "请留意叫号"
RECENT_ZH = "最近呼叫"
DOOR_CURRENT_ZH = "正在就诊"
DOOR_NEXT_ZH = "请以下患者在门外稍候"
READY_ZH = {"medicine": "请以下患者取药", "report": "以下患者的检验报告已出，请到自助机打印或用手机查看"}
WINDOW_IDLE_ZH = "请留意叫号"
WINDOW_CALL_ZH = "正在呼叫"
WINDOW_PAUSED_ZH = "暂停服务"
FONTS = ("title", "call", "row", "doctor", "next", "small")


def layout_view(layout: ScreenLayout) -> dict[str, Any]:
    """The sizes and timings a page needs (pixels at the screen's own resolution)."""
    return {
        "kind": layout.kind, "width": layout.width, "height": layout.height, "rows": layout.rows,
        "next_count": layout.next_count, "recent_calls": layout.recent_calls, "flash_seconds": layout.flash_seconds,
        "page_seconds": layout.page_seconds, "show_names": layout.show_names, "ticker_speed": layout.ticker_speed,
        "fonts": {name: layout.font(name) for name in FONTS},
        # one room row: its two lines and their spacing, as the Qt wall's RoomRow.block_height
        "row_block": int(layout.font("row") * 1.25 + layout.font("next") * 1.25 + 12),
        "header": int(layout.font("title") * 1.9),
    }


def verb_of(call_template: str) -> str:
    """What a call asks the patient to do there, from the area's call template: 就诊, 取药, 采血 ..."""
    tail = call_template.split("{room}")[-1].strip() if "{room}" in call_template else ""
    return tail if 0 < len(tail) <= 6 and "{" not in tail else "就诊"


def call_line(call: CallLine, show_names: bool, verb: str = "就诊") -> dict[str, Any]:
    """One call as the page lists and announces it (never the spoken text: pages get clips for that)."""
    name = call.name if show_names else ""
    return {"seq": call.seq, "ticket": call.ticket, "name": name, "room": call.room_name, "room_id": call.room_id,
            "at": call.at.isoformat(timespec="seconds"), "visit_id": call.visit_id,
            "room_text": f"请到 {call.room_name} {verb}",
            "line": [f"{call.ticket}  {name}  →  {call.room_name}" if name else f"{call.ticket}  →  {call.room_name}",
                     f"{call.ticket}  →  {call.room_name}", call.ticket]}


def _people(patients: Any, show_names: bool) -> list[tuple[str, str]]:
    return [(p.ticket, p.name if show_names else "") for p in patients]


def room_view(room: RoomBoard, next_count: int, show_names: bool) -> dict[str, Any]:
    """One room row of a wall: room and who is inside; doctor and who is next (each a list of choices)."""
    doctor = " ".join(x for x in (room.doctor_name, room.doctor_title) if x)
    if room.paused:
        current = [f"{PAUSED_ZH} · {room.return_at} 回来", PAUSED_ZH] if room.return_at else [PAUSED_ZH]
    elif room.current:
        current = patient_choices(_people([room.current], show_names))
    else:
        current = [NOBODY_ZH]
    upcoming = _people(room.waiting[:next_count], show_names)
    return {
        "id": room.room_id, "name": room.name, "paused": room.paused,
        "doctor": [c for c in (doctor, room.doctor_name) if c],
        "current": current, "busy": room.current is not None and not room.paused,
        "next_prefix": NEXT_ZH if upcoming and not room.paused else "",
        "next": patient_choices(upcoming),
    }


def wall_view(board: AreaBoard, layout: ScreenLayout, *, title: str = "", notices: list[str] | None = None,
              education: list[str] | None = None, verb: str = "就诊") -> dict[str, Any]:
    """The whole wall: the newest call, the recent calls, every room in the configured order, banner, band."""
    newest = board.newest_call()
    rooms = board.room_list(layout.rooms or None)
    band = list(board.notices or notices or []) + list(education or [])
    return {
        "kind": "wall", "title": title, "seq": board.last_seq,
        "caption": CALL_CAPTION_ZH, "idle": IDLE_ZH, "recent_title": RECENT_ZH,
        "newest": call_line(newest, layout.show_names, verb) if newest else None,
        "recent": [call_line(c, layout.show_names, verb) for c in board.calls[1:1 + layout.recent_calls]],
        "rooms": [room_view(r, layout.next_count, layout.show_names) for r in rooms],
        "banner": f"通知：{board.banner}" if board.banner else "",
        "notices": band,
    }


def window_call(ticket: str, name: str, room_name: str, verb: str) -> list[str]:
    """A window's current call as a sentence, longest first: 请 A015 号 王*明 到 3号窗口 取药."""
    long = f"请 {ticket} 号 {name} 到 {room_name} {verb}" if name else ""
    return [c for c in (long, f"请 {ticket} 号 到 {room_name} {verb}", f"{ticket} → {room_name}", ticket) if c]


def window_view(board: AreaBoard, layout: ScreenLayout, *, title: str = "", verb: str = "取药",
                notices: list[str] | None = None) -> dict[str, Any]:
    """A pharmacy or lab window area: the newest call large, each window's current call, and the ready list
    (请以下患者取药 / 检验报告已出), each ticket once: on the list until called, then at its window."""
    names = layout.show_names
    newest = board.newest_call()
    windows = []
    for room in board.room_list(layout.rooms or None):
        if room.paused:
            current = [f"{WINDOW_PAUSED_ZH} · {room.return_at} 回来", WINDOW_PAUSED_ZH] if room.return_at \
                else [WINDOW_PAUSED_ZH]
        elif room.current:
            current = window_call(room.current.ticket, room.current.name if names else "", room.name, verb)
        else:
            current = [NOBODY_ZH]
        windows.append({"id": room.room_id, "name": room.name, "paused": room.paused, "current": current,
                        "busy": room.current is not None and not room.paused})
    ready = board.ready[-layout.ready_count:] if board.ready_kind == "report" else board.ready[:layout.ready_count]
    if board.ready_kind == "report":
        ready = ready[::-1]  # the newest report first
    return {
        "kind": "window", "title": title, "seq": board.last_seq,
        "caption": WINDOW_CALL_ZH, "idle": WINDOW_IDLE_ZH, "recent_title": RECENT_ZH,
        "newest": call_line(newest, names, verb) if newest else None,
        "recent": [call_line(c, names, verb) for c in board.calls[1:1 + layout.recent_calls]],
        "windows": windows,
        "ready_caption": READY_ZH.get(board.ready_kind, ""),
        "ready": [{"ticket": r.ticket, "name": r.name if names else "", "visit_id": r.visit_id,
                   "room": r.room_name} for r in ready],
        "ready_total": len(board.ready) + board.ready_more,
        "banner": f"通知：{board.banner}" if board.banner else "",
        "notices": list(board.notices or notices or []),
    }


def door_view(board: AreaBoard, layout: ScreenLayout, room_id: str, *, room_name: str = "", subtitle: str = "",
              photo_url: str = "") -> dict[str, Any]:
    """A door screen: its room, the doctor, who is inside and who waits at the door."""
    room = board.rooms.get(room_id) or RoomBoard(room_id, room_name or room_id)
    card = board.doctors.get(room.doctor_id)
    if room.paused:
        current = PAUSED_ZH
        caption = f"医生预计 {room.return_at} 回来，请您稍候，谢谢" if room.return_at else "请留意叫号或咨询护士，谢谢"
        waiting: list[str] = []
    else:
        current = room.current.label(layout.show_names) if room.current else "请稍候"
        caption = DOOR_NEXT_ZH if room.waiting else ""
        waiting = [p.label(layout.show_names) for p in room.waiting[:max(1, layout.next_count)]]
    return {
        "kind": "door", "title": room.name or room_name or room_id, "seq": board.last_seq, "room_id": room_id,
        "subtitle": subtitle, "paused": room.paused, "busy": room.current is not None and not room.paused,
        "doctor": {"name": room.doctor_name, "title": room.doctor_title,
                   "specialty": f"擅长：{card.specialty}" if card and card.specialty else "",
                   "photo": photo_url if room.doctor_name and photo_url else "",
                   "initial": room.doctor_name[:1] or "医"},
        "current_caption": DOOR_CURRENT_ZH, "current": current, "next_caption": caption, "next": waiting,
        "banner": f"通知：{board.banner}" if board.banner else "",
    }
