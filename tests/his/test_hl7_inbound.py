"""The HIS's and LIS's HL7 v2 messages, sent by python-hl7's own MLLP client to the running service, in GB18030 and
UTF-8: every kind is ACKed with the right code and reason, and does what it says to the records."""
from __future__ import annotations

import pytest
from his_helpers import ack_of, adt, dft, id_number, orm, oru, pid, rde, send, siu

from tests.records.records_helpers import Api


def port_of(live) -> int:
    return live.app.state.his.listener.port


def counts(live) -> dict[str, int]:
    db = live.records.db
    return {t: db.one(f"SELECT COUNT(*) AS n FROM {t}")["n"] for t in
            ("rec_patients", "rec_registrations", "rec_bills", "rec_bill_items", "rec_reports", "rec_report_items",
             "his_orders", "notify_outbox", "audit")}


@pytest.mark.parametrize("charset", ["gb18030", "utf-8"])
def test_every_inbound_kind_gets_the_right_ack_and_changes_the_records(hl7_live, charset):
    port = port_of(hl7_live)
    admin = Api(hl7_live, "admin")
    number = id_number()
    wang = pid("HIS-7001", "王小明", number)

    code, reason = ack_of(send(port, adt("A04", charset, wang), charset))
    assert (code, reason.startswith("patient ")) == ("AA", True)
    found = admin.ok("POST", "/records/patients/identify", {"id_number": number})
    patient = found["patient"]
    assert patient["name"] == "王小明" and patient["gender"] == "男" and patient["source"] == "his"

    updated = pid("HIS-7001", "王小明", number, phone="13700001111")
    assert ack_of(send(port, adt("A08", charset, updated), charset))[0] == "AA"
    assert admin.ok("GET", f"/records/patients/{patient['patient_id']}")["phone_masked"].startswith("137")

    # a booking made at the HIS's window: a final registration the kiosk can check in
    assert ack_of(send(port, siu("S12", charset, wang, "APT-1", "nk-wang", "202611231000"), charset))[0] == "AA"
    regs = admin.ok("GET", "/records/registrations", patient_id=patient["patient_id"])["registrations"]
    assert [(r["state"], r["slot"]["start"] if "slot" in r else r.get("start")) for r in regs][0][0] == "final"
    # moved to 11:00
    assert ack_of(send(port, siu("S13", charset, wang, "APT-1", "nk-wang", "202611231100"), charset))[0] == "AA"
    regs = admin.ok("GET", "/records/registrations", patient_id=patient["patient_id"])["registrations"]
    assert sorted(r["state"] for r in regs) == ["cancelled", "final"]
    # changed again (S14): the same time changes nothing, another time moves it once more
    code, reason = ack_of(send(port, siu("S14", charset, wang, "APT-1", "nk-wang", "202611231100"), charset))
    assert code == "AA" and "unchanged" in reason
    regs = admin.ok("GET", "/records/registrations", patient_id=patient["patient_id"])["registrations"]
    assert sorted(r["state"] for r in regs) == ["cancelled", "final"]
    code, reason = ack_of(send(port, siu("S14", charset, wang, "APT-1", "nk-wang", "202611231030"), charset))
    assert code == "AA" and "is now registration" in reason
    regs = admin.ok("GET", "/records/registrations", patient_id=patient["patient_id"])["registrations"]
    assert sorted(r["state"] for r in regs) == ["cancelled", "cancelled", "final"]

    assert ack_of(send(port, orm(charset, wang, "ORD-1"), charset))[0] == "AA"
    assert ack_of(send(port, rde(charset, wang, "ORD-2"), charset))[0] == "AA"
    orders = hl7_live.records.db.all("SELECT kind, name, state FROM his_orders ORDER BY id")
    assert orders == [{"kind": "lab", "name": "血常规", "state": "open"},
                      {"kind": "drug", "name": "阿莫西林胶囊", "state": "open"}]

    assert ack_of(send(port, dft(charset, wang), charset))[0] == "AA"
    bills = admin.ok("GET", "/records/bills", patient_id=patient["patient_id"])["bills"]
    charged = [b for b in bills if b["kind"] != "registration"]
    assert [(b["title"], b["total_fen"], b["state"]) for b in charged] == [("阿莫西林胶囊 等2项", 6700, "unpaid")]

    assert ack_of(send(port, oru(charset, wang, "LAB-1"), charset))[0] == "AA"
    reports = admin.ok("GET", "/records/reports", patient_id=patient["patient_id"])["reports"]
    assert [(r["title"], bool(r["released_at"])) for r in reports] == [("血常规", True)]

    # the appointment cancelled at the HIS
    assert ack_of(send(port, siu("S15", charset, wang, "APT-1", "nk-wang", "202611231100", "Cancelled"), charset))[0] == "AA"
    regs = admin.ok("GET", "/records/registrations", patient_id=patient["patient_id"])["registrations"]
    assert {r["state"] for r in regs} == {"cancelled"}

    # two records of one person at the HIS, merged: the survivor keeps the bills and reports
    other = pid("HIS-7002", "王晓明", None)
    assert ack_of(send(port, adt("A04", charset, other), charset))[0] == "AA"
    assert ack_of(send(port, dft(charset, other), charset))[0] == "AA"
    code, reason = ack_of(send(port, adt("A40", charset, wang, mrg="HIS-7002"), charset))
    assert code == "AA" and "merged" in reason
    bills = admin.ok("GET", "/records/bills", patient_id=patient["patient_id"])["bills"]
    assert len([b for b in bills if b["kind"] != "registration"]) == 2

    # 停诊: a schedule message without a patient stops the doctor's session
    code, reason = ack_of(send(port, siu("S15", charset, None, "SESSION-1", "nk-wang", "202611230900", "Cancelled",
                                         "王医生外出会诊"), charset))
    assert code == "AA" and "stopped" in reason
    notices = admin.ok("GET", "/records/notices", date="2026-11-23")["notices"]
    assert [(n["doctor_id"], n["session"], n["notice"]) for n in notices] == [("nk-wang", "am", "王医生外出会诊")]


def test_refusals_say_why(hl7_live):
    port = port_of(hl7_live)
    patient = pid("HIS-8001", "李雷", id_number())
    code, reason = ack_of(send(port, adt("A99", "utf-8", patient), "utf-8"))
    assert code == "AR" and "ADT^A99" in reason
    code, reason = ack_of(send(port, siu("S12", "utf-8", patient, "APT-9", "no-such-doctor", "202611231000"), "utf-8"))
    assert code == "AE" and "no-such-doctor" in reason
    code, reason = ack_of(send(port, adt("A04", "utf-8", pid("HIS-8002", "韩梅梅", "110105198005125999")), "utf-8"))
    assert code == "AE" and "not valid" in reason
    code, reason = ack_of(send(port, adt("A04", "utf-8", patient).replace("|P|2.5|", "|P|9.9|"), "utf-8"))
    assert code == "AR" and "9.9" in reason
    # nothing of the refused messages was kept
    assert hl7_live.records.db.one("SELECT COUNT(*) AS n FROM rec_patients")["n"] == 0
    errors = hl7_live.app.state.his.status()["errors"]
    assert errors == {"inbound_ar": 2, "inbound_ae": 2}


def test_a_repeated_message_changes_nothing(hl7_live):
    port = port_of(hl7_live)
    patient = pid("HIS-9001", "赵敏", id_number(), sex="F")
    assert ack_of(send(port, dft("gb18030", patient, control_id="DFT-42"), "gb18030"))[0] == "AA"
    assert ack_of(send(port, oru("gb18030", patient, "LAB-9", control_id="ORU-42"), "gb18030"))[0] == "AA"
    before = counts(hl7_live)
    code, reason = ack_of(send(port, dft("gb18030", patient, control_id="DFT-42"), "gb18030"))
    assert code == "AA" and "duplicate" in reason
    # the same control id again, even with other content, is the same message: ignored
    code, reason = ack_of(send(port, oru("gb18030", patient, "LAB-9", wbc="99", control_id="ORU-42"), "gb18030"))
    assert code == "AA" and "duplicate" in reason
    assert counts(hl7_live) == before
    item = hl7_live.records.db.one("SELECT result FROM rec_report_items WHERE name = '白细胞计数'")
    assert item["result"] == "11.2"


def test_corrected_results_replace_the_report(hl7_live):
    port = port_of(hl7_live)
    patient = pid("HIS-9101", "周芷若", id_number(), sex="F")
    assert ack_of(send(port, oru("utf-8", patient, "LAB-20", status="P"), "utf-8"))[0] == "AA"
    report = hl7_live.records.db.one("SELECT id, released_at FROM rec_reports")
    assert report["released_at"] is None  # preliminary: not printed yet
    assert ack_of(send(port, oru("utf-8", patient, "LAB-20", status="C", wbc="8.1"), "utf-8"))[0] == "AA"
    rows = hl7_live.records.db.all("SELECT r.id, r.released_at, i.result FROM rec_reports r JOIN rec_report_items i "
                                   "ON i.report_id = r.id WHERE i.name = '白细胞计数'")
    assert len(rows) == 1 and rows[0]["id"] == report["id"] and rows[0]["released_at"] and rows[0]["result"] == "8.1"


def test_mllp_send_from_the_command_line(hl7_live, tmp_path):
    """What an interface engineer does first: python-hl7's `mllp_send` with a file of messages (UTF-8)."""
    import subprocess
    import sys
    from pathlib import Path

    patient = pid("HIS-9201", "上官婉儿", id_number(), sex="F")
    messages = tmp_path / "messages.hl7"
    messages.write_text((adt("A04", "utf-8", patient) + oru("utf-8", patient, "LAB-92")).replace("\r", "\n"),
                        encoding="utf-8")
    mllp_send = Path(sys.executable).with_name("mllp_send")
    done = subprocess.run([str(mllp_send), "--loose", "-f", str(messages), "-p", str(port_of(hl7_live)), "127.0.0.1"],
                          capture_output=True, timeout=60)
    acks = done.stdout.decode("utf-8").split("MSA|")[1:]
    assert done.returncode == 0 and [a[:2] for a in acks] == ["AA", "AA"], done.stderr
    row = hl7_live.records.db.one("SELECT name FROM rec_patients")
    assert row["name"] == "上官婉儿"


def test_orders_open_steps_once_and_unknown_items_are_refused(hl7_live, provider):
    """ORM^O01 on the patient's visit of today (no PV1-19: the visit of the ordering department), the same order
    under a new MSH-10 opens nothing new, the order withdrawn (ORC-1 CA) cancels its unpaid step, an item the catalog
    lacks is AE and keeps nothing, and an order of a patient with no visit today is kept without a step."""
    from his_helpers import journey, message, msh

    port = port_of(hl7_live)
    made = journey(hl7_live, provider, name="薛宝钗", seed=21)
    wang = pid("HIS-8001", "薛宝钗", made["patient"]["id_number"], sex="F", birth="19700101")
    exam = ("ORC|NW|EX-1|||||||20261123082000||||||||NK", "OBR|1|EX-1||ECG^常规心电图|||20261123082000" + "|" * 29 + "20261123100000")
    for control in ("HIS-EX-1", "HIS-EX-1-AGAIN"):
        code, reason = ack_of(send(port, message(msh("ORM^O01^ORM_O01", "utf-8", control), wang, "PV1|1|O", *exam),
                                   "utf-8"))
        assert code == "AA" and f"steps opened on visit {made['visit']}" in reason
    admin = Api(hl7_live, "admin")
    steps = admin.ok("GET", f"/visits/{made['visit']}/journey")["steps"]
    assert [(s["kind"], s["stage"]) for s in steps] == [("clinic", ""), ("imaging", "unpaid")]
    assert steps[1]["booked_at"] == "2026-11-23T10:00"  # OBR-36: the exam's slot
    # the HIS withdraws the exam before it is paid: its step goes
    code, reason = ack_of(send(port, message(msh("ORM^O01^ORM_O01", "utf-8"), wang, "PV1|1|O",
                                             "ORC|CA|EX-1|||||||20261123083000||||||||NK", "OBR|1|EX-1||ECG^常规心电图"),
                               "utf-8"))
    assert code == "AA" and "unpaid steps of the withdrawn order(s) cancelled" in reason
    steps = admin.ok("GET", f"/visits/{made['visit']}/journey")["steps"]
    assert [(s["kind"], s["state"]) for s in steps] == [("clinic", "done"), ("imaging", "cancelled")]

    before = counts(hl7_live)
    code, reason = ack_of(send(port, message(msh("RDE^O11^RDE_O11", "utf-8"), wang, "PV1|1|O",
                                             "ORC|NW|RX-9|||||||20261123082000||||||||NK",
                                             "RXE|^^^20261123|X999^不在目录的药^DRUG||||||||1|盒"), "utf-8"))
    assert code == "AE" and "X999" in reason and "catalog" in reason
    assert counts(hl7_live) == before

    stranger = pid("HIS-8002", "贾探春", id_number("19880808"), sex="F")
    code, reason = ack_of(send(port, orm("utf-8", stranger, "LAB-9"), "utf-8"))
    assert code == "AA" and "no visit of the patient today" in reason
    assert hl7_live.records.db.one("SELECT state FROM his_orders WHERE placer = 'LAB-9'")["state"] == "open"
    admin.client.close()
