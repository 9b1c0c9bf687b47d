"""The lab report as an A4 PDF (reportlab), with the bundled CJK font embedded so any printer prints it."""
from __future__ import annotations

import io
from functools import lru_cache

from common.fonts import cjk_font_path
from hardware.printer.documents import FLAG_MARK, TIME_FORMAT, ReportDoc

FONT = "WenQuanYiMicroHei"


@lru_cache(maxsize=1)
def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415 - a heavy library, loaded only when this runs
    from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415 - a heavy library, loaded only when this runs

    pdfmetrics.registerFont(TTFont(FONT, str(cjk_font_path()), subfontIndex=0))
    return FONT


def report_pdf(doc: ReportDoc) -> bytes:
    """One A4 page (more for a long report): header, patient, results with ↑/↓, signers, print count."""
    from reportlab.lib import colors  # noqa: PLC0415 - a heavy library, loaded only when this runs
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - a heavy library, loaded only when this runs
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - a heavy library, loaded only when this runs
    from reportlab.lib.units import mm  # noqa: PLC0415 - a heavy library, loaded only when this runs
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # noqa: PLC0415 - a heavy library, loaded only when this runs

    font = _register_font()
    style = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    title = ParagraphStyle("title", parent=style, fontSize=18, leading=24, alignment=1)
    subtitle = ParagraphStyle("subtitle", parent=style, fontSize=14, leading=20, alignment=1)
    small = ParagraphStyle("small", parent=style, fontSize=9, leading=13, textColor=colors.HexColor("#444444"))

    def p(text: str, st: ParagraphStyle = style) -> Paragraph:
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), st)

    buf = io.BytesIO()
    pdf = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, initialFontName=font, title=f"{doc.title} {doc.report_no}".strip(), author=doc.hospital,
                            subject="检验报告单")
    sampled = doc.sampled_at.strftime(TIME_FORMAT) if doc.sampled_at else ""
    info = [[p(f"姓名：{doc.patient_name}"), p(f"性别：{doc.sex}"), p(f"年龄：{doc.age}")],
            [p(f"报告单号：{doc.report_no}"), p(f"科室：{doc.department}"), p(f"标本：{doc.specimen}")],
            [p(f"采样时间：{sampled}"), p(f"报告时间：{doc.reported_at.strftime(TIME_FORMAT)}"), p("")]]
    width = A4[0] - 36 * mm
    info_table = Table(info, colWidths=[width * 0.4, width * 0.3, width * 0.3])
    info_table.setStyle(TableStyle([("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
                                    ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black),
                                    ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    rows = [[p("项目"), p("结果"), p("提示"), p("单位"), p("参考范围")]]
    for item in doc.items:
        rows.append([p(item.name), p(item.result), p(FLAG_MARK[item.flag]), p(item.unit), p(item.reference)])
    results = Table(rows, colWidths=[width * 0.38, width * 0.14, width * 0.08, width * 0.2, width * 0.2], repeatRows=1)
    marks = [("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black), ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    for n, item in enumerate(doc.items, start=1):
        if item.flag:
            marks.append(("BACKGROUND", (0, n), (-1, n), colors.HexColor("#EEEEEE")))
    results.setStyle(TableStyle(marks))
    signers = Table([[p(f"检验者：{doc.tested_by}"), p(f"审核者：{doc.verified_by}"), p(f"第{doc.print_count}次打印")]],
                    colWidths=[width * 0.4, width * 0.4, width * 0.2])
    story = [p(doc.hospital, title), p(doc.title, subtitle), Spacer(1, 4 * mm), info_table, Spacer(1, 4 * mm), results,
             Spacer(1, 6 * mm), signers, Spacer(1, 4 * mm)] + [p(line, small) for line in doc.footer]
    pdf.build(story)
    return buf.getvalue()
