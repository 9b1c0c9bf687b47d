"""Frame building and parsing against the known-good frames of the spec."""
from __future__ import annotations

import pytest

from hardware.idcard.card import CardKind
from hardware.idcard.codec import (
    Command,
    Frame,
    FrameParser,
    Rejected,
    RejectReason,
    ReplyError,
    build_read_response,
    build_request,
    build_response,
    card_from_reply,
    card_response,
    checksum,
    decode_address,
    encode_address,
    parse_read_reply,
    set_baud_request,
)
from hardware.idcard.demo_cards import demo_card
from hardware.idcard.tables import STATUSES, status_info

SPEC_REQUESTS = {
    Command.FIND_CARD: "AA AA AA 96 69 00 03 20 01 22",
    Command.SELECT_CARD: "AA AA AA 96 69 00 03 20 02 21",
    Command.READ_TEXT_PHOTO: "AA AA AA 96 69 00 03 30 01 32",
    Command.READ_TEXT_PHOTO_FINGERPRINT: "AA AA AA 96 69 00 03 30 10 23",
    Command.SAM_STATUS: "AA AA AA 96 69 00 03 11 FF ED",
}
CARD_FOUND = bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")


@pytest.mark.parametrize("command,expected", SPEC_REQUESTS.items(), ids=lambda v: getattr(v, "name", ""))
def test_request_frames_match_spec(command, expected):
    assert build_request(command) == bytes.fromhex(expected)


def test_every_command_has_a_self_consistent_frame():
    parser = FrameParser()
    for command in Command:
        frame = build_request(command)
        assert frame[7:9] == bytes(command.value)
        assert frame[-1] == checksum(frame[5:-1])
        [parsed] = parser.feed(frame)
        assert isinstance(parsed, Frame) and parsed.command is command


def test_baud_commands():
    assert set_baud_request(9600)[7:9] == b"\x60\x04"
    assert set_baud_request(115200)[7:9] == b"\x60\x00"
    with pytest.raises(ValueError):
        set_baud_request(4800)


def test_card_found_reply_matches_spec():
    assert build_response(0x9F, bytes(4)) == CARD_FOUND
    [frame] = FrameParser().feed(CARD_FOUND)
    assert frame.sw3 == 0x9F and frame.status.zh == "找到身份证" and frame.data == bytes(4)


def test_read_reply_header_and_size_match_spec():
    reply = card_response(demo_card(CardKind.RESIDENT))
    assert len(reply) == 1295
    assert reply[:14] == bytes.fromhex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert reply[14:270] == demo_card(CardKind.RESIDENT).raw_text
    assert reply[270:1294] == demo_card(CardKind.RESIDENT).photo


def test_fingerprint_reply_has_three_lengths_and_text_at_16():
    card = demo_card(CardKind.RESIDENT, seed=3)
    reply = card_response(card, fingerprint=bytes(range(256)) * 4)
    assert reply[10:16] == bytes.fromhex("01 00 04 00 04 00")
    assert reply[16:272] == card.raw_text
    [frame] = FrameParser().feed(reply)
    data = parse_read_reply(frame, fingerprint=True)
    assert data.fingerprint == bytes(range(256)) * 4
    assert card_from_reply(frame, fingerprint=True) == card


def test_read_reply_with_wrong_sizes_is_refused():
    card = demo_card()
    [short] = FrameParser().feed(build_read_response(card.raw_text[:200], card.photo))
    with pytest.raises(ReplyError):
        card_from_reply(short)
    [failed] = FrameParser().feed(build_response(0x41))
    with pytest.raises(ReplyError):
        card_from_reply(failed)


def test_all_spec_statuses_have_both_languages():
    spec_codes = {0x90, 0x9F, 0x10, 0x11, 0x21, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x60, 0x66, 0x80, 0x81}
    assert set(STATUSES) == spec_codes
    for info in STATUSES.values():
        assert info.zh and info.en
    assert status_info(0x60).en == "SAM self-test failed"
    assert "0x77" in status_info(0x77).en  # unknown codes described, not raised


def test_newest_address_round_trip():
    [frame] = FrameParser().feed(build_response(0x90, encode_address("北京市海淀区中关村大街1号")))
    assert decode_address(frame) == "北京市海淀区中关村大街1号"


# ------------------------------------------------------------------ parser robustness

def test_fragments_one_byte_at_a_time():
    reply = card_response(demo_card())
    parser = FrameParser()
    events = [e for b in reply for e in parser.feed(bytes([b]))]
    assert len(events) == 1 and card_from_reply(events[0]) == demo_card()
    assert parser.pending == 0


def test_noise_before_preamble_is_reported_and_skipped():
    parser = FrameParser()
    events = parser.feed(b"\x00\xFF\xAA\xAA" + CARD_FOUND)
    assert events[0] == Rejected(RejectReason.NOISE, b"\x00\xFF\xAA\xAA")
    assert [e for e in events if isinstance(e, Frame)][0].sw3 == 0x9F


def test_partial_preamble_at_end_is_kept_for_the_next_piece():
    parser = FrameParser()
    assert parser.feed(b"\x01\x02" + CARD_FOUND[:3]) == [Rejected(RejectReason.NOISE, b"\x01\x02")]
    events = parser.feed(CARD_FOUND[3:])
    assert [e.sw3 for e in events if isinstance(e, Frame)] == [0x9F]


def test_bad_checksum_rejected_then_next_frame_parsed():
    bad = bytearray(CARD_FOUND)
    bad[-1] ^= 0x01
    events = FrameParser().feed(bytes(bad) + build_response(0x90))
    assert isinstance(events[0], Rejected) and events[0].reason is RejectReason.BAD_CHECKSUM
    assert [e.sw3 for e in events if isinstance(e, Frame)] == [0x90]


def test_bad_length_rejected_and_following_frame_recovered():
    # a truncated frame whose length field is overwritten by the next frame's preamble
    events = FrameParser().feed(b"\xAA\xAA\xAA\x96\x69" + CARD_FOUND)
    assert events[0].reason is RejectReason.BAD_LENGTH
    assert [e.sw3 for e in events if isinstance(e, Frame)] == [0x9F]


def test_too_small_length_rejected():
    events = FrameParser().feed(b"\xAA\xAA\xAA\x96\x69\x00\x01\x01")
    assert events[0].reason is RejectReason.BAD_LENGTH
    assert not any(isinstance(e, Frame) for e in events)


def test_reset_discards_a_half_frame():
    parser = FrameParser()
    parser.feed(CARD_FOUND[:9])
    assert parser.pending == 9
    parser.reset()
    assert [e.sw3 for e in parser.feed(CARD_FOUND) if isinstance(e, Frame)] == [0x9F]
