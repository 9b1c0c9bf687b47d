"""The Printer facade the kiosk uses: readiness in Chinese, print a job or raise PrinterError."""
from __future__ import annotations

import threading

import serial

from common.printer_profiles import PrinterProfile
from common.refusal import Refusal
from hardware.health import DeviceHealth, Health

from .documents import (
    GuideSlipDoc,
    ReceiptDoc,
    ReportDoc,
    TicketDoc,
    render_guide_slip,
    render_receipt,
    render_report,
    render_ticket,
)
from .status import PrinterStatus
from .transport import Transport


def _problem(status: PrinterStatus) -> tuple[str, str] | None:
    """(reason_zh, reason_en) of why the printer cannot print now, or None when it can."""
    if not status.responded:
        return "打印机无响应", "printer not responding"
    if status.cover_open:
        return "打印机盖未关好", "printer cover open"
    if status.paper_out:
        return "打印纸已用完", "paper out"
    if status.error:
        return "打印机故障", "printer error"
    if not status.online:
        return "打印机离线", "printer offline"
    return None


def readiness(status: PrinterStatus, device: str = "printer") -> DeviceHealth:
    """Map a real-time status to device health with Chinese and English reasons (pure)."""
    problem = _problem(status)
    if problem:
        return DeviceHealth(device, Health.OFFLINE, *problem)
    if status.paper_near_end:
        return DeviceHealth(device, Health.DEGRADED, "纸将用完，请及时更换打印纸", "paper near end")
    return DeviceHealth(device, Health.OK, "打印机正常", "printer ready")


class PrinterError(Refusal):
    """A job did not print (completely): code ``printer``. message_zh is what the patient sees; partial says paper
    may have come out; ``printer_status`` is the printer's last status, when one was read."""

    def __init__(self, reason_zh: str, reason_en: str, *, partial: bool, status: PrinterStatus | None = None) -> None:
        what = "凭条未能完整打印" if partial else "暂时无法打印凭条"
        super().__init__("printer", f"对不起，{what}（{reason_zh}）。请凭补打码到服务台补打，或联系工作人员，谢谢。",
                         f"Sorry, the slip {'was not printed completely' if partial else 'cannot be printed now'} ({reason_en}).",
                         status=503)
        self.reason_zh, self.reason_en, self.partial, self.printer_status = reason_zh, reason_en, partial, status
        self.args = (self.message_zh,)  # str() is what the patient sees


class Printer:
    """One receipt printer: a transport plus the profile its documents are rendered for."""

    def __init__(self, transport: Transport, profile: PrinterProfile, *, device: str = "printer",
                 status_timeout: float = 1.0, job_status_timeout: float = 5.0) -> None:
        self.transport, self.profile, self.device = transport, profile, device
        self.status_timeout, self.job_status_timeout = status_timeout, job_status_timeout
        self._lock = threading.Lock()  # a health poll must never slip a status query into a job's bytes

    def status(self) -> PrinterStatus:
        with self._lock:
            return self.transport.status(self.status_timeout)

    def check_ready(self) -> DeviceHealth:
        """Ask the printer now; a silent printer is offline with reason 打印机无响应, never OK."""
        return readiness(self.status(), self.device)

    def print_job(self, data: bytes) -> None:
        """Print bytes; raise PrinterError if the printer cannot start, the link fails, or after the job the
        printer reports a problem (cover opened / paper ran out mid-job) or does not answer.
        Safe to call from several threads: jobs and status queries never interleave."""
        with self._lock:
            self._print_locked(data)

    def _print_locked(self, data: bytes) -> None:
        before = self.transport.status(self.status_timeout)
        problem = _problem(before)
        if problem:
            raise PrinterError(*problem, partial=False, status=before)
        try:
            self.transport.write(data)
        except (OSError, serial.SerialException) as exc:
            raise PrinterError("打印机连接中断", f"link failed: {exc}", partial=True) from exc
        after = self.transport.status(self.job_status_timeout)
        problem = _problem(after)
        if problem:
            raise PrinterError(*problem, partial=True, status=after)

    def print_ticket(self, doc: TicketDoc) -> None:
        self.print_job(render_ticket(doc, self.profile))

    def print_receipt(self, doc: ReceiptDoc) -> None:
        self.print_job(render_receipt(doc, self.profile))

    def print_report(self, doc: ReportDoc) -> None:
        self.print_job(render_report(doc, self.profile))

    def print_guide_slip(self, doc: GuideSlipDoc) -> None:
        self.print_job(render_guide_slip(doc, self.profile))

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "Printer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
