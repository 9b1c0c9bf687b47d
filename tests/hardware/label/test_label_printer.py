"""Specimen labels through the real TSPL codec and TCP transport against the simulated label printer, which
decodes every label back to its barcode content and text."""
from __future__ import annotations

import pytest
import zxingcpp

from hardware.label import LabelSize, SpecimenLabel, TcpLabelTransport, decode, encode, parse_status
from hardware.label.render import render_png
from hardware.label.simulator import LabelPrinterServer, SimulatedLabelPrinter

TUBES = [SpecimenLabel("261207NK0015021", "欧阳娜娜", "A015", ("血常规",), "紫帽管", "12-07 08:15"),
         SpecimenLabel("261207NK0015022", "欧阳娜娜", "A015", ("空腹血糖", "肝功能"), "灰帽管", "12-07 08:15", copies=2)]


def test_labels_go_through_tcp_and_come_back_as_barcode_and_text(tmp_path):
    printer = SimulatedLabelPrinter(tmp_path)
    with LabelPrinterServer(printer) as server:
        transport = TcpLabelTransport("127.0.0.1", server.port)
        transport.write(encode(TUBES))
        assert printer.wait_labels(2, 10)
        transport.close()
    first, second = printer.labels
    assert [b[3] for b in first.barcodes] == ["261207NK0015021"]
    assert first.text.splitlines() == ["欧阳娜娜  A015", "血常规", "紫帽管  12-07 08:15"]
    assert second.copies == 2 and "空腹血糖、肝功能" in second.text
    assert first.size == LabelSize(50, 30, 2)
    assert (tmp_path / "label-002.png").exists()
    assert "barcode 261207NK0015022" in (tmp_path / "label-002.txt").read_text(encoding="utf-8")
    for label, tube in zip(printer.labels, TUBES):  # a scanner reads the drawn bars back
        assert [r.text for r in zxingcpp.read_barcodes(render_png(label))] == [tube.barcode]


def test_chinese_goes_as_gbk_in_the_builtin_chinese_font():
    data = encode(TUBES[:1])
    assert "欧阳娜娜".encode("gbk") in data and "欧阳娜娜".encode("utf-8") not in data
    assert b'"TSS24.BF2"' in data and data.count(b"PRINT 1,1") == 1


def test_a_long_test_list_is_cut_to_the_label_width_and_bad_numbers_are_refused():
    many = SpecimenLabel("X1", "王小明", "A001", tuple(f"检验项目{n}" for n in range(10)), "黄帽管")
    text = decode(encode([many]))[0].texts[1][2]
    assert len(text) * 24 <= 50 * 8 and text.endswith("…")
    with pytest.raises(ValueError):
        encode([SpecimenLabel('1"2', "王", "A001", ("血常规",), "紫帽管")])


def test_status_faults_stop_printing_and_silence_is_unknown(tmp_path):
    printer = SimulatedLabelPrinter(tmp_path)
    printer.status_byte = 0b100  # paper out
    with LabelPrinterServer(printer) as server:
        transport = TcpLabelTransport("127.0.0.1", server.port)
        status = transport.status()
        assert status.known and not status.ready and status.problems == ("paper_out",)
        assert "标签纸用完" in status.message_zh
        transport.write(encode(TUBES[:1]))
        assert not printer.wait_labels(1, 0.3) and printer.labels == []
        transport.close()
    assert not TcpLabelTransport("127.0.0.1", server.port, timeout=0.3).status().known  # nobody answers
    assert parse_status(None).message_zh == "标签打印机无响应"
