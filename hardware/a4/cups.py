"""Printing PDFs on a CUPS queue with the ordinary client tools (lp, lpstat): one job per document.

Errors are A4PrinterError with the reason in Chinese and English, like the thermal printer's. A queue that is
stopped (disabled) or refuses jobs, a printer that does not exist and a scheduler that does not answer are all
"not ready": the kiosk then prints on the thermal printer instead.
"""
from __future__ import annotations

import os
import re
import subprocess

from hardware.health import DeviceHealth, Health

DEVICE = "a4printer"
_REQUEST_ID = re.compile(r"request id is (\S+)")


class A4PrinterError(Exception):
    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_zh, self.reason_en = reason_zh, reason_en


class CupsPrinter:
    """``CupsPrinter(queue, server)``; server "host:port" (None: the machine's default scheduler)."""

    def __init__(self, queue: str, server: str | None = None, timeout: float = 10.0) -> None:
        self.queue, self.server, self.timeout = queue, server, timeout

    def _run(self, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
        command = [args[0]] + (["-h", self.server] if self.server else []) + list(args[1:])
        env = {**os.environ, "LANG": "C", "LC_ALL": "C"}  # the tools' messages are parsed: no translations
        try:
            return subprocess.run(command, input=data, capture_output=True, timeout=self.timeout, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise A4PrinterError("打印服务无响应", f"the print service does not answer ({type(exc).__name__})") from exc

    def check_ready(self) -> DeviceHealth:
        """OK when the queue exists, is enabled and accepts jobs; OFFLINE with the reason otherwise."""
        try:
            state = self._run("lpstat", "-p", self.queue)
            accepting = self._run("lpstat", "-a", self.queue)
        except A4PrinterError as exc:
            return DeviceHealth(DEVICE, Health.OFFLINE, exc.reason_zh, exc.reason_en)
        text = (state.stdout + state.stderr + accepting.stdout + accepting.stderr).decode("utf-8", "replace")
        if "scheduler is not running" in text or "Unable to connect" in text or "Bad file descriptor" in text:
            return DeviceHealth(DEVICE, Health.OFFLINE, "打印服务无法连接", "the print service cannot be reached")
        if state.returncode != 0 or "Invalid destination" in text or "does not exist" in text:
            return DeviceHealth(DEVICE, Health.OFFLINE, "A4打印机不存在", f"no printer {self.queue!r}")
        if "disabled" in text:
            return DeviceHealth(DEVICE, Health.OFFLINE, "A4打印机已暂停", "the A4 printer queue is stopped")
        if "not accepting" in text:
            return DeviceHealth(DEVICE, Health.OFFLINE, "A4打印机拒绝打印任务", "the A4 printer refuses jobs")
        return DeviceHealth(DEVICE, Health.OK, "A4打印机正常", "A4 printer ready")

    def print_pdf(self, pdf: bytes, title: str) -> str:
        """Send one PDF; returns the job id once CUPS has accepted it."""
        done = self._run("lp", "-d", self.queue, "-t", title, "-", data=pdf)
        text = (done.stdout + done.stderr).decode("utf-8", "replace")
        found = _REQUEST_ID.search(text)
        if done.returncode != 0 or not found:
            if "does not exist" in text:
                raise A4PrinterError("A4打印机不存在", f"no printer {self.queue!r}")
            raise A4PrinterError("A4打印机无法接收打印任务", f"the A4 printer did not take the job: {text.strip()[:200]}")
        return found.group(1)

    def completed(self, job_id: str) -> bool:
        """True once the job has been printed (left the queue as completed)."""
        done = self._run("lpstat", "-W", "completed", "-o", self.queue)
        return any(line.split()[:1] == [job_id] for line in done.stdout.decode("utf-8", "replace").splitlines())
