"""Line codec, code classifier and keyboard wedge (pure)."""
from __future__ import annotations

from datetime import date

import pytest

from hardware.idcard.idnumber import make_id_number
from hardware.scanner.classify import CodeKind, classify_code, parse_code
from hardware.scanner.lines import LineDecoder, encode_line
from hardware.scanner.wedge import KeyboardWedge


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
def test_each_terminator_ends_a_code(end):
    decoder = LineDecoder()
    assert decoder.feed(encode_line("A1", end) + encode_line("B2", end)) == ["A1", "B2"]
    assert decoder.pending == b""


def test_crlf_split_across_reads_is_one_end():
    decoder = LineDecoder()
    assert decoder.feed(b"ABC\r") == ["ABC"]
    assert decoder.feed(b"\nDEF\r\n") == ["DEF"]


def test_empty_lines_and_blank_codes_are_dropped():
    assert LineDecoder().feed(b"\r\n\r\n  \rX9\n\n") == ["X9"]


def test_byte_by_byte_and_chinese_utf8_and_gbk():
    decoder = LineDecoder()
    codes = [c for b in encode_line("就诊卡:张三") for c in decoder.feed(bytes([b]))]
    assert codes == ["就诊卡:张三"]
    assert LineDecoder().feed("挂号单".encode("gb18030") + b"\r") == ["挂号单"]


def test_overlong_garbage_is_dropped_until_the_next_end():
    decoder = LineDecoder(max_line=10)
    assert decoder.feed(b"X" * 50 + b"\rOK12\r") == ["OK12"]


@pytest.mark.parametrize("code,kind,value", [
    ("134567890123456789", CodeKind.PAYMENT_CODE, "134567890123456789"),   # WeChat
    ("101234567890123456", CodeKind.PAYMENT_CODE, "101234567890123456"),
    ("2812345678901234567", CodeKind.PAYMENT_CODE, "2812345678901234567"),  # Alipay
    ("6212345678901234567", CodeKind.PAYMENT_CODE, "6212345678901234567"),  # UnionPay
    ("164567890123456789", CodeKind.UNKNOWN, "164567890123456789"),       # 16 is no payment prefix
    ("13456789012345678", CodeKind.UNKNOWN, "13456789012345678"),         # 17 digits
    ("11010119900307803x", CodeKind.ID_NUMBER, "11010119900307803X"),
    ("A3" * 32, CodeKind.HEALTH_CODE, "A3" * 32),
    ("ehc:" + "0f" * 32, CodeKind.UNKNOWN, "ehc:" + "0f" * 32),
    ("EHC:" + "0f" * 32 + ":1:0101", CodeKind.HEALTH_CODE, "0F" * 32),
    ("MC:00012345", CodeKind.MEDICAL_CARD, "00012345"),
    ("JZK2024A0001", CodeKind.MEDICAL_CARD, "2024A0001"),
    ("00012345", CodeKind.MEDICAL_CARD, "00012345"),
    ("MC26000123", CodeKind.MEDICAL_CARD, "MC26000123"),  # the card number as printed on our cards
    ("MC:MC26000123", CodeKind.MEDICAL_CARD, "MC26000123"),
    ("A00000001", CodeKind.SSC_CARD, "A00000001"),  # 社保卡 at a card reader in keyboard mode
    ("SSC:B12345678", CodeKind.SSC_CARD, "B12345678"),
    ("a00000001", CodeKind.UNKNOWN, "a00000001"),
    ("https://example.org/x", CodeKind.UNKNOWN, "https://example.org/x"),
    ("", CodeKind.UNKNOWN, ""),
])
def test_classify(code, kind, value):
    parsed = parse_code(code)
    assert (parsed.kind, parsed.value) == (kind, value)
    assert classify_code(code) is kind


def test_an_all_digit_id_number_starting_11_is_not_taken_for_a_payment_code():
    number = make_id_number("110101", date(1990, 3, 7), 231)
    assert number[:2] == "11" and classify_code(number) is CodeKind.ID_NUMBER


def test_kind_values_are_plain_strings():
    assert CodeKind.PAYMENT_CODE.value == "payment_code" and CodeKind.MEDICAL_CARD == "medical_card"


def feed_keys(wedge: KeyboardWedge, text: str, start: float, gap: float) -> list[str | None]:
    return [wedge.feed(ch, start + i * gap) for i, ch in enumerate(text)]


def test_fast_keys_ending_in_enter_are_a_scan():
    wedge = KeyboardWedge(max_gap=0.05)
    results = feed_keys(wedge, "MC:00012345\r", 10.0, 0.008)
    assert results[-1] == "MC:00012345" and results[:-1] == [None] * 11
    assert wedge.pending == ""


def test_a_person_typing_is_not_a_scan():
    wedge = KeyboardWedge(max_gap=0.05)
    assert feed_keys(wedge, "12345678\r", 10.0, 0.25)[-1] is None


def test_slow_start_then_fast_burst_keeps_only_the_burst():
    wedge = KeyboardWedge(max_gap=0.05, min_length=4)
    wedge.feed("9", 1.0)
    assert feed_keys(wedge, "ABCDE\r", 2.0, 0.01)[-1] == "ABCDE"


def test_modifier_keys_and_short_bursts_are_ignored():
    wedge = KeyboardWedge(max_gap=0.05, min_length=4)
    assert wedge.feed("", 1.0) is None and wedge.feed("\x1b", 1.001) is None
    assert feed_keys(wedge, "AB\r", 1.002, 0.005)[-1] is None


def test_enter_long_after_the_last_key_is_not_a_scan():
    wedge = KeyboardWedge(max_gap=0.05)
    feed_keys(wedge, "ABCDEF", 1.0, 0.005)
    assert wedge.feed("\r", 3.0) is None


def test_wedge_uses_its_clock_when_no_time_given():
    now = [100.0]
    wedge = KeyboardWedge(clock=lambda: now[0])
    for ch in "QR-7788":
        wedge.feed(ch)
        now[0] += 0.01
    assert wedge.feed("\n") == "QR-7788"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st

codes = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs", "Cf", "Co", "Cn")), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(codes, min_size=1, max_size=6), st.sampled_from(["\r", "\n", "\r\n"]), st.lists(st.integers(0, 400), max_size=8))
def test_any_split_of_the_stream_gives_the_same_codes(texts, end, cuts):
    wire = b"".join(encode_line(t, end) for t in texts)
    points = sorted({c % (len(wire) + 1) for c in cuts})
    decoder = LineDecoder()
    got = [c for a, b in zip([0, *points], [*points, len(wire)]) for c in decoder.feed(wire[a:b])]
    assert got == texts


def test_a_partial_line_is_dropped_after_the_idle_gap_not_glued_onto_the_next_scan():
    decoder = LineDecoder(idle_gap_s=0.3)
    assert decoder.feed(b"MC2600", now=10.0) == []
    assert decoder.feed(b"MC26000128\r", now=13.0) == ["MC26000128"]
    assert [d.reason for d in decoder.take_dropped()] == ["partial"]
    assert decoder.take_dropped() == []


def test_a_code_in_pieces_within_the_gap_is_one_code():
    decoder = LineDecoder(idle_gap_s=0.3)
    assert decoder.feed(b"MC26", now=1.0) == []
    assert decoder.feed(b"000128", now=1.2) == []
    assert decoder.feed(b"\r", now=1.45) == ["MC26000128"]
    assert decoder.take_dropped() == []


def test_expire_drops_a_partial_line_without_new_bytes():
    decoder = LineDecoder(idle_gap_s=0.3)
    decoder.feed(b"MC2600", now=5.0)
    decoder.expire(now=5.2)
    assert decoder.pending == b"MC2600"
    decoder.expire(now=5.4)
    assert decoder.pending == b"" and decoder.take_dropped()[0].size == 6


def test_undecodable_bytes_are_dropped_and_reported_never_a_code():
    decoder = LineDecoder()
    assert decoder.feed(b"\xff\xfe\x80\x81\r" + b"MC:00012345\r") == ["MC:00012345"]
    dropped = decoder.take_dropped()
    assert [d.reason for d in dropped] == ["undecodable"]
    zh, en = dropped[0].message
    assert "重新扫码" in zh and "scan again" in en
