"""Frames of the desk keypad (叫号器) serial protocol. Pure: no I/O, no clock.

The keypad on the doctor's desk has four keys and a one-line display. It speaks this small protocol
(docs/doctor-caller.md), 9600 baud, 8 data bits, no parity, 1 stop bit:

    STX  type  body  ETX  BCC
    0x02 1 byte ...  0x03 2 hex digits (ASCII): XOR of the type byte and every body byte

=======  =========  ===================================================================================
type     direction  body
=======  =========  ===================================================================================
``K``    keypad →   key code (1 digit) + press number (1 digit, 0-9, +1 per new press): ``K10`` 呼叫
``A``    → keypad   the press number acknowledged: ``A0``. A press not acknowledged in 0.5 s is sent again
                    with the same number (up to 3 times); the host acts on a number once
``D``    → keypad   the display line, GB18030, at most 32 bytes: ``A015 王*明  候诊3``
``H``    keypad →   hello at power-on or after a reset (body: firmware text); the host answers with ``D``
=======  =========  ===================================================================================

Key codes: ``1`` 呼叫 (call next), ``2`` 重呼 (call again), ``3`` 过号 (missed), ``4`` 暂停 (pause / resume).
A frame with a wrong BCC, an unknown type or key, or no ETX within 64 bytes is dropped (the keypad repeats an
unacknowledged press by itself); bytes before an STX are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

STX, ETX = 0x02, 0x03
MAX_FRAME = 64
DISPLAY_BYTES = 32
ENCODING = "gb18030"
KEYS = {"1": "call_next", "2": "call_again", "3": "missed", "4": "pause"}  # key code -> what the desk does
KEY_CODES = {name: code for code, name in KEYS.items()}
KEY_LABELS = {"call_next": "呼叫", "call_again": "重呼", "missed": "过号", "pause": "暂停"}


@dataclass(frozen=True)
class KeyPress:
    key: str  # call_next | call_again | missed | pause
    number: int  # 0-9: the same number again is the same press, repeated


@dataclass(frozen=True)
class Ack:
    number: int


@dataclass(frozen=True)
class Display:
    text: str


@dataclass(frozen=True)
class Hello:
    firmware: str


Frame = KeyPress | Ack | Display | Hello


def bcc(data: bytes) -> bytes:
    value = 0
    for byte in data:
        value ^= byte
    return f"{value:02X}".encode("ascii")


def _frame(kind: bytes, body: bytes) -> bytes:
    return bytes([STX]) + kind + body + bytes([ETX]) + bcc(kind + body)


def fit_display(text: str) -> bytes:
    """The display line as the keypad shows it: GB18030, cut to 32 bytes at a whole character."""
    out = b""
    for ch in text:
        try:
            piece = ch.encode(ENCODING)
        except UnicodeEncodeError:
            piece = b"?"
        if len(out) + len(piece) > DISPLAY_BYTES:
            break
        out += piece
    return out


def encode(frame: Frame) -> bytes:
    if isinstance(frame, KeyPress):
        return _frame(b"K", (KEY_CODES[frame.key] + str(frame.number % 10)).encode("ascii"))
    if isinstance(frame, Ack):
        return _frame(b"A", str(frame.number % 10).encode("ascii"))
    if isinstance(frame, Display):
        return _frame(b"D", fit_display(frame.text))
    if isinstance(frame, Hello):
        return _frame(b"H", frame.firmware.encode("ascii", "replace")[:DISPLAY_BYTES])
    raise TypeError(f"not a keypad frame: {frame!r}")


def _parse(kind: int, body: bytes) -> Frame | None:
    if kind == ord("K") and len(body) == 2 and chr(body[0]) in KEYS and chr(body[1]).isdigit():
        return KeyPress(KEYS[chr(body[0])], int(chr(body[1])))
    if kind == ord("A") and len(body) == 1 and chr(body[0]).isdigit():
        return Ack(int(chr(body[0])))
    if kind == ord("D") and len(body) <= DISPLAY_BYTES:
        try:
            return Display(body.decode(ENCODING))
        except UnicodeDecodeError:
            return None
    if kind == ord("H") and len(body) <= DISPLAY_BYTES:
        return Hello(body.decode("ascii", "replace"))
    return None


class FrameDecoder:
    """Feed it what the port delivered; get back whole, checked frames. ``dropped`` counts what was refused."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        frames: list[Frame] = []
        while True:
            start = self._buf.find(STX)
            if start < 0:
                self._buf.clear()
                return frames
            del self._buf[:start]
            end = self._buf.find(ETX, 1)
            if end < 0:
                if len(self._buf) > MAX_FRAME:  # no end in sight: drop this start and look for the next
                    del self._buf[:1]
                    self.dropped += 1
                    continue
                return frames
            if len(self._buf) < end + 3:
                return frames  # the BCC is still coming
            raw = bytes(self._buf[1:end])
            check = bytes(self._buf[end + 1:end + 3])
            if not raw or STX in raw or bcc(raw) != check:
                del self._buf[:1]
                self.dropped += 1
                continue
            del self._buf[:end + 3]
            frame = _parse(raw[0], raw[1:])
            if frame is None:
                self.dropped += 1
            else:
                frames.append(frame)


def decode_all(data: bytes) -> list[Frame]:
    """Every whole frame in ``data`` (tests, tools)."""
    return FrameDecoder().feed(data)
