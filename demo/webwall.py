"""The demo's web wall: the internal-medicine TV (display ``wall-nk-tv``) in Chromium, paired like a real one.

* ``screenshots(base_url, out)``: headless, paired, screenshots at 1080 and 2160 lines (``web-wall-*.png``);
* ``python -m demo.webwall open URL``: a Chromium window beside the Qt wall, paired, until it is closed or this
  process is stopped (the demo with a screen starts it).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx

from caller.testing import DEMO_TOKENS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync",
        "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"]
DEVICE = "wall-nk-tv"


def pair(page, base_url: str, device: str = DEVICE, timeout_ms: int = 20000) -> None:
    """Open /screen/ in ``page``, pair its code as ``device`` with the admin token, wait for the board."""
    page.goto(base_url.rstrip("/") + "/screen/")
    page.wait_for_function("/^\\d{6}$/.test(document.getElementById('pair-code').textContent)", timeout=timeout_ms)
    code = page.text_content("#pair-code")
    answer = httpx.post(base_url.rstrip("/") + "/api/v1/screens/pair", json={"code": code, "device": device},
                        headers={"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}, timeout=10)
    answer.raise_for_status()
    page.wait_for_function("window.__screen && window.__screen.state.view !== null", timeout=timeout_ms)


def screenshots(base_url: str, out: Path) -> list[Path]:
    """The web wall as the waiting room sees it, at 1920x1080 and on a 3840x2160 TV."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
            page = context.new_page()
            pair(page, base_url)
            page.wait_for_function("window.__screen.playing !== undefined", timeout=20000)
            shots.append(out / "web-wall-1080.png")
            page.screenshot(path=str(shots[-1]))
            page.set_viewport_size({"width": 3840, "height": 2160})  # the same page on a 4K TV: scaled, not re-laid
            page.wait_for_function("document.getElementById('stage').getBoundingClientRect().width > 3800")
            shots.append(out / "web-wall-2160.png")
            page.screenshot(path=str(shots[-1]))
        finally:
            browser.close()
    return shots


def open_window(base_url: str) -> int:
    """A visible Chromium window with the paired web wall, until it is closed or stdin ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=False,
                                     args=ARGS + ["--window-size=960,560", "--window-position=980,0"])
        try:
            page = browser.new_context(viewport={"width": 960, "height": 540}, bypass_csp=True).new_page()
            pair(page, base_url)
            print("网页候诊屏已打开 / web wall open", flush=True)
            while browser.is_connected() and not page.is_closed():
                page.wait_for_timeout(500)
        finally:
            if browser.is_connected():
                browser.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "open":
        sys.exit(open_window(sys.argv[2]))
    if len(sys.argv) >= 3 and sys.argv[1] == "screenshots":
        print([str(p) for p in screenshots(sys.argv[2], Path(sys.argv[3] if len(sys.argv) > 3 else "out/demo"))])
        sys.exit(0)
    print("python -m demo.webwall open URL | screenshots URL [OUT]", file=sys.stderr)
    sys.exit(2)
