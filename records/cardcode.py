"""The code a medical card (就诊卡) carries in its QR code: unguessable, unlike the card number printed on it.

Card numbers are handed out in order (``MC26000123``): anyone who has seen one card can write the next. So the
QR code on a card, on a new patient's first slip and on the phone page carries a **card code** instead: 20
symbols drawn at random from 32 (100 bits), kept with the record (``rec_patients.card_code``), unique. Scanning
it at a kiosk identifies the patient without a second factor (it is as good as having the card in hand); the
card *number* alone, typed or scanned from an old card, needs the last 4 digits of the phone on record as well.

The QR text is ``MC:<code>`` (:func:`card_qr_text`), which the kiosk's scanner already reads as a medical card
(hardware/scanner/classify.py). A card code can be replaced (:func:`new_card_code` again, e.g. for a lost card):
the old QR then opens nothing.
"""
from __future__ import annotations

import re
import secrets

CARD_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols; no 0/O, 1/I: read aloud or typed, they differ
CARD_CODE_LENGTH = 20                                     # 20 x 5 bits = 100 bits
CARD_QR_PREFIX = "MC:"
_CODE = re.compile(f"^[{CARD_CODE_ALPHABET}]{{{CARD_CODE_LENGTH}}}$")


def new_card_code() -> str:
    """A fresh random card code (``secrets``: the operating system's random source)."""
    return "".join(secrets.choice(CARD_CODE_ALPHABET) for _ in range(CARD_CODE_LENGTH))


def is_card_code(text: str | None) -> bool:
    """Has the shape of a card code (it may still belong to nobody)."""
    return bool(text) and bool(_CODE.match(text.strip().upper()))


def card_qr_text(code: str) -> str:
    """What the medical card's QR code says: ``MC:<code>``."""
    return CARD_QR_PREFIX + code
