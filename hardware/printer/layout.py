"""Width-aware text layout for the printer: a character that the printer draws double-byte takes 2 columns.

Pure functions. Columns are counted the way the printer counts them: in Chinese mode every character
that encodes to more than one byte (汉字, ￥, ：, ↑) is printed 24 dots wide, i.e. two 12-dot columns.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Literal

Align = Literal["left", "center", "right"]


GBK_SUBSTITUTES = {
    "\u00b5": "\u03bc",  # µ micro sign -> μ Greek mu (µmol/L -> μmol/L)
    "\u2126": "\u03a9",  # Ω ohm sign -> Ω
    "\u212a": "K",  # K kelvin sign
    "\u2212": "-",  # − minus sign
    "\u2011": "-",  # non-breaking hyphen
    "\u2022": "\u00b7",  # • bullet -> ·
    "\u00a0": " ",  # no-break space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
}
"""Medical and typographic characters outside GBK and their GBK forms. A character with no GBK form
(m², 10⁹/L, ®) is printed as a raster image with the bundled font (SlipWriter), never as ``?``."""


def printable(text: str, encoding: str = "gbk") -> str:
    """text with every character the encoding lacks replaced by its GBK form when there is one."""
    out = []
    for ch in text:
        try:
            ch.encode(encoding)
            out.append(ch)
        except UnicodeEncodeError:
            out.append(GBK_SUBSTITUTES.get(ch, ch))
    return "".join(out)


def encodable(text: str, encoding: str = "gbk") -> bool:
    try:
        text.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def encode_text(text: str, encoding: str) -> bytes:
    """Encode for the printer after the GBK substitutions; a character still missing becomes '?' (the slip
    writer prints such a line as an image instead, so this is only a last resort)."""
    return printable(text, encoding).encode(encoding, errors="replace")


def char_columns(ch: str, encoding: str = "gbk") -> int:
    """1 for a single-byte character, 2 for a double-byte (or GB18030 four-byte) one.

    A character the encoding lacks (printed as an image) takes the columns of its East Asian width.
    """
    ch = GBK_SUBSTITUTES.get(ch, ch) if not encodable(ch, encoding) else ch
    try:
        return 1 if len(ch.encode(encoding)) == 1 else 2
    except UnicodeEncodeError:
        return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_columns(text: str, encoding: str = "gbk") -> int:
    """Printed width of text in columns."""
    return sum(char_columns(ch, encoding) for ch in text)


def fit(text: str, width: int, align: Align = "left", encoding: str = "gbk") -> str:
    """Pad (or cut) text to exactly width columns."""
    out, used = [], 0
    for ch in text:
        w = char_columns(ch, encoding)
        if used + w > width:
            break
        out.append(ch)
        used += w
    text, gap = "".join(out), width - used
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(
    rf"[(（\[【][^()（）\[\]【】\n]*[)）\]】]"  # a bracketed term: (eGFR), （EDTA抗凝）
    rf"|[^\s{_CJK}]+"  # a number, a unit or a Latin word: 11.8, mL/min/1.73m², 10^9/L
    rf"|\s+"
    rf"|.",
    re.S,
)


def wrap(text: str, width: int, encoding: str = "gbk") -> list[str]:
    """Break text into lines of at most width columns.

    Never splits a number, a unit, a Latin word or a bracketed term (``mL/min/1.73m²``, ``(eGFR)``) unless it is
    longer than a whole line; Chinese breaks between any two characters. Newlines in text start a new line.
    """
    if width < 2:
        raise ValueError("width must be at least 2 columns")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current, used = "", 0
        for token in _TOKEN.findall(paragraph):
            w = text_columns(token, encoding)
            if token.isspace():
                if used + w <= width:
                    current, used = current + token, used + w
                else:
                    lines.append(current.rstrip(" "))
                    current, used = "", 0
                continue
            if used + w <= width:
                current, used = current + token, used + w
                continue
            if current.strip():
                lines.append(current.rstrip(" "))
                current, used = "", 0
            if w <= width:
                current, used = token, w
                continue
            for ch in token:  # longer than a line: it has to be cut
                cw = char_columns(ch, encoding)
                if used + cw > width:
                    lines.append(current)
                    current, used = "", 0
                current, used = current + ch, used + cw
        lines.append(current.rstrip(" "))
    return lines


def columns_row(cells: list[tuple[str, int, Align]], encoding: str = "gbk", gap: int = 1) -> list[str]:
    """Lay out one table row: each cell (text, width, align) wraps within its width.

    Returns one or more printed lines; cells are separated by gap spaces.
    """
    wrapped = [wrap(text, width, encoding) if text else [""] for text, width, _ in cells]
    height = max(len(w) for w in wrapped)
    lines = []
    for i in range(height):
        parts = []
        for (_text, width, how), lines_of_cell in zip(cells, wrapped):
            piece = lines_of_cell[i] if i < len(lines_of_cell) else ""
            parts.append(fit(piece, width, how, encoding))
        lines.append((" " * gap).join(parts).rstrip(" "))
    return lines


def label_value(label: str, value: str, width: int, encoding: str = "gbk") -> list[str]:
    """'label' left and 'value' right on one line, or value on its own right-aligned line if it does not fit."""
    lw, vw = text_columns(label, encoding), text_columns(value, encoding)
    if lw + 1 + vw <= width:
        return [label + " " * (width - lw - vw) + value]
    return wrap(label, width, encoding) + [fit(line, width, "right", encoding) for line in wrap(value, width, encoding)]


def format_fen(fen: int) -> str:
    """Integer fen as yuan with the full-width yen sign: 1250 -> '￥12.50', -300 -> '-￥3.00'."""
    if not isinstance(fen, int):
        raise TypeError("money is integer fen")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}\uffe5{yuan}.{cents:02d}"


def format_fen_yuan(fen: int) -> str:
    """Integer fen as '12.50元'."""
    if not isinstance(fen, int):
        raise TypeError("money is integer fen")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}元"
