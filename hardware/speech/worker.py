"""The announcement worker: one thread, one ordered queue, never two announcements at once.

A call is the chime followed by the text said ``repeat`` times; a broadcast is said
once. Items are handled strictly in the order they were queued, so a broadcast
queued during a call is heard after that call. Each item is synthesised to one clip
and then either played (``aplay``) or written as a WAV file into ``out_dir``.
"""
from __future__ import annotations

import itertools
import logging
import queue
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal, Sequence

from common.speech_text import speakable
from hardware.health import DeviceHealth, Health
from hardware.speech.pcm import Pcm, concat, from_wav, silence
from hardware.speech.sounds import DEFAULT_CHIME
from hardware.speech.synth import (
    DEFAULT_RATE,
    DEFAULT_VOICE,
    EspeakCli,
    SynthesisError,
    Synthesizer,
    make_synthesizer,
)

log = logging.getLogger(__name__)

DEVICE = "speech"
GAP_BETWEEN_REPEATS_S = 0.8
PLAYER = ("aplay", "-q")

EventKind = Literal["started", "finished", "failed"]


@dataclass(frozen=True)
class Announcement:
    item_id: str
    kind: Literal["call", "broadcast"]
    text: str
    repeat: int = 1
    queued_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class SpeechEvent:
    """What happened to one queued item. ``path`` is the WAV written (file mode only)."""

    kind: EventKind
    item_id: str
    announcement_kind: str
    text: str
    reason: str = ""
    path: Path | None = None
    at: float = field(default_factory=time.monotonic)


Listener = Callable[[SpeechEvent], None]
_STOP = object()


class SpeechWorker:
    """Owns speech synthesis and the speaker on its own thread.

    ``out_dir=None`` plays to the sound device with ``player`` (default ``aplay -q``);
    otherwise every item becomes ``<seq>-<item_id>.wav`` in ``out_dir``, written
    atomically. ``backend`` is ``"pyttsx3"`` (default; a child process owning the
    engine) or ``"espeak-ng"``; if the backend fails an utterance, espeak-ng is tried
    directly and health turns degraded with the reason. ``synthesizer`` replaces
    the backend entirely.
    """

    def __init__(
        self,
        out_dir: str | Path | None = None,
        voice: str = DEFAULT_VOICE,
        rate: int = DEFAULT_RATE,
        chime: str | Path | None = DEFAULT_CHIME,
        *,
        backend: str = "pyttsx3",
        synthesizer: Synthesizer | None = None,
        player: Sequence[str] = PLAYER,
        on_event: Listener | None = None,
    ) -> None:
        self.out_dir = Path(out_dir) if out_dir is not None else None
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self.voice, self.rate = voice, rate
        self._primary: Synthesizer = synthesizer or make_synthesizer(backend, voice, rate)
        self._fallback: Synthesizer | None = None if synthesizer or backend == "espeak-ng" else EspeakCli(voice, rate)
        self._chime: Pcm | None = from_wav(Path(chime).read_bytes()) if chime else None
        self._player = tuple(player)
        self._listeners: list[Listener] = [on_event] if on_event else []
        self._queue: queue.Queue[object] = queue.Queue()
        self._seq = itertools.count(1)
        self._idle = threading.Condition()
        self._pending = 0
        self._health = DeviceHealth(DEVICE, Health.OK, "", "")
        self._playing: subprocess.Popen[bytes] | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="speech-worker", daemon=True)
        self._thread.start()

    # -- public API -------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(SpeechEvent)`` on the worker thread for every started/finished/failed."""
        self._listeners.append(listener)

    def announce_call(self, text: str, repeat: int = 2, item_id: str | None = None) -> str:
        """Queue a call: chime, then ``text`` said ``repeat`` times. Returns the item id."""
        if repeat < 1:
            raise ValueError("repeat must be at least 1")
        return self._enqueue("call", text, repeat, item_id)

    def announce_broadcast(self, text: str, item_id: str | None = None) -> str:
        """Queue a notice said once, after everything queued before it."""
        return self._enqueue("broadcast", text, 1, item_id)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued item is done; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def health(self) -> DeviceHealth:
        return self._health

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current item is cut short; queued items are dropped."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        playing = self._playing
        if playing is not None and playing.poll() is None:
            playing.terminate()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._primary.close()
        if self._fallback is not None:
            self._fallback.close()
        self._health = DeviceHealth(DEVICE, Health.OFFLINE, "语音播报已停止", "speech worker stopped")

    def __enter__(self) -> "SpeechWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- worker thread ----------------------------------------------------------

    def _enqueue(self, kind: Literal["call", "broadcast"], text: str, repeat: int, item_id: str | None) -> str:
        if self._stopped.is_set():
            raise RuntimeError("speech worker is stopped")
        text = speakable(text)  # never let the voice say "asterisk" for a masked name
        if not text:
            raise ValueError("nothing to announce: empty text")
        item = Announcement(item_id or f"{kind}-{time.monotonic_ns()}", kind, text, repeat)
        with self._idle:
            self._pending += 1
        self._queue.put(item)
        return item.item_id

    def _run(self) -> None:
        try:  # start the engine now so the first call is not slowed by it
            self._primary.synthesize("您好")
        except SynthesisError as exc:
            log.warning("speech engine warm-up failed: %s", exc)
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, Announcement)
            try:
                if not self._stopped.is_set():
                    self._handle(item)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _handle(self, item: Announcement) -> None:
        try:
            clip = self._render(item)
            path = self._output_path(item)
            self._emit(SpeechEvent("started", item.item_id, item.kind, item.text, path=path))
            if path is not None:
                _write_atomically(path, clip.to_wav())
            else:
                self._play(clip)
        except Exception as exc:  # one bad utterance never stops the worker
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("announcement %s failed: %s", item.item_id, reason)
            self._health = DeviceHealth(DEVICE, Health.DEGRADED, f"语音播报失败，请检查音箱和语音引擎：{exc}", f"announcement failed: {reason}")
            self._emit(SpeechEvent("failed", item.item_id, item.kind, item.text, reason=reason))
            return
        self._emit(SpeechEvent("finished", item.item_id, item.kind, item.text, path=path))

    def _render(self, item: Announcement) -> Pcm:
        speech = self._synthesize(item.text)
        parts: list[Pcm] = []
        if item.kind == "call" and self._chime is not None:
            parts.append(self._chime)
        for i in range(item.repeat):
            if i:
                parts.append(silence(speech.rate, GAP_BETWEEN_REPEATS_S))
            parts.append(speech)
        return concat(parts, rate=speech.rate)

    def _synthesize(self, text: str) -> Pcm:
        try:
            pcm = self._primary.synthesize(text)
            self._health = DeviceHealth(DEVICE, Health.OK, "", "")
            return pcm
        except SynthesisError as exc:
            if self._fallback is None:
                raise
            try:
                pcm = self._fallback.synthesize(text)
            except SynthesisError as again:
                raise SynthesisError(f"{self._primary.name}: {exc}; {self._fallback.name}: {again}") from again
            self._health = DeviceHealth(
                DEVICE,
                Health.DEGRADED,
                f"{self._primary.name} 语音引擎出错，已改用 {self._fallback.name}：{exc}",
                f"{self._primary.name} failed, using {self._fallback.name}: {exc}",
            )
            return pcm

    def _output_path(self, item: Announcement) -> Path | None:
        if self.out_dir is None:
            return None
        safe_id = re.sub(r"[^0-9A-Za-z_.-]", "_", item.item_id)[:80]
        return self.out_dir / f"{next(self._seq):05d}-{safe_id}.wav"

    def _play(self, clip: Pcm) -> None:
        with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
            tmp.write(clip.to_wav())
            tmp.flush()
            self._playing = subprocess.Popen(
                [*self._player, tmp.name], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            try:
                _out, err = self._playing.communicate(timeout=clip.duration_s + 10)
            except subprocess.TimeoutExpired:
                self._playing.kill()
                self._playing.wait()
                raise RuntimeError(f"{self._player[0]} did not finish playing") from None
            finally:
                code, self._playing = self._playing.returncode, None
            if code != 0 and not self._stopped.is_set():
                message = err.decode("utf-8", "replace").strip().splitlines()
                raise RuntimeError(f"{self._player[0]} exit {code}: {message[-1] if message else 'no output'}")

    def _emit(self, event: SpeechEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not silence the speakers
                log.exception("speech event listener failed")


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)
