"""ID numbers (GB 11643) for records (masking is the `privacy` package's). Pure, no I/O.

The check character, normalizing and validation are the ID card reader's (hardware/idcard/idnumber.py), once.
"""
from __future__ import annotations

import re

from hardware.idcard.idnumber import check_char, normalize_id_number, validate_id_number
from records.errors import RecordsError, invalid_id_number


def make_id_number(first17: str) -> str:
    """17 digits plus the computed check character."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError("need exactly 17 digits")
    return first17 + check_char(first17)


def check_id_number(raw: str) -> str:
    """Return the normalized number or raise RecordsError(invalid_id_number) with the reader package's reason.

    18-character numbers must pass the GB 11643 check; old 15-digit and 2017 foreigner numbers have none.
    """
    number = normalize_id_number(raw or "")
    ok, reason_zh = validate_id_number(number)
    if not ok:
        raise invalid_id_number(reason_zh.removesuffix("。").removesuffix("，请核对后重新输入"), "it does not pass the GB 11643 check")
    return number


def gender_from_id(number: str) -> str | None:
    """男 for an odd sequence digit, 女 for an even one (18-digit numbers; None otherwise)."""
    return ("男" if int(number[16]) % 2 else "女") if len(number) == 18 and number[16].isdigit() else None


def birth_date_from_id(number: str) -> str | None:
    """YYYY-MM-DD from positions 7-14 of an 18-digit number (None otherwise)."""
    return f"{number[6:10]}-{number[10:12]}-{number[12:14]}" if len(number) == 18 and number[0] != "9" else None


__all__ = [
    "RecordsError", "check_char", "make_id_number", "check_id_number", "gender_from_id", "birth_date_from_id",
    "normalize_id_number",
]
