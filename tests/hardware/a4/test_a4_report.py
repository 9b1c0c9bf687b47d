"""A4 lab reports: a PDF with the bundled CJK font embedded, printed through a real CUPS with cups-pdf, read back
with pdftotext and pdftoppm; a stopped queue and a missing printer are reported, not silently lost."""
from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest
from PIL import Image

from hardware.a4 import A4PrinterError, CupsPrinter, report_pdf
from hardware.health import Health
from hardware.printer.documents import sample_documents
from tests.cups_fixture import a4_queue, cups_server  # noqa: F401 - fixtures

REPORT = sample_documents().report


def pages(path) -> int:
    import re

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_pdf_has_every_fact_and_embeds_its_font(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(REPORT))
    text = pdf_text(path)
    for fact in ("市第一人民医院", "检验报告单（血常规）", "姓名：欧阳娜娜", "年龄：45岁", "性别：女", "报告单号：JY20261123-000128",
                 "采样时间：2026-11-23 07:45", "白细胞计数(WBC)", "11.8", "↑", "µmol/L", "mL/min/1.73m²",
                 "检验者：李建华", "审核者：陈静", "第2次打印"):
        assert fact in text, fact
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYiMicroHei" in line]
    assert cjk and " yes yes yes " in cjk[0]  # the bundled font embedded (subset, with text mapping): any printer prints it


def test_report_printed_through_cups_comes_out_as_an_a4_page(cups_server, a4_queue, tmp_path):
    queue, out = a4_queue
    printer = CupsPrinter(queue, cups_server.address)
    assert printer.check_ready().status == Health.OK
    job = printer.print_pdf(report_pdf(REPORT), "检验报告 JY20261123-000128")
    assert job.startswith(queue)
    [pdf] = cups_server.wait_for_pdfs(out, 1)
    text = pdf_text(pdf)
    for fact in ("欧阳娜娜", "检验报告单", "白细胞计数", "肌酐", "李建华", "审核者"):
        assert fact in text, fact
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert pages(pdf) == 1 and "595 x 842" in info  # one A4 page (points)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, capture_output=True)
    [png] = sorted(tmp_path.glob("page*.png"))
    page = Image.open(png).convert("L")
    assert abs(page.width / page.height - 210 / 297) < 0.01
    assert page.getextrema()[0] < 100  # ink on the page


def test_a_long_report_flows_onto_a_second_page(cups_server, a4_queue):
    queue, out = a4_queue
    long = replace(REPORT, items=REPORT.items * 12)
    CupsPrinter(queue, cups_server.address).print_pdf(report_pdf(long), "long")
    [pdf] = cups_server.wait_for_pdfs(out, 1)
    assert pages(pdf) >= 2


def test_a_stopped_queue_and_a_missing_printer_are_reported(cups_server, a4_queue):
    queue, _out = a4_queue
    cups_server.stop_queue(queue)
    stopped = CupsPrinter(queue, cups_server.address).check_ready()
    assert stopped.status == Health.OFFLINE and "暂停" in stopped.reason_zh and "stopped" in stopped.reason_en
    cups_server.start_queue(queue)
    assert CupsPrinter(queue, cups_server.address).check_ready().status == Health.OK
    missing = CupsPrinter("NoSuchPrinter", cups_server.address)
    assert "不存在" in missing.check_ready().reason_zh
    with pytest.raises(A4PrinterError) as refused:
        missing.print_pdf(report_pdf(REPORT), "x")
    assert "不存在" in refused.value.reason_zh


def test_a_scheduler_that_does_not_answer_is_reported():
    from hardware.a4.server import _free_port

    health = CupsPrinter("LabA4", f"127.0.0.1:{_free_port()}", timeout=5).check_ready()
    assert health.status == Health.OFFLINE and health.reason_zh
