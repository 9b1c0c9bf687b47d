"""The PDCA table as a printable page, XLSX (openpyxl) and CSV: one list of rows, one way to show each figure."""
from __future__ import annotations

import csv
import html
import io
from typing import Any

UNIT_ZH = {"count": "人次", "min": "分钟", "%": "%", "per_hour": "人次/小时", "stars": "星", "yuan": "元"}
HEADER = ("指标 KPI", "单位 Unit", "实际 Actual", "目标 Target", "达标 Met")


def figure(value: float | None) -> str:
    """How a figure is written everywhere (page, CSV): up to two decimals, no trailing zeros; — when unknown."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def _met(met: bool | None) -> str:
    return "—" if met is None else ("是 yes" if met else "否 no")


def table(data: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [(f"{r['name_zh']} {r['name_en']}", UNIT_ZH.get(r["unit"], r["unit"]), figure(r["value"]),
             figure(r["target"]), _met(r["met"])) for r in data["rows"]]


def record_lines(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The entered part of the record (P's plan, D's actions, A's decision), as (section, text) lines, zh/en."""
    from cockpit.pdca import decision_text

    rec = data.get("record") or {}
    targets = "；".join(f"{r['name_zh']} {figure(r['target'])}" for r in data["rows"] if r["target"] is not None)
    lines = [("P 计划 Plan", f"目标 Targets: {targets or '—'}")]
    if rec.get("plan"):
        lines.append(("P 计划 Plan", rec["plan"]))
    for a in rec.get("do") or []:
        lines.append(("D 执行 Do", f"{a['date']} {a['action']}" + (f"（{a['by']}）" if a.get("by") else "")))
    if not rec.get("do"):
        lines.append(("D 执行 Do", "尚无记录 None recorded yet"))
    unmet = [r["name_zh"] for r in data["rows"] if r["met"] is False]
    lines.append(("C 检查 Check", f"未达标 Not met: {'、'.join(unmet) or '无 none'}"))
    act = rec.get("act") or {}
    if act.get("decision"):
        lines.append(("A 处理 Act", f"{decision_text(act['decision'])} / {decision_text(act['decision'], 'en')}"))
    if act.get("note"):
        lines.append(("A 处理 Act", act["note"]))
    if not act.get("decision") and not act.get("note"):
        lines.append(("A 处理 Act", "尚未决定 Not decided yet"))
    if rec.get("updated_by"):
        lines.append(("记录 Saved", f"{rec['updated_by']} {rec['updated_at']}"))
    return lines


def title(data: dict[str, Any]) -> str:
    return f"{data['month']} {data['scope']['name_zh']} PDCA 月度分析"


def pdca_html(data: dict[str, Any], hospital: str) -> str:
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table(data))
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    q = f"month={data['month']}&dept={data['scope']['key']}"
    sections, last = [], None
    for section, text in record_lines(data):
        if section != last:
            sections.append(f'<h2>{html.escape(section)}</h2>')
            last = section
        sections.append(f'<p class="entry">{html.escape(text)}</p>')
    sections = "\n".join(sections)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(title(data))}</title><link rel="stylesheet" href="/cockpit/static/cockpit.css">
<script src="/cockpit/static/print.js" defer></script></head>
<body class="pdca"><h1>{html.escape(hospital)} · {html.escape(title(data))}</h1>
<p class="noprint"><a href="/cockpit/">← 驾驶舱 Cockpit</a> · <a id="xlsx" href="/cockpit/export/pdca.xlsx?{q}">导出 XLSX</a>
 · <a id="csv" href="/cockpit/export/pdca.csv?{q}">导出 CSV</a> · <a id="print" href="#">打印 Print</a></p>
<table id="pdca-table"><thead><tr>{head}</tr></thead><tbody>
{rows}
</tbody></table>
{sections}
</body></html>"""


def pdca_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "PDCA"
    ws.append([title(data)])
    ws.append(list(HEADER))
    for r, row in zip(data["rows"], table(data)):
        ws.append([row[0], row[1], r["value"], r["target"], row[4]])
    ws.column_dimensions["A"].width = 40
    rec = wb.create_sheet("记录 Record")  # the entered part: plan, actions done, decision
    for section, text in record_lines(data):
        rec.append([section, text])
    rec.column_dimensions["A"].width = 16
    rec.column_dimensions["B"].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pdca_csv(data: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(table(data))
    writer.writerow([])  # then the entered part: plan, actions done, decision
    writer.writerows(record_lines(data))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
