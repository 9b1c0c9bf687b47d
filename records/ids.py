"""ID numbers (GB 11643) for records (masking is the `privacy` package's). Pure, no I/O.

Uses `hardware.idcard.idnumber` (validate_id_number) when it is installed.
"""
from __future__ import annotations

import re

from records.errors import RecordsError, invalid_id_number

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_BODY = re.compile(r"^\d{17}[\dX]$")


def check_char(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for 17 digits."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def make_id_number(first17: str) -> str:
    """17 digits plus the computed check character."""
    if not re.fullmatch(r"\d{17}", first17):
        raise ValueError("need exactly 17 digits")
    return first17 + check_char(first17)


def normalize_id_number(raw: str) -> str:
    """Upper-cased, spaces removed; a full-width Ｘ becomes X."""
    return "".join(raw.split()).replace("Ｘ", "X").upper()


def check_id_number(raw: str) -> str:
    """Return the normalized number or raise RecordsError(invalid_id_number) with the reader package's reason.

    18-character numbers must pass the GB 11643 check; old 15-digit and 2017 foreigner numbers have none.
    """
    number = normalize_id_number(raw or "")
    try:
        from hardware.idcard.idnumber import validate_id_number
    except ImportError:  # records stands alone without the hardware package
        validate_id_number = None
    if validate_id_number is not None:
        ok, reason_zh = validate_id_number(number)
        if not ok:
            raise invalid_id_number(reason_zh.removesuffix("。").removesuffix("，请核对后重新输入"), "it does not pass the GB 11643 check")
        return number
    if len(number) != 18 or not _BODY.match(number):
        raise invalid_id_number("应为18位数字，最后一位可以是X", "it must be 17 digits then a digit or X")
    if check_char(number[:17]) != number[17]:
        raise invalid_id_number("校验位不符，可能有一位输错了", "the check character does not match; one digit may be mistyped")
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
