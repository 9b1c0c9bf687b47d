"""The decoder reads back each command we emit; the simulator core is indifferent to how bytes are chunked."""
from hypothesis import given, settings
from hypothesis import strategies as st

from common.printer_profiles import GENERIC_58_GBK, RASTER_QR_58_GBK
from hardware.printer import commands
from hardware.printer.decode import (
    ChineseMode,
    Cut,
    Init,
    LineFeed,
    QRCode,
    RasterImage,
    StatusQuery,
    Text,
    Unknown,
    decode,
    scan,
)
from hardware.printer.documents import render_report, render_ticket, sample_documents
from hardware.printer.simulator import SimulatedPrinter
from hardware.printer.status import parse_status, status_reply


def test_text_carries_size_bold_alignment_and_encoding():
    data = (commands.INIT + commands.CHINESE_ON + commands.align(1) + commands.size(3, 2) + commands.bold(True)
            + "内科：（一）".encode("gbk") + commands.LF + commands.feed(3) + commands.cut(partial=False))
    elements = decode(data, "gbk")
    assert elements[:2] == [Init(), ChineseMode(True)]
    assert elements[2] == Text("内科：（一）", "gbk", 3, 2, True, "center", True)
    assert elements[3:] == [LineFeed(1), LineFeed(3), Cut(partial=False)]


def test_without_chinese_mode_the_bytes_print_as_a_western_code_page():
    (text,) = [e for e in decode(commands.INIT + "内科".encode("gbk"), "gbk") if isinstance(e, Text)]
    assert text.text != "内科" and not text.chinese


def test_native_qr_settings_and_payload():
    data = commands.align(1) + commands.qr_native(b"http://x/t/A015", module_dots=7, ec="Q")
    assert decode(data) == [QRCode(b"http://x/t/A015", 2, 7, "Q", "center")]


def test_raster_image_dimensions_and_status_queries():
    bits = bytes([0xF0, 0x0F]) * 3
    data = commands.raster(bits, 2, 3) + commands.status_query(1) + commands.status_query(4)
    image, q1, q4 = decode(data)
    assert isinstance(image, RasterImage) and (image.width_dots, image.height, image.bits) == (16, 3, bits)
    assert image.to_image().getpixel((0, 0)) == 0 and image.to_image().getpixel((5, 0)) == 255  # 1 bit = black
    assert (q1, q4) == (StatusQuery(1), StatusQuery(4))


def test_unknown_and_incomplete_commands_are_kept():
    elements = decode(b"\x1bZ" + b"\x1d(k\x10\x00")
    assert elements == [Unknown(b"\x1bZ"), Unknown(b"\x1d(k\x10\x00")]
    pieces, rest = scan(commands.raster(b"\x00" * 8, 2, 4)[:-1])
    assert pieces == [] and rest == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4000), max_size=12))
def test_simulator_is_indifferent_to_chunking(cuts):
    docs = sample_documents()
    data = render_ticket(docs.ticket, RASTER_QR_58_GBK) + render_report(docs.report, GENERIC_58_GBK)
    core = SimulatedPrinter(None, GENERIC_58_GBK)
    points = sorted({c % len(data) for c in cuts}) + [len(data)]
    start = 0
    for point in points:
        core.receive(data[start:point])
        start = point
    assert [job.data for job in core.jobs] == [render_ticket(docs.ticket, RASTER_QR_58_GBK),
                                               render_report(docs.report, GENERIC_58_GBK)]


def test_status_query_inside_a_stream_is_answered_and_not_printed():
    core = SimulatedPrinter(None, GENERIC_58_GBK)
    core.set_state(near_end=True)
    reply = core.receive(commands.INIT + b"abc" + commands.status_query(4) + commands.LF + commands.cut())
    assert reply == bytes([status_reply(4, paper_out=False, near_end=True, cover_open=False)])
    assert b"\x10\x04" not in core.jobs[0].data


@settings(max_examples=50, deadline=None)
@given(st.booleans(), st.booleans(), st.booleans())
def test_status_bytes_round_trip(paper_out, near_end, cover_open):
    state = dict(paper_out=paper_out, near_end=near_end, cover_open=cover_open)
    status = parse_status(status_reply(1, **state), status_reply(2, **state), status_reply(4, **state))
    assert status.responded
    assert (status.paper_out, status.cover_open) == (paper_out, cover_open)
    assert status.paper_near_end == (near_end and not paper_out)
    assert status.can_print == (not paper_out and not cover_open)


def test_missing_or_malformed_reply_is_unknown():
    assert not parse_status(0x12, None, 0x12).responded
    assert not parse_status(0x12, 0x12, 0x10).responded  # an echoed DLE is not a status byte
