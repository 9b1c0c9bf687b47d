"""TSPL specimen labels: what we send (``encode``) and what a printer would print from it (``decode``). Pure.

A label is one tube: its barcode (Code 128, the specimen number the LIS scans), the patient's name and ticket,
the tests drawn into it and the tube's cap colour. Text goes in the printer's built-in Simplified Chinese
font ``TSS24.BF2`` (24 x 24 dots), the whole job encoded GBK, as Chinese TSPL firmware expects.

    SIZE 50 mm,30 mm / GAP 2 mm,0 mm / DIRECTION 1 / CLS / TEXT ... / BARCODE ... / PRINT 1,1

Status: ``ESC ! ?`` asks for one status byte (0 ready; bit 0 head open, 1 paper jam, 2 paper out, 3 ribbon
out, 4 paused, 5 printing); silence is "unknown", never "ready".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

DOTS_PER_MM = 8  # 203 dpi
FONT = "TSS24.BF2"
ENCODING = "gbk"
STATUS_QUERY = b"\x1b!?"
_BITS = ((0, "head_open", "打印头未合上"), (1, "paper_jam", "卡纸"), (2, "paper_out", "标签纸用完"),
         (3, "ribbon_out", "碳带用完"), (4, "paused", "打印机已暂停"))


@dataclass(frozen=True)
class LabelSize:
    width_mm: int = 50
    height_mm: int = 30
    gap_mm: int = 2


@dataclass(frozen=True)
class SpecimenLabel:
    """One tube's label. ``name`` is the patient's full name: a specimen is identified by two identifiers (name and
    number) in staff hands, like the patient's own printed documents (spec/privacy.md)."""

    barcode: str
    name: str
    ticket: str
    tests: tuple[str, ...]
    tube: str  # 紫帽管 ...
    drawn_at: str = ""  # "12-07 08:15"
    copies: int = 1


@dataclass
class PrintedLabel:
    """What a printer makes of one PRINT: the texts and barcodes at their places, and how many copies."""

    size: LabelSize
    texts: list[tuple[int, int, str]] = field(default_factory=list)  # (x, y, text) in dots
    barcodes: list[tuple[int, int, int, str]] = field(default_factory=list)  # (x, y, height, content)
    copies: int = 1

    @property
    def text(self) -> str:
        return "\n".join(t for _, _, t in self.texts)


@dataclass(frozen=True)
class LabelStatus:
    known: bool
    ready: bool
    problems: tuple[str, ...] = ()
    message_zh: str = ""

    @classmethod
    def unknown(cls) -> "LabelStatus":
        return cls(False, False, ("no_answer",), "标签打印机无响应")


def parse_status(byte: int | None) -> LabelStatus:
    if byte is None:
        return LabelStatus.unknown()
    problems = tuple(name for bit, name, _ in _BITS if byte & (1 << bit))
    zh = "、".join(text for bit, _, text in _BITS if byte & (1 << bit))
    return LabelStatus(True, not problems, problems, zh)


def _quote(text: str) -> str:
    """A TSPL string: no double quotes or line breaks inside (a name never needs them)."""
    return '"' + re.sub(r'["\r\n]', " ", text) + '"'


def _fit(text: str, max_width: int) -> str:
    """Cut ``text`` to the label's width (a Chinese character is 24 dots wide, a Latin one 12), ending in …"""
    widths = [24 if ord(ch) > 0x7F else 12 for ch in text]
    if sum(widths) <= max_width:
        return text
    used, out = 0, []
    for ch, w in zip(text, widths):
        if used + w + 24 > max_width:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def encode(labels: list[SpecimenLabel], size: LabelSize = LabelSize()) -> bytes:
    """The TSPL job for ``labels`` (one PRINT per label), GBK-encoded."""
    width = size.width_mm * DOTS_PER_MM - 32
    lines = [f"SIZE {size.width_mm} mm,{size.height_mm} mm", f"GAP {size.gap_mm} mm,0 mm", "DIRECTION 1",
             "REFERENCE 0,0"]
    for label in labels:
        if not label.barcode or not re.fullmatch(r"[A-Za-z0-9-]{1,32}", label.barcode):
            raise ValueError(f"specimen barcode {label.barcode!r}: 1-32 letters, digits or '-'")
        lines += [
            "CLS",
            f"TEXT 16,12,{_quote(FONT)},0,1,1,{_quote(_fit(f'{label.name}  {label.ticket}', width))}",
            f'BARCODE 16,44,"128",64,1,0,2,4,{_quote(label.barcode)}',
            f"TEXT 16,140,{_quote(FONT)},0,1,1,{_quote(_fit('、'.join(label.tests), width))}",
            f"TEXT 16,172,{_quote(FONT)},0,1,1,{_quote(_fit(f'{label.tube}  {label.drawn_at}'.strip(), width))}",
            f"PRINT 1,{max(1, label.copies)}",
        ]
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


_ARGS = re.compile(r'"([^"]*)"|([^,\s]+)')


def _args(rest: str) -> list[str]:
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in _ARGS.finditer(rest)]


def decode(data: bytes) -> list[PrintedLabel]:
    """The labels a TSPL printer prints from ``data`` (status queries and unknown commands are skipped)."""
    text = data.replace(STATUS_QUERY, b"").decode(ENCODING, errors="replace")
    size = LabelSize()
    current = PrintedLabel(size)
    out: list[PrintedLabel] = []
    for raw in re.split(r"\r?\n", text):
        line = raw.strip()
        if not line:
            continue
        command, _, rest = line.partition(" ")
        command = command.upper()
        args = _args(rest)
        if command == "SIZE":
            nums = [int(float(n)) for n in re.findall(r"[0-9.]+", rest)[:2]]
            size = LabelSize(nums[0], nums[1], size.gap_mm)
        elif command == "GAP":
            size = LabelSize(size.width_mm, size.height_mm, int(float(re.findall(r"[0-9.]+", rest)[0])))
        elif command == "CLS":
            current = PrintedLabel(size)
        elif command == "TEXT" and len(args) >= 7:
            current.texts.append((int(args[0]), int(args[1]), args[6]))
        elif command == "BARCODE" and len(args) >= 9:
            current.barcodes.append((int(args[0]), int(args[1]), int(args[3]), args[8]))
        elif command == "PRINT":
            current.size = size
            current.copies = int(args[1]) if len(args) > 1 else 1
            out.append(current)
            current = PrintedLabel(size)
    return out
