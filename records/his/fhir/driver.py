"""The FHIR R4 driver: reads what the kiosk needs from the HIS's FHIR server when the patient is there, writes what
the service did through the durable outbox.

Reads (`pull_*`, called by `records.his.backend.HisRecords` before the local answer):

| kiosk step | FHIR search | becomes |
|---|---|---|
| identify (ID card, typed number, medical card) | ``Patient?identifier=<system>|<number>`` | the patient's record here |
| bills (缴费) | ``Invoice?subject=Patient/<id>&status=issued``, ``ServiceRequest`` / ``MedicationRequest?subject=..&status=active`` | bills, open orders |
| reports (报告打印) | ``DiagnosticReport?subject=Patient/<id>&_include=DiagnosticReport:result`` | reports (final ones released) |

A read that fails (timeout, 5xx, refused connection) marks the link away and the kiosk goes on with what the service
already has; nothing is refused because the HIS is slow. Writes are transaction Bundles (records.his.fhir.resources)
sent by `FhirNotifier` from the outbox, retried until the server takes them.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from caller.notify.model import DeliveryError, Outgoing
from records.audit import Actor, actor_scope
from records.errors import RecordsError
from records.his import local as local_store
from records.his.fhir import resources
from records.his.hl7v2.inbound import create_tables
from records.ids import birth_date_from_id, check_id_number, gender_from_id

log = logging.getLogger("records.his.fhir")

HIS_ACTOR = Actor(user="", device="his")
FHIR_JSON = "application/fhir+json"


class HisUnavailable(Exception):
    """The FHIR server did not answer in time or answered with a server error."""


def _when(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return default
    if moment.tzinfo is not None:  # hospital time, naive
        from common.clock import zone

        moment = moment.astimezone(zone("Asia/Shanghai")).replace(tzinfo=None)
    return moment


class FhirNotifier:
    """Posts the outbox's transaction Bundles to the FHIR server (channel ``his``). Every entry is a conditional
    create or update by identifier, so a resend after a lost answer changes nothing."""

    channel = "his"
    idempotent = True

    def __init__(self, client: httpx.Client, on_result: Any = None):
        self.client = client
        self.on_result = on_result

    def send(self, message: Outgoing) -> str:
        try:
            answer = self.client.post("", content=message.text.encode("utf-8"),
                                      headers={"Content-Type": FHIR_JSON})
        except httpx.HTTPError as exc:
            reason = f"FHIR server not reachable: {type(exc).__name__} {exc}".strip()
            self._result(False, reason)
            raise DeliveryError(reason, retryable=True) from None
        if answer.status_code >= 500 or answer.status_code == 429:
            self._result(False, f"FHIR server answered {answer.status_code}")
            raise DeliveryError(f"FHIR server answered {answer.status_code}", retryable=True)
        self._result(True, "")
        if answer.status_code >= 400:
            raise DeliveryError(f"FHIR server refused the bundle ({answer.status_code}): {answer.text[:300]}",
                                retryable=False)
        body = answer.json()
        refused = [e.get("response", {}) for e in body.get("entry", [])
                   if str(e.get("response", {}).get("status", "200"))[:1] not in ("2",)]
        if refused:
            raise DeliveryError(f"FHIR server refused entries: {json.dumps(refused, ensure_ascii=False)[:300]}",
                                retryable=False)
        locations = [e.get("response", {}).get("location", "") for e in body.get("entry", [])]
        return ",".join(location for location in locations if location)[:500]

    def _result(self, ok: bool, reason: str) -> None:
        if self.on_result is not None:
            self.on_result(ok, reason)

    def close(self) -> None:
        """The client belongs to the driver (the reads use it too): it closes it."""


class FhirDriver:
    """One per service when ``[his] driver = "fhir"``."""

    def __init__(self, service: Any, records: Any, settings: Any, state: Any):
        self.service = service
        self.records = records
        self.cfg = settings.fhir
        self.state = state
        self.systems = resources.Systems(self.cfg)
        headers = {"Accept": FHIR_JSON}
        if self.cfg.token_file:
            headers["Authorization"] = "Bearer " + Path(self.cfg.token_file).read_text(encoding="utf-8").strip()
        base = self.cfg.base_url.rstrip("/") + "/"
        self.reads = httpx.Client(base_url=base, timeout=self.cfg.timeout_seconds, headers=headers)
        self.writes = httpx.Client(base_url=base, timeout=self.cfg.timeout_seconds, headers=headers)
        self.notifier = FhirNotifier(self.writes, on_result=self._exchanged)
        create_tables(records.db)

    def close(self) -> None:
        self.reads.close()
        self.writes.close()

    def _exchanged(self, ok: bool, reason: str) -> None:
        self.state.exchanged(ok, reason, self.service.clock())

    # -------------------------------------------------------------------------------------- writes
    def compose(self, kind: str, facts: dict[str, Any], now: datetime) -> list[tuple[str, str, str]]:
        if kind == "patient":
            return [("", "Patient", resources.new_patient(self.systems, facts))]
        if kind in ("booking", "cancel"):
            text = resources.booking(self.systems, facts, now, cancelled=kind == "cancel")
            return [("", "Appointment", text)]
        if kind == "payment":
            with self.records.db.reading() as rc:
                invoice = local_store.his_id_of(rc, "bill", int(facts["bill"]["id"]))
            facts = {**facts, "invoice_id": invoice}
            hospital = getattr(self.service.config.hospital, "name", "")
            return [("", "PaymentNotice", resources.payment(self.systems, facts, now, hospital))]
        return [("", "Task", resources.queue_step(self.systems, facts, kind, now))]

    # -------------------------------------------------------------------------------------- reads
    def _search(self, resource: str, **params: str) -> list[dict[str, Any]]:
        try:
            answer = self.reads.get(resource, params=params)
        except httpx.HTTPError as exc:
            raise HisUnavailable(f"FHIR server not reachable: {type(exc).__name__}") from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise HisUnavailable(f"FHIR server answered {answer.status_code}")
        if answer.status_code >= 400:
            log.warning("FHIR search %s %s refused: %s", resource, params, answer.text[:200])
            return []
        return [e["resource"] for e in answer.json().get("entry", []) if "resource" in e]

    def pulled(self, what: str, work: Any) -> None:
        """Run a read; the link's state says how it went; a failure leaves the kiosk on the local records."""
        try:
            with actor_scope(HIS_ACTOR):
                work()
        except HisUnavailable as exc:
            self.state.exchanged(False, str(exc), self.service.clock())
            log.warning("reading %s from the HIS failed: %s", what, exc)
            return
        self.state.exchanged(True, "", self.service.clock())

    def pull_patient(self, id_number: str | None, card: str | None) -> None:
        if id_number:
            try:
                number = check_id_number(id_number)
            except RecordsError:
                return  # the local answer says what is wrong with it
            found = self._search("Patient", identifier=f"{self.cfg.id_number_system}|{number}")
        elif card:
            number = None
            found = self._search("Patient", identifier=f"{self.cfg.medical_card_system}|{card}")
        else:
            return
        if not found:
            return
        patient = found[0]
        fields = self._patient_fields(patient)
        if number:
            fields["gender"] = fields["gender"] or gender_from_id(number)
            fields["birth_date"] = fields["birth_date"] or birth_date_from_id(number)
        card = card or next((i.get("value") for i in patient.get("identifier", [])
                             if i.get("system") == self.cfg.medical_card_system), None)
        if self._unchanged(patient["id"], number, card, fields):
            return  # the usual case at a kiosk: nothing to write
        with self.records.db.transaction() as conn:
            local_store.save_patient(conn, self.records, self.service.clock(), patient["id"], number, card, fields,
                                     update=True)

    def _unchanged(self, his_id: str, number: str | None, card: str | None, fields: dict[str, Any]) -> bool:
        """The patient is here already, under this HIS id, with these values (read without the write lock)."""
        with self.records.db.reading() as rc:
            local = local_store.mapped(rc, "patient", his_id)
            if local is None:
                return False
            row = rc.execute("SELECT * FROM rec_patients WHERE id = ?", (local,)).fetchone()
        if row is None:
            return False
        wanted = {k: v for k, v in {**fields, "id_number": number, "medical_card_no": card}.items() if v}
        return all(row[k] == v for k, v in wanted.items())

    @staticmethod
    def _patient_fields(patient: dict[str, Any]) -> dict[str, Any]:
        names = patient.get("name") or [{}]
        name = names[0].get("text") or (names[0].get("family", "") + "".join(names[0].get("given", [])))
        phone = next((t.get("value") for t in patient.get("telecom", []) if t.get("system") == "phone"), None)
        address = next((a.get("text") for a in patient.get("address", []) if a.get("text")), None)
        return {"name": name or None, "gender": resources.GENDER_BACK.get(patient.get("gender", "")),
                "birth_date": patient.get("birthDate"), "address": address, "phone": phone}

    def _his_patient(self, patient_id: int) -> str | None:
        with self.records.db.reading() as rc:
            his = local_store.his_id_of(rc, "patient", patient_id)
            if his is not None:
                return his
            row = rc.execute("SELECT id_number FROM rec_patients WHERE id = ?", (patient_id,)).fetchone()
        if row is None or not row[0]:
            return None
        found = self._search("Patient", identifier=f"{self.cfg.id_number_system}|{row[0]}")
        if not found:
            return None
        with self.records.db.transaction() as conn:
            local_store.map_id(conn, "patient", found[0]["id"], patient_id)
        return found[0]["id"]

    def pull_bills(self, patient_id: int) -> None:
        his = self._his_patient(patient_id)
        if his is None:
            return
        invoices = self._search("Invoice", subject=f"Patient/{his}", status="issued")
        orders = (self._search("ServiceRequest", subject=f"Patient/{his}", status="active")
                  + self._search("MedicationRequest", subject=f"Patient/{his}", status="active"))
        from records.models import BillCreate, BillItemIn

        for invoice in invoices:
            with self.records.db.transaction() as conn:
                if local_store.mapped(conn, "bill", invoice["id"]) is not None:
                    continue
                items = []
                for line in invoice.get("lineItem", []):
                    base = next((p for p in line.get("priceComponent", []) if p.get("type") == "base"), None)
                    if base is None or "amount" not in base:
                        continue
                    quantity = max(1, int(base.get("factor") or 1))
                    amount = int(round(float(base["amount"]["value"]) * 100))
                    text = (line.get("chargeItemCodeableConcept") or {}).get("text") or "费用"
                    items.append(BillItemIn(name=text, quantity=quantity, unit_fen=amount // quantity))
                if not items:
                    continue
                title = items[0].name + (f" 等{len(items)}项" if len(items) > 1 else "")
                bill = self.records.create_bill(BillCreate(idempotency_key=f"his:invoice:{invoice['id']}",
                                                           patient_id=patient_id, kind="visit", title=title, items=items))
                local_store.map_id(conn, "bill", invoice["id"], bill["bill_id"])
        if orders:
            with self.records.db.transaction() as conn:
                for order in orders:
                    kind = "drug" if order["resourceType"] == "MedicationRequest" else "exam"
                    code = order.get("medicationCodeableConcept") or order.get("code") or {}
                    name = code.get("text") or next((c.get("display") for c in code.get("coding", [])), None) or kind
                    conn.execute(
                        "INSERT INTO his_orders (patient_id, placer, filler, kind, code, name, state, received_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'open', ?) ON CONFLICT (placer) DO NOTHING",
                        (patient_id, f"{order['resourceType']}/{order['id']}", order["id"], kind,
                         next((c.get("code") for c in code.get("coding", [])), None), name,
                         self.service.clock().replace(microsecond=0).isoformat()))

    def pull_reports(self, patient_id: int) -> None:
        his = self._his_patient(patient_id)
        if his is None:
            return
        found = self._search("DiagnosticReport", subject=f"Patient/{his}", _include="DiagnosticReport:result")
        observations = {f"Observation/{r['id']}": r for r in found if r["resourceType"] == "Observation"}
        missing = sorted({ref.get("reference", "").split("/", 1)[1] for r in found if r["resourceType"] == "DiagnosticReport"
                          for ref in r.get("result", []) if ref.get("reference", "").startswith("Observation/")
                          and ref["reference"] not in observations})
        if missing:  # a server that does not do _include: the results in one more search
            observations.update({f"Observation/{o['id']}": o for o in self._search("Observation", _id=",".join(missing))})
        now = self.service.clock()
        for report in (r for r in found if r["resourceType"] == "DiagnosticReport"):
            if report.get("status") not in ("final", "amended", "corrected", "appended", "preliminary"):
                continue
            items = []
            for ref in report.get("result", []):
                obs = observations.get(ref.get("reference", ""))
                if obs is None:
                    continue
                code = obs.get("code", {})
                value = obs.get("valueQuantity") or {}
                ranges = (obs.get("referenceRange") or [{}])[0]
                interpretation = next((c.get("code") for i in obs.get("interpretation", []) for c in i.get("coding", [])), "")
                item = {"code": next((c.get("code") for c in code.get("coding", [])), None),
                        "name": code.get("text") or next((c.get("display") for c in code.get("coding", [])), "项目"),
                        "result": str(value.get("value", obs.get("valueString", ""))),
                        "unit": value.get("unit"), "ref_low": (ranges.get("low") or {}).get("value"),
                        "ref_high": (ranges.get("high") or {}).get("value"), "ref_text": ranges.get("text")}
                flag = {"H": "↑", "HH": "↑", "L": "↓", "LL": "↓", "N": ""}.get(interpretation)
                if flag is not None:
                    item["flag"] = flag
                items.append(item)
            if not items:
                continue
            performers = [p.get("display") for p in report.get("performer", []) if p.get("display")]
            interpreters = [p.get("display") for p in report.get("resultsInterpreter", []) if p.get("display")]
            verifier = (interpreters or performers or ["HIS"])[0]
            with self.records.db.transaction() as conn:
                local_store.save_report(
                    conn, self.records, self.service.clock, patient_id, f"DiagnosticReport/{report['id']}",
                    report.get("code", {}).get("text") or "检验报告", _when(report.get("effectiveDateTime"), now),
                    _when(report.get("issued"), now), items, None, report.get("status") != "preliminary",
                    (performers or [verifier])[0], verifier)
