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

    from caller.testing import DEMO_PASSWORD, DEMO_TOKENS
    from client.http import CallerClient

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


class PhoneFollower:
    """``make demo``: a patient's phone during the morning, in its own thread.

    Waits for an NK patient with a few ahead, opts them in to SMS through the nurse (the simulated gateway records
    the texts), opens their ticket page at 360 px and photographs it waiting and when called, into ``out``.
    Never calls anybody itself, so the scripted morning goes on as planned.
    """

    def __init__(self, out: Path, base_url: str, phone: str = "13800138000"):
        import threading

        self.out, self.base_url, self.phone = out, base_url, phone
        self.shots: list[Path] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="demo-phone", daemon=True)

    def start(self) -> "PhoneFollower":
        if os.path.exists(CHROMIUM):
            self.thread.start()
        return self

    def close(self, timeout: float = 20.0) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _visit(self, admin) -> dict | None:
        queue = admin.area_queue(AREA)
        waiting = [v for v in queue.get("waiting", []) if v.get("dept_id") == "NK" and not v.get("doctor_id")]
        return admin.visit_status(waiting[2]["visit_id"]) if len(waiting) >= 3 else None

    def _run(self) -> None:
        import logging

        try:
            self._follow()
        except Exception:  # the phone is a bonus of the demo: it never stops the morning
            logging.getLogger("demo.phone").exception("the demo phone stopped")

    def _follow(self) -> None:
        from playwright.sync_api import sync_playwright

        from caller.testing import DEMO_PASSWORD, DEMO_TOKENS
        from client.http import CallerClient

        with CallerClient(self.base_url, DEMO_TOKENS["admin"]) as admin, \
                CallerClient(self.base_url, DEMO_TOKENS["console_nk"]) as nurse:
            status = None
            while status is None and not self.stop.wait(0.5):
                status = self._visit(admin)
            if status is None:
                return
            nurse.login("wanghs", DEMO_PASSWORD)
            nurse.notify(status["visit_id"], "sms", self.phone)  # the patient asked the nurse for a text
            self.out.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="chromium-") as profile, sync_playwright() as pw:
                os.environ.setdefault("XDG_CONFIG_HOME", profile)
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_context(**PHONE).new_page()
                    page.goto(f"{self.base_url}/t/{status['ticket_token']}")
                    page.wait_for_function("window.ticketPage && window.ticketPage.connected")
                    self._shot(page, "phone-waiting")
                    while not self.stop.is_set():
                        if page.evaluate("window.ticketPage.status && window.ticketPage.status.state") == "called":
                            page.wait_for_timeout(300)  # the banner's first paint
                            self._shot(page, "phone-called")
                            break
                        page.wait_for_timeout(200)
                finally:
                    browser.close()

    def _shot(self, page, name: str) -> None:
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path))
        self.shots.append(path)
