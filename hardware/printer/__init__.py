"""ESC/POS thermal receipt printer: profiles, Chinese slip builders, transports, decoder and simulators."""
from common.printer_profiles import PROFILES, PrinterProfile, profile_named

from .decode import decode, decode_for
from .documents import (
    EInvoiceDoc,
    EInvoiceInfo,
    GuideSlipDoc,
    GuideStep,
    ReceiptDoc,
    ReceiptLine,
    RegistrationReceiptDoc,
    ReportDoc,
    ReportItem,
    TicketDoc,
    render_einvoice,
    render_guide_slip,
    render_receipt,
    render_registration_receipt,
    render_report,
    render_ticket,
)
from .layout import format_fen, format_fen_yuan
from .printer import Printer, PrinterError, readiness
from .render import render_png
from .status import PrinterStatus
from .transport import EscposTransport, SerialTransport, TcpTransport, file_transport, usb_transport

__all__ = [
    "decode", "decode_for", "render_png",
    "ReceiptDoc", "ReceiptLine", "RegistrationReceiptDoc", "ReportDoc", "ReportItem", "TicketDoc",
    "render_receipt", "render_registration_receipt", "render_report", "render_ticket",
    "EInvoiceDoc", "EInvoiceInfo", "render_einvoice",
    "GuideSlipDoc", "GuideStep", "render_guide_slip",
    "format_fen", "format_fen_yuan",
    "Printer", "PrinterError", "readiness",
    "PROFILES", "PrinterProfile", "profile_named",
    "PrinterStatus",
    "EscposTransport", "SerialTransport", "TcpTransport", "file_transport", "usb_transport",
]
