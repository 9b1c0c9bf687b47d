"""docs/events.md's examples and field tables, generated from the models of common/wire.py.

``python -m caller events-doc --write docs/events.md`` replaces every block between
``<!-- wire:NAME -->`` and ``<!-- /wire:NAME -->`` with NAME's example (validated by its model, so it
shows every field the model has) and its table of fields. tests/service/test_events_doc.py fails when
the document and the models differ.
"""
from __future__ import annotations

import json
import re
import typing
from typing import Any

from pydantic import BaseModel

from common import wire

_ITEM = {"visit_id": "20261123-NK-0007", "ticket": "A007", "name": "王*明", "dept_id": "NK", "doctor_id": None,
         "number_kind": "general", "state": "room_waiting", "room_id": "NK3", "late": False, "recalled": False,
         "priority": False, "triage_level": None, "call_count": 0}
_STAFF_ITEM = {**_ITEM, "patient_name": "王小明", "patient_id": "P000123",
               "area_id": "NK", "day": "2026-11-23", "session": "am", "source": "onsite", "reg_seq": 7,
               "registered_at": "2026-11-23T08:41:09.120", "ticket_no": 7, "serial": 31, "slot_start": None,
               "slot_end": None, "checkin_seq": 7, "checkin_at": "2026-11-23T08:41:09.120", "called_at": None,
               "started_at": None, "finished_at": None, "waiting_since": "2026-11-23T08:41:09.120", "placed": "",
               "priority_kind": None, "priority_level": None, "priority_seq": None, "order_key": "[0, 1, 7]",
               "journey_id": None, "step_kind": "", "stage": "", "order_id": None, "items": "[]", "amount": 0,
               "paid_at": None, "ready_at": None, "prep": "{}", "gates": "{}"}
_ROOM = {"room_id": "NK3", "name": "内科3诊室", "name_en": "Room 3", "paused": False, "return_at": None,
         "doctor_id": "nk-wang", "doctor_name": "王志强", "called": [], "in_service": [], "queue": [_ITEM],
         "next": [_ITEM], "called_total": 0, "queue_total": 1}
_BROADCAST = {"text": "王医生临时有事，预计 10:30 开诊，请您耐心等候，谢谢。", "text_en": "Dr Wang is back at 10:30.",
              "speech": "王医生临时有事，预计 10:30 开诊，请您耐心等候，谢谢。"}
_SNAPSHOT = {"area_id": "NK", "name": "内科诊区", "name_en": "Internal Medicine", "location": "门诊楼 2 层东侧",
             "emergency": False, "day": "2026-11-23", "waiting": [], "called": [], "missed": [], "away": [],
             "waiting_total": 0, "called_total": 0, "missed_total": 0, "away_total": 0, "rooms": [_ROOM],
             "notices": ["请您保持安静，留意屏幕和语音叫号。"],
             "broadcasts": [{**_BROADCAST, "seq": 1250, "ts": "2026-11-23T09:02:11.400"}]}
_CALL = {"visit_id": "20261123-NK-0007", "ticket": "A007", "name": "王*明", "room_id": "NK3",
         "room_name": "内科3诊室", "room_name_en": "Room 3", "dept_id": "NK", "number_kind": "general",
         "text": "请 A007 号 王*明 到 内科3诊室 就诊", "speech": "请 A 零 零 七 号 王某某 到 内科3号诊室 就诊",
         "repeat": 2, "call_count": 1, "targets": ["area_screen", "room_screen", "speaker"]}
_SUMMARY = {**_ITEM, "state": "called", "call_count": 1, "dept_name": "内科", "room_name": "内科3诊室",
            "doctor_name": "王志强", "priority_kind": None, "position": None}

# name -> (model, example data, envelope type or None for a part shown without an envelope)
EXAMPLES: dict[str, tuple[Any, dict, str | None]] = {
    "VisitItem": (wire.VisitItem, _ITEM, None),
    "StaffVisitItem": (wire.StaffVisitItem, _STAFF_ITEM, None),
    "VisitSummary": (wire.VisitSummary, _SUMMARY, None),
    "AreaSnapshot": (wire.PublicSnapshot, _SNAPSHOT, "snapshot"),
    "RoomSnapshot": (wire.RoomSnapshot[wire.VisitItem], _ROOM, None),
    "QueueData": (wire.QueueData, {"reason": "call", "reasons": ["call", "dispatch"], "changed": [_SUMMARY],
                                   "queue": _SNAPSHOT}, "queue"),
    "CallData": (wire.CallData, _CALL, "call"),
    "BroadcastData": (wire.BroadcastData, _BROADCAST, "broadcast"),
    "RoomData": (wire.RoomData, {"room_id": "NK4", "room_name": "内科4诊室", "room_name_en": "Room 4",
                                 "paused": True, "return_at": "10:30", "doctor_id": "nk-zhao",
                                 "action": "pause_room"}, "room"),
    "ReadyData": (wire.ReadyData, {"kind": "medicine", "visit_id": "20261123-NK-0015-01",
                                   "journey_id": "20261123-NK-0015", "ticket": "A015", "name": "王*明",
                                   "room_id": "YF3", "room_name": "3号窗口", "room_name_en": "Window 3",
                                   "text": "请 A015 号 王*明 到 3号窗口取药",
                                   "text_en": "A015: please collect your medicine at Window 3"}, "ready"),
    "JourneyStatus": (wire.JourneyStatus, {
        "journey_id": "20261123-NK-0015", "ticket": "A015", "name": "王*明",
        "next_text": "药已配好，可到 3号窗口取药，前面 0 人；下一步：门诊楼 2 层西侧 检验科采血处采血：血常规",
        "next_text_en": "Medicine ready at Window 3; 0 ahead; next: Blood draw: Complete blood count",
        "steps": [{"visit_id": "20261123-NK-0015-01", "kind": "pharmacy", "stage": "ready", "state": "room_waiting",
                   "ticket": "A015", "title": "取药", "title_en": "Pharmacy", "place": "门诊楼 1 层西药房 3号窗口",
                   "place_en": "Pharmacy, Window 3", "ahead": 0, "text": "药已配好，可到 3号窗口取药，前面 0 人",
                   "text_en": "Medicine ready at Window 3; 0 ahead", "prepare": "取药时请出示导诊单或就诊码",
                   "prepare_en": "Show the guide slip or your visit code at the window", "gate_seconds": None,
                   "gate_what": "", "gate_what_en": "", "amount": 5090, "paid": True}]}, None),
    "EmergencyAlert": (wire.EmergencyAlert, {"visit_id": "20261123-JZ-0003", "ticket": "E003", "triage_level": 1,
                                             "dept_id": "JZ", "name": "李*", "message_zh": "1 级患者 E003 到达，请立即处理",
                                             "message_en": "Triage level 1 patient E003 arrived"}, "alert"),
    "WaitAlert": (wire.WaitAlert, {"dept_id": "NK", "dept": "内科", "wait_minutes": 42.5, "threshold_minutes": 30,
                                   "waiting": 17, "active": True, "area": "NK",
                                   "message_zh": "内科已有患者等候 42 分钟，超过 30 分钟",
                                   "message_en": "NK: a patient has waited 42 min (threshold 30)"}, "alert"),
    "HelpAlert": (wire.HelpAlert, {"help_id": "H20261123091500-1a2b3c", "state": "open", "device": "kiosk-lobby-1",
                                   "name": "门诊大厅自助机 1 号", "screen": "pay_bills",
                                   "created_at": "2026-11-23T09:15:00.000", "escalated": False, "acked_by": None,
                                   "outcome": None, "active": True, "message_zh": "门诊大厅自助机 1 号：患者请求协助",
                                   "message_en": "kiosk-lobby-1: a patient asks for help"}, "alert"),
    "DeviceAlert": (wire.DeviceAlert, {"device": "kiosk-lobby-1", "part": "printer", "state": "fault",
                                       "active": True, "message_zh": "门诊大厅自助机 1 号 · 打印机故障：缺纸",
                                       "message_en": "kiosk-lobby-1/printer fault: paper out"}, "alert"),
    "PhoneStatus": (wire.PhoneStatus, {
        "ticket": "A004", "name": "王*明", "state": "room_waiting", "ahead": 2, "position": 3, "estimate_minutes": 16,
        "estimate_min": 10, "estimate_max": 20, "call_count": 0, "dept_name": "内科", "dept_name_en": "Internal Medicine",
        "room_name": "内科3诊室", "room_name_en": "Room 3", "room_location": "2 层东侧 203", "location": "2 层东侧 203",
        "area_name": "内科诊区", "area_name_en": "Internal Medicine", "room_paused": False, "doctor_name": "王志强",
        "why_zh": "前面 2 位：先到", "why_en": "2 ahead: arrived earlier", "late": False, "recalled": False,
        "number_kind": "general", "hospital": "仁和市第一人民医院", "hospital_en": "Renhe No.1 People's Hospital",
        "day": "2026-11-23"}, None),
    "Heartbeat": (wire.Heartbeat, {"seq": 1290, "ts": "2026-11-23T09:15:02.000",
                                   "time": "2026-11-23T09:15:02.000+08:00"}, None),
    "RefusedSubscription": (wire.RefusedSubscription, {"error": {
        "code": "forbidden", "message_zh": "对不起，本设备无权接收其他诊区的消息。",
        "message_en": "This device may not follow another area's events."}}, None),
}

_BLOCK = re.compile(r"(<!-- wire:(\w+) -->\n)(.*?)(<!-- /wire:\2 -->)", re.S)


def _type_name(annotation: Any) -> str:
    """A short, readable type for the field table."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " \\| ".join(names) + (" \\| null" if type(None) in args else "")
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a, ensure_ascii=False) for a in args)
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return "object"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__.split("[")[0]
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(annotation, str(annotation))


def fields_table(model: type[BaseModel]) -> str:
    lines = ["| key | type | meaning |", "|---|---|---|"]
    for name, field in model.model_fields.items():
        meaning = (field.description or "").replace("|", "\\|")
        lines.append(f"| `{name}` | {_type_name(field.annotation)} | {meaning} |")
    return "\n".join(lines)


def block(name: str) -> str:
    """The generated text of one block: the example (in its envelope when it is an event) and the fields."""
    model, example, etype = EXAMPLES[name]
    data = model.model_validate(example).model_dump(mode="json")
    inner = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in data.items())
    if etype is not None:
        head = json.dumps({"seq": 1239, "type": etype, "area": "NK", "ts": "2026-11-23T09:15:02.123"})
        text = head[:-1] + ', "data": {\n' + inner + "\n}}"
    else:
        text = "{\n" + inner + "\n}"
    title = model.__name__.split("[")[0]
    return f"```json\n{text}\n```\n\n`{title}`:\n\n{fields_table(model)}\n"


def render(document: str) -> str:
    """``document`` with every generated block replaced by what the models make now."""
    unknown = [m.group(2) for m in _BLOCK.finditer(document) if m.group(2) not in EXAMPLES]
    if unknown:
        raise KeyError(f"docs name models caller/events_doc.py does not know: {unknown}")
    return _BLOCK.sub(lambda m: m.group(1) + block(m.group(2)) + m.group(4), document)
