"""Turn queue data into the exact text the speaker says and the screens show (pure, no I/O).

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
  reduced to surname + 某某 (患者 where no surname can be told), or spoken in full
  when a full name is given (``privacy.spoken_name``);
* Latin letters anywhere (rooms, departments, notices: ``VIP诊室``, ``CT室``, ``MRI室``) are spelled one
  capital at a time, exactly like ticket letters (``V I P 诊室``): a word in Latin letters would otherwise be
  read with English phonemes or as one mangled syllable;
* rooms gain 号 after their number (``3诊室`` -> ``3号诊室``); numbers of three
  or more digits are read digit by digit (``103诊室`` -> ``一 零 三 号诊室``).
"""
from __future__ import annotations

import re
import string

from common.privacy import SpeechNameMode as NameMode
from common.privacy import mask_name, spoken_name  # names: the privacy package's rules

DEFAULT_CALL_TEMPLATE = "请 {ticket} 号 {name} 到 {room} 就诊"

CHINESE_DIGITS = "零一二三四五六七八九"


# Characters espeak reads aloud by name, or that mean nothing when spoken.
_UNSPEAKABLE = re.compile(r"[*#_~^|<>\\/\[\]{}=+@&]")
_SPACES = re.compile(r"\s+")
_LATIN_RUN = re.compile(r"[A-Za-z]+")
_ROOM_NUMBER = re.compile(r"(\d+)\s*(?:号)?\s*(?=诊室|诊间|诊台|窗口|室)")


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
