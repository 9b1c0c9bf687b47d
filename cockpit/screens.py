"""Driving the cockpit in a real browser (Playwright + Debian's chromium): shared by the browser test,
`make screenshots` (out/screenshots/cockpit-*.png) and `make demo` (out/demo/cockpit-*.png)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]

# True when the canvas inside `selector` has more than one colour (ECharts drew something).
PAINTED = """(selector) => {
  const canvas = document.querySelector(selector + ' canvas');
  if (!canvas || !canvas.width || !canvas.height) return false;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const first = data.slice(0, 4).join();
  for (let i = 4; i < data.length; i += 4 * 97) {
    if (data.slice(i, i + 4).join() !== first) return true;
  }
  return false;
}"""


def login(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/cockpit/")
    page.fill("#login input[name=username]", username)
    page.fill("#login input[name=password]", password)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#cards .card")
    wait_painted(page)


def wait_painted(page: Any, charts: tuple[str, ...] = ("#chart-trend", "#chart-channels")) -> None:
    for chart in charts:
        page.wait_for_function(PAINTED, arg=chart)


WALL_CHARTS = ("#chart-hours",)  # the wall mode shows no daily trend and no channels


def show(page: Any, period: str) -> None:
    """Today / this week / this month; waits for the new figures."""
    page.click(f"#periods button[data-period={period}]")
    page.wait_for_function("(p) => document.body.dataset.shown === p", arg=period)
    wait_painted(page)


def drill(page: Any, name: str) -> None:
    """Click the row of `name` in the breakdown table and wait until the breadcrumbs end with it."""
    page.click(f"#children tbody tr:has(td:text-is('{name}'))")
    page.wait_for_function("(n) => { const c = document.querySelectorAll('#crumbs a'); "
                           "return c.length && c[c.length - 1].textContent === n; }", arg=name)
    wait_painted(page)


def tour(base_url: str, out: Path, prefix: str = "cockpit", username: str = "yuanzhang",
         password: str = "demo1234", month: str | None = None) -> list[Path]:
    """Screenshots of today, the month, an area and a department, the PDCA page, the English view and the wall
    mode (大屏)."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()

            def shot(name: str) -> None:
                path = out / f"{prefix}-{name}.png"
                page.screenshot(path=str(path), full_page=True)
                shots.append(path)

            login(page, base_url, username, password)
            shot("today")
            show(page, "month")
            shot("month")
            first_area = page.locator("#children tbody tr td:first-child").first.text_content()
            drill(page, first_area)
            shot("area")
            first_dept = page.locator("#children tbody tr td:first-child").first.text_content()
            drill(page, first_dept)
            shot("department")
            page.click("#lang")
            page.wait_for_function("document.documentElement.lang === 'en'")
            wait_painted(page)
            shot("department-en")
            page.goto(base_url + page.locator("#pdca-link").get_attribute("href"))
            page.wait_for_selector("#pdca-table")
            shot("pdca")
            wall = page.context.new_page()  # 大屏: the director's office wall, 1920 x 1080
            wall.set_viewport_size({"width": 1920, "height": 1080})
            wall.goto(base_url + "/cockpit/?wall=1")
            wall.wait_for_selector("#cards .card")
            wait_painted(wall, WALL_CHARTS)
            path = out / f"{prefix}-wall.png"
            wall.screenshot(path=str(path))
            shots.append(path)
        finally:
            browser.close()
    return shots
