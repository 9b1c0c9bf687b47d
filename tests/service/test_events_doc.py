"""One shape per message: what the service sends is exactly the models of common/wire.py, and docs/events.md
shows those models (generated, never drifting)."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel
from websockets.sync.client import connect

from caller.events_doc import render
from caller.testing import DEMO_TOKENS as T
from common import wire

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_docs_events_md_and_phone_md_are_what_the_models_make():
    for name in ("events.md", "phone.md"):
        doc = (DOCS / name).read_text(encoding="utf-8")
        assert render(doc) == doc, f"run: python -m caller events-doc --write docs/{name}"


def _keys_of(model: type[BaseModel], data: dict, audience: str) -> None:
    """``data`` reads as ``model`` and has no key the model does not name (and none staff-only for the public)."""
    model.model_validate(data)
    fields, staff = wire._fields(model)
    assert set(data) <= fields, f"{model.__name__}: keys nobody documents: {set(data) - fields}"
    if audience == wire.PUBLIC:
        assert not set(data) & staff, f"{model.__name__}: staff-only keys reached a public device"


def _check_items(snap: dict, item: type[BaseModel], audience: str) -> None:
    lists = [snap[k] for k in ("waiting", "called", "missed", "away")]
    lists += [room[k] for room in snap["rooms"] for k in ("called", "in_service", "queue", "next")]
    for items in lists:
        for one in items:
            assert set(one) == set(item.model_fields), f"{item.__name__}: {set(one) ^ set(item.model_fields)}"


def _follow(url: str, token: str, last_seq: int) -> list[dict]:
    got = []
    with connect(f"{url.replace('http', 'ws')}/api/v1/events?area=NK&since=0",
                 additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        while True:
            message = json.loads(ws.recv(timeout=5))
            got.append(message)
            if message.get("seq") == last_seq and message["type"] != "heartbeat":
                return got


def test_every_message_a_wall_and_a_console_receive_is_its_model_exactly(live, kiosk, nurse, register_waiting):
    register_waiting(3, name="王小明")
    called = nurse.call_next("NK3")["visit"]
    nurse.call_again(called["visit_id"])
    nurse.pause_room("NK4", return_at="10:30")
    nurse.resume_room("NK4")
    last = nurse.broadcast("NK", "请您保持安静，谢谢。")["seq"]
    seen = set()
    for token, audience in ((T["wall_nk"], wire.PUBLIC), (T["console_nk"], wire.STAFF)):
        for message in _follow(live, token, last):
            wire.Envelope.model_validate(message)
            etype, data = message["type"], message["data"]
            seen.add(etype)
            if etype == "alert":
                wire.ALERT.validate_python(data)
                continue
            _keys_of(wire.EVENT_DATA[etype], data, audience)
            if etype == "queue":
                for item in data["changed"]:
                    assert set(item) == set(wire.VisitSummary.model_fields)
                if "queue" in data:
                    snap_model = wire.PublicSnapshot if audience == wire.PUBLIC else wire.StaffSnapshot
                    _keys_of(snap_model, data["queue"], audience)
                    _check_items(data["queue"], wire.VisitItem if audience == wire.PUBLIC else wire.StaffVisitItem,
                                 audience)
                if audience == wire.STAFF:
                    assert data.get("names", {}).get(called["visit_id"], "王小明") == "王小明"
    assert {"queue", "call", "room", "broadcast"} <= seen
    call = next(m for m in _follow(live, T["speaker_nk"], last) if m["type"] == "call")["data"]
    assert call["room_name"] == "内科3诊室" and call["name"] == "王*明"
    assert call["speech"] == "请 A 零 零 一 号 王某某 到 内科3号诊室 就诊"  # what the speaker says, word for word


def test_a_phone_ticket_page_gets_exactly_its_model(live, kiosk, register_waiting):
    from caller.ticket_feed import service_phone_status

    visit = register_waiting(2, name="欧阳娜娜")[1]
    service = live.service
    status = service_phone_status(service, service.engine.visit(visit["visit_id"]))
    wire.PhoneStatus.model_validate(status)
    assert set(status) <= set(wire.PhoneStatus.model_fields) and status["name"] == "欧**娜"


def test_public_projection_drops_staff_only_and_unknown_keys():
    data = {"reason": "call", "reasons": ["call"], "changed": [], "names": {"v1": "王小明"}, "patient_id": "P1"}
    assert wire.project("queue", data, wire.PUBLIC) == {"reason": "call", "reasons": ["call"], "changed": []}
    assert wire.project("queue", data, wire.STAFF) == data
    assert wire.project("no_such_type", {"name": "王小明"}, wire.PUBLIC) == {}
