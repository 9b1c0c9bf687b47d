"""The HL7 v2.5 messages the service sends to the HIS, built from plain dicts (pure; docs/his.md has the table).

| event | message |
|---|---|
| a new patient record (建档) | ADT^A04 |
| a booking (挂号 / 预约 made final) | SIU^S12 |
| a booking cancelled | SIU^S15 |
| a bill paid at the kiosk | DFT^P03 (FT1-6 = PY, one FT1 per bill item) |
| queue: the patient arrived (签到) | ADT^A10, EVN-4 = ARRIVED |
| queue: the patient was called to a room | ADT^A10, EVN-4 = CALLED, PV1-3 = the room |
| queue: the visit is done | ADT^A09, EVN-4 = DONE |

MSH-10 is written as a placeholder and filled in when the message is sent (codec.with_control_id).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from records.his.hl7v2.codec import CONTROL_ID_PLACEHOLDER, Header, comp, esc, join, segment, ts

SEX = {"男": "M", "女": "F"}


def pid(patient: dict[str, Any], his_id: str | None, assigner: str) -> str:
    ids = [comp(patient["id"], "", "", assigner, "PI")]
    if his_id:
        ids.append(comp(his_id, "", "", "HIS", "MR"))
    if patient.get("id_number"):
        ids.append(comp(patient["id_number"], "", "", "CHN", "NI"))
    if patient.get("medical_card_no"):
        ids.append(comp(patient["medical_card_no"], "", "", assigner, "HC"))
    birth = (patient.get("birth_date") or "").replace("-", "")
    phone = comp("", "PRN", "CP", "", "", "", "", "", "", "", "", patient["phone"]) if patient.get("phone") else ""
    return segment("PID", "1", "", "~".join(ids), "", esc(patient.get("name") or ""), "", birth,
                   SEX.get(patient.get("gender") or "", "U"), "", "", esc(patient.get("address") or ""), "", phone)


def _msh(header: Header, kind: str, event: str, structure: str, at: datetime) -> str:
    return header.msh(kind, event, structure, CONTROL_ID_PLACEHOLDER, at)


def adt_a04(header: Header, patient: dict[str, Any], his_id: str | None, at: datetime) -> str:
    return join(_msh(header, "ADT", "A04", "ADT_A01", at),
                segment("EVN", "A04", ts(at)),
                pid(patient, his_id, header.sending_application),
                segment("PV1", "1", "O"))


def _appointment(header: Header, event: str, patient: dict[str, Any], his_id: str | None, reg: dict[str, Any],
                 at: datetime, status: str) -> str:
    start = f"{reg['date'].replace('-', '')}{reg['starts'].replace(':', '')}00"
    end = f"{reg['date'].replace('-', '')}{reg['ends'].replace(':', '')}00"
    minutes = (int(reg["ends"][:2]) * 60 + int(reg["ends"][3:])) - (int(reg["starts"][:2]) * 60 + int(reg["starts"][3:]))
    appointment_id = comp(reg["id"], header.sending_application)
    return join(
        _msh(header, "SIU", event, "SIU_S12", at),
        segment("SCH", appointment_id, comp(reg.get("his_id") or ""), "", "", "",
                comp(reg["kind"], reg.get("kind_zh") or ""), "", "", str(minutes), "min",
                comp("", "", "", start, end), "", "", "", "", "", "", "", "", "", "", "", "", "", status),
        pid(patient, his_id, header.sending_application),
        segment("PV1", "1", "O", comp(reg.get("room_id") or "", "", "", "", "", "", reg["department_id"])),
        segment("RGS", "1", "A"),
        segment("AIS", "1", "A", comp(reg["department_id"], reg.get("department_name") or ""), start, "", "",
                str(minutes), "min"),
        segment("AIP", "1", "A", comp(reg["doctor_id"], reg.get("doctor_name") or ""), "D", start, "", "",
                str(minutes), "min"),
    )


def siu_s12(header: Header, patient: dict[str, Any], his_id: str | None, reg: dict[str, Any], at: datetime) -> str:
    return _appointment(header, "S12", patient, his_id, reg, at, "Booked")


def siu_s15(header: Header, patient: dict[str, Any], his_id: str | None, reg: dict[str, Any], at: datetime) -> str:
    return _appointment(header, "S15", patient, his_id, reg, at, "Cancelled")


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def dft_p03(header: Header, patient: dict[str, Any], his_id: str | None, bill: dict[str, Any],
            items: list[dict[str, Any]], payment: dict[str, Any], at: datetime) -> str:
    """A bill paid at the kiosk: one FT1 per item, FT1-6 = PY, the payment in FT1-2 (our order) and FT1-19."""
    ft1s = []
    paid_at = payment.get("paid_at") or at.isoformat()
    when = paid_at.replace("-", "").replace(":", "").replace("T", "")[:14]
    for n, item in enumerate(items, 1):
        ft1s.append(segment(
            "FT1", str(n), esc(f"{payment.get('order_id', '')}"), esc(f"{bill['id']}"), when, when, "PY",
            comp(item.get("code") or f"B{bill['id']}-{n}", item["name"], bill["kind"].upper()), "", "",
            str(item["quantity"]), comp(_yuan(item["amount_fen"]), "CNY"), comp(_yuan(item["unit_fen"]), "CNY"),
            "", "", "", "", "", "", esc(payment.get("method") or ""), "", "", "",
            esc(payment.get("provider_ref") or "")))
    return join(_msh(header, "DFT", "P03", "DFT_P03", at),
                segment("EVN", "P03", ts(at)),
                pid(patient, his_id, header.sending_application),
                segment("PV1", "1", "O"),
                ft1s)


def queue_event(header: Header, patient: dict[str, Any], his_id: str | None, visit: dict[str, Any], what: str,
                at: datetime) -> str:
    """arrived / called -> ADT^A10 (the patient arrives in the waiting area / at the room); done -> ADT^A09."""
    event = "A09" if what == "done" else "A10"
    location = comp(visit.get("room_id") or "", "", "", "", "", "", visit["department_id"])
    return join(_msh(header, "ADT", event, "ADT_A09", at),
                segment("EVN", event, ts(at), "", what.upper()),
                pid(patient, his_id, header.sending_application),
                segment("PV1", "1", "O", location, "", "", "", comp(visit.get("doctor_id") or ""), "", "", "", "", "",
                        "", "", "", "", "", "", comp(visit["visit_id"], "", "", header.sending_application, "VN"),
                        "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
                        "", "", ts(at) if what == "arrived" else "", ts(at) if what == "done" else ""))
