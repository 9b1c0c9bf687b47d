"""What a scanned code is, so the kiosk knows what to do with it. Pure.

Rules (our convention where no standard fixes the content):
- payment code (付款码): WeChat 18 digits starting 10-15; Alipay 16-24 digits starting 25-30;
  UnionPay 19 digits starting 62;
- ID number: an 18-character number that passes the GB 11643 check;
- e-health card (电子健康卡): 64 hexadecimal characters (the card id), optionally followed by
  ":"-separated fields, or the same after an "EHC:" prefix;
- medical-insurance QR (医保电子凭证): "YBEC:" followed by 16-128 letters, digits, "-" or "_" (the token the
  national insurance app shows; the value keeps the prefix, as the platform takes the whole text);
- social-security card (社会保障卡) at a card reader in keyboard mode: its 9-character card number, a capital letter
  and 8 digits (e.g. A00000001), optionally after "SSC:";
- medical card (就诊卡): "MC:" or "JZK" followed by 6-20 letters/digits, the card number as the hospital prints it
  ("MC" and 6-18 digits, e.g. MC26000123), or a plain 8-12 digit barcode;
- anything else: unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from hardware.idcard.idnumber import validate_id_number


class CodeKind(str, Enum):
    MEDICAL_CARD = "medical_card"
    HEALTH_CODE = "health_code"
    INSURANCE_QR = "insurance_qr"
    SSC_CARD = "ssc_card"
    PAYMENT_CODE = "payment_code"
    ID_NUMBER = "id_number"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ScannedCode:
    """A classified code: value is the useful part (card number, payment code, ...)."""

    kind: CodeKind
    value: str
    text: str


_PAYMENT = re.compile(r"1[0-5]\d{16}|(?:2[5-9]|30)\d{14,22}|62\d{17}")
_HEALTH = re.compile(r"(?:EHC:)?([0-9A-Fa-f]{64})(?::.*)?", re.DOTALL)
_INSURANCE = re.compile(r"YBEC:[0-9A-Za-z_-]{16,128}")
_SSC = re.compile(r"(?:SSC:)?([A-Z][0-9]{8})")
_MEDICAL = re.compile(r"(?:MC:|JZK)([0-9A-Za-z]{6,20})|(MC\d{6,18})|(\d{8,12})")


def parse_code(text: str) -> ScannedCode:
    """Classify a scanned code and pull out its value."""
    code = text.strip()
    if len(code) == 18 and validate_id_number(code)[0]:
        return ScannedCode(CodeKind.ID_NUMBER, code.upper(), text)
    if _PAYMENT.fullmatch(code):
        return ScannedCode(CodeKind.PAYMENT_CODE, code, text)
    if _INSURANCE.fullmatch(code):
        return ScannedCode(CodeKind.INSURANCE_QR, code, text)
    health = _HEALTH.fullmatch(code)
    if health:
        return ScannedCode(CodeKind.HEALTH_CODE, health.group(1).upper(), text)
    ssc = _SSC.fullmatch(code)
    if ssc:
        return ScannedCode(CodeKind.SSC_CARD, ssc.group(1), text)
    medical = _MEDICAL.fullmatch(code)
    if medical:
        value = next(group for group in medical.groups() if group)
        return ScannedCode(CodeKind.MEDICAL_CARD, value.upper(), text)
    return ScannedCode(CodeKind.UNKNOWN, code, text)


def classify_code(text: str) -> CodeKind:
    """Just the kind of a scanned code."""
    return parse_code(text).kind
