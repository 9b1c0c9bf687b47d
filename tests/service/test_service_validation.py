"""Malformed or out-of-range input: a 4xx with a Chinese and English message, and nothing changed."""
from __future__ import annotations

import httpx

from caller.testing import DEMO_TOKENS as T


def _state(live) -> tuple:
    engine = live.service.engine
    return (live.service.hub.seq, [(v.id, v.state.value, v.order_key) for v in engine.visits()],
            [(r.room_id, r.paused) for r in engine.rooms()])


BAD = [
    ("/visits", None, 422),
    ("/visits", "not json", 422),
    ("/visits", [], 422),
    ("/visits", {"department": "NK"}, 422),                                   # no name
    ("/visits", {"department": "NK", "name": ""}, 422),
    ("/visits", {"department": "NK", "name": "张三" * 30}, 422),               # too long
    ("/visits", {"department": "NK", "name": "张三", "triage_level": 9}, 422),
    ("/visits", {"department": "NK", "name": "张三", "slot": "10:00-09:00"}, 422),
    ("/visits", {"department": "NK", "name": "张三", "colour": "red"}, 422),   # unknown field
    ("/visits", {"department": "XX", "name": "张三"}, 404),
    ("/visits", {"department": "NK", "name": "张三", "kind": "expert"}, 409),  # expert without doctor
    ("/visits/nope/check-in", None, 404),
    ("/rooms/NOPE/call-next", None, 404),
    ("/visits/{v}/finish", None, 409),                                       # wrong state
    ("/visits/{v}/priority", {"kind": "vip"}, 409),                          # unknown special kind
    ("/visits/{v}/move-up", {"steps": 0}, 422),
    ("/visits/{v}/transfer", {}, 409),
    ("/areas/NK/broadcast", {"text": ""}, 422),
    ("/areas/XX/broadcast", {"text": "您好"}, 404),
]

def test_bad_input_is_refused_with_a_message_and_changes_nothing(live, kiosk, nurse):
    visit = kiosk.register("NK", name="张三")["visit"]
    kiosk.check_in(visit["visit_id"])
    before = _state(live)
    headers = {"Authorization": f"Bearer {nurse.token}"}
    for path, body, status in BAD:
        url = f"{live}/api/v1{path.format(v=visit['visit_id'])}"
        if isinstance(body, str):
            resp = httpx.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
        else:
            resp = httpx.post(url, json=body, headers=headers)
        assert resp.status_code == status, (path, body, resp.text)
        error = resp.json()["error"]
        assert error["code"] and error["message_en"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message_zh"]), error
        assert _state(live) == before, (path, body)


def test_unknown_endpoint_and_method_are_4xx_json(live):
    headers = {"Authorization": f"Bearer {T['admin']}"}
    assert httpx.get(f"{live}/api/v1/nothing", headers=headers).json()["error"]["code"] == "not_found"
    assert httpx.get(f"{live}/api/v1/visits", headers=headers).status_code == 405
