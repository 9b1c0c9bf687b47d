"""Any realistic document content decodes back exactly and never runs off the paper."""
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.printer_profiles import GB18030_80_NATIVE_QR, GENERIC_58_GBK, GENERIC_80_GBK
from hardware.printer.decode import Cut, LineFeed, QRCode, RasterImage, Text, decode_for, text_lines
from hardware.printer.documents import ReceiptLine, render_receipt, render_ticket
from hardware.printer.layout import format_fen, text_columns

CHINESE = st.text(alphabet=st.sampled_from(list("门诊楼住院部内外科儿妇产眼耳鼻喉口腔皮肤层号室区东西南北侧电梯右转左")),
                  min_size=1, max_size=30)
MIXED = st.text(alphabet=st.sampled_from(list("阿莫西林胶囊血常规检查费（）：，·×0123456789.gmlABC -")), min_size=1,
                max_size=40).filter(lambda s: s.strip())
PROFILES = st.sampled_from([GENERIC_58_GBK, GENERIC_80_GBK, GB18030_80_NATIVE_QR])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def widest_line(elements) -> int:
    widest = current = 0
    for element in elements:
        if isinstance(element, Text):
            current += text_columns(element.text) * element.width
        elif isinstance(element, (LineFeed, QRCode, RasterImage, Cut)):
            widest, current = max(widest, current), 0
    return max(widest, current)


@SETTINGS
@given(location=CHINESE, department=CHINESE, profile=PROFILES, ahead=st.integers(0, 300))
def test_ticket_text_round_trips_and_fits(docs, location, department, profile, ahead):
    ticket = replace(docs.ticket, location=location, department=department, ahead=ahead)
    elements = decode_for(profile, render_ticket(ticket, profile))
    assert widest_line(elements) <= profile.columns
    flat = "".join(line.strip() for line in text_lines(elements))
    assert "位置：" + location in flat
    assert department in flat and f"您前面还有 {ahead} 位" in flat


@SETTINGS
@given(items=st.lists(st.tuples(MIXED, st.integers(1, 99), st.integers(0, 999_999)), min_size=1, max_size=6),
       profile=PROFILES)
def test_receipt_amounts_and_total_are_exact(docs, items, profile):
    receipt = replace(docs.receipt, lines=tuple(ReceiptLine(name, qty, fen) for name, qty, fen in items))
    elements = decode_for(profile, render_receipt(receipt, profile))
    assert widest_line(elements) <= profile.columns
    lines = text_lines(elements)
    flat = "".join(lines)
    for _name, qty, fen in items:
        assert format_fen(qty * fen) in flat and format_fen(fen) in flat
    total = next(line for line in lines if line.startswith("合计："))
    assert total.endswith(format_fen(sum(q * f for _, q, f in items)))
