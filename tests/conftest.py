"""Fixtures every test folder may use.

``browser``: Debian's Chromium (``/usr/bin/chromium``, installed by scripts/setup.sh) driven by Playwright, headless.
Nothing here downloads a browser; a machine without Chromium skips the web tests with the reason.
"""
from __future__ import annotations

import faulthandler
import os
import shutil
import tempfile
from pathlib import Path

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


@pytest.fixture(autouse=True)
def qt_garbage_on_the_gui_thread(request):
    """Qt tests run as the apps do (uikit/collector.py): garbage cycles are freed on the GUI thread, not by the
    in-process service's thread or a runner's worker that happens to allocate; the automatic collector is back after
    the test."""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("qapp")
    from uikit.collector import GuiThreadCollector  # noqa: PLC0415 - Qt tests only

    collector = GuiThreadCollector()
    try:
        yield collector
    finally:
        collector.stop()


# A test stuck past HANG_DUMP_S has every thread's stack written to a file of its worker; pytest-timeout ends the
# worker at 120 s (pyproject.toml), and the report of that crash then carries the stacks (a worker's own stderr is
# not shown). The folder is made by the controller and reaches the workers through the environment.
HANG_DUMP_S = 100
_HANG_DIR_ENV = "HOSPITAL_TEST_HANG_DIR"


def pytest_configure(config):
    if not hasattr(config, "workerinput") and _HANG_DIR_ENV not in os.environ:
        os.environ[_HANG_DIR_ENV] = tempfile.mkdtemp(prefix="test-hangs-")


def _hang_file(worker: str) -> Path | None:
    folder = os.environ.get(_HANG_DIR_ENV)
    return Path(folder) / f"{worker}.txt" if folder else None


@pytest.fixture(autouse=True)
def stacks_of_a_stuck_test(request):
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    path = _hang_file(worker) if worker else None
    if path is None:
        yield
        return
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{request.node.nodeid} still running after {HANG_DUMP_S} s; its threads:\n")
        out.flush()
        faulthandler.dump_traceback_later(HANG_DUMP_S, file=out)
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()


@pytest.hookimpl(optionalhook=True)  # an xdist hook: the suite also runs without xdist
def pytest_handlecrashitem(crashitem, report, sched):
    """A worker that died running a test: its stacks, if it was stuck (written by ``stacks_of_a_stuck_test``)."""
    worker = getattr(getattr(report, "node", None), "gateway", None)
    path = _hang_file(worker.id) if worker is not None else None
    if path is not None and path.exists():
        text = path.read_text(encoding="utf-8", errors="replace")
        if "Thread 0x" in text or "Current thread" in text:
            report.longrepr = f"{report.longrepr}\n{text}"
