"""A4 laser printer reached through CUPS: lab reports as PDF (reportlab, the bundled CJK font embedded).

    pdf = report_pdf(doc)                          # hardware.printer.ReportDoc -> PDF bytes
    printer = CupsPrinter("LabA4", server="127.0.0.1:631")
    printer.check_ready()                          # DeviceHealth; a stopped queue or a missing printer is OFFLINE
    job = printer.print_pdf(pdf, "检验报告 JY20261127-000012")

``CupsServer`` runs a private scheduler with a cups-pdf queue (tests, the demo, screenshots, benchmarks).
"""
from hardware.a4.cups import A4PrinterError, CupsPrinter
from hardware.a4.pdf import report_pdf
from hardware.a4.server import CupsServer

__all__ = ["A4PrinterError", "CupsPrinter", "CupsServer", "report_pdf"]
