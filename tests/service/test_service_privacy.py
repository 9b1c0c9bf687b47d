"""Display and speaker tokens only ever get masked names: no full name, no ID number, no patient id."""
from __future__ import annotations

import json
import re

from websockets.sync.client import connect

from caller.testing import DEMO_TOKENS as T
from client.http import CallerClient

ID_NUMBER = "11010519491231002X"
FULL_NAMES = ("王小明", "欧阳娜娜", "张三")
ID_PATTERN = re.compile(r"\d{17}[\dXx]")


def _assert_display_safe(text: str) -> None:
    for name in FULL_NAMES:
        assert name not in text, f"full name {name} leaked"
    assert ID_NUMBER not in text and not ID_PATTERN.search(text), "an ID number leaked"
    assert "patient_id" not in text and "patient_name" not in text


def test_public_tokens_see_masked_names_only_over_http_and_websocket(live, kiosk, nurse):
    ws_url = f"{live.replace('http', 'ws')}/api/v1/events?area=NK&since=0"
    received: list[str] = []
    with connect(ws_url, additional_headers={"Authorization": f"Bearer {T['wall_nk']}"}) as ws:
        visits = []
        for name in FULL_NAMES:
            visit = kiosk.register("NK", name=name, patient_id=ID_NUMBER)["visit"]
            kiosk.check_in(visit["visit_id"])
            visits.append(visit)
        called = nurse.call_next("NK3")["visit"]
        nurse.call_again(called["visit_id"])
        nurse.broadcast("NK", "请您保持安静，谢谢。")
        last_seq = nurse.broadcast("NK", "谢谢配合。")["seq"]
        while True:
            text = ws.recv(timeout=5)
            received.append(text)
            if json.loads(text).get("seq") == last_seq:
                break
    kinds = {json.loads(t)["type"] for t in received}
    assert {"queue", "call", "broadcast"} <= kinds
    calls = [json.loads(t)["data"] for t in received if json.loads(t)["type"] == "call"]
    assert calls[0]["name"] == "王*明" and "王*明" in calls[0]["text"] and "王某某" in calls[0]["speech"]

    for token in (T["wall_nk"], T["door_nk1"], T["speaker_nk"], T["kiosk"]):
        with CallerClient(live, token) as public:
            snap = public.area_queue("NK")
            room = public.room_queue("NK3")
            for text in (json.dumps(snap, ensure_ascii=False), json.dumps(room, ensure_ascii=False)):
                _assert_display_safe(text)
            assert {v["name"] for v in room["queue"]} == {"欧**娜", "张*"}  # topped up after the call
            assert room["called"][0]["name"] == "王*明"
    for text in received:
        _assert_display_safe(text)

    # the staff audience does get the full name (the nurse must know who she calls)
    assert called["patient_name"] == "王小明"
    assert any(v["patient_name"] == "欧阳娜娜" for v in nurse.room_queue("NK3")["queue"])


def test_public_snapshot_is_the_engines_public_snapshot_cut_to_its_head(live, kiosk, nurse, register_waiting):
    register_waiting(18)
    nurse.call_next("NK3")
    nurse.call_next("NK4")
    service = live.service
    ours = service.area_snapshot("NK", "public")
    engine = service.engine.snapshot("NK", True)
    for key in ("area_id", "name", "name_en", "day"):
        assert ours[key] == engine[key]
    for key in ("waiting", "called", "missed", "away"):
        assert ours[key] == engine[key][:10] and ours[f"{key}_total"] == len(engine[key])
    assert len(engine["waiting"]) > 10  # the cut did happen
    for mine, theirs in zip(ours["rooms"], engine["rooms"], strict=True):
        assert {k: v for k, v in mine.items() if not k.endswith("_total")} == {
            **theirs, "called": theirs["called"][:3], "queue": theirs["queue"][:10]}
