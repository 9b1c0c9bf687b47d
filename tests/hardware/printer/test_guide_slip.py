"""导诊单 (guide slip): a real journey from the service, printed over TCP 9100 to the printer simulator and read back from
its bytes: every step in order, where it is, what to prepare, places ahead, the code the lab and pharmacy scan; in the
screen's language only."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
import zxingcpp
from PIL import Image

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, run_service
from client.http import CallerClient
from common.printer_profiles import GENERIC_80_GBK
from hardware.printer import GuideSlipDoc, Printer, TcpTransport
from hardware.printer.decode import QRCode, text_lines
from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator

HAN = re.compile(r"[\u4e00-\u9fff]")


def flat(text: str) -> str:
    """Text without its spaces and line breaks (a long line wraps on the slip with an indent)."""
    return re.sub(r"\s+", "", text)


def staff(url: str, token: str, user: str) -> CallerClient:
    client = CallerClient(url, DEMO_TOKENS[token])
    client.login(user, DEMO_PASSWORD)
    return client


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    """王小明 seen in internal medicine, with a paid prescription (ready at window 3) and a fasting blood test, one
    fasting patient ahead at the lab (fasting patients go first, in order of check-in): (the journey as the kiosk reads it, the ticket page link)."""
    db = tmp_path_factory.mktemp("guide") / "hospital.db"
    with run_service(db_path=db, records=False) as url:
        kiosk = CallerClient(url, DEMO_TOKENS["kiosk"])
        doctor, lab = staff(url, "console_nk", "zhangys"), staff(url, "console_jy", "caixue-wu")
        pharmacist = staff(url, "console_yf", "yaoshi-chen")
        tickets = []
        for name, orders in (("李四", [{"kind": "lab", "paid": True, "items": [{"code": "GLU"}]}]),
                             ("王小明", [{"kind": "drug", "paid": True, "items": [{"code": "AMOX"}]},
                                        {"kind": "lab", "paid": True, "items": [{"code": "CBC"}, {"code": "GLU"}]}])):
            visit = kiosk.register("NK", name=name)["visit"]
            kiosk.check_in(visit["visit_id"])
            next(c for c in (doctor.call_next(r)["visit"] for r in ("NK1", "NK2", "NK3", "NK4")) if c)
            doctor.start(visit["visit_id"])
            steps = [doctor.orders(visit["visit_id"], [o])["visit"]["visit_id"] for o in orders]
            doctor.finish(visit["visit_id"])
            lab.check_in_code("JY", visit["ticket"])
            tickets.append((visit, steps))
        mine, (medicine, _) = tickets[1]
        pharmacist.dispense(medicine)
        pharmacist.ready(medicine, room="YF3")
        token = doctor.visit_status(mine["visit_id"])["ticket_token"]
        found = doctor.journey(mine["visit_id"])
        for client in (kiosk, doctor, lab, pharmacist):
            client.close()
    return found, f"http://queue.hospital.local/t/{token}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_guide_slip_lists_every_step_where_what_to_prepare_and_places_ahead(journey, lang, tmp_path):
    found, link = journey
    doc = GuideSlipDoc.from_journey(found, hospital="仁和市第一人民医院" if lang == "zh" else "Renhe No.1 Hospital",
                                    code_url=link, printed_at=datetime(2026, 11, 23, 10, 5), lang=lang)
    core = SimulatedPrinter(tmp_path / "jobs", GENERIC_80_GBK)
    with TcpPrinterSimulator(core) as sim:
        with Printer(TcpTransport(sim.host, sim.port), GENERIC_80_GBK) as printer:
            printer.print_guide_slip(doc)
        assert core.wait_for_jobs(1)
    (job,) = core.jobs
    lines = text_lines(job.elements)
    text = "\n".join(lines)
    assert found["ticket"] in lines  # the number the whole journey keeps, on a line of its own
    assert [e.payload.decode() for e in job.elements if isinstance(e, QRCode)] == [link]
    assert "王小明" not in text
    if lang == "zh":
        assert "导诊单" in text and "姓名：王*明" in text
        assert text.index("1. 内科就诊（已完成）") < text.index("2. 取药") < text.index("3. 采血：血常规、空腹血糖")
        assert "药已配好，可到 3号窗口取药，前面 0 人" in text
        assert "排队中，前面 1 人" in text  # the lab: one patient checked in before
        assert "检验科采血处" in text and "3号窗口" in text  # where, from the hospital file
        assert "准备：需空腹采血" in text  # what to prepare
        assert flat("当前：药已配好，可到 3号窗口取药，前面 0 人；下一步：门诊楼 2 层西侧 检验科采血处 采血") in flat(text)
    else:
        body = text.replace("王*明", "")
        assert not HAN.search(body), [line for line in lines if HAN.search(line.replace("王*明", ""))]
        assert "Guide slip" in text and "Medicine ready at Window 3; 0 ahead" in text.replace("\n", " ")
        assert "Waiting: 1 ahead" in text and "Fasting draw" in text.replace("\n", " ")
        assert text.index("2. Pharmacy") < text.index("3. Blood draw")
    scanned = zxingcpp.read_barcodes(Image.open(job.png))  # the slip as printed, drawn to scale
    assert [s.text for s in scanned] == [link]  # what the lab's scanner reads off the slip
