"""Mono 16-bit PCM audio held in memory, and its WAV encoding (pure, no I/O)."""
from __future__ import annotations

import io
import math
import struct
import wave
from array import array
from dataclasses import dataclass

SAMPLE_WIDTH = 2  # bytes, signed 16-bit little endian


@dataclass(frozen=True)
class Pcm:
    """Mono signed 16-bit little-endian samples at ``rate`` Hz."""

    rate: int
    frames: bytes

    @property
    def duration_s(self) -> float:
        return len(self.frames) / SAMPLE_WIDTH / self.rate

    def to_wav(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(SAMPLE_WIDTH)
            w.setframerate(self.rate)
            w.writeframes(self.frames)
        return buf.getvalue()


def silence(rate: int, seconds: float) -> Pcm:
    return Pcm(rate, bytes(SAMPLE_WIDTH * int(rate * seconds)))


def from_wav(data: bytes) -> Pcm:
    """Decode a mono or stereo 16-bit WAV (stereo is mixed down)."""
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getsampwidth() != SAMPLE_WIDTH:
            raise ValueError(f"only 16-bit WAV is supported, got {8 * w.getsampwidth()}-bit")
        channels, rate = w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if channels == 1:
        return Pcm(rate, raw)
    samples = array("h", raw)
    mono = array("h", (sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)))
    return Pcm(rate, mono.tobytes())


def from_streamed_wav(data: bytes) -> Pcm:
    """Decode a WAV written to a pipe (espeak-ng ``--stdout``), whose size fields are placeholders."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV stream")
    pos = 12
    rate = channels = bits = 0
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            _fmt, channels, rate, _brate, _align, bits = struct.unpack("<HHIIHH", data[body : body + 16])
        elif chunk_id == b"data":
            if channels != 1 or bits != 16:
                raise ValueError(f"expected mono 16-bit audio, got {channels} ch {bits}-bit")
            frames = data[body:]
            return Pcm(rate, frames[: len(frames) - len(frames) % SAMPLE_WIDTH])
        pos = body + size + (size & 1)
    raise ValueError("WAV stream has no data chunk")


def resample(pcm: Pcm, rate: int) -> Pcm:
    """Linear-interpolation resampling; good enough for a chime."""
    if pcm.rate == rate or not pcm.frames:
        return Pcm(rate, pcm.frames)
    src = array("h", pcm.frames)
    n_out = max(1, round(len(src) * rate / pcm.rate))
    step = (len(src) - 1) / max(1, n_out - 1)
    out = array("h", bytes(SAMPLE_WIDTH * n_out))
    for i in range(n_out):
        x = i * step
        j = int(x)
        k = min(j + 1, len(src) - 1)
        out[i] = int(src[j] + (src[k] - src[j]) * (x - j))
    return Pcm(rate, out.tobytes())


def concat(parts: list[Pcm], rate: int | None = None) -> Pcm:
    """Join clips, resampling each to ``rate`` (default: the rate of the first)."""
    if not parts:
        raise ValueError("nothing to join")
    rate = rate or parts[0].rate
    return Pcm(rate, b"".join(resample(p, rate).frames for p in parts))


def two_tone_chime(rate: int = 22050, tones: tuple[float, ...] = (659.25, 523.25), tone_s: float = 0.55) -> Pcm:
    """A soft "ding-dong": each tone a sine with a short attack and exponential decay."""
    samples = array("h")
    for freq in tones:
        n = int(rate * tone_s)
        for i in range(n):
            t = i / rate
            # 10 ms attack, exponential decay, 30 ms release so tones end without a click
            envelope = min(1.0, t / 0.01, (n - i) / (rate * 0.03)) * math.exp(-4.0 * t)
            value = 0.45 * envelope * (math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t))
            samples.append(int(max(-1.0, min(1.0, value)) * 32767))
    return Pcm(rate, samples.tobytes())
