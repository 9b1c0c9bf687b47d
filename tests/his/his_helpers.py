"""HL7 v2 messages a HIS and a LIS send, built as they write them (for the tests of the HL7 v2 driver)."""
from __future__ import annotations

from datetime import datetime
from itertools import count

import hl7.client

from records.ids import make_id_number

_ids = count(1)
_people = count(500)
CHARSET_NAME = {"utf-8": "UNICODE UTF-8", "gb18030": "GB 18030-2000"}


def id_number(birth: str = "19800512") -> str:
    return make_id_number(f"110105{birth}{next(_people):03d}")


def msh(kind: str, charset: str, control_id: str | None = None, at: datetime | None = None) -> str:
    at = at or datetime(2026, 11, 23, 8, 20)
    control_id = control_id or f"HIS{next(_ids):06d}"
    return (f"MSH|^~\\&|HIS|HOSP|KIOSK|HOSP|{at:%Y%m%d%H%M%S}||{kind}|{control_id}|P|2.5|||AL|NE|CHN|"
            f"{CHARSET_NAME[charset]}")


def pid(mrn: str, name: str, number: str | None = None, sex: str = "M", birth: str = "19800512",
        phone: str = "13912345678") -> str:
    ids = f"{mrn}^^^HIS^MR" + (f"~{number}^^^CHN^NI" if number else "")
    family, given = name[0], name[1:]
    return f"PID|1||{ids}||{family}^{given}||{birth}|{sex}|||北京市朝阳区建国路1号^^北京^^100020||^PRN^CP^^^^^^^^^{phone}"


def message(*segments: str) -> str:
    return "\r".join(segments) + "\r"


def adt(event: str, charset: str, patient: str, control_id: str | None = None, mrg: str | None = None) -> str:
    segs = [msh(f"ADT^{event}^ADT_A01", charset, control_id), f"EVN|{event}|20261123082000", patient]
    if mrg:
        segs.append(f"MRG|{mrg}^^^HIS^MR")
    segs.append("PV1|1|O")
    return message(*segs)


def siu(event: str, charset: str, patient: str | None, appt: str, doctor: str, start: str, status: str = "Booked",
        reason: str = "") -> str:
    segs = [msh(f"SIU^{event}^SIU_S12", charset),
            "|".join(["SCH", f"{appt}^HIS", f"{appt}^HIS", "", "", "", f"^{reason}", "", "", "30", "min",
                      f"^^^{start}", *[""] * 13, status])]
    if patient:
        segs += [patient, "PV1|1|O"]
    segs += ["RGS|1|A", f"AIS|1|A|NK^内科|{start}||||30|min", f"AIP|1|A|{doctor}^医生|D|{start}"]
    return message(*segs)


def orm(charset: str, patient: str, placer: str) -> str:
    return message(msh("ORM^O01^ORM_O01", charset), patient, "PV1|1|O",
                   f"ORC|NW|{placer}|||||||20261123082000||||||||NK",
                   f"OBR|1|{placer}||CBC^血常规^L|||20261123082000|||||||||||||||||LAB")


def rde(charset: str, patient: str, placer: str) -> str:
    return message(msh("RDE^O11^RDE_O11", charset), patient, "PV1|1|O",
                   f"ORC|NW|{placer}|||||||20261123082000||||||||NK",
                   "RXE|^^^20261123|AMOX^阿莫西林胶囊^DRUG||||||||2|盒")


def oru(charset: str, patient: str, filler: str, status: str = "F", wbc: str = "11.2",
        control_id: str | None = None) -> str:
    return message(msh("ORU^R01^ORU_R01", charset, control_id), patient, "PV1|1|O",
                   f"ORC|RE|{filler}|{filler}",
                   f"OBR|1|{filler}|{filler}|CBC^血常规^L|||20261123073000||||||||^静脉血|||||||20261123081500|||{status}"
                   f"|||||||lab02&周&雪梅||lab01&李&建华",
                   f"OBX|1|NM|WBC^白细胞计数^L||{wbc}|10\\S\\9/L|3.5-9.5|H|||{status}",
                   f"OBX|2|NM|HGB^血红蛋白^L||135|g/L|130-175|N|||{status}")


def dft(charset: str, patient: str, control_id: str | None = None) -> str:
    return message(msh("DFT^P03^DFT_P03", charset, control_id), "EVN|P03|20261123082000", patient, "PV1|1|O",
                   "FT1|1|T1001||20261123082000|20261123082000|CG|A001^阿莫西林胶囊^DRUG|||2^盒|47.00^CNY|23.50^CNY",
                   "FT1|2|T1002||20261123082000|20261123082000|CG|CBC^血常规^LAB|||1|20.00^CNY|20.00^CNY")


def send(port: int, text: str, charset: str) -> hl7.Message:
    """Through python-hl7's own MLLP client (the one behind `mllp_send`), in the message's character set."""
    with hl7.client.MLLPClient("127.0.0.1", port, encoding=charset) as client:
        answer = client.send_message(text.encode(charset))
    return hl7.parse(answer.decode(charset))


def ack_of(answer: hl7.Message) -> tuple[str, str]:
    return str(answer["MSA.F1"]), str(answer["MSA.F3"])


def journey(live, provider, name: str = "张三丰", seed: int = 0) -> dict:
    """One patient's morning at the kiosk and in the clinic, through the service's API: a new record (typed ID
    number), a number for today (the first free general slot in 内科), paid by QR, checked in, called to the room,
    seen. Returns what was made (patient, registration, order, visit)."""
    from tests.records.records_helpers import Api, first_slot

    kiosk, admin = Api(live, "kiosk"), Api(live, "admin")
    try:
        number = id_number("19700101")
        patient = kiosk.ok("POST", "/records/patients", {"source": "typed", "id_number": number, "name": name,
                                                         "phone": "13812345678"})["patient"]
        slot = first_slot(kiosk, "NK", kind="general")
        reg = kiosk.ok("POST", "/records/registrations", {"idempotency_key": f"j-hold-{seed}",
                                                          "patient_id": patient["patient_id"], "slot_id": slot["slot_id"]})
        order = kiosk.ok("POST", "/records/payments", {"idempotency_key": f"j-pay-{seed}", "patient_id": patient["patient_id"],
                                                       "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
        provider.patient_pays(order["payment"]["provider_order_id"])
        paid = kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
        assert paid["state"] == "paid", paid
        reg = kiosk.ok("POST", f"/records/registrations/{reg['registration_id']}/check-in",
                       {"idempotency_key": f"j-in-{seed}"})
        visit = reg["visit_id"]
        room = reg["room_id"] or "NK3"
        for step, body in (("call", {"room": room, "reason": "复诊"}), ("start", {}), ("finish", {})):
            admin.ok("POST", f"/visits/{visit}/{step}", body)
        return {"patient": {**patient, "id_number": number}, "registration": reg, "order": paid, "visit": visit,
                "room": room}
    finally:
        kiosk.client.close()
        admin.client.close()


def settled(link, timeout: float = 20.0) -> dict:
    """The link's status once its outbox has nothing waiting (the HIS ACKed the last message and the sender wrote
    it down), or as it is at the timeout."""
    import time

    deadline = time.monotonic() + timeout
    status = link.status()
    while status["backlog"]["waiting"] and time.monotonic() < deadline:
        time.sleep(0.02)  # polls the outbox's state; the sender has no event to wait on from here
        status = link.status()
    return status
