"""Width-aware text layout for the printer: a character that the printer draws double-byte takes 2 columns.

Pure functions. Columns are counted the way the printer counts them: in Chinese mode every character
that encodes to more than one byte (汉字, ￥, ：, ↑) is printed 24 dots wide, i.e. two 12-dot columns.
"""
from __future__ import annotations

from typing import Literal

Align = Literal["left", "center", "right"]


def encode_text(text: str, encoding: str) -> bytes:
    """Encode for the printer; a character the encoding lacks becomes '?' rather than failing the job."""
    return text.encode(encoding, errors="replace")


def char_columns(ch: str, encoding: str = "gbk") -> int:
    """1 for a single-byte character, 2 for a double-byte (or GB18030 four-byte) one."""
    return 1 if len(encode_text(ch, encoding)) == 1 else 2


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


def wrap(text: str, width: int, encoding: str = "gbk") -> list[str]:
    """Break text into lines of at most width columns, never splitting a character.

    A Latin word that would be cut moves to the next line when it follows a space; Chinese breaks anywhere.
    Newlines in text start a new line.
    """
    if width < 2:
        raise ValueError("width must be at least 2 columns")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current, used = "", 0
        for ch in paragraph:
            w = char_columns(ch, encoding)
            if used + w > width:
                in_word = ch != " " and ch.isascii() and current[-1:].isascii() and current[-1:] != " "
                cut = current.rfind(" ")
                if in_word and cut > 0:
                    lines.append(current[:cut].rstrip(" "))
                    current = current[cut + 1 :]
                else:
                    lines.append(current.rstrip(" "))
                    current = ""
                used = text_columns(current, encoding)
                if ch == " " and not current:
                    continue
            current += ch
            used += w
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
        for (text, width, how), lines_of_cell in zip(cells, wrapped):
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
