"""The exact strings the speaker says, and that the Mandarin voice reads them as Mandarin."""
from __future__ import annotations

import shutil
import string
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.privacy import mask_name, spoken_name, surname
from common.speech_text import (
    DEFAULT_CALL_TEMPLATE,
    call_text,
    display_text,
    speakable,
    spoken_room,
    spoken_ticket,
)

VOICE = "cmn-latn-pinyin"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")


def phonemes(text: str) -> str:
    done = subprocess.run(
        ["espeak-ng", "-v", VOICE, "-x", "-q", text], capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout


@pytest.mark.parametrize(
    ("ticket", "spoken"),
    [("A015", "A 零 一 五"), ("b100", "B 一 零 零"), ("Z999", "Z 九 九 九"), ("C-007", "C 零 零 七"), ("12", "一 二")],
)
def test_ticket_is_read_character_by_character(ticket: str, spoken: str) -> None:
    assert spoken_ticket(ticket) == spoken


@pytest.mark.parametrize(
    ("name", "mode", "spoken"),
    [
        ("张*", "surname", "张某某"),
        ("王*明", "surname", "王某某"),
        ("欧**娜", "surname", "欧某某"),
        ("欧阳娜娜", "surname", "欧阳某某"),
        ("张三", "surname", "张某某"),
        ("王小明", "full", "王小明"),
        ("王*明", "full", "王某某"),
        ("张*", "none", ""),
        ("", "surname", ""),
        (None, "full", ""),
        ("John Smith", "full", "患者"),  # no surname to tell: 患者 (privacy spec)
        ("李", "surname", "患者"),
    ],
)
def test_names_are_spoken_per_setting(name: str | None, mode: str, spoken: str) -> None:
    assert spoken_name(name, mode) == spoken  # type: ignore[arg-type]


def test_unknown_name_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="speech_name"):
        spoken_name("张三", "initials")  # type: ignore[arg-type]


def test_speech_uses_the_privacy_surname_of_compound_names() -> None:
    assert surname("司马光") == "司马"
    assert surname("司马") == "司"  # two characters: surname 司, given name 马
    assert spoken_name("司马光") == "司马某某"


@pytest.mark.parametrize(
    ("room", "spoken"),
    [
        ("3诊室", "3号诊室"),
        ("3号诊室", "3号诊室"),
        ("12 诊室", "12号诊室"),
        ("内科5诊室", "内科5号诊室"),
        ("103诊室", "一 零 三 号诊室"),
        ("2窗口", "2号窗口"),
        ("B区", "B 区"),  # a letter alone, as on tickets
    ],
)
def test_rooms_get_hao(room: str, spoken: str) -> None:
    assert spoken_room(room) == spoken


def test_call_text_exact_strings() -> None:
    t = DEFAULT_CALL_TEMPLATE
    assert call_text(t, "A015", "张*", "3诊室", "surname") == "请 A 零 一 五 号 张某某 到 3号诊室 就诊"
    assert call_text(t, "A015", "张*", "3诊室", "none") == "请 A 零 一 五 号 到 3号诊室 就诊"
    assert call_text(t, "B102", "李四", "12诊室", "full") == "请 B 一 零 二 号 李四 到 12号诊室 就诊"
    assert call_text("{ticket}号，请到{room}", "C3", None, "2窗口", "none") == "C 三号，请到2号窗口"


def test_display_text_keeps_ticket_and_masks_name() -> None:
    assert display_text(DEFAULT_CALL_TEMPLATE, "A015", "张三", "3诊室") == "请 A015 号 张* 到 3诊室 就诊"
    assert display_text(DEFAULT_CALL_TEMPLATE, "A016", "欧阳娜娜", "5诊室") == "请 A016 号 欧**娜 到 5诊室 就诊"
    assert mask_name("王小明") == "王*明"


def test_template_with_unknown_field_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="ticket"):
        call_text("请 {number} 号", "A1", None, "1诊室")


def test_broadcast_text_loses_symbols() -> None:
    assert speakable("请 **注意** 保持安静") == "请 注意 保持安静"


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(alphabet=st.sampled_from("张王李欧阳司马小明娜*a B"), max_size=6),
    mode=st.sampled_from(["none", "surname", "full"]),
    room=st.text(alphabet=st.sampled_from("0123456789诊室号内科*"), max_size=8),
)
def test_no_asterisk_is_ever_spoken(name: str, mode: str, room: str) -> None:
    assert "*" not in call_text(DEFAULT_CALL_TEMPLATE, "A015", name, room, mode)  # type: ignore[arg-type]


@needs_espeak
@pytest.mark.parametrize("letter", list(string.ascii_uppercase))
def test_every_ticket_letter_is_read_as_mandarin(letter: str) -> None:
    text = call_text(DEFAULT_CALL_TEMPLATE, f"{letter}015", "欧阳*", "103诊室")
    out = phonemes(text)
    assert out.strip(), "espeak produced no phonemes"
    assert "(en)" not in out


@needs_espeak
def test_digits_are_read_one_by_one() -> None:
    # 零 一 五 -> ling2 yi1 wu3; "015" as a number would be read "shi2 wu3" (十五).
    out = phonemes(spoken_ticket("A015"))
    assert "l'i35N" in out and "j'i55" in out and "w'u" in out
    assert "s.i.35" not in out


@needs_espeak
def test_masked_name_would_be_read_as_asterisk_which_is_why_we_rewrite_it() -> None:
    assert "(en)" in phonemes("张*")  # espeak says "asterisk" in English
    assert "(en)" not in phonemes(call_text(DEFAULT_CALL_TEMPLATE, "A015", "张*", "3诊室"))


@pytest.mark.parametrize("text,spoken", [
    ("VIP诊室", "V I P 诊室"),
    ("CT室", "C T 室"),
    ("MRI室", "M R I 室"),
    ("请到B超室检查", "请到 B 超室检查"),
    ("ct室", "C T 室"),
])
def test_latin_letters_are_spelled_like_ticket_letters(text: str, spoken: str) -> None:
    assert speakable(text) == spoken
    assert spoken_room(text) == spoken


def demo_hospital_names() -> list[str]:
    """Every room, area and department name of the demo hospital, and names hospitals do use with Latin letters."""
    from common.config import load_hospital

    hospital = load_hospital(Path(__file__).resolve().parents[3] / "assets" / "demo-hospital.toml")
    names = [d.name for d in hospital.departments]
    for area in hospital.areas:
        names.append(area.name)
        names += [room.name for room in area.rooms]
    return names + ["VIP诊室", "CT室", "MRI室", "B超室", "DR室", "ICU", "PICC门诊", "102诊室", "请到CT室做检查"]


@needs_espeak
def test_no_room_or_department_name_is_read_with_english_phonemes() -> None:
    names = demo_hospital_names()
    english = {name: phonemes(spoken_room(name)) for name in names}
    english = {name: out for name, out in english.items() if "(en)" in out or not out.strip()}
    assert english == {}
    assert "(en)" in phonemes("VIP诊室")  # unspelled, the voice switches to English: why the spelling exists
