"""The FHIR R4 driver: reads what the kiosk needs from the HIS's FHIR server when the patient is there, writes what
the service did through the durable outbox.

Reads (`pull_*`, called by `records.his.backend.HisRecords` before the local answer):

| kiosk step | FHIR search | becomes |
|---|---|---|
| identify (ID card, typed number, medical card) | ``Patient?identifier=<system>|<number>`` | the patient's record here |
| bills (缴费) | ``Invoice?subject=Patient/<id>&status=issued``, ``ServiceRequest`` / ``MedicationRequest?subject=..&status=active`` | bills, open orders (and their journey steps) |
| every ``orders_poll_seconds`` | ``ServiceRequest`` / ``MedicationRequest?status=active&_lastUpdated=ge<last seen>`` | the orders' journey steps on the patient's visit of today |
| reports (报告打印) | ``DiagnosticReport?subject=Patient/<id>&_include=DiagnosticReport:result`` | reports (final ones released) |

A read that fails (timeout, 5xx, refused connection) marks the link away and the kiosk goes on with what the service
already has; nothing is refused because the HIS is slow. Writes are transaction Bundles (records.his.fhir.resources)
sent by `FhirNotifier` from the outbox, retried until the server takes them.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from caller.notify.model import DeliveryError, Outgoing
from common.clock import zone
from records.audit import Actor, actor_scope
from records.errors import RecordsError
from records.his import local as local_store
from records.his import orders
from records.his.fhir import resources
from records.his.hl7v2.inbound import create_tables
from records.ids import birth_date_from_id, check_id_number, gender_from_id
from records.models import BillCreate, BillItemIn

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
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        create_tables(records.db)
        with records.db.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS his_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

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
            self.take_orders(orders)

    # -------------------------------------------------------------------------------------- orders
    def poll_orders(self) -> int:
        """The HIS's orders changed since the last look (``_lastUpdated``), for every patient: each is kept and
        opens its steps on the patient's visit of today (records.his.orders). The number of orders seen."""
        with self.records.db.reading() as rc:
            row = rc.execute("SELECT value FROM his_meta WHERE key = 'orders_since'").fetchone()
        since = row[0] if row else None
        started = self.service.clock()
        found: list[dict[str, Any]] = []
        for kind in ("ServiceRequest", "MedicationRequest"):
            params = {"status": "active", "_count": "1000", "_sort": "_lastUpdated"}
            if since:
                params["_lastUpdated"] = f"ge{since}"
            found += self._search(kind, **params)
        # in the order the HIS wrote them, whichever kind: one search per kind would otherwise open every lab
        # order of a poll before its prescriptions (orders of the same millisecond: prescriptions first)
        found.sort(key=lambda r: (r.get("meta", {}).get("lastUpdated", ""), r["resourceType"], r.get("id", "")))
        self.take_orders(found)
        newest = max((r.get("meta", {}).get("lastUpdated", "") for r in found), default="") or since
        if newest and newest != since:
            with self.records.db.transaction() as conn:
                conn.execute("INSERT INTO his_meta (key, value) VALUES ('orders_since', ?) ON CONFLICT (key) "
                             "DO UPDATE SET value = excluded.value", (newest,))
        log.debug("polled %d orders from the HIS in %.0f ms", len(found),
                  (self.service.clock() - started).total_seconds() * 1000)
        return len(found)

    def _order_of(self, resource: dict[str, Any]) -> orders.HisOrder | None:
        """A ServiceRequest / MedicationRequest as an order the queue can open (None: no catalog code in it)."""
        drug = resource["resourceType"] == "MedicationRequest"
        concept = resource.get("medicationCodeableConcept") if drug else resource.get("code")
        codes = [c.get("code") for c in (concept or {}).get("coding", []) if c.get("code")]
        kinds = ["drug"] if drug else ["lab", "imaging"]
        catalog = getattr(self.service.config, "catalog", None)
        for code in codes:
            kind = next((k for k in kinds if catalog is not None and catalog.find(k, code) is not None), None)
            if kind is None:
                continue
            amount = ((resource.get("dispenseRequest") or {}).get("quantity") if drug
                      else resource.get("quantityQuantity")) or {}
            slot = day = None
            when = resource.get("occurrenceDateTime")
            if when and kind == "imaging":  # the exam's booked slot, today or a later day
                slot, day = orders.booked(_when(when, self.service.clock()), self.service.clock().date())
            order = orders.HisOrder(f"{resource['resourceType']}:{resource['id']}", kind, code,
                                    min(99, max(1, int(float(amount.get("value") or 1)))), slot_start=slot,
                                    slot_day=day)
            try:
                orders.check(self.service.config, order)
            except orders.UnknownItem as exc:
                log.warning("the HIS's %s/%s cannot open a step: %s", resource["resourceType"], resource["id"], exc)
                return None
            return order
        return None

    def _visit_named(self, resource: dict[str, Any]) -> str | None:
        """Our visit number of the order's Encounter (one we wrote: ``visit-<visit>``), if it names one."""
        ref = resource.get("encounter") or {}
        identifier = ref.get("identifier") or {}
        if not identifier and str(ref.get("reference", "")).startswith("Encounter/"):
            try:
                answer = self.reads.get(ref["reference"])
            except httpx.HTTPError:
                return None
            if answer.status_code != 200:
                return None
            identifier = next((i for i in answer.json().get("identifier", [])
                               if i.get("system") == self.cfg.record_system), {})
        value = str(identifier.get("value", ""))
        return value.removeprefix("visit-") if value.startswith("visit-") else None

    def _local_patients(self, found: list[dict[str, Any]]) -> dict[str, int]:
        """The HIS's Patient ids of these orders -> our patients: mapped already, or read once and found by our
        record number (a Patient we wrote: ``patient-<n>``) or the resident ID number, then mapped."""
        out: dict[str, int] = {}
        for his in {str((r.get("subject") or {}).get("reference", "")).removeprefix("Patient/") for r in found}:
            if not his or "/" in his:
                continue
            with self.records.db.reading() as rc:
                local = local_store.mapped(rc, "patient", his)
            if local is None:
                answer = self.reads.get(f"Patient/{his}")
                if answer.status_code != 200:
                    continue
                ids = {i.get("system"): str(i.get("value", "")) for i in answer.json().get("identifier", [])}
                ours = ids.get(self.cfg.record_system, "")
                with self.records.db.transaction() as conn:
                    if ours.startswith("patient-") and ours[8:].isdigit() and conn.execute(
                            "SELECT 1 FROM rec_patients WHERE id = ?", (int(ours[8:]),)).fetchone() is not None:
                        local = int(ours[8:])
                    else:
                        local = local_store.find_patient(conn, None, ids.get(self.cfg.id_number_system),
                                                         ids.get(self.cfg.medical_card_system))
                    if local is not None:
                        local_store.map_id(conn, "patient", his, local)
            if local is not None:
                out[his] = local
        return out

    def take_orders(self, found: list[dict[str, Any]]) -> None:
        """Keep the HIS's orders (``his_orders``) and open the steps of the new ones on each patient's visit."""
        now = self.service.clock()
        try:
            patients = self._local_patients(found)
        except httpx.HTTPError as exc:
            raise HisUnavailable(f"FHIR server not reachable: {type(exc).__name__}") from None
        work = []
        with self.records.db.transaction() as conn:
            for resource in found:
                subject = str((resource.get("subject") or {}).get("reference", ""))
                patient = patients.get(subject.removeprefix("Patient/"))
                if patient is None:
                    continue  # a patient who has not been here: nothing to open
                drug = resource["resourceType"] == "MedicationRequest"
                concept = (resource.get("medicationCodeableConcept") if drug else resource.get("code")) or {}
                name = concept.get("text") or next((c.get("display") for c in concept.get("coding", [])), None) \
                    or ("drug" if drug else "exam")
                order = self._order_of(resource)
                placer = f"{resource['resourceType']}:{resource['id']}"
                conn.execute(
                    "INSERT INTO his_orders (patient_id, placer, filler, kind, code, name, state, received_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'open', ?) ON CONFLICT (placer) DO NOTHING",
                    (patient, placer, resource["id"], "drug" if drug else (order.kind if order else "exam"),
                     next((c.get("code") for c in concept.get("coding", [])), None), name,
                     now.replace(microsecond=0).isoformat()))
                if order is None or conn.execute("SELECT 1 FROM his_order_steps WHERE placer = ?",
                                                 (placer,)).fetchone() is not None:
                    continue
                visit = orders.today_visit(conn, patient, now.date().isoformat(), visit=self._visit_named(resource))
                if visit is not None:
                    work.append((visit, order))
        by_visit: dict[str, list[orders.HisOrder]] = {}
        for visit, order in work:
            by_visit.setdefault(visit, []).append(order)
        for visit, opened in by_visit.items():
            orders.opener(self.records, visit, opened, self.service.clock)()

    # -------------------------------------------------------------------------------------- polling
    def start(self) -> None:
        """Look for the HIS's new orders every ``orders_poll_seconds`` (0: only when the kiosk reads the bills)."""
        every = self.cfg.orders_poll_seconds
        if not every or self._poller is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(every):
                self.pulled("orders", self.poll_orders)

        self._poller = threading.Thread(target=loop, name="his-orders", daemon=True)
        self._poller.start()

    def stop(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=10)
            self._poller = None

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
