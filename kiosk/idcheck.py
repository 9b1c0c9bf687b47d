"""Checks done at the kiosk before anything is sent: ID number (GB 11643) and phone number. Pure."""
from __future__ import annotations

from hardware.idcard.idnumber import mask_id_number, validate_id_number

from kiosk.i18n import tr


def check_id_number(text: str) -> tuple[bool, str]:
    """(ok, reason in Chinese source form; pass it through tr() to show it)."""
    return validate_id_number(text)


def mask_id(number: str) -> str:
    """110101********803X: safe for screens and logs."""
    return mask_id_number(number) if number else ""


def check_phone(text: str) -> tuple[bool, str]:
    """A Chinese mobile number: 11 digits starting with 1. Returns (ok, translated reason)."""
    digits = text.strip()
    if len(digits) != 11 or not digits.isdigit() or digits[0] != "1":
        return False, tr("请输入11位手机号码，以1开头。")
    return True, ""


def mask_name(name: str) -> str:
    """张三 -> 张*, 王小明 -> 王*明, 欧阳娜娜 -> 欧**娜 (what public screens and tickets show)."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
