"""Lab reports at a kiosk with an A4 printer: the PDF goes through a real CUPS (cups-pdf); a stopped queue falls
back to the thermal printer and says so."""
from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from common.device_settings import KioskSettings
from hardware.health import Health
from tests.cups_fixture import a4_queue, cups_server  # noqa: F401 - fixtures
from tests.kiosk.kiosk_driver import click, wait_screen
from tests.kiosk.test_kiosk_day import card_on_home
from tests.kiosk.test_kiosk_services import new_patient, printed_text


@pytest.fixture
def settings(cups_server, a4_queue):
    queue, _out = a4_queue
    return KioskSettings(payment_timeout_s=20, a4_printer=f"{queue}@{cups_server.address}")


def released_report(service, clock, patient_id: str) -> int:
    records = service.app.state.records
    now = clock()
    report = records.add_report(int(patient_id), "肾功能", now - timedelta(hours=3), now - timedelta(hours=1),
                                [{"name": "估算肾小球滤过率(eGFR)", "result": "95", "unit": "mL/min/1.73m²", "ref_low": 90},
                                 {"name": "肌酐", "result": "68", "unit": "µmol/L", "ref_low": 45, "ref_high": 84}],
                                specimen="静脉血")
    records.verify_report(report, "lab-li")
    records.verify_report(report, "lab-zhou")
    return report


def print_from_the_day_page(qtbot, kiosk, reader_sim, card):
    card_on_home(qtbot, kiosk, reader_sim, card)
    day = wait_screen(qtbot, kiosk, "day")
    click(qtbot, day.reports_button)
    reports = wait_screen(qtbot, kiosk, "reports")
    click(qtbot, reports.print_buttons[0])
    return wait_screen(qtbot, kiosk, "printed")


def test_report_goes_to_the_a4_printer_as_a_pdf(qtbot, kiosk, reader_sim, printer_sim, service, clock, a4_queue,
                                                cups_server):
    _queue, out = a4_queue
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=51)
    released_report(service, clock, patient_id)
    thermal_jobs = len(printer_sim.core.jobs)
    done = print_from_the_day_page(qtbot, kiosk, reader_sim, card)
    assert "A4" in done.text.text()
    [pdf] = cups_server.wait_for_pdfs(out, 1)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert card.name in text and "肾功能" in text and "李建华" in text and "周雪梅" in text
    assert len(printer_sim.core.jobs) == thermal_jobs  # nothing on the slip printer
    assert len(kiosk.devices.a4_jobs) == 1


def test_a_stopped_a4_queue_falls_back_to_the_thermal_printer_and_says_so(qtbot, kiosk, reader_sim, printer_sim,
                                                                          service, clock, a4_queue, cups_server):
    queue, out = a4_queue
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=52)
    released_report(service, clock, patient_id)
    cups_server.stop_queue(queue)  # paper jam: the queue is paused
    jobs = len(printer_sim.core.jobs)
    done = print_from_the_day_page(qtbot, kiosk, reader_sim, card)
    assert "A4打印机暂时无法使用，已改用小票打印" in done.text.text()
    assert printer_sim.core.wait_for_jobs(jobs + 1, timeout=5)
    assert card.name in printed_text(printer_sim) and "肾功能" in printed_text(printer_sim)
    a4 = next(h for h in kiosk.devices.healths() if h.device == "a4printer")
    assert a4.status == Health.OFFLINE and "暂停" in a4.reason_zh
    assert not list(out.glob("*.pdf"))
