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


def title(data: dict[str, Any]) -> str:
    return f"{data['month']} {data['scope']['name_zh']} PDCA 月度分析"


def pdca_html(data: dict[str, Any], hospital: str) -> str:
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table(data))
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    q = f"month={data['month']}&dept={data['scope']['key']}"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(title(data))}</title><link rel="stylesheet" href="/cockpit/static/cockpit.css">
<script src="/cockpit/static/print.js" defer></script></head>
<body class="pdca"><h1>{html.escape(hospital)} · {html.escape(title(data))}</h1>
<p class="noprint"><a href="/cockpit/">← 驾驶舱 Cockpit</a> · <a id="xlsx" href="/cockpit/export/pdca.xlsx?{q}">导出 XLSX</a>
 · <a id="csv" href="/cockpit/export/pdca.csv?{q}">导出 CSV</a> · <a id="print" href="#">打印 Print</a></p>
<table id="pdca-table"><thead><tr>{head}</tr></thead><tbody>
{rows}
</tbody></table>
<h2>P 计划 Plan</h2><p class="blank">目标见上表（医院配置文件 [cockpit.targets]）。</p>
<h2>D 执行 Do</h2><p class="blank"></p><h2>C 检查 Check</h2><p class="blank">未达标项：{html.escape('、'.join(r['name_zh'] for r in data['rows'] if r['met'] is False) or '无')}</p>
<h2>A 处理 Act</h2><p class="blank"></p>
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
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pdca_csv(data: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(table(data))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
