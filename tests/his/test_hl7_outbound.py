"""What the service tells the HIS: received by python-hl7's MLLP server acting as the HIS, parsed by the library,
in each patient's order; a long outage (moved on the service's clock) replays everything, nothing lost or twice."""
from __future__ import annotations

from datetime import timedelta

from his_helpers import journey, settled

from common.config import DEMO_CONFIG, load_hospital
from records.his.testing import Hl7Peer, with_his
from records.testing import serve_records

JOURNEY = ["ADT^A04", "SIU^S12", "DFT^P03", "ADT^A10", "ADT^A10", "ADT^A09"]


def of_patient(received, patient_id: int) -> list:
    mine = []
    for r in received:
        ids = str(r.message.segment("PID")(3)).split("~")
        if f"{patient_id}^^^KIOSK^PI" in ids:
            mine.append(r)
    return mine


def test_a_patients_morning_reaches_the_his_parsed_and_in_order(hl7_live, his_peer, provider):
    made = journey(hl7_live, provider, name="欧阳娜娜")
    received = his_peer.wait_for(len(JOURNEY))
    assert [r.kind for r in received] == JOURNEY
    adt, siu, dft, arrived, called, done = (r.message for r in received)
    assert str(adt["PID.F5"]) == "欧阳娜娜" and str(adt["MSH.F18"]) == "UNICODE UTF-8"
    assert f"{made['patient']['id_number']}^^^CHN^NI" in str(adt.segment("PID")(3))
    assert str(siu["AIS.F3.R1.C1"]) == "NK" and str(siu["SCH.F25"]) == "Booked"
    assert str(dft["FT1.F6"]) == "PY" and str(dft["FT1.F11.R1.C1"]) == f"{made['registration']['fee_fen'] / 100:.2f}"
    assert [str(m["EVN.F4"]) for m in (arrived, called, done)] == ["ARRIVED", "CALLED", "DONE"]
    assert str(called["PV1.F3.R1.C1"]) == made["room"]
    assert len({r.control_id for r in received}) == len(received)  # one MSH-10 each
    status = settled(hl7_live.app.state.his)
    assert status["up"] is True and status["backlog"]["waiting"] == 0 and status["backlog"]["sent"] == len(JOURNEY)


def test_gb18030_his_gets_chinese_names_intact(tmp_path, clock, provider):
    with Hl7Peer(charset="gb18030") as his:
        config = with_his(load_hospital(DEMO_CONFIG), "hl7v2", his_port=his.port, charset="GB18030")
        with serve_records(config, db_path=tmp_path / "h.db", clock=clock, payments=provider) as live:
            journey(live, provider, name="买买提·艾力")
            received = his.wait_for(len(JOURNEY))
    assert str(received[0].message["PID.F5"]) == "买买提·艾力"
    assert str(received[0].message["MSH.F18"]) == "GB 18030-2000"
    assert "买买提".encode("gb18030") in received[0].raw


def test_a_ten_minute_outage_replays_in_order_nothing_lost_nothing_twice(hl7_live, his_peer, provider, clock):
    journey(hl7_live, provider, name="张三丰", seed=1)
    assert len(his_peer.wait_for(len(JOURNEY))) == len(JOURNEY)
    settled(hl7_live.app.state.his)
    his_peer.down()
    outage_start = clock()
    made = []
    for n in range(4):  # the kiosks go on registering patients while the HIS is away
        clock.advance(minutes=2, seconds=30)
        made.append(journey(hl7_live, provider, name=f"患者{'甲乙丙丁'[n]}", seed=10 + n))
    link = hl7_live.app.state.his
    # the kiosk sees the HIS is away; the backlog waits in the outbox
    deadline_waiting = 4 * len(JOURNEY)
    assert link.status()["away"] is True
    assert link.status()["backlog"]["waiting"] == deadline_waiting
    assert clock() - outage_start >= timedelta(minutes=10)
    his_peer.up()
    clock.advance(seconds=30)  # the service's time goes on: the retries planned during the outage fall due
    received = his_peer.wait_for(len(JOURNEY) * 5, timeout=30)
    assert len(received) == len(JOURNEY) * 5  # none lost
    assert len({r.control_id for r in received}) == len(received)  # none twice
    for m in made:
        assert [r.kind for r in of_patient(received, m["patient"]["patient_id"])] == JOURNEY  # each patient in order
    status = settled(link)
    assert status["up"] is True and status["backlog"]["waiting"] == 0


def test_a_message_the_his_refuses_is_kept_as_failed_and_counted(tmp_path, clock, provider):
    with Hl7Peer(answer="AE") as his:
        config = with_his(load_hospital(DEMO_CONFIG), "hl7v2", his_port=his.port)
        with serve_records(config, db_path=tmp_path / "h.db", clock=clock, payments=provider) as live:
            journey(live, provider, seed=2)
            his.wait_for(len(JOURNEY))
            status = settled(live.app.state.his)
            rows = live.records.db.all("SELECT state FROM notify_outbox WHERE channel = 'his'")
    assert {r["state"] for r in rows} == {"failed"} and len(rows) == len(JOURNEY)
    assert status["errors"]["refused"] == len(JOURNEY) and status["up"] is True
