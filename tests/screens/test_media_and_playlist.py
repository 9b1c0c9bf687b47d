"""The media folder (ffprobe checks, ffmpeg transcoding of what browsers cannot play) and the playlist rules
(per area, per screen, per time of day; a guaranteed share of health education; the hospital's own slides)."""
from __future__ import annotations

import json
import subprocess

import pytest
from screen_helpers import hospital_file, make_media

from caller.screens import playlist
from caller.screens.media import MediaLibrary
from common.config import load_hospital

ITEMS = """
[[media.items]]
file = "handwash.mp4"
kind = "education"

[[media.items]]
file = "fasting-hevc.mp4"
kind = "education"
hours = "07:00-10:00"

[[media.items]]
file = "masks.png"
kind = "general"
seconds = 20
areas = ["NK"]

[[media.items]]
text = "下午专家门诊 14:00 开始"
kind = "notice"
hours = "12:00-17:30"
screens = ["wall-nk"]

[[media.items]]
file = "gone.mp4"
kind = "education"

[[media.items]]
file = "broken.mp4"
kind = "education"
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = make_media(tmp_path_factory.mktemp("media") / "media")
    lib = MediaLibrary(folder, folder.parent / "cache")
    lib.rescan(wait=True)
    yield lib
    lib.close()


def codec_of(path: str) -> str:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name",
                          "-of", "json", path], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["streams"][0]["codec_name"]


def test_files_are_checked_and_hevc_is_transcoded(library):
    files = {f.name: f for f in library.files()}
    assert files["handwash.mp4"].ok and not files["handwash.mp4"].transcoded and files["handwash.mp4"].duration_s > 3
    hevc = files["fasting-hevc.mp4"]
    assert hevc.ok and hevc.transcoded and codec_of(hevc.path) == "h264" and hevc.mime == "video/mp4"
    assert files["masks.png"].ok and files["masks.png"].kind == "image"
    assert files["broken.mp4"].state == "broken" and "已跳过" in files["broken.mp4"].problem_zh
    assert library.lookup("gone.mp4").state == "missing"


def test_playlist_by_area_screen_and_time_with_education_share(tmp_path, library):
    config = load_hospital(hospital_file(tmp_path, items=ITEMS, share=0.4))
    plan = playlist.build(config, "NK", "wall-nk", library.lookup, lambda f: f"/m/{f.name}", lambda d: f"/p/{d}")
    problems = {p["file"] for p in plan.problems}
    assert problems == {"gone.mp4", "broken.mp4"}  # skipped and reported, never played
    windows = {(w["from"], w["to"]): w["slides"] for w in plan.windows}
    morning = next(s for (a, b), s in windows.items() if a <= 8 * 60 < b)
    afternoon = next(s for (a, b), s in windows.items() if a <= 15 * 60 < b)
    kinds = lambda slides: {s.get("src", s["type"]) for s in slides}  # noqa: E731
    assert "/m/fasting-hevc.mp4" in kinds(morning) and "/m/fasting-hevc.mp4" not in kinds(afternoon)
    assert any(s["type"] == "text" and "下午专家门诊" in s["text"] for s in afternoon)
    assert not any(s["type"] == "text" for s in morning)
    assert {s["type"] for s in morning} >= {"doctor", "prices", "image", "video"}  # the hospital's own slides
    doctors = [s["name"] for s in morning if s["type"] == "doctor"]
    assert "张建国" in doctors and not any(s.get("room", "").startswith("外科") for s in morning)
    assert morning[0]["education"]  # a screen switched on starts with health education
    for (start, end), cycle in windows.items():
        edu, total = playlist.education_seconds(cycle, 3600)
        assert edu / total >= 0.4 - 0.02, (start, end, edu, total)  # the guaranteed share of every hour
    other = playlist.build(config, "NK", "wall-other", library.lookup, str, str)
    assert not any(s["type"] == "text" for w in other.windows for s in w["slides"])  # that notice is for wall-nk
    surgery = playlist.build(config, "WY", "wall-wy", library.lookup, str, str)
    assert not any(s.get("type") == "image" for w in surgery.windows for s in w["slides"])  # masks.png: NK only


@pytest.mark.parametrize("share", [0.0, 0.1, 0.25, 0.5, 0.9])
def test_interleave_keeps_the_share_and_spreads_education(share):
    others = [{"seconds": s, "education": False, "id": f"o{i}"} for i, s in enumerate((10, 30, 12, 45, 8))]
    education = [{"seconds": s, "education": True, "id": f"e{i}"} for i, s in enumerate((60, 15))]
    cycle = playlist.interleave(others, education, share)
    edu, total = playlist.education_seconds(cycle, 3600)
    assert edu / total >= share - 0.02
    assert {s["id"] for s in cycle} == {s["id"] for s in others + education}  # every item plays
