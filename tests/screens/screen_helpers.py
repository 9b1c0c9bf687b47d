"""Helpers for the web screen tests: tiny media made with ffmpeg, a hospital file with a media folder, pairing a page."""
from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from caller.client import CallerClient
from caller.config import DEMO_CONFIG
from caller.testing import DEMO_PASSWORD, DEMO_TOKENS

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "out" / "screenshots"
ADMIN = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}
WALL_LINE = ('settings = { kind = "wall", rooms = ["NK1", "NK2", "NK3", "NK4"], next_count = 3, last_calls = 5, '
             'font_scale = 1.0, speak = false, viewing_distance_m = 5.0, screen_inches = 55 }')
FULL_NAMES = ("王小明", "欧阳娜娜", "司马相如", "张三丰")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


def make_media(folder: Path) -> Path:
    """A 4 s H.264 clip with sound, a 1 s HEVC clip, a PNG, and a file that only looks like a video."""
    folder.mkdir(parents=True, exist_ok=True)
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"]
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", *tone, "-t", "4", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(folder / "handwash.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15", "-t", "1", "-c:v", "libx265", "-pix_fmt", "yuv420p",
           "-x265-params", "log-level=error", "-tag:v", "hvc1", str(folder / "fasting-hevc.mp4"))
    ffmpeg("-f", "lavfi", "-i", "color=c=0x2a9d8f:size=640x360", "-frames:v", "1", str(folder / "masks.png"))
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video")
    return folder


def hospital_file(tmp: Path, *, media_folder: Path | None = None, wall: str = "", items: str = "",
                  share: float = 0.3, repeat: int = 1) -> Path:
    """The demo hospital with the NK wall's settings replaced (``wall``: the inside of its settings table) and a
    ``[media]`` table (``items``: ``[[media.items]]`` tables); calls are said ``repeat`` times."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    assert WALL_LINE in text, "the demo hospital's NK wall line changed: update tests/screens/screen_helpers.py"
    if wall:
        text = text.replace(WALL_LINE, "settings = { " + wall + " }")
    assert "\ncall_repeat = 2" in text
    text = text.replace("\ncall_repeat = 2", f"\ncall_repeat = {repeat}", 1)  # calls said once: shorter tests
    folder = f'folder = "{media_folder.as_posix()}"\n' if media_folder else ""
    text += f"\n[media]\n{folder}education_share = {share}\nslide_seconds = 3\n{items}\n"
    path = tmp / "hospital.toml"
    path.write_text(text, encoding="utf-8")
    return path


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
