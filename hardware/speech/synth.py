"""Speech synthesis backends: text in, PCM out. Each runs espeak-ng out of process.

* ``EspeakCli``: one ``espeak-ng --stdout`` process per utterance (about 20 ms for a
  call). Isolated, killable on a hang, safe with several workers in one process.
* ``Pyttsx3Process``: one long-lived child process owning one pyttsx3 engine on its
  main thread (pyttsx3 binds espeak globally per process and ``runAndWait`` can
  hang or skip writing its file). A hang is killed and the child restarted.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Protocol

from hardware.speech.pcm import Pcm, from_streamed_wav, from_wav

DEFAULT_VOICE = "cmn-latn-pinyin"
DEFAULT_RATE = 150  # words per minute; espeak's 175 is hurried for elderly patients


class SynthesisError(RuntimeError):
    """An utterance could not be synthesised; the message says why."""


class Synthesizer(Protocol):
    name: str

    def synthesize(self, text: str) -> Pcm: ...

    def close(self) -> None: ...


class EspeakCli:
    """Calls ``espeak-ng`` directly, text on stdin, WAV on stdout."""

    name = "espeak-ng"

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        rate: int = DEFAULT_RATE,
        executable: str = "espeak-ng",
        timeout_s: float = 15.0,
    ) -> None:
        self.voice, self.rate, self.executable, self.timeout_s = voice, rate, executable, timeout_s
        self._voice_checked = False

    def _check_voice(self) -> None:
        """espeak-ng quietly reads ``no-such-voice`` as Norwegian: refuse voices it does not list."""
        try:
            listing = subprocess.run(
                [self.executable, "--voices"], capture_output=True, text=True, timeout=self.timeout_s
            ).stdout
        except FileNotFoundError as exc:
            raise SynthesisError(f"{self.executable} is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise SynthesisError(f"{self.executable} --voices did not answer") from exc
        known: set[str] = set()
        for row in listing.splitlines()[1:]:
            cols = row.split()
            if len(cols) >= 5:
                known.update({cols[1].lower(), cols[4].lower(), cols[4].lower().rsplit("/", 1)[-1]})
        if self.voice.lower() not in known:
            raise SynthesisError(f"voice {self.voice!r} does not exist in {self.executable}")
        self._voice_checked = True

    def synthesize(self, text: str) -> Pcm:
        if not text.strip():
            raise SynthesisError("nothing to say: empty text")
        if not self._voice_checked:
            self._check_voice()
        cmd = [self.executable, "-v", self.voice, "-s", str(self.rate), "--stdout"]
        try:
            done = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=self.timeout_s)
        except FileNotFoundError as exc:
            raise SynthesisError(f"{self.executable} is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise SynthesisError(f"{self.executable} did not finish within {self.timeout_s:g} s") from exc
        errors = done.stderr.decode("utf-8", "replace").strip()
        if done.returncode != 0 or not done.stdout:
            raise SynthesisError(f"{self.executable} failed (exit {done.returncode}): {errors or 'no audio'}")
        try:
            pcm = from_streamed_wav(done.stdout)
        except ValueError as exc:
            raise SynthesisError(f"{self.executable} wrote unreadable audio: {exc}") from exc
        if not pcm.frames:
            raise SynthesisError(f"{self.executable} produced no audio: {errors}")
        return pcm

    def close(self) -> None:
        pass


class Pyttsx3Process:
    """A child process running one pyttsx3 engine; requests are JSON lines."""

    name = "pyttsx3"

    def __init__(self, voice: str = DEFAULT_VOICE, rate: int = DEFAULT_RATE, timeout_s: float = 15.0) -> None:
        self.voice, self.rate, self.timeout_s = voice, rate, timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._tmpdir = tempfile.TemporaryDirectory(prefix="pyttsx3-")
        self._count = 0

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "hardware.speech.pyttsx3_child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,
                cwd=str(Path(__file__).resolve().parents[2]),
            )
            self._buffer = b""
        return self._proc

    def _read_line(self, proc: subprocess.Popen[bytes], deadline: float) -> bytes:
        assert proc.stdout is not None
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([proc.stdout], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise SynthesisError("pyttsx3 process exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def synthesize(self, text: str) -> Pcm:
        if not text.strip():
            raise SynthesisError("nothing to say: empty text")
        self._count += 1
        path = Path(self._tmpdir.name) / f"u{self._count}.wav"
        request = {"text": text, "path": str(path), "voice": self.voice, "rate": self.rate}
        proc = self._start()
        assert proc.stdin is not None
        try:
            proc.stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode("utf-8"))
            reply = json.loads(self._read_line(proc, time.monotonic() + self.timeout_s))
        except TimeoutError:
            self._kill()
            raise SynthesisError(f"pyttsx3 did not finish within {self.timeout_s:g} s; engine restarted") from None
        except (BrokenPipeError, ValueError) as exc:
            self._kill()
            raise SynthesisError(f"pyttsx3 process failed: {exc}") from exc
        if not reply.get("ok"):
            raise SynthesisError(f"pyttsx3 failed: {reply.get('error', 'unknown error')}")
        try:
            return from_wav(path.read_bytes())
        finally:
            path.unlink(missing_ok=True)

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=5)
        self._proc = None

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None and self._proc.stdin is not None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        self._kill()
        self._tmpdir.cleanup()


def make_synthesizer(backend: str, voice: str, rate: int) -> Synthesizer:
    """``"espeak-ng"`` or ``"pyttsx3"``."""
    if backend == "espeak-ng":
        return EspeakCli(voice, rate)
    if backend == "pyttsx3":
        return Pyttsx3Process(voice, rate)
    raise ValueError(f"unknown speech backend {backend!r}; use 'espeak-ng' or 'pyttsx3'")
