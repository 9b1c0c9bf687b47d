"""The kiosk's hardware behind one Qt object: ID card reader, scanner, printer, payment code, speech.

Drivers call back on their own threads; the signals here are emitted from those threads and Qt queues them
to the GUI thread. Blocking calls (printer status, printing, paying with a code) are made from workers.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

from PySide6.QtCore import QObject, Signal

from common.clock import HospitalClock
from common.privacy import mask_card_number, mask_id_number, mask_name
from hardware.a4 import A4PrinterError, CupsPrinter, report_pdf
from hardware.health import DeviceHealth, Health
from hardware.idcard.reader import CardReader
from hardware.printer import (
    EInvoiceDoc,
    EInvoiceInfo,
    GuideSlipDoc,
    Printer,
    PrinterError,
    ReceiptDoc,
    ReceiptLine,
    RegistrationReceiptDoc,
    ReportDoc,
    ReportItem,
    SerialTransport,
    TcpTransport,
    TicketDoc,
    profile_named,
    render_einvoice,
    render_guide_slip,
    render_receipt,
    render_registration_receipt,
    render_report,
    render_ticket,
)
from hardware.scanner import ScannerReader, parse_code
from kiosk.i18n import language, pick, tr
from kiosk.models import CardData

log = logging.getLogger(__name__)

PAYMENT_METHODS = {"qr": "扫码支付", "code": "付款码支付", "card": "银行卡支付"}
KINDS = {"general": "普通号", "expert": "专家号"}
SPLIT = {"fund": "统筹支付", "acct": "个人账户", "cash": "自付"}  # how a 医保 settlement paid (the slip's words)

def classify_code(code: str) -> tuple[str, str]:
    """(kind, value) of a scanned code: kind "payment" (付款码), "medical_card", "id_number", "ehealth" (电子健康卡),
    "insurance" (医保电子凭证), "ssc" (社保卡 at the card reader) or "unknown"."""
    parsed = parse_code(code)
    kind = {"payment_code": "payment", "medical_card": "medical_card", "id_number": "id_number",
            "health_code": "ehealth", "insurance_qr": "insurance", "ssc_card": "ssc"}.get(parsed.kind.value, "unknown")
    return kind, parsed.value


def _moment(iso: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def card_from_idcard(card: Any) -> CardData:
    """The reader's IdCard -> what the kiosk keeps (no photo, no address beyond what records needs)."""
    birth = getattr(card, "birth", None)
    return CardData(
        id_number=card.id_number,
        name=card.name,
        gender=getattr(card, "gender", ""),
        birth_date=birth.isoformat() if birth else "",
        address=getattr(card, "address", ""),
    )


def late_slip_words(ticket: Any, lang: str = "zh") -> str:
    """The slip's line for a late check-in, in the slip's language: late, and who is ahead, in words."""
    if not getattr(ticket, "late", False):
        return ""
    if lang == "en":
        ahead = getattr(ticket, "why_en", "") or f"{ticket.ahead} ahead of you"
        return f"Late: your time {ticket.slot} has passed; you were placed by the late-arrival rule. {ahead}"
    ahead = getattr(ticket, "why_zh", "") or f"前面还有 {ticket.ahead} 人"
    return f"迟到：预约时段 {ticket.slot} 已过，已按迟到规则重新排队；{ahead}"


def doctor_words(ticket: Any) -> str:
    """The doctor of an expert number as the slip shows it: "张建国 主任医师" on a Chinese slip, "Zhang Jianguo
    Chief Physician" on an English one (the hospital file's English, else the kiosk's table for the title)."""
    if not ticket.doctor:
        return ""
    if language() == "en":
        title = ticket.doctor_title_en or (tr(ticket.doctor_title) if ticket.doctor_title else "")
        return f"{ticket.doctor_en or ticket.doctor} {title}".strip()
    return f"{ticket.doctor} {ticket.doctor_title}".strip()


def slip_words(zh: str) -> str:
    """A fixed word the kiosk puts on a slip (号别, how it was paid, the 医保 split) in the screen's language."""
    return tr(zh) if language() == "en" else zh


def ticket_link(template: str, ticket: Any) -> str:
    """What the ticket's QR opens: the page address with the visit's unguessable token; empty without a token."""
    token = getattr(ticket, "ticket_token", "")
    return template.replace("{token}", token) if template and token else ""


def open_printer(url: str, default_profile: str = "generic-80-gbk"):
    """tcp://host:port -> network printer; anything else a pyserial URL or a pty path. ?profile=NAME."""
    parsed = urlparse(url)
    profile = profile_named(parse_qs(parsed.query).get("profile", [default_profile])[0])
    if parsed.scheme == "tcp":
        transport = TcpTransport(parsed.hostname or "127.0.0.1", parsed.port or 9100)
    else:
        transport = SerialTransport(url.split("?")[0], baudrate=115200)
    return Printer(transport, profile)


class KioskDevices(QObject):
    """All devices of one kiosk. Any URL may be None (that device is then reported offline)."""

    card_read = Signal(object)  # CardData
    card_removed = Signal()
    code_scanned = Signal(str)
    health_changed = Signal(object)  # DeviceHealth

    def __init__(self, reader_url: str | None = None, printer_url: str | None = None,
                 scanner_url: str | None = None, payment_url: str | None = None,
                 speech: Any = None, printer: Any = None, status_url: str = "",
                 printer_profile: str = "generic-80-gbk", silent: bool = False,
                 now: Callable[[], datetime] | None = None, a4_printer: str = "") -> None:
        super().__init__()
        self.a4_printer = a4_printer  # "queue" or "queue@host:port": lab reports on A4 through CUPS
        self._a4 = None
        self.a4_jobs: list[str] = []  # CUPS job ids accepted, newest last
        self.silent = silent  # never speak (a window only looked at, e.g. the layout check)
        self.now = now or HospitalClock()  # the kiosk passes the service's clock: slips print the service's time
        self.printer_profile = printer_profile
        self.reader_url, self.printer_url, self.scanner_url, self.payment_url = reader_url, printer_url, scanner_url, payment_url
        self.status_url = status_url  # e.g. "http://10.0.0.5:8700/t/{token}"
        self._printer = printer
        self._printer_lock = threading.Lock()
        self._speech = speech
        self._speech_wanted = speech is not None
        self._reader = None
        self._scanner = None
        self._payment = None
        self._health: dict[str, DeviceHealth] = {}
        self.configured: set[str] = set()  # the parts this kiosk has (the others are never reported as faults)
        for device, url in (("idcard", reader_url), ("printer", printer_url or printer), ("scanner", scanner_url),
                            ("payment", payment_url)):
            if url:
                self.configured.add(device)
            else:
                self._set_health(DeviceHealth(device, Health.OFFLINE, "未配置", "not configured"))

    # ----- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Open the reader and scanner (their threads call back into the signals)."""
        if self.reader_url:
            self._start_reader()
        if self.scanner_url:
            self._start_scanner()

    def _start_reader(self) -> None:
        try:
            self._reader = CardReader(self.reader_url)
            self._reader.card_read.connect(self._card)
            self._reader.card_removed.connect(lambda *_a: self.card_removed.emit())
            self._reader.health_changed.connect(self._set_health)
            self._set_health(self._reader.health)
            self._reader.start()
        except Exception as exc:  # noqa: BLE001 - a missing or broken reader must not stop the kiosk
            log.warning("ID card reader not available: %s", type(exc).__name__)
            self._set_health(DeviceHealth("idcard", Health.OFFLINE, "读卡器无法打开", "reader cannot be opened"))

    def _start_scanner(self) -> None:
        try:
            self._scanner = ScannerReader(self.scanner_url, on_code=self.code_scanned.emit, on_health=self._set_health)
            self._scanner.start()
        except Exception as exc:  # noqa: BLE001
            log.warning("scanner not available: %s", type(exc).__name__)
            self._set_health(DeviceHealth("scanner", Health.OFFLINE, "扫码器无法打开", "scanner cannot be opened"))

    def stop(self) -> None:
        for dev in (self._reader, self._scanner):
            if dev is not None:
                try:
                    dev.stop()
                except Exception as exc:  # noqa: BLE001 - shutting down: stop the others anyway
                    log.debug("stopping %s: %s", type(dev).__name__, exc)
        if self._printer is not None:
            try:
                self._printer.close()
            except Exception as exc:  # noqa: BLE001 - shutting down: a gone printer is closed anyway
                log.debug("closing the printer: %s", exc)
        if self._speech is not None and hasattr(self._speech, "stop"):
            self._speech.stop(timeout=1.0)

    # ----- health ---------------------------------------------------------------------------------
    def _card(self, card: Any) -> None:
        log.info("card read: %s", mask_id_number(getattr(card, "id_number", "")))
        self.card_read.emit(card if isinstance(card, CardData) else card_from_idcard(card))

    def _set_health(self, health: DeviceHealth) -> None:
        self._health[health.device] = health
        self.health_changed.emit(health)

    def note_clock(self, health: DeviceHealth) -> None:
        """The kiosk's clock against the service's (from :meth:`kiosk.backend.Backend.check_clock`)."""
        if self._health.get("clock") != health and (health.status != Health.OK or "clock" in self._health):
            self._set_health(health)

    def healths(self) -> list[DeviceHealth]:
        devices = ("idcard", "printer", "scanner", "payment") + (("a4printer",) if self.a4_printer else ())
        return [self._health.get(d, DeviceHealth(d, Health.OK, "正常", "ok")) for d in devices]

    def reader_ok(self) -> bool:
        health = self._health.get("idcard")
        return health is None or health.status != Health.OFFLINE

    # ----- printer (called from workers) ----------------------------------------------------------
    def printer(self):
        if self._printer is None and self.printer_url:
            self._printer = open_printer(self.printer_url, self.printer_profile)
        return self._printer

    def printer_problem(self) -> str:
        """"" when the printer can print now; else the reason in Chinese (source text for tr())."""
        printer = self.printer()
        if printer is None:
            return "打印机未连接"
        with self._printer_lock:
            try:
                health = printer.check_ready()
            except Exception as exc:  # noqa: BLE001 - a link failure is "not answering"
                log.debug("printer status not read: %s", exc)
                health = DeviceHealth("printer", Health.OFFLINE, "打印机无响应", "printer not responding")
        self._set_health(health)
        return "" if health.status != Health.OFFLINE else health.reason_zh

    def _print(self, data: bytes) -> bytes:
        printer = self.printer()
        if printer is None:
            raise PrinterError("打印机未连接", "no printer", partial=False)
        with self._printer_lock:
            printer.print_job(data)
        self._set_health(DeviceHealth("printer", Health.OK, "打印机正常", "printer ready"))
        return data

    def note_print_failure(self, exc: BaseException) -> None:
        self._set_health(DeviceHealth("printer", Health.OFFLINE, getattr(exc, "reason_zh", "打印失败"),
                                      getattr(exc, "reason_en", "print failed")))

    def print_ticket(self, ticket, hospital: str, title: str = "排队凭条", card_qr: str = "") -> bytes:
        """The queue ticket in the screen's language; ``card_qr``: a new patient's medical card, printed to keep."""
        wait_range = None
        if ticket.estimate_min is not None and ticket.estimate_max is not None and ticket.estimate_max > ticket.estimate_min:
            wait_range = (ticket.estimate_min, ticket.estimate_max)
        lang = language()
        kind = KINDS.get(ticket.kind, "")
        doc = TicketDoc(hospital=hospital, ticket_no=ticket.ticket, department=pick(ticket.department, ticket.department_en),
                        room=pick(ticket.room, ticket.room_en) or "-", location=pick(ticket.location, ticket.location_en) or "-",
                        masked_name=mask_name(ticket.patient_name) if ticket.patient_name else "-",
                        ahead=ticket.ahead, wait_minutes=ticket.estimate_minutes, printed_at=self.now(),
                        status_url=ticket_link(self.status_url, ticket),
                        slot=f"{ticket.date} {ticket.slot}".strip(), kind=slip_words(kind) if kind else "",
                        doctor=doctor_words(ticket), wait_range=wait_range, title=title,
                        late_note=late_slip_words(ticket, lang), lang=lang, card_qr=card_qr)
        return self._print(render_ticket(doc, self.printer().profile))

    def print_registration_receipt(self, ticket, patient, payment, hospital: str, kiosk_id: str,
                                   title: str = "挂号凭条", paid_at: datetime | None = None, card_qr: str = "") -> bytes:
        """挂号凭条: masked name and card number, what was bought, when, how it was paid, at which kiosk."""
        doc = RegistrationReceiptDoc(
            hospital=hospital, masked_name=mask_name(patient.name), masked_card_no=mask_card_number(patient.medical_card_no),
            department=pick(ticket.department, ticket.department_en), doctor=doctor_words(ticket),
            kind=slip_words(KINDS.get(ticket.kind, "普通号")), visit_date=ticket.date, slot=ticket.slot,
            fee_fen=ticket.fee_fen, payment_method=slip_words(PAYMENT_METHODS.get(payment.method, "扫码支付")),
            transaction_no=payment.transaction_no or payment.id, kiosk_id=kiosk_id, paid_at=paid_at or self.now(),
            ticket_no=ticket.ticket, title=title, lang=language(), card_qr=card_qr)
        return self._print(render_registration_receipt(doc, self.printer().profile))

    def print_receipt(self, patient, bills, payment, hospital: str, claim=None, invoice=None) -> bytes:
        """The payment receipt; with a 医保 ``claim`` its split (统筹支付, 个人账户, 自付), and the e-invoice (or a line
        saying it is on its way: ``invoice`` None while a platform is connected)."""
        lines = []
        for bill in bills:
            for item in bill.items or ():
                qty = max(1, int(item.quantity))
                lines.append(ReceiptLine(pick(item.name, item.name_en), qty, item.amount_fen // qty))
            if not bill.items:
                lines.append(ReceiptLine(pick(bill.title, bill.title_en), 1, bill.total_fen))
        split = ((("统筹支付", claim.fund_fen), ("个人账户", claim.acct_fen), ("自付", claim.cash_fen))
                 if claim is not None else ())
        method = slip_words(PAYMENT_METHODS.get(payment.method, "扫码支付") if payment is not None else "医保结算")
        doc = ReceiptDoc(hospital=hospital, masked_name=mask_name(patient.name), lines=tuple(lines), lang=language(),
                         payment_method=method if claim is None or payment is None
                         else f"{slip_words('医保结算')}+{method}",
                         transaction_no=(payment.transaction_no or payment.id) if payment is not None else claim.setl_id,
                         paid_at=self.now(), split=split, settlement_no=claim.setl_id if claim is not None else "",
                         invoice=EInvoiceInfo(invoice.batch_code, invoice.bill_no, invoice.check_code, invoice.qr)
                         if invoice is not None else None, invoice_pending=invoice is None and self.einvoice_expected)
        return self._print(render_receipt(doc, self.printer().profile))

    def print_guide_slip(self, visit, hospital: str, hospital_en: str = "") -> bytes:
        """导诊单 of a visit's journey (``visit.journey``, kiosk.models.VisitStatus): every step, where, what to
        prepare, places ahead, in the screen's language; its QR is the ticket page (the lab and pharmacy scan it)."""
        lang = "en" if language() == "en" else "zh"
        doc = GuideSlipDoc.from_journey(visit.journey.model_dump(), hospital=(hospital_en or hospital) if lang == "en"
                                        else hospital, code_url=ticket_link(self.status_url, visit),
                                        printed_at=self.now(), lang=lang)
        return self._print(render_guide_slip(doc, self.printer().profile))

    einvoice_expected = False  # set when the service says e-invoices are issued (the receipt then says one is coming)

    def print_einvoice(self, patient, invoice, hospital: str) -> bytes:
        """补打 of an e-invoice: total, how it was paid, code, number, check code and QR."""
        issued = _moment(invoice.issued_at) or self.now()
        doc = EInvoiceDoc(hospital=hospital, masked_name=mask_name(patient.name), total_fen=invoice.total_fen,
                          split=tuple((SPLIT.get(k, k), v) for k, v in invoice.pay_modes), issued_at=issued,
                          lang=language(),
                          invoice=EInvoiceInfo(invoice.batch_code, invoice.bill_no, invoice.check_code, invoice.qr))
        return self._print(render_einvoice(doc, self.printer().profile))

    def _report_doc(self, patient, report, hospital: str):
        """The patient's own lab report: their full name (read from their card), age with 岁, the signers' names."""
        extra = report.extra
        items = tuple(ReportItem(name, result, unit, ref, flag) for name, result, unit, ref, flag in report.lines)
        return ReportDoc(hospital=hospital, title=report.title, patient_name=extra.get("patient_name") or patient.name,
                         age=extra.get("age", ""), sex=extra.get("sex", ""), specimen=extra.get("specimen", ""),
                         items=items, tested_by=extra.get("tested_by", ""), verified_by=extra.get("verified_by", ""),
                         reported_at=_moment(extra.get("released_at")) or self.now(),
                         print_count=max(1, report.printed_count), report_no=extra.get("report_no", ""),
                         sampled_at=_moment(extra.get("sampled_at")))

    def print_report(self, patient, report, hospital: str) -> bytes:
        """The lab report on the thermal printer."""
        return self._print(render_report(self._report_doc(patient, report, hospital), self.printer().profile))

    # ----- A4 printer through CUPS (called from workers) -------------------------------------------
    def a4(self):
        if self._a4 is None and self.a4_printer:
            queue, _, server = self.a4_printer.partition("@")
            self._a4 = CupsPrinter(queue, server or None)
        return self._a4

    def a4_problem(self) -> str:
        """"" when lab reports can go to the A4 printer now; else why not (Chinese source text for tr())."""
        printer = self.a4()
        if printer is None:
            return "A4打印机未配置"
        health = printer.check_ready()
        self._set_health(health)
        return "" if health.status == Health.OK else health.reason_zh

    def print_report_a4(self, patient, report, hospital: str) -> str:
        """The lab report as a PDF on the A4 printer; returns the CUPS job id once CUPS has accepted it."""
        doc = self._report_doc(patient, report, hospital)
        try:
            job = self.a4().print_pdf(report_pdf(doc), f"{doc.title} {doc.report_no}".strip())
        except A4PrinterError as exc:
            self._set_health(DeviceHealth("a4printer", Health.OFFLINE, exc.reason_zh, exc.reason_en))
            raise
        self.a4_jobs.append(job)
        self._set_health(DeviceHealth("a4printer", Health.OK, "A4打印机正常", "A4 printer ready"))
        return job

    # ----- scanner and payment code ---------------------------------------------------------------
    @staticmethod
    def classify(code: str) -> tuple[str, str]:
        return classify_code(code)

    def payment_provider(self):
        if self._payment is None and self.payment_url:
            from hardware.payment import HttpProvider  # noqa: PLC0415 - httpx and qrcode, only on a kiosk with a payment terminal

            self._payment = HttpProvider(self.payment_url)
        return self._payment

    # ----- speech ---------------------------------------------------------------------------------
    def speak(self, text: str) -> None:
        """Say a step aloud (elderly mode). Mandarin only; never blocks."""
        if language() != "zh" or not text or self.silent:
            return
        try:
            if self._speech is None:
                from hardware.speech import SpeechWorker  # noqa: PLC0415 - the speech engine, only once elderly mode speaks

                self._speech = SpeechWorker(chime=None)
            self._speech.announce_broadcast(text)
        except Exception as exc:  # noqa: BLE001 - no speaker is no reason to stop
            log.warning("speech unavailable: %s", type(exc).__name__)
