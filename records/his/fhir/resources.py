"""The FHIR R4 resources the service writes, built from plain dicts and checked with `fhir.resources` (its R4B
models, which R4 servers take for these resources), as transaction Bundles that are safe to send again:
every resource is created or updated by its identifier (conditional create / conditional update), so a resend
after an outage changes nothing. docs/his.md has the field-by-field table.

| event | resources |
|---|---|
| a new record (建档) | Patient |
| a booking / its cancellation | Patient, Schedule (the doctor's), Slot, Appointment (booked / cancelled) |
| a bill paid at the kiosk | ChargeItem + Invoice (balanced) for the service's own bills, PaymentNotice (paid) |
| queue: arrived, called, done | Encounter (arrived / in-progress / finished), Task per queue step (ready / in-progress / completed) |
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

GENDER = {"男": "male", "女": "female"}
GENDER_BACK = {"male": "男", "female": "女"}
TZ = "+08:00"


def check(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource as fhir.resources accepts it (a ValueError names what is wrong); None values dropped."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return json.loads(model.model_dump_json(exclude_none=True))


def moment(day: str, hm: str) -> str:
    return f"{day}T{hm}:00{TZ}"


def instant(at: datetime) -> str:
    return at.replace(microsecond=0).isoformat() + ("" if at.tzinfo else TZ)


def yuan(fen: int) -> dict[str, Any]:
    return {"value": round(fen / 100, 2), "currency": "CNY"}


class Systems:
    """Identifier systems of [his.fhir]."""

    def __init__(self, settings: Any):
        self.record = settings.record_system
        self.id_number = settings.id_number_system
        self.card = settings.medical_card_system

    def ours(self, kind: str, value: Any) -> dict[str, str]:
        return {"system": self.record, "value": f"{kind}-{value}"}

    @staticmethod
    def query(identifier: dict[str, str]) -> str:
        return f"identifier={identifier['system']}|{identifier['value']}"


class Bundle:
    """A transaction under construction: entries created or updated by identifier, referring to each other by
    urn:uuid (the server resolves them to what it has)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def ensure(self, resource: dict[str, Any], identifier: dict[str, str]) -> str:
        """Created unless one with this identifier exists (then left as it is)."""
        url = f"urn:uuid:{uuid.uuid4()}"
        self.entries.append({"fullUrl": url, "resource": check(resource), "request": {
            "method": "POST", "url": resource["resourceType"], "ifNoneExist": Systems.query(identifier)}})
        return url

    def put(self, resource: dict[str, Any], identifier: dict[str, str]) -> str:
        """Created, or replaced by this version, by identifier."""
        url = f"urn:uuid:{uuid.uuid4()}"
        self.entries.append({"fullUrl": url, "resource": check(resource), "request": {
            "method": "PUT", "url": f"{resource['resourceType']}?{Systems.query(identifier)}"}})
        return url

    def text(self) -> str:
        return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": self.entries},
                          ensure_ascii=False, separators=(",", ":"))


def patient_resource(systems: Systems, patient: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(Patient, the identifier it is found by): the resident ID number when there is one, else our record number."""
    ours = systems.ours("patient", patient["id"])
    identifiers = [ours]
    key = ours
    if patient.get("id_number"):
        key = {"system": systems.id_number, "value": patient["id_number"]}
        identifiers.insert(0, key)
    if patient.get("medical_card_no"):
        identifiers.append({"system": systems.card, "value": patient["medical_card_no"]})
    name = patient.get("name") or ""
    resource: dict[str, Any] = {
        "resourceType": "Patient", "identifier": identifiers, "active": True,
        "name": [{"text": name, "family": name[:1], "given": [name[1:]] if len(name) > 1 else None}],
        "gender": GENDER.get(patient.get("gender") or "", "unknown"), "birthDate": patient.get("birth_date"),
        "telecom": [{"system": "phone", "value": patient["phone"], "use": "mobile"}] if patient.get("phone") else None,
        "address": [{"text": patient["address"]}] if patient.get("address") else None,
    }
    return resource, key


def add_patient(bundle: Bundle, systems: Systems, facts: dict[str, Any]) -> str:
    """The patient as a reference in the bundle: the HIS's own resource when we know it, else created if missing."""
    if facts.get("his_id"):
        return f"Patient/{facts['his_id']}"
    resource, key = patient_resource(systems, facts["patient"])
    return bundle.ensure(resource, key)


def booking(systems: Systems, facts: dict[str, Any], at: datetime, cancelled: bool = False) -> str:
    reg = facts["registration"]
    bundle = Bundle()
    patient = add_patient(bundle, systems, facts)
    doctor = {"display": reg.get("doctor_name") or reg["doctor_id"],
              "identifier": systems.ours("doctor", reg["doctor_id"])}
    service = [{"coding": [{"system": systems.record, "code": reg["department_id"],
                            "display": reg.get("department_name") or reg["department_id"]}]}]
    schedule_id = systems.ours("schedule", f"{reg['doctor_id']}-{reg['date']}")
    schedule = bundle.put({"resourceType": "Schedule", "identifier": [schedule_id], "active": True,
                           "serviceType": service, "actor": [doctor],
                           "planningHorizon": {"start": moment(reg["date"], "00:00"), "end": moment(reg["date"], "23:59")}},
                          schedule_id)
    start, end = moment(reg["date"], reg["starts"]), moment(reg["date"], reg["ends"])
    slot_id = systems.ours("slot", f"{reg['doctor_id']}-{reg['date']}-{reg['starts']}")
    slot = bundle.put({"resourceType": "Slot", "identifier": [slot_id], "schedule": {"reference": schedule},
                       "serviceType": service, "status": "free" if cancelled else "busy", "start": start, "end": end},
                      slot_id)
    appointment_id = systems.ours("registration", reg["id"])
    identifiers = [appointment_id] + ([{"system": systems.record + ":his", "value": reg["his_id"]}] if reg.get("his_id") else [])
    bundle.put({"resourceType": "Appointment", "identifier": identifiers, "status": "cancelled" if cancelled else "booked",
                "serviceType": service, "start": start, "end": end, "slot": [{"reference": slot}], "created": reg.get("created_at", "")[:10] or None,
                "appointmentType": {"text": reg.get("kind_zh") or reg["kind"]},
                "participant": [{"actor": {"reference": patient}, "status": "accepted", "required": "required"},
                                {"actor": doctor, "status": "accepted"}]}, appointment_id)
    return bundle.text()


def payment(systems: Systems, facts: dict[str, Any], at: datetime, hospital: str) -> str:
    bill, items, paid = facts["bill"], facts["items"], facts["payment"]
    bundle = Bundle()
    patient = add_patient(bundle, systems, facts)
    if facts.get("invoice_id"):  # a bill the HIS issued: its Invoice is paid; the HIS balances it itself
        invoice: dict[str, Any] = {"reference": f"Invoice/{facts['invoice_id']}"}
    else:
        charge_id = systems.ours("bill", bill["id"])
        charge = bundle.put({"resourceType": "ChargeItem", "identifier": [charge_id], "status": "billed",
                             "code": {"text": bill["title"]}, "subject": {"reference": patient},
                             "quantity": {"value": 1}, "priceOverride": yuan(bill["total_fen"]),
                             "enteredDate": instant(at)}, charge_id)
        invoice_id = systems.ours("invoice", bill["id"])
        invoice = {"reference": bundle.put({
            "resourceType": "Invoice", "identifier": [invoice_id], "status": "balanced", "subject": {"reference": patient},
            "date": instant(at), "lineItem": [{"sequence": n, "chargeItemReference": {"reference": charge},
                                              "priceComponent": [{"type": "base", "amount": yuan(i["amount_fen"]),
                                                                  "factor": i["quantity"]}]}
                                             for n, i in enumerate(items, 1)],
            "totalGross": yuan(bill["total_fen"]), "totalNet": yuan(bill["total_fen"])}, invoice_id)}
    notice_id = systems.ours("payment", f"{paid.get('order_id')}-{bill['id']}")
    bundle.ensure({"resourceType": "PaymentNotice", "identifier": [notice_id], "status": "active", "request": invoice,
                   "created": instant(at), "payment": {"identifier": systems.ours("order", paid.get("order_id")),
                                                       "display": paid.get("provider_ref") or paid.get("method") or ""},
                   "paymentDate": (paid.get("paid_at") or at.isoformat())[:10], "recipient": {"display": hospital},
                   "amount": yuan(bill["total_fen"]), "paymentStatus": {"coding": [{
                       "system": "http://terminology.hl7.org/CodeSystem/paymentstatus", "code": "paid"}]}}, notice_id)
    return bundle.text()


ENCOUNTER = {"arrived": "arrived", "called": "in-progress", "done": "finished"}
TASK = {"arrived": "ready", "called": "in-progress", "done": "completed"}
STEP_ZH = {"arrived": "已签到候诊", "called": "已呼叫", "done": "就诊完成"}


def queue_step(systems: Systems, facts: dict[str, Any], what: str, at: datetime) -> str:
    visit = facts["visit"]
    bundle = Bundle()
    patient = add_patient(bundle, systems, facts)
    encounter_id = systems.ours("visit", visit["visit_id"])
    location = [{"location": {"display": visit.get("room_id") or visit["department_id"]}}]
    encounter = bundle.put({
        "resourceType": "Encounter", "identifier": [encounter_id], "status": ENCOUNTER[what],
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "门诊"},
        "subject": {"reference": patient}, "location": location,
        "serviceType": {"coding": [{"system": systems.record, "code": visit["department_id"]}]}}, encounter_id)
    task_id = systems.ours("queue-step", f"{visit['visit_id']}-{visit['department_id']}")
    bundle.put({"resourceType": "Task", "identifier": [task_id], "status": TASK[what], "intent": "order",
                "code": {"text": "门诊排队"}, "businessStatus": {"text": STEP_ZH[what]},
                "for": {"reference": patient}, "encounter": {"reference": encounter},
                "focus": {"reference": encounter}, "lastModified": instant(at),
                "owner": {"display": visit.get("room_id") or visit["department_id"]},
                "input": [{"type": {"text": "ticket"}, "valueString": visit.get("ticket") or ""}]}, task_id)
    return bundle.text()


def new_patient(systems: Systems, facts: dict[str, Any]) -> str:
    bundle = Bundle()
    resource, key = patient_resource(systems, facts["patient"])
    bundle.ensure(resource, key)
    return bundle.text()
