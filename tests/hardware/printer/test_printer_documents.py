"""The slips decode back to what a patient should read: Chinese exact, sizes, money, flags, QR."""
from dataclasses import replace

import pytest
import zxingcpp

from common.printer_profiles import (
    CHINESE_FIRMWARE_80_GBK,
    GB18030_80_NATIVE_QR,
    GENERIC_58_GBK,
    RASTER_QR_58_GBK,
    RASTER_QR_80_GBK,
)
from hardware.printer.decode import ChineseMode, Cut, LineFeed, QRCode, RasterImage, Text, decode_for, text_lines
from hardware.printer.documents import render_receipt, render_report, render_ticket
from hardware.printer.layout import text_columns


def texts(elements):
    return [e for e in elements if isinstance(e, Text)]


def test_ticket_number_is_printed_very_large_and_centred(docs, profile):
    elements = decode_for(profile, render_ticket(docs.ticket, profile))
    number = next(e for e in texts(elements) if e.text == "A015")
    assert number.width >= 4 and number.height >= 4 and number.align == "center" and number.bold
    assert number.width * text_columns("A015") <= profile.columns
    assert max(e.height for e in texts(elements)) == number.height


def test_ticket_chinese_text_decodes_back_exactly(docs, profile):
    lines = text_lines(decode_for(profile, render_ticket(docs.ticket, profile)))
    joined = "".join(line.strip() for line in lines)
    for expected in ("市第一人民医院", "内科", "诊室：3诊室", "门诊楼2层 内科诊区，出电梯右转", "姓名：王*明",
                     "您前面还有 5 位", "预计等候约 25 分钟", "取号时间：2026-11-23 09:30", "祝您早日康复",
                     "请留意叫号"):
        assert expected in joined
    assert "?" not in joined.replace("?k=", "")


def test_every_line_fits_the_paper(docs, profile):
    for data in (render_ticket(docs.ticket, profile), render_receipt(docs.receipt, profile),
                 render_report(docs.report, profile)):
        widest = current = 0
        for element in decode_for(profile, data):
            if isinstance(element, Text):
                current += text_columns(element.text) * element.width
            elif isinstance(element, (LineFeed, QRCode, RasterImage, Cut)):
                widest, current = max(widest, current), 0
        assert max(widest, current) <= profile.columns


def test_chinese_mode_switched_on_and_off_per_profile(docs):
    on = decode_for(GENERIC_58_GBK, render_ticket(docs.ticket, GENERIC_58_GBK))
    assert [e.on for e in on if isinstance(e, ChineseMode)] == [True, False]
    assert all(e.chinese for e in texts(on))
    firmware = render_ticket(docs.ticket, CHINESE_FIRMWARE_80_GBK)
    assert b"\x1c&" not in firmware and b"\x1c." not in firmware
    assert "市第一人民医院" in text_lines(decode_for(CHINESE_FIRMWARE_80_GBK, firmware))[0]


def test_fullwidth_punctuation_and_yen_survive_as_gbk(docs):
    data = render_receipt(docs.receipt, GENERIC_58_GBK)
    for ch in "：（）￥×":
        assert ch.encode("gbk") in data
    assert b"?" not in data
    joined = "\n".join(text_lines(decode_for(GENERIC_58_GBK, data)))
    assert "血常规（五分类）" in joined and "阿莫西林胶囊（0.25g×24粒）" in joined


def test_receipt_amounts_from_integer_fen(docs, profile):
    lines = text_lines(decode_for(profile, render_receipt(docs.receipt, profile)))
    joined = "\n".join(lines)
    assert "￥12.50" in joined  # unit price 1250 fen
    assert "￥25.00" in joined and "￥10.00" in joined
    total = next(line for line in lines if line.startswith("合计："))
    assert total.endswith("￥60.00")
    assert any("交易号" in line for line in lines) and "4200001234202611230987654321" in joined.replace("\n", "")
    assert "微信支付" in joined and "2026-11-23 09:30:00" in joined


def test_report_flags_print_count_and_doctors(docs, profile):
    elements = decode_for(profile, render_report(docs.report, profile))
    lines = [line.strip() for line in text_lines(elements)]
    joined = "\n".join(lines)
    assert "11.8 ↑" in joined and "102 ↓" in joined and "78.2 ↑" in joined
    assert "4.52 ↑" not in joined and "4.52 ↓" not in joined
    assert "第2次打印" in joined
    assert "检验者：李建华" in joined and "审核者：陈静" in joined
    assert "姓名：欧阳娜娜" in joined and "年龄：45岁" in joined and "性别：女" in joined  # their own document
    assert "报告单号：JY20261123-000128" in joined and "采样时间：2026-11-23 07:45" in joined
    high = next(e for e in texts(elements) if "11.8" in e.text)
    assert high.bold


def test_native_qr_payload_is_the_status_url(docs, profile):
    elements = decode_for(profile, render_ticket(docs.ticket, profile))
    (qr,) = [e for e in elements if isinstance(e, QRCode)]
    assert qr.payload.decode() == docs.ticket.status_url
    assert qr.model == 2 and qr.ec == "M" and qr.module_dots == profile.qr_module_dots and qr.align == "center"
    assert isinstance(elements[-1], Cut)


@pytest.mark.parametrize("raster_profile", [RASTER_QR_58_GBK, RASTER_QR_80_GBK], ids=["58mm", "80mm"])
def test_raster_qr_decodes_with_zxing(docs, raster_profile):
    elements = decode_for(raster_profile, render_ticket(docs.ticket, raster_profile))
    assert not any(isinstance(e, QRCode) for e in elements)
    (image,) = [e for e in elements if isinstance(e, RasterImage)]
    assert image.width_dots <= raster_profile.dots
    (found,) = zxingcpp.read_barcodes(image.to_image().convert("L"))
    assert found.text == docs.ticket.status_url


def test_gb18030_profile_prints_a_name_gbk_cannot(docs):
    ticket = replace(docs.ticket, masked_name="吴*𠮷")  # U+20BB7 is outside GBK
    from hardware.printer.decode import RasterImage

    gbk_elements = decode_for(GENERIC_58_GBK, render_ticket(ticket, GENERIC_58_GBK))
    gb18030 = text_lines(decode_for(GB18030_80_NATIVE_QR, render_ticket(ticket, GB18030_80_NATIVE_QR)))
    assert "姓名：吴*𠮷" in gb18030
    assert not any("?" in line for line in text_lines(gbk_elements))  # never a silent '?'
    assert sum(isinstance(e, RasterImage) for e in gbk_elements) == 1  # that line drawn with the bundled font


def test_ticket_carries_number_kind_doctor_and_slot(docs, profile):
    joined = "\n".join(line.strip() for line in text_lines(decode_for(profile, render_ticket(docs.ticket, profile))))
    assert "号别：专家号" in joined and "医生：张建国 主任医师" in joined
    assert "就诊时段：2026-11-23 09:30-09:45" in joined.replace("\n", "").replace("  ", "")


def test_ticket_shows_the_wait_range_when_the_service_gives_one(docs, profile):
    ticket = replace(docs.ticket, wait_range=(12, 20))
    joined = "\n".join(text_lines(decode_for(profile, render_ticket(ticket, profile))))
    assert "预计等候约 12-20 分钟" in joined


def test_registration_receipt_has_every_fact(docs, profile):
    from hardware.printer import render_registration_receipt

    joined = "\n".join(line.strip() for line in text_lines(
        decode_for(profile, render_registration_receipt(docs.registration, profile))))
    for fact in ("挂号凭条", "姓名：王*明", "就诊卡号：MC26***128", "科室：内科", "号别：专家号", "医生：张建国 主任医师",
                 "就诊日期：2026-11-23", "就诊时段：09:30-09:45", "排队号：A015", "50.00", "微信支付",
                 "4200001234202611230987654321", "kiosk-1"):
        assert fact in joined.replace("\n", "") or fact in joined, fact
