"""The privacy rules, with the normative examples of the hospital's privacy specification and properties over any
name hypothesis can make."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from common import privacy

NAMES = [
    ("李", "*", "患者"),
    ("张三", "张*", "张某某"),
    ("王小明", "王*明", "王某某"),
    ("欧阳娜娜", "欧**娜", "欧阳某某"),
    ("司马相如", "司**如", "司马某某"),
    ("诸葛亮", "诸*亮", "诸葛某某"),
    ("爱新觉罗溥仪", "爱****仪", "爱某某"),
    ("买买提·艾力", "买**·*力", "患者"),
    ("阿卜杜拉·买买提", "阿***·**提", "患者"),
    ("Mary Smith", "M*** S****", "患者"),
    ("𠮷野家", "𠮷*家", "𠮷某某"),
]


@pytest.mark.parametrize("name,public,spoken", NAMES)
def test_normative_names(name, public, spoken):
    assert privacy.mask_name(name) == public
    assert privacy.spoken_name(name, "surname") == spoken


def test_speech_modes():
    assert privacy.spoken_name("王小明", "none") == ""
    assert privacy.spoken_name("王小明", "full") == "王小明"
    assert privacy.spoken_name("Mary Smith", "full") == "患者"
    assert privacy.spoken_name("王*明", "full") == "王某某"
    with pytest.raises(ValueError):
        privacy.spoken_name("王小明", "loud")


def test_empty_and_screen_modes():
    assert privacy.mask_name("   ") == ""
    assert privacy.mask_name(None) == ""
    assert privacy.screen_name("王小明", "none") == ""
    assert privacy.screen_name("王小明", "masked") == "王*明"


@pytest.mark.parametrize("number,shown", [
    ("11010119900307803X", "110101********803X"),
    ("E12345678", "E******78"),
])
def test_id_numbers(number, shown):
    assert privacy.mask_id_number(number) == shown


def test_phone_and_card():
    assert privacy.mask_phone("13812345678") == "138********"
    assert privacy.mask_card_number("MC26000123") == "MC26***123"


name_chars = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
    st.sampled_from("·• "),
    st.characters(min_codepoint=ord("A"), max_codepoint=ord("z")).filter(str.isalpha),
)


@given(st.text(name_chars, min_size=1, max_size=12))
def test_no_public_name_shows_every_character(name):
    stripped = name.strip()
    letters = [c for c in stripped if c not in privacy.NAME_SEPARATORS]
    masked = privacy.mask_name(name)
    if letters:
        assert masked != stripped
        assert stripped not in masked
        assert "*" in masked
    again = privacy.mask_name(masked)
    assert again.count("*") >= masked.count("*")
    if not any(c.isascii() and c.isalpha() for c in stripped):
        assert again == masked
    assert len(masked) == len(stripped)


@given(st.text(name_chars, min_size=1, max_size=12))
def test_spoken_name_never_says_the_whole_name(name):
    spoken = privacy.spoken_name(name, "surname")
    if not name.strip():
        assert spoken == ""
        return
    assert spoken == privacy.SPOKEN_NO_NAME or spoken.endswith("某某")
    stripped = name.strip()
    if len(stripped) > 2:
        assert stripped not in spoken


@given(st.text(st.characters(min_codepoint=ord("0"), max_codepoint=ord("9")), min_size=4, max_size=20))
def test_numbers_are_at_least_half_masked(number):
    for fn in (privacy.mask_id_number, privacy.mask_phone, privacy.mask_any_number):
        shown = fn(number)
        assert len(shown) == len(number)
        assert shown.count("*") * 2 >= len(number) or len(number) in (15, 18, 11)
