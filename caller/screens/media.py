"""The media folder of the hospital file (``[media] folder``): each file checked with ffprobe, and transcoded with
ffmpeg to H.264 where a browser cannot play it (HEVC, MPEG-2, AVI, ...).

What a screen's browser (Chromium, and the Chromium-based browsers of TVs and signage boxes) plays: H.264, VP8, VP9
and AV1 video in MP4 or WebM, with AAC, MP3, Opus or Vorbis sound; PNG, JPEG, WebP and GIF images. Anything else is
transcoded once into the cache folder (``<cache>/<name>.<size>-<mtime>.mp4``) in a worker thread; until it is ready,
and when a file is missing or broken, the item is skipped and named in :meth:`MediaLibrary.problems`, which the
screens' device health and ``GET /api/v1/screens/media`` show. A screen never waits on a black frame for it.

The folder is looked at again by :meth:`MediaLibrary.rescan` (every minute by the service, and on
``POST /api/v1/screens/media/rescan`` or a reload of the hospital file): files dropped in are checked then, files
unchanged are not probed again.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("caller.screens.media")

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif"}
VIDEO_SUFFIXES = {".mp4", ".webm", ".mkv", ".mov", ".m4v", ".avi", ".ts", ".mpg", ".mpeg", ".wmv", ".flv"}
PLAYABLE_VIDEO = {"h264", "vp8", "vp9", "av1"}
PLAYABLE_AUDIO = {"aac", "mp3", "opus", "vorbis"}
PLAYABLE_CONTAINERS = {".mp4", ".webm", ".m4v", ".mov"}
IMAGE_CODECS = {"png", "mjpeg", "webp", "gif"}
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif",
        ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/mp4", ".webm": "video/webm"}
PROBE_TIMEOUT_S = 30.0
TRANSCODE_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class MediaFile:
    """One file of the media folder as the screens may use it."""

    name: str
    kind: str  # image | video
    state: str  # ok | transcoding | missing | broken
    problem_zh: str = ""
    problem_en: str = ""
    path: str = ""  # what is served: the file itself, or its transcoded copy
    mime: str = ""
    duration_s: float = 0.0
    width: int = 0
    height: int = 0
    codec: str = ""
    transcoded: bool = False
    version: str = ""  # changes when the file changes (screens cache by it)

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def probe(path: Path, ffprobe: str = "ffprobe") -> dict:
    """ffprobe's streams and format of a file (ValueError when it cannot be read as media)."""
    try:
        done = subprocess.run([ffprobe, "-v", "error", "-show_entries",
                               "stream=codec_type,codec_name,width,height:format=duration,format_name",
                               "-of", "json", str(path)], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except FileNotFoundError:
        raise ValueError(f"{ffprobe} is not installed") from None
    except subprocess.TimeoutExpired:
        raise ValueError("ffprobe did not finish") from None
    if done.returncode != 0:
        raise ValueError((done.stderr.strip().splitlines() or ["unreadable"])[-1])
    info = json.loads(done.stdout or "{}")
    if not info.get("streams"):
        raise ValueError("no audio or video in the file")
    return info


def needs_transcode(suffix: str, video: str, audio: str | None) -> bool:
    return suffix not in PLAYABLE_CONTAINERS or video not in PLAYABLE_VIDEO or (audio is not None and audio not in PLAYABLE_AUDIO)


def transcode(source: Path, target: Path, ffmpeg: str = "ffmpeg") -> None:
    """H.264 + AAC in MP4 (faststart), even dimensions, the pixel format every decoder takes."""
    partial = target.with_suffix(".part.mp4")
    cmd = [ffmpeg, "-v", "error", "-y", "-i", str(source), "-map", "0:v:0", "-map", "0:a:0?",
           "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
           "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-c:a", "aac", "-b:a", "128k",
           "-movflags", "+faststart", str(partial)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TRANSCODE_TIMEOUT_S)
    except FileNotFoundError:
        raise ValueError(f"{ffmpeg} is not installed") from None
    except subprocess.TimeoutExpired:
        partial.unlink(missing_ok=True)
        raise ValueError("ffmpeg did not finish") from None
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise ValueError((done.stderr.strip().splitlines() or ["ffmpeg failed"])[-1])
    partial.replace(target)


def _version(path: Path) -> str:
    st = path.stat()
    return hashlib.sha256(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]


class MediaLibrary:
    """The checked files of one media folder. Thread-safe; probing and transcoding run in worker threads."""

    def __init__(self, folder: Path | None, cache: Path, *, ffprobe: str = "ffprobe", ffmpeg: str = "ffmpeg",
                 workers: int = 1):
        self.folder = folder
        self.cache = cache
        self.ffprobe, self.ffmpeg = ffprobe, ffmpeg
        self._files: dict[str, MediaFile] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="media")
        self._busy: set[str] = set()
        self.on_change = None  # called (any thread) when a file's state changed

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def set_folder(self, folder: Path | None) -> None:
        with self._lock:
            if folder != self.folder:
                self.folder, self._files = folder, {}
        self.rescan()

    def get(self, name: str) -> MediaFile | None:
        with self._lock:
            return self._files.get(name)

    def files(self) -> list[MediaFile]:
        with self._lock:
            return sorted(self._files.values(), key=lambda f: f.name)

    def lookup(self, name: str) -> MediaFile:
        """The file as it stands (``missing`` when the folder does not have it)."""
        found = self.get(name)
        if found is not None:
            return found
        return MediaFile(name, _kind(name), "missing", f"素材文件“{name}”不在素材目录中",
                         f"media file {name!r} is not in the media folder")

    def problems(self, names: list[str] | None = None) -> list[MediaFile]:
        """The files (of ``names``, else every file) a screen has to skip."""
        chosen = [self.lookup(n) for n in names] if names is not None else self.files()
        return [f for f in chosen if not f.ok]

    def rescan(self, wait: bool = False) -> None:
        """Look at the folder again: check new or changed files, forget removed ones."""
        folder = self.folder
        if folder is None or not folder.is_dir():
            with self._lock:
                self._files = {}
            return
        seen: dict[str, str] = {}
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
                seen[path.name] = _version(path)
        futures = []
        with self._lock:
            for name in [n for n in self._files if n not in seen]:
                del self._files[name]
            for name, version in seen.items():
                known = self._files.get(name)
                if known is not None and known.version == version or name in self._busy:
                    continue
                self._busy.add(name)
                futures.append(self._pool.submit(self._check, folder / name, version))
        if wait:
            for future in futures:
                future.result()

    def _store(self, item: MediaFile) -> None:
        with self._lock:
            self._files[item.name] = item
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # noqa: BLE001 - a listener's failure must not stop the checks
                log.exception("media change listener failed")

    def _check(self, path: Path, version: str) -> None:
        try:
            self._store(self._checked(path, version))
        except Exception as exc:  # noqa: BLE001 - one bad file is reported, never fatal
            log.warning("media file %s could not be checked: %s", path.name, exc)
            self._store(MediaFile(path.name, _kind(path.name), "broken", f"素材文件无法读取：{exc}",
                                  f"cannot read: {exc}", version=version))
        finally:
            with self._lock:
                self._busy.discard(path.name)

    def _checked(self, path: Path, version: str) -> MediaFile:
        suffix = path.suffix.lower()
        kind = _kind(path.name)
        try:
            info = probe(path, self.ffprobe)
        except ValueError as exc:
            return MediaFile(path.name, kind, "broken", f"素材文件已损坏或格式无法识别（{exc}），已跳过",
                             f"broken or unknown format ({exc}); skipped", version=version)
        streams = info.get("streams") or []
        video = next((s for s in streams if s.get("codec_type") == "video"), None)
        audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
        if video is None:
            return MediaFile(path.name, kind, "broken", "素材文件没有画面，已跳过", "no picture in the file; skipped",
                             version=version)
        codec = str(video.get("codec_name") or "")
        width, height = int(video.get("width") or 0), int(video.get("height") or 0)
        if kind == "image":
            if codec not in IMAGE_CODECS:
                return MediaFile(path.name, kind, "broken", f"图片格式 {codec} 无法显示，已跳过",
                                 f"image codec {codec} cannot be shown; skipped", version=version)
            return MediaFile(path.name, kind, "ok", path=str(path), mime=MIME[suffix], width=width, height=height,
                             codec=codec, version=version)
        try:
            duration = float((info.get("format") or {}).get("duration") or 0)
        except ValueError:
            duration = 0.0
        if duration <= 0:
            return MediaFile(path.name, kind, "broken", "视频长度为零或无法读取，已跳过", "video has no duration; skipped",
                             version=version)
        audio_codec = str(audio.get("codec_name")) if audio else None
        if not needs_transcode(suffix, codec, audio_codec):
            return MediaFile(path.name, kind, "ok", path=str(path), mime=MIME[suffix], duration_s=duration,
                             width=width, height=height, codec=codec, version=version)
        target = self.cache / f"{path.stem}.{version}.mp4"
        if not target.exists():
            self._store(MediaFile(path.name, kind, "transcoding", f"正在转换视频格式（{codec}），完成后自动播放",
                                  f"transcoding from {codec}; it plays when done", duration_s=duration,
                                  codec=codec, version=version))
            self.cache.mkdir(parents=True, exist_ok=True)
            try:
                transcode(path, target, self.ffmpeg)
            except ValueError as exc:
                return MediaFile(path.name, kind, "broken", f"视频格式 {codec} 无法转换（{exc}），已跳过",
                                 f"cannot transcode {codec}: {exc}; skipped", version=version)
            log.info("transcoded %s (%s) for the screens", path.name, codec)
        return MediaFile(path.name, kind, "ok", path=str(target), mime="video/mp4", duration_s=duration, width=width,
                         height=height, codec="h264", transcoded=True, version=version)


def _kind(name: str) -> str:
    return "image" if Path(name).suffix.lower() in IMAGE_SUFFIXES else "video"


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
