"""Turn queue data into the exact text the speaker says (pure, no I/O).

Two texts exist for every call:

* the display text, shown on screens: ``请 A015 号 张* 到 3诊室 就诊``
* the speech text, fed to espeak-ng voice ``cmn-latn-pinyin``:
  ``请 A 零 一 五 号 张某某 到 3号诊室 就诊``

Rules for the speech text (each checked against ``espeak-ng -x``, no ``(en)``):

* tickets are read character by character: an upper-case Latin letter stays a
  letter (the pinyin voice reads single capitals by their Chinese letter names,
  e.g. ``A`` -> ``ei``), digits become Chinese digit characters (零 一 二 ...) so
  ``015`` is never read as a number;
* names never carry ``*`` (espeak says "asterisk"): by setting they are dropped,
  reduced to surname + 某某, or spoken in full when a full name is given;
* Latin letters anywhere (rooms, departments, notices: ``VIP诊室``, ``CT室``, ``MRI室``) are spelled one
  capital at a time, exactly like ticket letters (``V I P 诊室``): a word in Latin letters would otherwise be
  read with English phonemes or as one mangled syllable;
* rooms gain 号 after their number (``3诊室`` -> ``3号诊室``); numbers of three
  or more digits are read digit by digit (``103诊室`` -> ``一 零 三 号诊室``).
"""
from __future__ import annotations

import re
import string
from typing import Literal

NameMode = Literal["none", "surname", "full"]
NAME_MODES: tuple[str, ...] = ("none", "surname", "full")

DEFAULT_CALL_TEMPLATE = "请 {ticket} 号 {name} 到 {room} 就诊"

CHINESE_DIGITS = "零一二三四五六七八九"

# Two-character surnames; a full name starting with one keeps both characters.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 轩辕 "
    "端木 独孤 南宫 西门 百里 呼延 万俟 闻人 赫连 澹台 公羊 太史 申屠 钟离 宗政".split()
)

# Characters espeak reads aloud by name, or that mean nothing when spoken.
_UNSPEAKABLE = re.compile(r"[*#_~^|<>\\/\[\]{}=+@&]")
_SPACES = re.compile(r"\s+")
_LATIN_RUN = re.compile(r"[A-Za-z]+")
_ROOM_NUMBER = re.compile(r"(\d+)\s*(?:号)?\s*(?=诊室|诊间|诊台|窗口|室)")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def digits_one_by_one(digits: str) -> str:
    """``"015"`` -> ``"零 一 五"``."""
    return " ".join(CHINESE_DIGITS[int(d)] for d in digits)


def spoken_ticket(ticket: str) -> str:
    """``"A015"`` -> ``"A 零 一 五"``: letters and digits read one at a time.

    Anything that is not an ASCII letter or digit (``-``, spaces) is dropped.
    """
    parts: list[str] = []
    for ch in ticket.strip():
        if ch in string.digits:
            parts.append(CHINESE_DIGITS[int(ch)])
        elif ch in string.ascii_letters:
            parts.append(ch.upper())
    return " ".join(parts)


def surname_of(name: str) -> str:
    """The surname of a full or masked Chinese name, or ``""`` if there is none.

    ``"欧阳娜娜"`` -> ``"欧阳"``; ``"王*明"`` -> ``"王"``; ``"欧**娜"`` -> ``"欧"``
    (a mask hides the second character, so only the first is known).
    """
    name = name.strip()
    if not name or not _is_cjk(name[0]):
        return ""
    if "*" in name:
        head = name.split("*", 1)[0]
        return head if head and all(_is_cjk(c) for c in head) else ""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[0]


def spoken_name(name: str | None, mode: NameMode = "surname") -> str:
    """The name as spoken: ``""`` (mode none), ``"张某某"`` (surname) or the full name.

    Mode ``"full"`` speaks the name only when it is a complete Chinese name;
    given a masked name it falls back to surname + 某某. Non-Chinese names are
    not spoken (the voice would read them as English letters); the ticket
    identifies the patient.
    """
    if mode not in NAME_MODES:
        raise ValueError(f"name_mode must be one of {NAME_MODES}, not {mode!r}")
    name = (name or "").strip()
    if mode == "none" or not name:
        return ""
    if mode == "full" and "*" not in name and all(_is_cjk(c) for c in name):
        return name
    surname = surname_of(name)
    return f"{surname}某某" if surname else ""


def spell_latin(text: str) -> str:
    """``"VIP诊室"`` -> ``"V I P 诊室"``: each Latin letter read alone, by the same letter names as tickets."""
    return _SPACES.sub(" ", _LATIN_RUN.sub(lambda m: " " + " ".join(m.group(0).upper()) + " ", text)).strip()


def spoken_room(room: str) -> str:
    """``"3诊室"`` -> ``"3号诊室"``; ``"103诊室"`` -> ``"一 零 三 号诊室"``."""

    def number(match: re.Match[str]) -> str:
        digits = match.group(1)
        if len(digits) >= 3:
            return f" {digits_one_by_one(digits)} 号"
        return f"{digits}号"

    text = _ROOM_NUMBER.sub(number, room.strip())
    return spell_latin(_UNSPEAKABLE.sub("", text))


def speakable(text: str) -> str:
    """Free text (a broadcast notice) made safe to speak: no ``*`` or other symbols, Latin letters spelled."""
    return spell_latin(_UNSPEAKABLE.sub(" ", text))


def call_text(
    template: str,
    ticket: str,
    name: str | None,
    room: str,
    name_mode: NameMode = "surname",
) -> str:
    """The exact string to speak for a call.

    >>> call_text(DEFAULT_CALL_TEMPLATE, "A015", "张*", "3诊室", "surname")
    '请 A 零 一 五 号 张某某 到 3号诊室 就诊'
    """
    values = {
        "ticket": spoken_ticket(ticket),
        "name": spoken_name(name, name_mode),
        "room": spoken_room(room),
    }
    try:
        filled = template.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"call template {template!r} may only use {{ticket}}, {{name}}, {{room}}: {exc}"
        ) from exc
    return speakable(filled)


def mask_name(name: str) -> str:
    """Display mask: 张三 -> 张*, 王小明 -> 王*明, 欧阳娜娜 -> 欧**娜 (already masked: unchanged)."""
    name = (name or "").strip()
    if "*" in name or len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def display_text(template: str, ticket: str, name: str | None, room: str) -> str:
    """The text for screens: ticket as printed, masked name, room as configured.

    >>> display_text(DEFAULT_CALL_TEMPLATE, "A015", "张三", "3诊室")
    '请 A015 号 张* 到 3诊室 就诊'
    """
    values = {"ticket": ticket.strip(), "name": mask_name(name or ""), "room": room.strip()}
    try:
        filled = template.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"call template {template!r} may only use {{ticket}}, {{name}}, {{room}}: {exc}"
        ) from exc
    return _SPACES.sub(" ", filled).strip()
