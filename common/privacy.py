"""What each audience may see and hear of a patient: the one home of the masking rules.

Every package (service, records, console, displays, speech, printer, kiosk, phone pages) calls these functions;
none keeps its own copy. The rules and their normative examples are in docs/security.md (from the hospital's
privacy specification):

- names on public surfaces keep the first character and, for names of three or more characters, the last one;
  every other character becomes ``*`` (one star per character), separators (``·`` ``•`` spaces) are kept, and a
  word in Latin letters keeps its first letter only. A one-character name shows as ``*``.
- spoken names are the surname + 某某 where a surname can be told (compound surnames included); a one-character
  name, a name with a separator or in Latin letters is spoken as 患者.
- resident ID numbers keep the first 6 and the last 4 characters, other documents the first 1 and last 2 with at
  least half masked; phones the first 3 only (their last four digits are a second factor); medical cards the
  prefix and the last 3.
- a mask hides what it hides from every answer at once: a masked resident ID number is never sent beside the
  birth date (its hidden digits), and the phone's last four digits appear nowhere.

Pure functions, no I/O, no imports from the rest of the project, so that any package may use them.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Literal

ScreenNameMode = Literal["masked", "none"]
SpeechNameMode = Literal["none", "surname", "full"]
SPEECH_NAME_MODES: tuple[str, ...] = ("none", "surname", "full")

#: What a name without a speakable surname is called in speech ("请 A001 号患者 到 …").
SPOKEN_NO_NAME = "患者"

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯 轩辕 端木 独孤 南宫 西门 百里 呼延 澹台 "
    "公羊 闻人 万俟 申屠 太叔 钟离 宗政 濮阳 淳于 单于 仲孙 赫连 第五 左丘 东郭 拓跋 夹谷 谷梁 段干 "
    "乐正 壤驷 公冶 公良 漆雕 巫马 司寇 子车 颛孙 梁丘 东门 羊舌 微生 公西 南门 亓官".split()
)

#: Characters that separate the parts of a name; kept as they are when masking.
NAME_SEPARATORS = frozenset("·•・．. \u3000-")

_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_RESIDENT_ID = re.compile(r"^(\d{17}[\dXx]|\d{15})$")
_MOBILE = re.compile(r"^1\d{10}$")


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x3134F
            or 0xF900 <= cp <= 0xFAFF or cp == 0x3007)


def _has_latin(text: str) -> bool:
    return bool(_LATIN.search(text))


def mask_name(name: str | None) -> str:
    """A name as public surfaces show it: 李 -> ``*``, 王小明 -> ``王*明``, 买买提·艾力 -> ``买**·*力``.

    Never shows every character of a name; masking a masked name never shows more (and changes nothing for
    Chinese names). A name mixing Chinese and Latin letters follows the positional rule.
    """
    return _masked(name or "")


@lru_cache(maxsize=8192)  # each event and list masks the same few thousand names of the day again
def _masked(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if _has_latin(name) and not any(_is_cjk(ch) for ch in name):
        return _mask_latin(name)
    letters = [i for i, ch in enumerate(name) if ch not in NAME_SEPARATORS]
    keep: set[int] = set()
    if len(letters) == 2:
        keep = {letters[0]}
    elif len(letters) >= 3:
        keep = {letters[0], letters[-1]}
    return "".join(ch if (ch in NAME_SEPARATORS or i in keep) else "*" for i, ch in enumerate(name))


def _mask_latin(name: str) -> str:
    """Each word keeps its first letter: ``Mary Smith`` -> ``M*** S****``; a name of one letter is ``*``."""
    out: list[str] = []
    first_of_word = True
    for ch in name:
        if ch in NAME_SEPARATORS:
            out.append(ch)
            first_of_word = True
        else:
            out.append(ch if first_of_word else "*")
            first_of_word = False
    masked = "".join(out)
    if "*" not in masked:  # every word is one letter long: nothing may stay
        return "".join(ch if ch in NAME_SEPARATORS else "*" for ch in name)
    return masked


def screen_name(name: str | None, mode: ScreenNameMode = "masked") -> str:
    """The name for a public screen per the area's ``screen_name`` rule: masked, or nothing."""
    return "" if mode == "none" else mask_name(name)


def surname(name: str | None) -> str:
    """The family name of a full Chinese name, or ``""`` when none can be told.

    ``欧阳娜娜`` -> ``欧阳``; ``王小明`` -> ``王``; ``李`` (one character), ``买买提·艾力`` (a separator: 买买提 is a
    given name, not a surname) and Latin names have none. A masked name (``王*明``) gives its first character.
    """
    name = (name or "").strip()
    if len(name) < 2 or not _is_cjk(name[0]) or _has_latin(name):
        return ""
    if any(ch in NAME_SEPARATORS for ch in name):
        return ""
    if "*" not in name and len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[0]


def spoken_name(name: str | None, mode: SpeechNameMode = "surname") -> str:
    """The name as the speakers say it: ``""`` (mode none), ``王某某`` / ``患者`` (surname), or the full name.

    Mode ``full`` speaks a complete Chinese name as it is; a masked or Latin name falls back to the surname rule
    (espeak-ng's Mandarin voice cannot read Latin names, and a masked name has no full form).
    """
    if mode not in SPEECH_NAME_MODES:
        raise ValueError(f"speech_name must be one of {SPEECH_NAME_MODES}, not {mode!r}")
    name = (name or "").strip()
    if mode == "none" or not name:
        return ""
    if mode == "full" and "*" not in name and not _has_latin(name) and all(
            _is_cjk(ch) or ch in NAME_SEPARATORS for ch in name):
        return name
    family = surname(name)
    return f"{family}某某" if family else SPOKEN_NO_NAME


def _mask_keep(text: str, head: int, tail: int) -> str:
    """Keep ``head`` and ``tail`` characters, mask the rest, with at least half of the characters masked."""
    n = len(text)
    masked = max(n - head - tail, math.ceil(n / 2))
    kept = n - masked
    head = min(head, kept)
    tail = max(0, kept - head)
    return text[:head] + "*" * masked + (text[n - tail:] if tail else "")


def mask_id_number(number: str | None) -> str:
    """ID document numbers for the patient and staff (never public).

    Resident ID (18 or 15 digits): first 6 and last 4 kept, ``110101********803X``; other documents (passport,
    permits): first 1 and last 2 kept, at least half masked, ``E******78``.
    """
    number = (number or "").strip()
    if not number:
        return ""
    if _RESIDENT_ID.match(number):
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    return _mask_keep(number, 1, 2)


def mask_phone(phone: str | None) -> str:
    """``13812345678`` -> ``138********``: the first 3 digits only. The last four digits of the phone on record
    are the second factor of a patient session (a typed ID or card number), so no screen, slip or answer shows
    them, not even in part; other numbers keep at most the first 3, at least half masked."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if _MOBILE.match(phone):
        return phone[:3] + "*" * 8
    return _mask_keep(phone, 3, 0)


def mask_card_number(card: str | None) -> str:
    """Medical card numbers: the prefix (letters and the two characters after them) and the last 3 kept,
    ``MC26000123`` -> ``MC26***123``."""
    card = (card or "").strip()
    if not card:
        return ""
    letters = len(card) - len(card.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    head = letters + 2 if letters else 2
    if len(card) - head - 3 < 2:
        return _mask_keep(card, 2, 3)
    return card[:head] + "*" * (len(card) - head - 3) + card[-3:]


def mask_any_number(text: str | None) -> str:
    """A number whose kind is not known (audit detail, logs): the stricter of the rules above."""
    text = (text or "").strip()
    if _RESIDENT_ID.match(text):
        return mask_id_number(text)
    if _MOBILE.match(text):
        return mask_phone(text)
    return _mask_keep(text, 1, 2) if text else ""


__all__ = [
    "COMPOUND_SURNAMES", "NAME_SEPARATORS", "SPOKEN_NO_NAME", "SPEECH_NAME_MODES", "ScreenNameMode",
    "SpeechNameMode", "mask_any_number", "mask_card_number", "mask_id_number", "mask_name", "mask_phone",
    "screen_name", "spoken_name", "surname",
]
