"""HL7 v2.5 messages, pure: character sets (MSH-18), decoding a block, reading fields, building our messages and ACKs.

Parsing is python-hl7's (`hl7.parse`). Values we write are escaped for the five delimiters only: Chinese text goes
as itself in the message's character set (UTF-8 or GB18030, said in MSH-18), never as \\X..\\ escapes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

import hl7

# MSH-18 (HL7 table 0211 and the names Chinese HIS vendors send) -> Python codec
CHARSETS = {
    "UNICODE UTF-8": "utf-8", "UTF-8": "utf-8", "UTF8": "utf-8",
    "GB 18030-2000": "gb18030", "GB18030": "gb18030", "GB 18030": "gb18030", "GBK": "gb18030", "GB2312": "gb18030",
    "ASCII": "ascii", "8859/1": "latin-1",
}
MSH18 = {"UTF-8": "UNICODE UTF-8", "GB18030": "GB 18030-2000"}
SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6")
HL7_TIME = "%Y%m%d%H%M%S"


class Hl7Reject(Exception):
    """A message we do not take: ``code`` AR (rejected: not a message we understand) or AE (application error:
    understood, but it cannot be applied). ``reason`` goes back in MSA-3 and ERR, ``hl7_error`` is HL7 table 0357."""

    def __init__(self, code: str, reason: str, hl7_error: str = "207"):
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.hl7_error = hl7_error


def codec_of(msh18: str) -> str | None:
    return CHARSETS.get(msh18.strip().upper()) if msh18.strip() else None


def decode_block(block: bytes) -> tuple[hl7.Message, str]:
    """Decode one MLLP block by the character set its MSH-18 names; without one, UTF-8 if it is valid, else
    GB18030 (what Chinese HIS send unannounced). Returns the parsed message and the codec used (for the ACK)."""
    if not block.startswith(b"MSH"):
        raise Hl7Reject("AR", "the message does not start with an MSH segment", "100")
    header = block.split(b"\r", 1)[0]
    delimiter = header[3:4]
    fields = header.split(delimiter) if delimiter else []
    named = codec_of(fields[17].decode("latin-1")) if len(fields) > 17 else None
    if named:
        codec = named
    else:
        try:
            block.decode("utf-8")
            codec = "utf-8"
        except UnicodeDecodeError:
            codec = "gb18030"
    try:
        text = block.decode(codec)
    except UnicodeDecodeError:
        raise Hl7Reject("AR", f"the message is not valid {codec} as MSH-18 says", "103") from None
    try:
        return hl7.parse(text.replace("\n", "\r").strip("\r")), codec
    except Exception as exc:  # python-hl7 raises plain errors on a broken structure
        raise Hl7Reject("AR", f"the message cannot be parsed: {exc}", "102") from None


def field(message: hl7.Message, path: str, default: str = "") -> str:
    """A value by python-hl7 accessor (``PID.F3.R1.C1``), unescaped; '' when absent."""
    try:
        value = message[path]
    except (KeyError, IndexError):
        return default
    text = str(value) if value is not None else ""
    return message.unescape(text) if text else default


def raw(segment: Any, number: int) -> str:
    """Field `number` of one segment as written (still escaped, repetitions and components joined)."""
    try:
        return str(segment(number))
    except (IndexError, KeyError):
        return ""


def seg_field(segment: Any, number: int, repeat: int = 1, component: int = 1, sub: int = 1) -> str:
    """Field `number` (repeat, component, subcomponent) of one segment, unescaped; '' when absent."""
    reps = raw(segment, number).split("~")
    if repeat > len(reps):
        return ""
    comps = reps[repeat - 1].split("^")
    if component > len(comps):
        return ""
    subs = comps[component - 1].split("&")
    return _unescape(subs[sub - 1]) if sub <= len(subs) else ""


def repeats(segment: Any, number: int) -> list[str]:
    """Every repetition of a field, as written (components still joined by ^)."""
    return [r for r in raw(segment, number).split("~") if r]


def components(text: str) -> list[str]:
    return [_unescape(p) for p in text.split("^")]


def segments(message: hl7.Message, name: str) -> list[Any]:
    try:
        return list(message.segments(name))
    except KeyError:
        return []


def message_type(message: hl7.Message) -> tuple[str, str]:
    return field(message, "MSH.F9.R1.C1").upper(), field(message, "MSH.F9.R1.C2").upper()


def parse_ts(value: str) -> datetime | None:
    """An HL7 TS (YYYY[MM[DD[HH[MM[SS]]]]], fractions and zone ignored) as naive hospital time."""
    digits = value.split("+")[0].split("-")[0].split(".")[0].strip()
    if len(digits) < 8 or not digits.isdigit():
        return None
    digits = (digits + "000000")[:14]
    try:
        return datetime.strptime(digits, HL7_TIME)
    except ValueError:
        return None


def parse_date(value: str) -> date | None:
    moment = parse_ts(value)
    return moment.date() if moment else None


def ts(moment: datetime) -> str:
    return moment.strftime(HL7_TIME)


# -------------------------------------------------------------------------------------------------- writing
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


def esc(value: Any) -> str:
    """A value written into a field: the delimiters escaped, line breaks as spaces, everything else as itself."""
    if value is None:
        return ""
    text = str(value).replace("\r", " ").replace("\n", " ")
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    for raw, escaped in reversed(_ESCAPES):
        text = text.replace(escaped, raw)
    return text


def comp(*values: Any) -> str:
    """Components of one field, each escaped: comp("P001", "", "", "HIS", "MR") -> P001^^^HIS^MR."""
    return "^".join(esc(v) for v in values).rstrip("^")


def segment(name: str, *fields: str) -> str:
    """A segment from already-escaped fields (field 1 first); trailing empty fields dropped."""
    values = list(fields)
    while values and values[-1] == "":
        values.pop()
    return "|".join([name, *values])


@dataclass(frozen=True)
class Header:
    """Who we are and who we talk to (from [his.hl7v2]); the message's time, id and character set."""

    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    processing_id: str = "P"
    charset: str = "UTF-8"  # UTF-8 | GB18030

    def msh(self, kind: str, event: str, structure: str, control_id: str, at: datetime) -> str:
        return segment("MSH", "^~\\&", esc(self.sending_application), esc(self.sending_facility),
                       esc(self.receiving_application), esc(self.receiving_facility), ts(at), "",
                       f"{kind}^{event}^{structure}", esc(control_id), self.processing_id, "2.5", "", "", "AL", "NE",
                       "CHN", MSH18[self.charset])

    @property
    def codec(self) -> str:
        return CHARSETS[MSH18[self.charset]]


def join(*segments_: str | Iterable[str]) -> str:
    out: list[str] = []
    for s in segments_:
        if isinstance(s, str):
            out.append(s)
        else:
            out.extend(s)
    return "\r".join(out) + "\r"


CONTROL_ID_PLACEHOLDER = "{control_id}"


def with_control_id(text: str, control_id: str) -> str:
    """Our outbound messages are stored with a placeholder in MSH-10, filled in from the outbox row at sending
    (the same id at every attempt, so the HIS can drop a repeat)."""
    return text.replace(CONTROL_ID_PLACEHOLDER, esc(control_id), 1)


def ack(message: hl7.Message | None, code: str, reason: str, control_id: str, at: datetime,
        charset: str = "UTF-8", application: str = "KIOSK", facility: str = "HOSPITAL", hl7_error: str = "") -> str:
    """The ACK of a message: MSA-1 AA/AE/AR, MSA-2 its control id, MSA-3 the reason; ERR for AE/AR."""
    if message is not None:
        their_app, their_fac = field(message, "MSH.F3"), field(message, "MSH.F4")
        event = field(message, "MSH.F9.R1.C2")
        their_id = field(message, "MSH.F10")
        version = field(message, "MSH.F12") or "2.5"
        processing = field(message, "MSH.F11") or "P"
    else:
        their_app = their_fac = event = their_id = ""
        version, processing = "2.5", "P"
    name = {"utf-8": "UNICODE UTF-8", "gb18030": "GB 18030-2000"}.get(charset.lower(), "UNICODE UTF-8")
    msh = segment("MSH", "^~\\&", esc(application), esc(facility), esc(their_app), esc(their_fac), ts(at), "",
                  f"ACK^{esc(event)}^ACK" if event else "ACK", esc(control_id), esc(processing), esc(version),
                  "", "", "", "", "CHN", name)
    out = [msh, segment("MSA", code, esc(their_id), esc(reason))]
    if code != "AA":
        out.append(segment("ERR", "", "", comp(hl7_error or "207", "", "HL70357"), "E", "", "", "", esc(reason)))
    return "\r".join(out) + "\r"
