"""Helpers for the web screen tests: tiny media made with ffmpeg, a hospital file with a media folder, pairing a page."""
from __future__ import annotations

from pathlib import Path

import httpx

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS
from client.http import CallerClient
from demo.media import hospital_file, make_media  # noqa: F401 - the tests' media and hospital, as the demo's

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "out" / "screenshots"
ADMIN = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}
FULL_NAMES = ("王小明", "欧阳娜娜", "司马相如", "张三丰")


def nurse(base_url: str) -> CallerClient:
    client = CallerClient(base_url, DEMO_TOKENS["console_nk"])
    client.login("wanghs", DEMO_PASSWORD)
    return client


def expert_visit(client: CallerClient, name: str) -> str:
    visit = client.register("NK", name=name, doctor="nk-zhang", kind="expert")["visit"]
    client.check_in(visit["visit_id"])
    return visit["ticket"]


def pair(page, base_url: str, device: str = "wall-nk", client: CallerClient | None = None) -> str:
    """Open /screen/ in ``page``, read its code, pair it from a console (a nurse of the area), wait for the screen."""
    page.goto(base_url + "/screen/")
    page.wait_for_function("/^\\d{6}$/.test(document.getElementById('pair-code').textContent)")
    code = page.text_content("#pair-code")
    if client is not None:
        client.request("POST", "/screens/pair", json_body={"code": code, "device": device})
    else:
        answer = httpx.post(base_url + "/api/v1/screens/pair", json={"code": code, "device": device}, headers=ADMIN)
        assert answer.status_code == 200, answer.text
    page.wait_for_function("window.__screen.state.view !== null", timeout=15000)
    return code


def frames_of(page) -> list[str]:
    """Every WebSocket frame the page receives from now on."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames
