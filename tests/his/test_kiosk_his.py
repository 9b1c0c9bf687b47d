"""The kiosk with a HIS behind it, through its real screens: a report the LIS sent as ORU^R01 is printed; while the
HIS is away the home screen says plainly (zh, then en) what still works and what does not."""
from __future__ import annotations

import pytest
from his_helpers import ack_of, adt, oru, pid, send, settled

from caller.testing import free_port, run_service
from common.config import DEMO_CONFIG, load_hospital
from hardware.idcard.demo_cards import demo_card
from records.his.testing import Hl7Peer, with_his
from tests.kiosk.conftest import clock, kiosk, payment_sim, printer_sim, reader_sim, scanner_sim, settings  # noqa: F401 - fixtures
from tests.kiosk.kiosk_driver import click, visible_texts, wait_screen


@pytest.fixture
def his():
    with Hl7Peer() as peer:
        yield peer


@pytest.fixture
def service(request, tmp_path, clock, payment_sim, monkeypatch):  # noqa: F811 - the kiosk's service, with a HIS
    monkeypatch.setenv("HOSPITAL_PAYMENT_URL", payment_sim.url)
    up = getattr(request, "param", "") == "his_up"  # else a HIS that never answers
    port = request.getfixturevalue("his").port if up else free_port()
    config = with_his(load_hospital(DEMO_CONFIG), "hl7v2", his_port=port)
    with run_service(config, db_path=tmp_path / "hospital.db", clock=clock) as base_url:
        yield base_url


def printed_text(printer_sim) -> str:  # noqa: F811
    from hardware.printer import decode_for
    from hardware.printer.decode import text_lines

    return "\n".join(text_lines(decode_for(printer_sim.core.profile, printer_sim.core.jobs[-1].data)))


@pytest.mark.parametrize("service", ["his_up"], indirect=True)
def test_a_report_the_lis_sent_is_printed_at_the_kiosk(qtbot, kiosk, reader_sim, printer_sim, service, his):
    card = demo_card(seed=61)
    port = service.app.state.his.listener.port
    patient = pid("HIS-61", card.name, card.id_number, sex="M" if card.gender_code == "1" else "F",
                  birth=card.id_number[6:14])
    assert ack_of(send(port, adt("A04", "gb18030", patient), "gb18030"))[0] == "AA"
    assert ack_of(send(port, oru("gb18030", patient, "LAB-61"), "gb18030"))[0] == "AA"
    click(qtbot, kiosk.current.tiles["reports"])
    wait_screen(qtbot, kiosk, "identify")
    reader_sim.place_card(card)
    screen = wait_screen(qtbot, kiosk, "reports")
    assert len(screen.print_buttons) == 1
    click(qtbot, screen.print_buttons[0])
    wait_screen(qtbot, kiosk, "printed")
    assert printer_sim.core.wait_for_jobs(1, timeout=5)
    slip = printed_text(printer_sim)
    assert "白细胞计数" in slip and "11.2" in slip and "10^9/L" in slip
    assert f"姓名：{card.name}" in slip
    assert "检验者：李建华" in slip and "审核者：周雪梅" in slip


def test_while_the_his_is_away_the_kiosk_says_what_still_works(qtbot, kiosk, service):
    from records.testing import LiveRecords
    from tests.records.records_helpers import Api

    live = LiveRecords(service, service.app, service.app.state.records, service.app.state.config)
    staff = Api(live, "admin")
    staff.ok("POST", "/records/patients", {"source": "typed", "id_number": "11010119900307803X", "name": "张三",
                                           "phone": "13812345678"})  # its ADT^A04 finds no HIS
    staff.client.close()
    qtbot.waitUntil(lambda: service.app.state.his.status()["away"], timeout=10000)
    kiosk.check_his()
    qtbot.waitUntil(lambda: kiosk.current.name == "home" and kiosk.current.his_notice is not None, timeout=10000)
    home = kiosk.current
    import os
    if os.environ.get("HIS_SHOT"):
        home.grab().save(os.environ["HIS_SHOT"].replace(".png", "-zh.png"))
    notice = home.his_notice.text()
    assert notice.startswith("对不起，医院信息系统暂时连接不上")
    assert "仍可办理：排队叫号与查询、已有挂号的签到、已出检验报告的打印、补打凭条" in notice
    assert "暂不能办理：建档、挂号、缴费" in notice
    assert not home.tiles["register"].isEnabled() and not home.tiles["pay"].isEnabled()
    assert home.tiles["checkin"].isEnabled() and home.tiles["reports"].isEnabled()
    assert settled(service.app.state.his, timeout=0.1)["backlog"]["waiting"] == 1  # the record waits for the HIS
    kiosk.set_language("en")
    qtbot.waitUntil(lambda: kiosk.current.his_notice is not None and "Still available" in kiosk.current.his_notice.text(),
                    timeout=5000)
    assert any("cannot be reached" in t for t in visible_texts(kiosk.current))
    import os
    if os.environ.get("HIS_SHOT"):
        kiosk.grab().save(os.environ["HIS_SHOT"])
