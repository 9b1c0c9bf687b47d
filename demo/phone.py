"""The patient's phone in the demo: a waiting patient's ticket page in headless Chromium at 360 px.

``write_phone_screenshots(out, base_url)`` opens the page of a waiting visit of the NK area (the link its ticket's
QR code opens), photographs it waiting (Chinese and English), lets the nurse call until that patient is called and
photographs the full-screen call. Used by ``make screenshots`` (out/screenshots/phone-*.png) and ``make demo``.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}
AREA, ROOM = "NK", "NK3"


def _waiting_visit(admin, nurse) -> dict:
    """A general-number NK visit with a few patients ahead (checked in by the nurse when needed)."""
    queue = admin.area_queue(AREA)
    candidates = [v for v in queue.get("waiting", []) if v.get("dept_id") == "NK" and not v.get("doctor_id")]
    if not candidates:
        raise RuntimeError("no waiting general NK visit to show on the phone")
    return admin.visit_status(candidates[min(2, len(candidates) - 1)]["visit_id"])


def write_phone_screenshots(out: Path, base_url: str, prefix: str = "phone-", calls: int = 40) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from caller.client import CallerClient
    from caller.testing import DEMO_PASSWORD, DEMO_TOKENS

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with CallerClient(base_url, DEMO_TOKENS["admin"]) as admin, \
            CallerClient(base_url, DEMO_TOKENS["console_nk"]) as nurse:
        nurse.login("wanghs", DEMO_PASSWORD)
        status = _waiting_visit(admin, nurse)
        url = f"{base_url}/t/{status['ticket_token']}"
        with tempfile.TemporaryDirectory(prefix="chromium-") as profile, sync_playwright() as pw:
            os.environ.setdefault("XDG_CONFIG_HOME", profile)
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(**PHONE).new_page()
                page.goto(url)
                page.wait_for_function("window.ticketPage && window.ticketPage.connected")

                def shot(name: str) -> None:
                    path = out / f"{prefix}{name}.png"
                    page.screenshot(path=str(path))
                    written.append(path)

                shot("waiting")
                page.locator("#lang").click()
                shot("waiting-en")
                page.locator("#lang").click()
                page.locator("#sound").click()
                for _ in range(calls):
                    if admin.visit_status(status["visit_id"])["state"] == "called":
                        break
                    nurse.call_next(ROOM)
                page.locator("#called").wait_for(state="visible", timeout=10_000)
                shot("called")
            finally:
                browser.close()
    return written
