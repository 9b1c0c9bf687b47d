"""The 256-byte UTF-16LE text block of the four card kinds: decode and encode.

Offsets and widths are in bytes (see spec/idcard-sam.md). Unused bytes are spaces (20 00).
"""
from __future__ import annotations

from datetime import date

from hardware.idcard.card import CardKind, IdCard
from hardware.idcard.idnumber import validate_id_number
from hardware.idcard.tables import GENDERS, NATIONS

TEXT_SIZE = 256
FLAG_OFFSET = 248
NO_EXPIRY = "长期"
SPACE = " ".encode("utf-16le")

# field name -> (offset, width in bytes); "name_en2" is the second part of a 2023 English name.
_COMMON = {
    "name": (0, 30), "gender_code": (30, 2), "birth": (36, 16), "address": (52, 70),
    "id_number": (122, 36), "authority": (158, 30), "valid_from": (188, 16), "valid_to": (204, 16),
}
LAYOUTS: dict[CardKind, dict[str, tuple[int, int]]] = {
    CardKind.RESIDENT: {**_COMMON, "nation_code": (32, 4)},
    CardKind.HMT_RESIDENT: {**_COMMON, "pass_number": (220, 18), "issue_count": (238, 4)},
    CardKind.FOREIGN_2017: {
        "name_en": (0, 120), "gender_code": (120, 2), "id_number": (122, 30), "nationality": (152, 6),
        "name": (158, 30), "valid_from": (188, 16), "valid_to": (204, 16), "birth": (220, 16),
        "card_version": (236, 4), "authority": (240, 8),
    },
    CardKind.FOREIGN_2023: {
        "name": (0, 30), "gender_code": (30, 2), "issue_count": (32, 4), "birth": (36, 16),
        "name_en": (52, 70), "id_number": (122, 36), "valid_from": (188, 16), "valid_to": (204, 16),
        "name_en2": (220, 22), "nationality": (242, 6),
    },
}
FLAGS: dict[str, CardKind] = {" ": CardKind.RESIDENT, "J": CardKind.HMT_RESIDENT,
                              "I": CardKind.FOREIGN_2017, "Y": CardKind.FOREIGN_2023}
_FLAG_OF = {kind: flag for flag, kind in FLAGS.items()}
_DATES = ("birth", "valid_from", "valid_to")


class CardDecodeError(ValueError):
    """The text block is not a well-formed card (the read is treated as failed)."""


def _field(text: bytes, offset: int, width: int, strip: bool = True) -> str:
    try:
        value = text[offset:offset + width].decode("utf-16le")
    except UnicodeDecodeError as exc:
        raise CardDecodeError(f"bytes {offset}..{offset + width} are not UTF-16LE") from exc
    return value.strip(" \x00") if strip else value


def _date(value: str, name: str) -> date | None:
    if name == "valid_to" and value == NO_EXPIRY:
        return None
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        raise CardDecodeError(f"{name} is not YYYYMMDD: {value!r}")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise CardDecodeError(f"{name} is not a date: {value!r}") from exc


def card_kind(text: bytes) -> CardKind:
    """Which kind of card a text block belongs to (raises CardDecodeError)."""
    if len(text) != TEXT_SIZE:
        raise CardDecodeError(f"text block has {len(text)} bytes, expected {TEXT_SIZE}")
    try:
        flag = text[FLAG_OFFSET:FLAG_OFFSET + 2].decode("utf-16le")
    except UnicodeDecodeError as exc:
        raise CardDecodeError("card kind flag is not UTF-16LE") from exc
    if flag not in FLAGS:
        raise CardDecodeError(f"unknown card kind flag {flag!r}")
    return FLAGS[flag]


def decode_text(text: bytes, photo: bytes = b"") -> IdCard:
    """Decode a 256-byte text block into an IdCard; raises CardDecodeError when it is malformed."""
    kind = card_kind(text)
    values: dict[str, object] = {
        name: _field(text, offset, width) for name, (offset, width) in LAYOUTS[kind].items()
    }
    if "name_en2" in values:  # 2023 card: the English name continues in a second field
        part1 = _field(text, *LAYOUTS[kind]["name_en"], strip=False)
        values["name_en"] = f"{part1}{values.pop('name_en2')}".strip(" \x00")
    for name in _DATES:
        values[name] = _date(str(values[name]), name)
    if values["valid_from"] is None:
        raise CardDecodeError("valid_from cannot be 长期")
    if "issue_count" in values:
        count = str(values["issue_count"])
        if not count.isascii() or not count.isdigit():
            raise CardDecodeError(f"issue count is not a number: {count!r}")
        values["issue_count"] = int(count)
    if values["gender_code"] not in GENDERS:
        raise CardDecodeError(f"unknown gender code {values['gender_code']!r}")
    if kind is CardKind.RESIDENT and values["nation_code"] not in NATIONS:
        raise CardDecodeError(f"unknown nation code {values['nation_code']!r}")
    ok, reason = validate_id_number(str(values["id_number"]), today=date.max)
    if not ok:
        raise CardDecodeError(f"bad ID number: {reason}")
    if not values["name"] and not values.get("name_en"):
        raise CardDecodeError("card has no name")
    return IdCard(kind=kind, photo=bytes(photo), raw_text=bytes(text), **values)  # type: ignore[arg-type]


def _put(block: bytearray, offset: int, width: int, value: str, name: str) -> None:
    encoded = value.encode("utf-16le")
    if len(encoded) > width:
        raise ValueError(f"{name} {value!r} does not fit in {width} bytes")
    block[offset:offset + len(encoded)] = encoded


def _text_value(card: IdCard, name: str) -> str:
    value = getattr(card, name)
    if name in _DATES:
        return NO_EXPIRY if value is None else f"{value:%Y%m%d}"
    if name == "issue_count":
        return "" if value is None else f"{value:02d}"
    return str(value)


def encode_text(card: IdCard) -> bytes:
    """Build the 256-byte text block of a card (simulator, tests). Raises ValueError if a field is too long."""
    block = bytearray(SPACE * (TEXT_SIZE // 2))
    layout = LAYOUTS[card.kind]
    for name, (offset, width) in layout.items():
        if name == "name_en2":
            continue
        value = _text_value(card, name)
        if name == "name_en" and "name_en2" in layout:
            split = width // 2
            _put(block, *layout["name_en2"], value[split:], "name_en")
            value = value[:split]
        _put(block, offset, width, value, name)
    _put(block, FLAG_OFFSET, 2, _FLAG_OF[card.kind], "flag")
    return bytes(block)
