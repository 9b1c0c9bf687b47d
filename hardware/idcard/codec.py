"""GA 467 SAM serial protocol: request frames, an incremental response parser, read replies.

Pure: bytes in, values out, no I/O.

    request:  AA AA AA 96 69 | LEN (2, BE) | CMD PARA DATA... | CHK
    response: AA AA AA 96 69 | LEN (2, BE) | SW1 SW2 SW3 DATA... | CHK

LEN counts every byte after the length field (CHK included); CHK is the XOR of the
length bytes and everything up to the last data byte.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import reduce

from hardware.idcard.card import IdCard
from hardware.idcard.layouts import TEXT_SIZE, decode_text, encode_text
from hardware.idcard.tables import SW_SUCCESS, StatusInfo, status_info

PREAMBLE = b"\xAA\xAA\xAA\x96\x69"
HEADER_SIZE = len(PREAMBLE) + 2
MIN_LENGTH = 3          # CMD PARA CHK (a response has at least SW1 SW2 SW3 CHK)
MAX_LENGTH = 4096       # longest real reply (30 10 with fingerprint) is 2314
PHOTO_SIZE = 1024
FINGERPRINT_SIZE = 1024
ADDRESS_SIZE = 70


class Command(Enum):
    """Every request of the reader: value is (CMD, PARA)."""

    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_TEXT_PHOTO = (0x30, 0x01)
    READ_TEXT_PHOTO_FINGERPRINT = (0x30, 0x10)
    READ_NEWEST_ADDRESS = (0x30, 0x03)
    RESET_SAM = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    READ_SAM_ID = (0x12, 0xFF)
    SET_BAUD_115200 = (0x60, 0x00)
    SET_BAUD_57600 = (0x60, 0x01)
    SET_BAUD_38400 = (0x60, 0x02)
    SET_BAUD_19200 = (0x60, 0x03)
    SET_BAUD_9600 = (0x60, 0x04)


BAUD_COMMANDS: dict[int, Command] = {
    115200: Command.SET_BAUD_115200, 57600: Command.SET_BAUD_57600, 38400: Command.SET_BAUD_38400,
    19200: Command.SET_BAUD_19200, 9600: Command.SET_BAUD_9600,
}
_COMMANDS_BY_CODE = {c.value: c for c in Command}


def checksum(data: bytes) -> int:
    """XOR of all bytes (the length bytes and payload of a frame)."""
    return reduce(lambda a, b: a ^ b, data, 0)


def build_frame(payload: bytes) -> bytes:
    """Wrap a payload (CMD PARA DATA or SW1 SW2 SW3 DATA) into a full frame."""
    length = (len(payload) + 1).to_bytes(2, "big")
    return PREAMBLE + length + payload + bytes([checksum(length + payload)])


def build_request(command: Command, data: bytes = b"") -> bytes:
    """Request frame for a command."""
    cmd, para = command.value
    return build_frame(bytes([cmd, para]) + data)


def set_baud_request(baud: int) -> bytes:
    """Request frame that switches the reader to another baud rate (115200..9600)."""
    try:
        return build_request(BAUD_COMMANDS[baud])
    except KeyError:
        raise ValueError(f"unsupported baud rate {baud}; use one of {sorted(BAUD_COMMANDS)}") from None


def build_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """Response frame with a status and data."""
    return build_frame(bytes([sw1, sw2, sw3]) + data)


@dataclass(frozen=True)
class Frame:
    """One checked frame. The payload is everything between the length field and the checksum."""

    payload: bytes

    @property
    def raw(self) -> bytes:
        return build_frame(self.payload)

    # response view
    @property
    def sw3(self) -> int:
        return self.payload[2] if len(self.payload) >= 3 else -1

    @property
    def status(self) -> StatusInfo:
        return status_info(self.sw3)

    @property
    def data(self) -> bytes:
        """Response data after SW1 SW2 SW3."""
        return self.payload[3:]

    # request view
    @property
    def command(self) -> Command | None:
        """The command of a request frame, None if unknown."""
        return _COMMANDS_BY_CODE.get(tuple(self.payload[:2]))  # type: ignore[arg-type]

    @property
    def request_data(self) -> bytes:
        return self.payload[2:]


class RejectReason(str, Enum):
    NOISE = "noise"                 # bytes before a preamble
    BAD_LENGTH = "bad_length"       # length field out of range
    BAD_CHECKSUM = "bad_checksum"   # frame complete but the XOR does not match
    TRUNCATED = "truncated"         # a new preamble starts before the frame's end


@dataclass(frozen=True)
class Rejected:
    """Bytes the parser threw away (raw), and why."""

    reason: RejectReason
    raw: bytes


ParseEvent = Frame | Rejected


def _preamble_prefix_len(buf: bytes | bytearray) -> int:
    """Length of the longest tail of buf that could be the start of a preamble."""
    for n in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
        if buf[-n:] == PREAMBLE[:n]:
            return n
    return 0


class FrameParser:
    """Incremental frame parser: feed it whatever the port delivered; it never raises."""

    def __init__(self, max_length: int = MAX_LENGTH) -> None:
        self._buf = bytearray()
        self._max_length = max_length

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, data: bytes) -> list[ParseEvent]:
        self._buf += data
        events: list[ParseEvent] = []
        while self._step(events):
            pass
        return events

    def _step(self, events: list[ParseEvent]) -> bool:
        """Consume at most one frame or piece of noise; False when more bytes are needed."""
        buf = self._buf
        start = buf.find(PREAMBLE)
        if start < 0:
            keep = _preamble_prefix_len(buf)
            if len(buf) > keep:
                events.append(Rejected(RejectReason.NOISE, bytes(buf[:len(buf) - keep])))
                del buf[:len(buf) - keep]
            return False
        if start > 0:
            events.append(Rejected(RejectReason.NOISE, bytes(buf[:start])))
            del buf[:start]
        if len(buf) < HEADER_SIZE:
            return False
        length = int.from_bytes(buf[5:7], "big")
        if not MIN_LENGTH <= length <= self._max_length:
            # drop only the preamble: a real preamble may start inside the length bytes
            events.append(Rejected(RejectReason.BAD_LENGTH, bytes(buf[:len(PREAMBLE)])))
            del buf[:len(PREAMBLE)]
            return True
        end = HEADER_SIZE + length
        # A preamble inside the frame means this frame was cut short and a new one began.
        # (XOR alone would let such a splice pass one time in 256. A genuine photo holding
        # the 5-byte preamble is a one-in-a-billion case; that read is then refused.)
        inner = buf.find(PREAMBLE, 1, end)
        if inner > 0:
            events.append(Rejected(RejectReason.TRUNCATED, bytes(buf[:inner])))
            del buf[:inner]
            return True
        if len(buf) < end:
            return False
        if checksum(buf[5:end - 1]) != buf[end - 1]:
            # keep a tail that may be the start of the next frame's preamble
            cut = end - _preamble_prefix_len(buf[:end])
            events.append(Rejected(RejectReason.BAD_CHECKSUM, bytes(buf[:cut])))
            del buf[:cut]
            return True
        events.append(Frame(bytes(buf[HEADER_SIZE:end - 1])))
        del buf[:end]
        return True


# ---------------------------------------------------------------- read replies (30 01 / 30 10)

@dataclass(frozen=True)
class CardData:
    """The blocks of a read reply."""

    text: bytes
    photo: bytes
    fingerprint: bytes | None = None


class ReplyError(ValueError):
    """A checked frame whose content does not fit the command it answers."""


def build_read_response(text: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    """Reply to 30 01 (fingerprint None) or 30 10 (fingerprint b"" or 1024 bytes)."""
    lengths = len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
    blocks = text + photo
    if fingerprint is not None:
        lengths += len(fingerprint).to_bytes(2, "big")
        blocks += fingerprint
    return build_response(SW_SUCCESS, lengths + blocks)


def parse_read_reply(frame: Frame, fingerprint: bool = False) -> CardData:
    """Split the data of a successful read reply; raises ReplyError when sizes do not add up."""
    if frame.sw3 != SW_SUCCESS:
        raise ReplyError(f"read reply status 0x{frame.sw3 & 0xFF:02X}: {frame.status.en}")
    data = frame.data
    count = 3 if fingerprint else 2
    if len(data) < 2 * count:
        raise ReplyError("read reply too short for its length fields")
    sizes = [int.from_bytes(data[2 * i:2 * i + 2], "big") for i in range(count)]
    if sizes[0] != TEXT_SIZE or sizes[1] != PHOTO_SIZE or (fingerprint and sizes[2] not in (0, FINGERPRINT_SIZE)):
        raise ReplyError(f"unexpected block sizes {sizes}")
    if len(data) != 2 * count + sum(sizes):
        raise ReplyError(f"read reply has {len(data)} data bytes, lengths say {2 * count + sum(sizes)}")
    pos = 2 * count
    text, photo = data[pos:pos + TEXT_SIZE], data[pos + TEXT_SIZE:pos + TEXT_SIZE + PHOTO_SIZE]
    finger = data[pos + TEXT_SIZE + PHOTO_SIZE:] if fingerprint else None
    return CardData(text, photo, finger)


def card_from_reply(frame: Frame, fingerprint: bool = False) -> IdCard:
    """Decode a read reply into a card; raises ReplyError or CardDecodeError (both ValueError)."""
    blocks = parse_read_reply(frame, fingerprint)
    return decode_text(blocks.text, blocks.photo)


def card_response(card: IdCard, fingerprint: bytes | None = None) -> bytes:
    """The full read reply a reader sends for this card (simulator, tests)."""
    photo = card.photo.ljust(PHOTO_SIZE, b"\x00")[:PHOTO_SIZE]
    return build_read_response(encode_text(card), photo, fingerprint)


def encode_address(address: str) -> bytes:
    """70-byte UTF-16LE address block (reply data of 30 03)."""
    encoded = address.encode("utf-16le")
    if len(encoded) > ADDRESS_SIZE:
        raise ValueError("address too long")
    return encoded + " ".encode("utf-16le") * ((ADDRESS_SIZE - len(encoded)) // 2)


def decode_address(frame: Frame) -> str:
    """Address from a 30 03 reply; raises ReplyError."""
    if frame.sw3 != SW_SUCCESS or len(frame.data) != ADDRESS_SIZE:
        raise ReplyError("not a newest-address reply")
    try:
        return frame.data.decode("utf-16le").strip(" \x00")
    except UnicodeDecodeError as exc:
        raise ReplyError("address is not UTF-16LE") from exc
