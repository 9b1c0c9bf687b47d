"""GB 11643 check character, validation messages, masking, generation."""
from __future__ import annotations

from datetime import date

import pytest

from common.privacy import mask_id_number
from hardware.idcard.idnumber import (
    MSG_AREA,
    MSG_BIRTH,
    MSG_CHARS,
    MSG_CHECK,
    MSG_EMPTY,
    MSG_LENGTH,
    check_char,
    make_id_number,
    validate_id_number,
)


def test_spec_example_is_valid():
    assert check_char("11010119900307803") == "X"
    assert validate_id_number("11010119900307803X") == (True, "")


def test_lower_case_x_and_spaces_are_accepted_when_typed():
    assert validate_id_number(" 110101 19900307 803x ") == (True, "")


@pytest.mark.parametrize("text,reason", [
    ("", MSG_EMPTY),
    ("1101011990030780", MSG_LENGTH),
    ("11010119900307803X1", MSG_LENGTH),
    ("1101011990030780AX", MSG_CHARS),
    ("11010119900307803Y", MSG_CHARS),
    ("11010119901307803X", MSG_BIRTH),     # month 13
    ("11010119900230803X", MSG_BIRTH),     # 30 February
    ("11010130000307803X", MSG_BIRTH),     # born in the future
    ("00010119900307803X", MSG_AREA),
    ("110101199003078031", MSG_CHECK),
])
def test_refusals_say_why_in_chinese(text, reason):
    ok, message = validate_id_number(text, today=date(2026, 1, 1))
    assert not ok and message == reason
    assert "请" in message


def test_every_wrong_check_char_is_refused():
    first17 = "11010119900307803"
    for c in "0123456789X":
        ok, _ = validate_id_number(first17 + c)
        assert ok == (c == "X")


def test_old_15_digit_and_2017_foreigner_numbers_have_no_check_char():
    assert validate_id_number("110101900307803") == (True, "")
    assert validate_id_number("110101901307803") == (False, MSG_BIRTH)
    assert validate_id_number("USA110080010001") == (True, "")


def test_permit_and_2023_foreigner_numbers_use_the_same_check():
    hk = make_id_number("810000", date(1985, 6, 1), 12)
    assert validate_id_number(hk) == (True, "")
    first17 = "93184019850601001"
    assert validate_id_number(first17 + check_char(first17)) == (True, "")
    wrong = "0" if check_char(first17) != "0" else "1"
    assert validate_id_number(first17 + wrong) == (False, MSG_CHECK)


def test_mask():
    assert mask_id_number("11010119900307803X") == "110101********803X"
    assert mask_id_number("110101900307803") == "110101*****7803"
    assert "19900307" not in mask_id_number("11010119900307803X")


def test_make_id_number_is_valid_and_encodes_sex_in_sequence():
    number = make_id_number("440106", date(2001, 12, 31), 7)
    assert number.startswith("44010620011231007") and validate_id_number(number) == (True, "")
    with pytest.raises(ValueError):
        make_id_number("4401", date(2001, 1, 1), 7)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st

areas = st.sampled_from(["110101", "310104", "440106", "650102", "810000", "830000"])
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))


@settings(max_examples=300, deadline=None)
@given(areas, births, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_made_numbers_validate_and_any_single_digit_change_is_caught(area, birth, seq, pos, delta):
    number = make_id_number(area, birth, seq)
    assert validate_id_number(number, today=date(2026, 1, 1)) == (True, "")
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1:]
    assert not validate_id_number(changed, today=date(2026, 1, 1))[0]


@settings(max_examples=300, deadline=None)
@given(areas, births, st.integers(0, 999), st.integers(0, 15))
def test_swapping_two_adjacent_different_digits_is_caught(area, birth, seq, pos):
    number = make_id_number(area, birth, seq)
    if number[pos] == number[pos + 1]:
        return
    swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2:]
    assert not validate_id_number(swapped, today=date(2026, 1, 1))[0]
