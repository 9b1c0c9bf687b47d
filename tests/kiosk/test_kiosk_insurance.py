"""医保 at the kiosk through the real screens: the answer to "能用医保吗", the 医保电子凭证 QR or ID card, the split,
the 自付 part paid at the payment gateway, the receipt with the split and the e-invoice (decoded from the printer
simulator, its QR read back with zxing-cpp), failures told in Chinese, reprint of the e-invoice, e-health card."""
from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image

from caller.testing import DEMO_TOKENS, run_service
from client.http import CallerClient
from hardware.printer import decode_for
from hardware.printer.decode import text_lines
from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator
from platforms.ehealth.simulator import EHealthSimulator
from platforms.einvoice.simulator import EInvoiceSimulator
from platforms.medins.simulator import MedInsSimulator
from tests.kiosk.kiosk_driver import click, orders, pay_current_order, visible_texts, wait_screen
from tests.kiosk.test_kiosk_services import identify_again, new_patient


@pytest.fixture
def medins():
    with MedInsSimulator() as sim:
        yield sim


@pytest.fixture
def einvoice():
    with EInvoiceSimulator() as sim:
        yield sim


@pytest.fixture
def ehealth():
    with EHealthSimulator() as sim:
        yield sim


@pytest.fixture
def service(tmp_path, clock, payment_sim, medins, einvoice, ehealth, monkeypatch):
    """The service of tests/kiosk/conftest.py, connected to the three platform simulators."""
    monkeypatch.setenv("HOSPITAL_PAYMENT_URL", payment_sim.url)
    monkeypatch.setenv("HOSPITAL_MEDINS_URL", medins.url)
    monkeypatch.setenv("HOSPITAL_EINVOICE_URL", einvoice.url)
    monkeypatch.setenv("HOSPITAL_EHEALTH_URL", ehealth.url)
    with run_service(db_path=tmp_path / "hospital.db", clock=clock) as base_url:
        yield base_url


@pytest.fixture
def printer_sim(tmp_path):
    """The printer simulator, drawing every slip to a PNG (what a person would see)."""
    core = SimulatedPrinter(tmp_path / "slips")
    (tmp_path / "slips").mkdir()
    sim = TcpPrinterSimulator(core).start()
    sim.url = f"tcp://{sim.host}:{sim.port}"
    yield sim
    sim.stop()


def add_bill(service, patient_id: str, fen: int = 10000) -> None:
    staff = CallerClient(service, DEMO_TOKENS["admin"])
    staff.request("POST", "/records/bills", json_body={"patient_id": int(patient_id), "kind": "exam", "title": "检验费",
                                                       "items": [{"name": "血常规", "quantity": 1, "unit_fen": fen}]})
    staff.close()


def printed(printer_sim, index: int = -1) -> str:
    job = printer_sim.core.jobs[index]
    return "\n".join(text_lines(decode_for(printer_sim.core.profile, job.data)))


def qr_on_slip(printer_sim, index: int = -1) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(printer_sim.core.jobs[index].png))]


def to_pay_choice(qtbot, kiosk, reader_sim, medins, service, seed: int, balance_fen: int = 1000):
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=seed)
    person = medins.platform.add_person(card.name, card.id_number, balc_fen=balance_fen)
    add_bill(service, patient_id)
    bills = identify_again(qtbot, kiosk, reader_sim, card, "pay", "bills")
    click(qtbot, bills.pay_button)
    return card, person, wait_screen(qtbot, kiosk, "pay_choice")


def test_insurance_qr_split_own_part_and_receipt_with_e_invoice(qtbot, kiosk, reader_sim, scanner_sim, printer_sim,
                                                               payment_sim, medins, einvoice, service):
    card, person, choice = to_pay_choice(qtbot, kiosk, reader_sim, medins, service, seed=41)
    assert "可以使用医保" in choice.answer.text()  # 能用医保吗: answered where the patient pays
    assert any("能用医保吗" in t for t in visible_texts(choice))
    click(qtbot, choice.insurance_button)
    wait_screen(qtbot, kiosk, "insurance_cert")
    scanner_sim.scan(person.qr)
    split = wait_screen(qtbot, kiosk, "insurance_split")
    assert (split.fund.text(), split.account.text(), split.own.text()) == ("70.00 元", "10.00 元", "20.00 元")
    click(qtbot, split.confirm_button)
    paying = wait_screen(qtbot, kiosk, "payment")
    assert "医保已支付 80.00 元" in " ".join(visible_texts(paying)) and "20.00" in paying.title_label.text()
    pay_current_order(payment_sim)
    done = wait_screen(qtbot, kiosk, "paid")
    assert "统筹支付 70.00 元，个人账户 10.00 元，自付 20.00 元" in done.text.text()
    assert [o.amount_fen for o in orders(payment_sim, "paid")] == [2000]  # only the own part went to the gateway
    assert len(medins.platform.settled()) == 1
    assert printer_sim.core.wait_for_jobs(1, timeout=10)
    receipt = printed(printer_sim)
    for line in ("统筹支付", "70.00", "个人账户", "10.00", "自付", "20.00", "财政电子票据"):
        assert line in receipt, line
    (issued,) = einvoice.invoices.values()
    assert issued["billBatchCode"] in receipt and issued["billNo"] in receipt and issued["random"] in receipt
    assert card.name not in receipt and card.id_number not in receipt
    assert qr_on_slip(printer_sim) == [issued["billQRCode"]]
    print("receipt slip:", printer_sim.core.jobs[-1].png)


def test_einvoice_is_reprinted(qtbot, kiosk, reader_sim, scanner_sim, printer_sim, payment_sim, medins, einvoice,
                               service):
    card, person, choice = to_pay_choice(qtbot, kiosk, reader_sim, medins, service, seed=42, balance_fen=100000)
    click(qtbot, choice.insurance_button)
    wait_screen(qtbot, kiosk, "insurance_cert")
    reader_sim.remove_card()  # 医保 by ID card (mdtrt_cert_type 02)
    qtbot.waitUntil(lambda: kiosk.devices._reader.current_card is None, timeout=5000)
    reader_sim.place_card(card)
    split = wait_screen(qtbot, kiosk, "insurance_split")
    assert split.own.text() == "0.00 元"
    click(qtbot, split.confirm_button)
    wait_screen(qtbot, kiosk, "paid")  # the fund and the account paid it all: no payment order
    assert orders(payment_sim) == []
    assert printer_sim.core.wait_for_jobs(1, timeout=10)
    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    day = identify_again(qtbot, kiosk, reader_sim, card, "identify", "day")
    click(qtbot, day.reprint_button)
    reprint = wait_screen(qtbot, kiosk, "reprint")
    index = next(i for i, slip in enumerate(reprint.slips) if slip.kind == "einvoice")
    click(qtbot, reprint.choices.buttons[index])
    wait_screen(qtbot, kiosk, "reprinted")
    assert printer_sim.core.wait_for_jobs(2, timeout=10)
    again = printed(printer_sim)
    (issued,) = einvoice.invoices.values()
    assert "电子票据（补打）" in again and issued["billNo"] in again and "统筹支付" in again
    assert qr_on_slip(printer_sim) == [issued["billQRCode"]]


@pytest.mark.parametrize("fault", ["2206", "2207", "2207-answer"])
def test_platform_failing_is_told_in_chinese_and_never_charges(qtbot, kiosk, reader_sim, scanner_sim, printer_sim,
                                                              payment_sim, medins, service, fault):
    card, person, choice = to_pay_choice(qtbot, kiosk, reader_sim, medins, service, seed=43)
    click(qtbot, choice.insurance_button)
    wait_screen(qtbot, kiosk, "insurance_cert")
    if fault == "2206":
        medins.faults.add("2206", "error")
    scanner_sim.scan(person.qr)
    if fault != "2206":
        split = wait_screen(qtbot, kiosk, "insurance_split")
        medins.faults.add("2207", "error" if fault == "2207" else "lose_answer")
        click(qtbot, split.confirm_button)
    failed = wait_screen(qtbot, kiosk, "insurance_failed")
    assert "没有扣费" in failed.text.text()
    assert medins.platform.settled() == [] and orders(payment_sim) == []
    assert [b.text() for b in failed.buttons] == ["自费支付", "返回首页"]
    if fault == "2207-answer":  # the platform had settled: 冲正 undid it
        assert len(medins.platform.settlements) == 1
    click(qtbot, failed.buttons[0])  # pays the whole bill himself instead
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "paid")
    assert [o.amount_fen for o in orders(payment_sim, "paid")] == [10000] and medins.platform.settled() == []


def test_social_security_card_at_the_card_reader_settles(qtbot, kiosk, reader_sim, scanner_sim, printer_sim,
                                                         payment_sim, medins, service):
    """社保卡 (mdtrt_cert_type 03): the card reader in keyboard mode gives its card number; the platform finds the
    insured by it (and by nothing else: the number is neither a QR token nor an ID number)."""
    card, person, choice = to_pay_choice(qtbot, kiosk, reader_sim, medins, service, seed=47)
    click(qtbot, choice.insurance_button)
    cert = wait_screen(qtbot, kiosk, "insurance_cert")
    assert "社保卡" in cert.ssc_hint.text()
    scanner_sim.scan(person.ssc_no)
    split = wait_screen(qtbot, kiosk, "insurance_split")
    assert (split.fund.text(), split.own.text()) == ("70.00 元", "20.00 元")
    staff = CallerClient(service, DEMO_TOKENS["admin"])
    claim = staff.request("GET", f"/records/insurance/claims/{kiosk.flows.insurance._claim.id}")
    staff.close()
    assert claim["cert_type"] == "03" and person.ssc_no not in str(claim)
    click(qtbot, split.confirm_button)
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    assert "自付 20.00 元" in wait_screen(qtbot, kiosk, "paid").text.text()
    assert len(medins.platform.settled()) == 1


def test_patient_leaving_before_the_own_part_reverses_the_settlement(qtbot, kiosk, reader_sim, scanner_sim,
                                                                     printer_sim, payment_sim, medins, service):
    card, person, choice = to_pay_choice(qtbot, kiosk, reader_sim, medins, service, seed=44)
    click(qtbot, choice.insurance_button)
    wait_screen(qtbot, kiosk, "insurance_cert")
    scanner_sim.scan(person.qr)
    click(qtbot, wait_screen(qtbot, kiosk, "insurance_split").confirm_button)
    wait_screen(qtbot, kiosk, "payment")
    assert len(medins.platform.settled()) == 1
    kiosk.go_home("timeout")  # walked away
    qtbot.waitUntil(lambda: [c[0] for c in medins.platform.calls][-2:] == ["2208", "2202"], timeout=10000)
    assert medins.platform.settled() == [] and len(medins.platform.settlements) == 1  # 2208 undid it


def test_e_health_card_identifies_at_the_kiosk(qtbot, kiosk, reader_sim, scanner_sim, ehealth, service):
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=45)
    reader_sim.remove_card()
    _c, qr = ehealth.add_card(card.name, card.id_number)
    click(qtbot, kiosk.current.tiles["pay"])
    wait_screen(qtbot, kiosk, "identify")
    scanner_sim.scan(qr)
    wait_screen(qtbot, kiosk, "bills")
    assert kiosk.session.patient.id == patient_id
    assert ehealth.verified  # the platform said whose card it is


def test_no_insurance_platform_says_so_on_the_payment_screen(qtbot, kiosk, reader_sim, printer_sim, payment_sim,
                                                            service, monkeypatch):
    service.app.state.insurance.medins = None  # this hospital has not connected 医保
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=46)
    add_bill(service, patient_id)
    bills = identify_again(qtbot, kiosk, reader_sim, card, "pay", "bills")
    click(qtbot, bills.pay_button)
    paying = wait_screen(qtbot, kiosk, "payment")
    assert any("本机暂未开通医保结算" in t for t in visible_texts(paying))
