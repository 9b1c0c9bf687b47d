"""Checks done at the kiosk before anything is sent: ID number (GB 11643) and phone number. Pure.

Masking is the ``privacy`` package's (``privacy.mask_name``, ``privacy.mask_id_number``).
"""
from __future__ import annotations

from hardware.idcard.idnumber import validate_id_number
from kiosk.i18n import tr


def check_id_number(text: str) -> tuple[bool, str]:
    """(ok, reason in Chinese source form; pass it through tr() to show it)."""
    return validate_id_number(text)


def check_phone(text: str) -> tuple[bool, str]:
    """A Chinese mobile number: 11 digits starting with 1. Returns (ok, translated reason)."""
    digits = text.strip()
    if len(digits) != 11 or not digits.isdigit() or digits[0] != "1":
        return False, tr("请输入11位手机号码，以1开头。")
    return True, ""
