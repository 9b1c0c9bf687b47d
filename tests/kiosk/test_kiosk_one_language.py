"""One language per screen and per slip: an English patient's ticket, registration slip and receipt are English
(fees, bill items, doctors and their titles too); a Chinese screen or slip carries no English title."""
from __future__ import annotations

import re
from types import SimpleNamespace

from common.privacy import mask_name
from hardware.printer import decode_for
from hardware.printer.decode import text_lines
from kiosk.i18n import set_language
from kiosk.models import Bill, BillItem, Patient, PatientId, Payment
from tests.kiosk.kiosk_driver import choose, click, pay_current_order, register_until, visible_texts, wait_screen

CJK = re.compile("[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")  # Chinese characters and full-width punctuation


def printed(printer_sim, job) -> str:
    return "\n".join(text_lines(decode_for(printer_sim.core.profile, job.data)))


def test_an_english_patient_gets_english_slips(qtbot, kiosk, reader_sim, printer_sim, payment_sim):
    kiosk.set_language("en")
    card = register_until(qtbot, kiosk, reader_sim, seed=301, doctor=1)  # an expert: Zhang Jianguo
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "ticket")
    assert printer_sim.core.wait_for_jobs(2, timeout=5)  # the queue ticket, then the registration slip
    ticket, slip = (printed(printer_sim, job) for job in printer_sim.core.jobs[-2:])
    masked = mask_name(card.name)
    for text in (ticket, slip):
        assert masked in text  # the patient's own (masked) name stays as it is written
        assert not CJK.findall(text.replace(masked, "")), CJK.findall(text.replace(masked, ""))
    assert "Queue ticket" in ticket and "Zhang Jianguo Chief Physician" in ticket and "Specialist" in ticket
    assert "Registration slip" in slip and "Fee:" in slip and "Department: " in slip and "Paid by:" in slip


def test_a_chinese_screen_and_slip_carry_no_english_title(qtbot, kiosk, reader_sim, printer_sim, payment_sim):
    register_until(qtbot, kiosk, reader_sim, seed=302, doctor=1, last="confirm")
    shown = " ".join(visible_texts(kiosk.current))
    assert "张建国 主任医师" in shown and "Chief" not in shown and "Physician" not in shown
    kiosk.back()
    doctors = wait_screen(qtbot, kiosk, "doctors")
    shown = " ".join(visible_texts(doctors))
    assert "主任医师" in shown and "Physician" not in shown
    choose(qtbot, doctors, 1)
    click(qtbot, wait_screen(qtbot, kiosk, "confirm").confirm_button)
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "ticket")
    assert printer_sim.core.wait_for_jobs(2, timeout=5)
    ticket, slip = (printed(printer_sim, job) for job in printer_sim.core.jobs[-2:])
    for text in (ticket, slip):
        assert "张建国 主任医师" in text and "Physician" not in text and "Specialist" not in text


def test_an_english_receipt_names_the_bill_items_and_the_insurance_split_in_english(qtbot, kiosk, printer_sim):
    patient = Patient(id=PatientId(5), name="王小明")
    bills = [Bill(id="1", title="西药费", title_en="Western medicine", total_fen=2350,
                  items=(BillItem("阿莫西林胶囊", 1, 2350, name_en="Amoxicillin capsules"),)),
             Bill(id="2", title="检验费", title_en="Laboratory tests", total_fen=2000)]
    payment = Payment(id="9", amount_fen=650, status="paid", transaction_no="T42", method="qr")
    claim = SimpleNamespace(fund_fen=3000, acct_fen=700, cash_fen=650, setl_id="S1")
    set_language("en")
    try:
        kiosk.devices.print_receipt(patient, bills, payment, "First People's Hospital", claim, None)
    finally:
        set_language("zh")
    text = printed(printer_sim, printer_sim.core.jobs[-1])
    assert "Amoxicillin capsules" in text and "Laboratory tests" in text and "Payment receipt" in text
    assert "Insurance fund" in text and "Personal account" in text and "Paid by you" in text
    assert not CJK.findall(text.replace("王*明", "")), CJK.findall(text.replace("王*明", ""))
    kiosk.devices.print_receipt(patient, bills, payment, "市第一人民医院", claim, None)  # and in Chinese: no English
    text = printed(printer_sim, printer_sim.core.jobs[-1])
    assert "阿莫西林胶囊" in text and "统筹支付" in text and "Amoxicillin" not in text and "Insurance" not in text
