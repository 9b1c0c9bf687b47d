"""Pure parts: ID numbers, masking, slot cutting, release moments, report flags."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.privacy import mask_id_number, mask_name
from records.errors import RecordsError
from records.ids import check_id_number, make_id_number
from records.reports import flag_for
from records.schedule import check_in_opens_at, is_released, release_moment, slot_times
from records.settings import RecordsSettings


def test_known_valid_number_passes_and_is_masked():
    assert check_id_number("11010119900307803x") == "11010119900307803X"
    assert mask_id_number("11010119900307803X") == "110101********803X"


@settings(max_examples=300, deadline=None)
@given(body=st.from_regex(r"1[1-5]0101(19[5-9][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True),
       position=st.integers(0, 16), delta=st.integers(1, 9))
def test_any_single_mistyped_digit_is_refused(body, position, delta):
    number = make_id_number(body)
    typo = list(number)
    typo[position] = str((int(typo[position]) + delta) % 10)
    typo = "".join(typo)
    try:
        check_id_number(typo)
    except RecordsError as exc:
        assert exc.code == "invalid_id_number"
        assert "请核对" in exc.message_zh
    else:
        pytest.fail(f"{typo} (typo of {number}) was accepted")


@pytest.mark.parametrize("raw", ["", "1101011990030780", "11010119900307803Y", "110101199013078036", "1101011990030780312"])
def test_malformed_numbers_are_refused_with_chinese_reason(raw):
    with pytest.raises(RecordsError) as err:
        check_id_number(raw)
    assert err.value.status == 422
    assert err.value.message_zh.startswith("对不起，身份证号码有误")


def test_names_are_masked_as_on_public_screens():
    assert [mask_name(n) for n in ("张三", "王小明", "欧阳娜娜")] == ["张*", "王*明", "欧**娜"]


def test_slots_cover_the_session_with_a_short_tail():
    assert slot_times("08:00", "09:10", 30) == [("08:00", "08:30"), ("08:30", "09:00"), ("09:00", "09:10")]


def test_future_days_open_at_the_release_hour_never_at_midnight():
    s = RecordsSettings(advance_days=7, release_time="08:00")
    day = date(2026, 11, 30)
    assert release_moment(day, s) == datetime(2026, 11, 23, 8, 0)
    assert not is_released(day, datetime(2026, 11, 23, 0, 0), s)
    assert not is_released(day, datetime(2026, 11, 23, 7, 59), s)
    assert is_released(day, datetime(2026, 11, 23, 8, 0), s)
    assert not is_released(date(2026, 11, 22), datetime(2026, 11, 23, 9, 0), s)  # the past is never sold
    with pytest.raises(ValueError):
        RecordsSettings(release_time="00:00")


def test_early_check_in_window():
    day = date(2026, 11, 23)
    assert check_in_opens_at(day, "09:00", 30) == datetime(2026, 11, 23, 8, 30)
    assert check_in_opens_at(day, "09:00", 0) == datetime(2026, 11, 23, 9, 0)
    assert check_in_opens_at(day, "09:00", None) is None


def test_report_flags_follow_reference_ranges():
    assert flag_for("11.2", 3.5, 9.5) == "↑"
    assert flag_for("2.1", 3.5, 9.5) == "↓"
    assert flag_for("5", 3.5, 9.5) == ""
    assert flag_for("阴性", None, None) == ""
