"""Citizen ID numbers: GB 11643 check character (ISO 7064 MOD 11-2), validation, masking.

Accepted forms:
- 18 characters (resident cards, 81/82/83 permits for Hong Kong, Macao and Taiwan residents,
  2023 foreigner numbers starting with 9): birth date YYYYMMDD at 7-14, check character last;
- 15 digits (old numbers): birth date YYMMDD (19YY) at 7-12, no check character;
- 2017 foreigner numbers: 3 letters + 12 digits, no check character.
"""
from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# First two digits of an 18-digit number: provinces (GB/T 2260), 71 Taiwan,
# 81/82/83 residence permits, 9x foreigner numbers (2023).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
_FOREIGN_2017 = re.compile(r"[A-Z]{3}\d{12}")

MSG_EMPTY = "请输入身份证号码。"
MSG_LENGTH = "身份证号码应为18位，请核对后重新输入。"
MSG_CHARS = "身份证号码只能包含数字，最后一位可以是X，请核对后重新输入。"
MSG_AREA = "身份证号码开头的地区代码不正确，请核对后重新输入。"
MSG_BIRTH = "身份证号码中的出生日期不正确，请核对后重新输入。"
MSG_CHECK = "身份证号码最后一位校验码不正确，请核对后重新输入。"


def normalize_id_number(text: str) -> str:
    """Strip spaces and upper-case a typed number (x -> X; a full-width Ｘ too)."""
    return "".join(text.split()).replace("Ｘ", "X").upper()


def check_char(first17: str) -> str:
    """Check character for the first 17 digits (raises ValueError on bad input)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_char needs exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def _birth_ok(yyyymmdd: str, today: date) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return date(1890, 1, 1) <= born <= today


def validate_id_number(text: str, today: date | None = None) -> tuple[bool, str]:
    """Check an ID number; returns (ok, reason_zh). reason_zh is "" when ok."""
    today = today or date.today()
    s = normalize_id_number(text)
    if not s:
        return False, MSG_EMPTY
    if len(s) == 15 and _FOREIGN_2017.fullmatch(s):
        return True, ""
    if len(s) == 15:
        if not s.isascii() or not s.isdigit():
            return False, MSG_CHARS
        if s[:2] not in _PROVINCES:
            return False, MSG_AREA
        return (True, "") if _birth_ok("19" + s[6:12], today) else (False, MSG_BIRTH)
    if len(s) != 18:
        return False, MSG_LENGTH
    if not s.isascii() or not s[:17].isdigit() or not (s[17].isdigit() or s[17] == "X"):
        return False, MSG_CHARS
    if s[0] != "9" and s[:2] not in _PROVINCES:
        return False, MSG_AREA
    if not _birth_ok(s[6:14], today):
        return False, MSG_BIRTH
    if check_char(s[:17]) != s[17]:
        return False, MSG_CHECK
    return True, ""




def make_id_number(area6: str, birth: date, seq3: int | str) -> str:
    """Build a valid 18-character number (demo data): area code, birth date, sequence, check char."""
    if len(area6) != 6 or not area6.isdigit():
        raise ValueError("area code must be 6 digits")
    seq = int(seq3)
    if not 0 <= seq <= 999:
        raise ValueError("sequence must be 0..999")
    first17 = f"{area6}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)
