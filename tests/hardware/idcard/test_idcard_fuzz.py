"""Property tests: the parser never raises, and a corrupted read reply never yields a card."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.idcard.card import CardKind
from hardware.idcard.codec import Frame, FrameParser, build_frame, card_from_reply, card_response, checksum
from hardware.idcard.demo_cards import demo_card
from hardware.idcard.layouts import CardDecodeError, decode_text

FUZZ = settings(max_examples=300, deadline=None)
cards = st.builds(demo_card, st.sampled_from(list(CardKind)), st.integers(0, 50))


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]


def parse(pieces: list[bytes]) -> list:
    parser = FrameParser()
    return [e for piece in pieces for e in parser.feed(piece)]


def cards_in(events: list) -> list:
    found = []
    for event in events:
        if isinstance(event, Frame):
            try:
                found.append(card_from_reply(event))
            except ValueError:
                pass
    return found


@FUZZ
@given(st.lists(st.binary(max_size=300), max_size=8))
def test_random_bytes_never_crash_and_every_byte_is_accounted_for(pieces):
    parser = FrameParser()
    events = [e for piece in pieces for e in parser.feed(piece)]
    accounted = sum(len(e.raw) for e in events) + parser.pending
    assert accounted == sum(map(len, pieces))


@FUZZ
@given(cards, st.binary(max_size=40), st.lists(st.integers(0, 2000), max_size=6))
def test_noise_and_fragments_still_give_the_same_card(card, noise, cuts):
    noise = noise.replace(b"\xAA", b"\x00")  # noise that cannot start a preamble
    events = parse(split(noise + card_response(card), cuts))
    assert cards_in(events) == [card]


@FUZZ
@given(cards, st.integers(0, 1294), st.integers(1, 255), st.lists(st.integers(0, 2000), max_size=4))
def test_one_corrupted_byte_never_yields_a_card(card, position, flip, cuts):
    reply = bytearray(card_response(card))
    reply[position] ^= flip
    events = parse(split(bytes(reply), cuts))
    assert cards_in(events) == []


@FUZZ
@given(cards, st.integers(1, 1290))
def test_truncated_reply_never_yields_a_card_and_the_next_one_is_read(card, keep):
    # Cut 5 or more bytes short, the next preamble shows up inside the frame: always caught.
    # Cut 1-4 bytes short, only the XOR stands between us and a splice (1 in 256 passes):
    # that residual is a limit of the protocol, covered below for the failing-checksum case.
    reply = card_response(card)
    assert cards_in(parse([reply[:keep] + reply])) == [card]


def test_reply_cut_in_its_last_bytes_keeps_the_next_preamble():
    reply = card_response(demo_card(CardKind.RESIDENT, 1))
    for keep in range(1291, 1295):
        spliced = reply[:keep] + reply
        events = FrameParser().feed(spliced)
        if checksum(spliced[5:1294]) != spliced[1294]:
            assert cards_in(events) == [demo_card(CardKind.RESIDENT, 1)]


@FUZZ
@given(cards, st.integers(1, 1294))
def test_reset_after_a_truncated_reply_reads_the_next_one(card, keep):
    reply = card_response(card)
    parser = FrameParser()
    assert cards_in(parser.feed(reply[:keep])) == []
    parser.reset()  # what the reader does after a timeout
    assert cards_in(parser.feed(reply)) == [card]


@FUZZ
@given(st.binary(min_size=256, max_size=256), st.binary(max_size=1024))
def test_random_text_blocks_decode_or_raise_card_decode_error(text, photo):
    """Any other exception fails; a block that decodes keeps the photo untouched and gives a card kind."""
    try:
        card = decode_text(text, photo)
    except CardDecodeError:
        return
    assert card.photo == photo and card.kind is not None and card.raw_text


@FUZZ
@given(st.binary(max_size=1400))
def test_any_checked_frame_is_reported_and_decoding_never_crashes(payload):
    events = parse([build_frame(payload)])
    frames = [e for e in events if isinstance(e, Frame)]
    if 2 <= len(payload) < 4095 and b"\xAA\xAA\xAA\x96\x69" not in build_frame(payload)[1:]:
        assert frames == [Frame(payload)]
    cards_in(events)  # must not raise anything but ValueError (caught inside)
