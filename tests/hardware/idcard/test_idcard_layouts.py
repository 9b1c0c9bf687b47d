"""Text block layouts of the four card kinds, checked byte by byte against the spec offsets."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from hardware.idcard.card import CardKind, IdCard
from hardware.idcard.demo_cards import demo_card
from hardware.idcard.layouts import CardDecodeError, decode_text, encode_text
from hardware.idcard.tables import GENDERS, NATIONS


def utf16(text: bytes, offset: int, width: int) -> str:
    return text[offset:offset + width].decode("utf-16le").rstrip(" ")


def test_nation_and_gender_tables_are_complete():
    assert len(NATIONS) == 58
    assert NATIONS["01"] == "汉" and NATIONS["56"] == "基诺" and NATIONS["05"] == "维吾尔"
    assert NATIONS["97"] == "其他" and NATIONS["98"] == "外国血统"
    assert {f"{i:02d}" for i in range(1, 57)} <= set(NATIONS)
    assert {k: v[0] for k, v in GENDERS.items()} == {"0": "未知", "1": "男", "2": "女", "9": "未说明"}


def test_resident_card_offsets():
    card = demo_card(CardKind.RESIDENT, seed=1, name="欧阳娜娜", gender_code="2", nation_code="56",
                     birth=date(1990, 3, 7), id_number="11010119900307803X", valid_to=None)
    text = card.raw_text
    assert len(text) == 256
    assert utf16(text, 0, 30) == "欧阳娜娜"
    assert utf16(text, 30, 2) == "2" and utf16(text, 32, 4) == "56"
    assert utf16(text, 36, 16) == "19900307"
    assert utf16(text, 52, 70) == card.address
    assert utf16(text, 122, 36) == "11010119900307803X"
    assert utf16(text, 158, 30) == card.authority
    assert utf16(text, 204, 16) == "长期"
    assert text[248:250] == b" \x00"
    decoded = decode_text(text, card.photo)
    assert (decoded.name, decoded.gender, decoded.nation, decoded.valid_to) == ("欧阳娜娜", "女", "基诺", None)
    assert decoded.birth == date(1990, 3, 7) and decoded == card


def test_hmt_permit_offsets():
    card = demo_card(CardKind.HMT_RESIDENT, seed=2, pass_number="H12345678", issue_count=2)
    text = card.raw_text
    assert utf16(text, 32, 4) == ""  # reserved, no nation
    assert utf16(text, 220, 18) == "H12345678" and utf16(text, 238, 4) == "02"
    assert text[248:250] == "J".encode("utf-16le")
    decoded = decode_text(text)
    assert decoded.kind is CardKind.HMT_RESIDENT and decoded.id_number[:2] in {"81", "82", "83"}
    assert (decoded.pass_number, decoded.issue_count, decoded.nation) == ("H12345678", 2, "")


def test_foreign_2017_offsets():
    card = demo_card(CardKind.FOREIGN_2017, seed=3, name="史密斯", name_en="SMITH, JOHN")
    text = card.raw_text
    assert utf16(text, 0, 120) == "SMITH, JOHN"
    assert utf16(text, 120, 2) == card.gender_code
    assert utf16(text, 122, 30) == card.id_number and len(card.id_number) == 15
    assert utf16(text, 152, 6) == card.nationality
    assert utf16(text, 158, 30) == "史密斯"
    assert utf16(text, 220, 16) == f"{card.birth:%Y%m%d}"
    assert utf16(text, 236, 4) == "01" and utf16(text, 240, 8) == "1500"
    assert text[248:250] == "I".encode("utf-16le")
    assert decode_text(text) == dataclasses.replace(card, photo=b"")


def test_foreign_2023_long_english_name_spans_two_fields():
    long_name = "WOLFESCHLEGELSTEINHAUSEN, HUBERT BLAINE"  # 39 characters: 35 + 4
    card = demo_card(CardKind.FOREIGN_2023, seed=4, name_en=long_name, issue_count=1)
    text = card.raw_text
    assert utf16(text, 52, 70) == long_name[:35] and utf16(text, 220, 22) == long_name[35:]
    assert utf16(text, 32, 4) == "01" and utf16(text, 242, 6) == card.nationality
    assert card.id_number.startswith("9") and text[248:250] == "Y".encode("utf-16le")
    decoded = decode_text(text)
    assert decoded.name_en == long_name and decoded.issue_count == 1 and decoded.name == card.name


@pytest.mark.parametrize("kind", list(CardKind))
def test_many_demo_cards_round_trip(kind):
    for seed in range(40):
        card = demo_card(kind, seed)
        assert decode_text(encode_text(card), card.photo) == card


def test_field_too_long_is_refused_on_encode():
    with pytest.raises(ValueError):
        encode_text(demo_card(name="很" * 16))


@pytest.mark.parametrize("offset,value", [
    (248, "Q"),            # unknown kind flag
    (30, "7"),             # unknown gender code
    (32, "99"),            # unknown nation
    (36, "1990023 "),      # birth date not 8 digits
    (44, "13"),            # month 13
    (188, "2019-1-1"),     # valid-from not YYYYMMDD
    (0, " " * 15),         # no name at all
])
def test_malformed_fields_raise_card_decode_error(offset, value):
    text = bytearray(demo_card(CardKind.RESIDENT, seed=5).raw_text)
    encoded = value.encode("utf-16le")
    text[offset:offset + len(encoded)] = encoded
    with pytest.raises(CardDecodeError):
        decode_text(bytes(text))


def test_broken_check_character_is_a_decode_error():
    card = demo_card(CardKind.RESIDENT, seed=5)
    text = bytearray(card.raw_text)
    wrong = "0" if card.id_number[-1] != "0" else "1"
    text[156:158] = wrong.encode("utf-16le")
    with pytest.raises(CardDecodeError):
        decode_text(bytes(text))


def test_odd_bytes_in_utf16_are_a_decode_error():
    text = bytearray(demo_card().raw_text)
    text[0:2] = b"\x00\xD8"  # lone surrogate
    with pytest.raises(CardDecodeError):
        decode_text(bytes(text))
    with pytest.raises(CardDecodeError):
        decode_text(bytes(text[:255]))


def test_str_never_shows_the_full_id_number():
    card = demo_card(id_number="11010119900307803X", birth=date(1990, 3, 7))
    assert "110101********803X" in str(card) and "19900307" not in str(card)
    assert "19900307" not in repr(card) and "19900307" not in f"{[card]}"
    assert isinstance(card, IdCard)
