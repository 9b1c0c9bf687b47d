"""Fixtures every test folder may use.

``browser``: Debian's Chromium (``/usr/bin/chromium``, installed by scripts/setup.sh) driven by Playwright, headless.
Nothing here downloads a browser; a machine without Chromium skips the web tests with the reason.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module; each test opens its own context (cookies, viewport).

    Per module, not per session: while Playwright's sync API is open it keeps an asyncio loop running in the main
    thread, and a later module's ``asyncio.run()`` would fail with "cannot be called from a running event loop".
    """
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (scripts/setup.sh installs Debian's chromium)")
    from playwright.sync_api import sync_playwright  # imported here: only web tests need it

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile, sync_playwright() as pw:
        os.environ.setdefault("XDG_CONFIG_HOME", profile)
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _unplanned_dialog(*_args, **_kwargs):
    raise AssertionError("a modal dialog opened that the test did not answer (offscreen nobody can click it): "
                         "replace the window's ask_*/confirm for this test")


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A modal Qt dialog offscreen waits for a click that never comes, in Qt's own loop where no timeout reaches it.
    Tests answer the console's questions by replacing its ``ask_*``/``confirm``; a dialog they did not plan fails
    the test at once instead of hanging its worker."""
    from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox  # noqa: PLC0415 - Qt tests only

    monkeypatch.setattr(QDialog, "exec", _unplanned_dialog)
    for name in ("getItem", "getText", "getInt", "getDouble", "getMultiLineText"):
        monkeypatch.setattr(QInputDialog, name, _unplanned_dialog)
    for name in ("question", "warning", "information", "critical", "about"):
        monkeypatch.setattr(QMessageBox, name, _unplanned_dialog)
    for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, _unplanned_dialog)
