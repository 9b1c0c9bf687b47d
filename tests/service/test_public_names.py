"""No public surface ever shows a full name, for any name hypothesis makes: the wall/door event stream, the
speaker's events, the ticket page a phone opens, and what a kiosk without a patient session reads.

Names are drawn from characters the demo hospital's own texts never use, so any appearance of the full name on a
public surface is a leak (a one-character name must not appear at all: it is shown as ``*``, spoken as 患者).
"""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caller.api.app import create_app
from caller.testing import DEMO_TOKENS, ManualClock
from common.config import DEMO_CONFIG, load_hospital
from records.plugins import PLUGINS

RARE = "鑫淼焱垚犇骉羴舙龘靐齉鱻猋麤毳"
COMPOUND = ["", "", "司马", "欧阳"]
cjk_names = st.builds(lambda head, body, dot: head + (body[:1] + "·" + body[1:] if dot and len(body) > 1 else body),
                      st.sampled_from(COMPOUND), st.text(alphabet=RARE, min_size=1, max_size=5), st.booleans())
latin_names = st.lists(st.text(alphabet="qxzjvk", min_size=2, max_size=6).map(str.capitalize),
                       min_size=2, max_size=3).map(" ".join)
names = st.one_of(cjk_names, latin_names)

ADMIN = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}
KIOSK = {"Authorization": f"Bearer {DEMO_TOKENS['kiosk2']}"}


def _events(client: TestClient, token: str, since: int, ticket: str) -> str:
    """Everything the stream sends a screen or speaker from ``since`` up to the call of ``ticket``."""
    seen = []
    with client.websocket_connect(f"/api/v1/events?area=NK&since={since}",
                                  headers={"Authorization": f"Bearer {token}"}) as ws:
        for _ in range(50):
            message = json.loads(ws.receive_text())
            seen.append(message)
            if message.get("type") == "call" and message.get("data", {}).get("ticket") == ticket:
                break
    assert any(m.get("type") == "call" for m in seen), seen
    return json.dumps(seen, ensure_ascii=False)


def test_rare_characters_are_not_in_the_hospitals_own_texts():
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    assert not set(RARE) & set(text) and "qx" not in text.lower()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(load_hospital(DEMO_CONFIG), tmp_path_factory.mktemp("names") / "h.db", plugins=PLUGINS,
                     clock=ManualClock(datetime(2026, 11, 23, 9, 0)))
    with TestClient(app) as c:
        yield c


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names)
def test_no_public_surface_shows_a_full_name(client, name):
    since = client.app.state.service.hub.seq
    visit = client.post("/api/v1/visits", headers=ADMIN, json={"department": "NK", "name": name}).json()["visit"]
    assert visit["patient_name"] == name  # staff see the full name
    vid, ticket = visit["visit_id"], visit["ticket"]
    try:
        check_surfaces(client, name, since, vid, ticket)
    finally:  # the room is free for the next name, and no masked name of this one stays on the screens
        for step in ("start", "finish"):
            client.post(f"/api/v1/visits/{vid}/{step}", headers=ADMIN)


def check_surfaces(client: TestClient, name: str, since: int, vid: str, ticket: str) -> None:
    assert client.post(f"/api/v1/visits/{vid}/check-in", headers=KIOSK).status_code == 200
    called = client.post("/api/v1/rooms/NK3/call-next", headers=ADMIN).json()["visit"]
    assert called["visit_id"] == vid
    surfaces = {
        "wall": _events(client, DEMO_TOKENS["wall_nk"], since, ticket),
        "door": _events(client, DEMO_TOKENS["door_nk1"], since, ticket),
        "speaker": _events(client, DEMO_TOKENS["speaker_nk"], since, ticket),
        "ticket page": client.get(f"/t/{vid}").text,
        "kiosk queue": client.get("/api/v1/areas/NK/queue", headers=KIOSK).text,
        "kiosk room": client.get("/api/v1/rooms/NK3/queue", headers=KIOSK).text,
        "kiosk status": client.get(f"/api/v1/visits/{vid}/status", headers=KIOSK).text,
        "kiosk check-in answer": client.post(f"/api/v1/visits/{vid}/check-in", headers=KIOSK).text,
    }
    shown = [where for where, text in surfaces.items() if name in text]
    assert not shown, f"{name!r} shown in full on {shown}"
    calls = [m["data"] for m in json.loads(surfaces["speaker"]) if m.get("type") == "call"]
    assert calls and all("某某" in c["speech"] or "患者" in c["speech"] for c in calls)
