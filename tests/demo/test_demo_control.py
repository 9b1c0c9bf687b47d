"""The interactive demo's control window: the chosen patient's 医保电子凭证, social-security card and e-health card
reach the kiosk's scanner (the real simulator and reader, over TCP) as codes the kiosk classifies right and the
platform simulators know, so 医保 can be used by hand."""
from __future__ import annotations

import queue
from datetime import datetime
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QPushButton

from demo.control import ControlWindow
from demo.platforms import enroll
from demo.prepare import KnownPatient
from demo.stack import KioskRig
from hardware.health import Health
from hardware.scanner.classify import CodeKind, parse_code
from hardware.scanner.reader import ScannerReader
from hardware.scanner.simulator import ScannerSimulator
from platforms.ehealth.simulator import EHealthSimulator
from platforms.medins.simulator import MedInsSimulator
from records.ids import make_id_number

NUMBER = make_id_number("11010119800512001")


@pytest.fixture
def control(qtbot):
    with MedInsSimulator() as medins, EHealthSimulator() as ehealth, ScannerSimulator("tcp", terminator="\n") as sim:
        codes: queue.Queue = queue.Queue()
        healths: queue.Queue = queue.Queue()
        reader = ScannerReader(sim.url, on_code=codes.put, on_health=lambda h: healths.put(h.status), repeat_window=0)
        reader.start()
        try:
            while healths.get(timeout=10) is not Health.OK:
                pass
            stack = SimpleNamespace(medins=medins, ehealth=ehealth, kiosks=[KioskRig(0, None, sim, None, None)],
                                    clock=datetime.now, base_url="http://127.0.0.1:9")
            known = [KnownPatient(1, "张三", "MC26000001", "1980-05-12", card_code="CODE-ZS", id_number=NUMBER),
                     KnownPatient(2, "李四", "MC26000002", "1975-01-01", card_code="CODE-LS")]  # no ID number on file
            cards = enroll(stack, known)
            window = ControlWindow(stack, known, [], cards)
            qtbot.addWidget(window)
            yield SimpleNamespace(window=window, codes=codes, medins=medins, ehealth=ehealth, cards=cards)
        finally:
            reader.stop()


def click(window, text: str) -> None:
    [button] = [b for b in window.findChildren(QPushButton) if b.text() == text]
    button.click()


def test_the_three_platform_cards_reach_the_scanner_as_the_platforms_know_them(control):
    person = next(iter(control.medins.platform.persons.values()))
    assert person.certno == NUMBER and person.psn_name == "张三"

    click(control.window, "扫医保电子凭证")
    code = parse_code(control.codes.get(timeout=10))
    assert code.kind is CodeKind.INSURANCE_QR and code.value == person.qr

    click(control.window, "刷社保卡")
    code = parse_code(control.codes.get(timeout=10))
    assert code.kind is CodeKind.SSC_CARD and code.value == person.ssc_no

    click(control.window, "扫电子健康卡")
    text = control.codes.get(timeout=10)
    assert parse_code(text).kind is CodeKind.HEALTH_CODE
    verified = control.ehealth.verify(text, "kiosk-1")
    assert verified["code"] == 0 and verified["data"]["id_no"] == NUMBER and verified["data"]["name"] == "张三"


def test_a_patient_the_platforms_do_not_know_is_said_so(control):
    control.window.patients.setCurrentIndex(1)  # 李四, no ID number on file
    click(control.window, "扫医保电子凭证")
    assert "没有身份证号" in control.window.status.text()
    with pytest.raises(queue.Empty):
        control.codes.get(timeout=0.5)
    assert list(control.cards) == [1]
