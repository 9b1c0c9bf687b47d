"""Calls and broadcasts rendered once to audio clips, for web screens that also speak (the TV as a speaker).

The same voice path as the speaker agent (display/speaker.py): the event's ``speech`` text as the service wrote it,
handed to :class:`hardware.speech.SpeechWorker` (espeak-ng, voice ``cmn-latn-pinyin``, the chime, the call said
``repeat`` times, a broadcast once), here in file mode: one WAV per event, named by its seq only (never a name).
One worker per voice, so clips are made in the order of the events; each is made once however many screens play
it, and only for areas that have a speaking web screen. Clips older than an hour are deleted.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from typing import Callable

from hardware.speech import SpeechEvent, SpeechWorker
from hardware.speech.synth import DEFAULT_RATE, DEFAULT_VOICE

log = logging.getLogger("caller.screens.clips")

KEEP_S = 3600.0
CLIP_NAME = re.compile(r"^[cb]\d{1,12}$")

Ready = Callable[[str, str, float], None]  # (clip id, area, seconds since the event was handed over)


class CallClips:
    """``render(clip_id, area, text, repeat)``; ``on_ready(clip_id, area, seconds)`` when the WAV is written."""

    def __init__(self, folder: Path, on_ready: Ready, *, voice: str = DEFAULT_VOICE, rate: int = DEFAULT_RATE,
                 worker: SpeechWorker | None = None):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.on_ready = on_ready
        self._paths: dict[str, Path] = {}
        self._areas: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.worker = worker or SpeechWorker(out_dir=folder, voice=voice, rate=rate, backend="espeak-ng")
        self.worker.add_listener(self._event)

    def render(self, clip_id: str, area: str, text: str, repeat: int = 1) -> bool:
        """Queue a clip (``c<seq>`` for a call, ``b<seq>`` for a broadcast); False when it is made already or
        there is nothing to say."""
        with self._lock:
            if clip_id in self._areas or clip_id in self._paths or not text.strip():
                return False
            self._areas[clip_id] = (area, time.monotonic())
        try:
            if clip_id.startswith("c"):
                self.worker.announce_call(text, max(1, repeat), clip_id)
            else:
                self.worker.announce_broadcast(text, clip_id)
        except (RuntimeError, ValueError) as exc:
            log.warning("clip %s not made: %s", clip_id, exc)
            return False
        return True

    def path(self, clip_id: str) -> Path | None:
        if not CLIP_NAME.match(clip_id):
            return None
        with self._lock:
            return self._paths.get(clip_id)

    def _event(self, event: SpeechEvent) -> None:
        if event.kind == "failed":
            log.warning("clip %s failed: %s", event.item_id, event.reason)
            with self._lock:
                self._areas.pop(event.item_id, None)
            return
        if event.kind != "finished" or event.path is None:
            return
        with self._lock:
            self._paths[event.item_id] = event.path
            area, queued = self._areas.get(event.item_id, ("", time.monotonic()))
        self.on_ready(event.item_id, area, time.monotonic() - queued)
        self._prune()

    def _prune(self) -> None:
        cutoff = time.time() - KEEP_S
        with self._lock:
            for clip_id, path in list(self._paths.items()):
                try:
                    old = path.stat().st_mtime < cutoff
                except OSError:
                    old = True
                if old:
                    path.unlink(missing_ok=True)
                    del self._paths[clip_id]
                    self._areas.pop(clip_id, None)

    def close(self) -> None:
        self.worker.stop()
