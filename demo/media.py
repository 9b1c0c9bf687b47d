"""Sample media for the web screens, made with ffmpeg (nothing big is kept in the repository): a short H.264 clip
with sound, a short HEVC clip (which the service transcodes), a PNG and a file that only looks like a video.

    python -m demo.media DIR
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from common.config import DEMO_CONFIG


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


def make_media(folder: Path, seconds: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"]
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", *tone, "-t", str(seconds), "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(folder / "handwash.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15", "-t", "1", "-c:v", "libx265", "-pix_fmt", "yuv420p",
           "-x265-params", "log-level=error", "-tag:v", "hvc1", str(folder / "fasting-hevc.mp4"))
    ffmpeg("-f", "lavfi", "-i", "color=c=0x2a9d8f:size=640x360", "-frames:v", "1", str(folder / "masks.png"))
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video")
    return folder


WALL_LINE = ('settings = { kind = "wall", rooms = ["NK1", "NK2", "NK3", "NK4"], next_count = 3, last_calls = 5, '
             'font_scale = 1.0, speak = false, viewing_distance_m = 5.0, screen_inches = 55 }')


def hospital_file(tmp: Path, *, media_folder: Path | None = None, wall: str = "", items: str = "",
                  share: float = 0.3, repeat: int = 1, keys: str = "", name: str = "hospital.toml") -> Path:
    """A copy of the demo hospital for trying web screens (tests, benchmarks): the NK wall's settings replaced
    (``wall``: the inside of its settings table), a ``[media]`` table (``keys``: more of its keys, ``items``:
    ``[[media.items]]`` tables), calls said ``repeat`` times."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    assert WALL_LINE in text, "the demo hospital's NK wall line changed: update demo/media.py"
    if wall:
        text = text.replace(WALL_LINE, "settings = { " + wall + " }")
    assert "\ncall_repeat = 2" in text
    text = text.replace("\ncall_repeat = 2", f"\ncall_repeat = {repeat}", 1)
    text = text.split("\n[media]\n")[0]  # the demo's own [media] table is the file's last: replaced here
    folder = f'folder = "{media_folder.as_posix()}"\n' if media_folder else ""
    text += f"\n[media]\n{folder}education_share = {share}\nslide_seconds = 3\n{keys}\n{items}\n"
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    print(make_media(Path(sys.argv[1] if len(sys.argv) > 1 else "media")))
