"""What the HIS's and LIS's HL7 v2 messages do to the service's records.

Each message is applied in one records transaction together with the row that remembers its control id (MSH-10),
so a message is applied once: a repeat is answered AA and changes nothing. Work that talks to the queue (a visit
for today's appointment, a cancelled visit) runs after the commit and is itself idempotent.

| message | what it does |
|---|---|
| ADT^A04, ADT^A08 | creates or updates the patient (PID) |
| ADT^A40 | merges the patient of MRG-1 into the patient of PID |
| SIU^S12 | books the appointment (a final registration the kiosk checks in) |
| SIU^S13, SIU^S14 | moves or changes it |
| SIU^S15 | cancels it; without a PID segment: 停诊 of the doctor's session (AIP, AIS) |
| ORM^O01, RDE^O11 | keeps the order (ORC/OBR, ORC/RXE) and opens its journey step on the patient's visit today |
| ORU^R01 | stores the results (OBR/OBX) as a report; final (F) or corrected (C) results are released to print |
| DFT^P03 | the charges (FT1) become one bill the patient can pay at the kiosk |

docs/his.md has the field-by-field table.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import hl7

from records.audit import Actor, actor_scope
from records.errors import RecordsError
from records.his import local as local_store
from records.his import orders
from records.his.hl7v2 import codec
from records.his.hl7v2.codec import Hl7Reject, components, repeats, seg_field, segments
from records.ids import birth_date_from_id, check_id_number, gender_from_id

log = logging.getLogger("records.his.hl7v2")

HIS_ACTOR = Actor(user="", device="his")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS his_inbound (
        control_id TEXT PRIMARY KEY, kind TEXT NOT NULL, received_at TEXT NOT NULL, patient_id INTEGER,
        outcome TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS his_ids (
        kind TEXT NOT NULL, his_id TEXT NOT NULL, local_id INTEGER NOT NULL, PRIMARY KEY (kind, his_id))""",
    "CREATE INDEX IF NOT EXISTS his_ids_local ON his_ids (kind, local_id)",
    """CREATE TABLE IF NOT EXISTS his_orders (
        id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, placer TEXT NOT NULL, filler TEXT, kind TEXT NOT NULL,
        code TEXT, name TEXT NOT NULL, department_id TEXT, quantity TEXT, state TEXT NOT NULL,
        received_at TEXT NOT NULL, UNIQUE (placer))""",
    "CREATE INDEX IF NOT EXISTS his_orders_patient ON his_orders (patient_id, state)",
)

GENDER = {"M": "男", "F": "女"}
# tables with a patient_id column that follow a merge (ADT^A40)
PATIENT_TABLES = ("rec_registrations", "rec_bills", "rec_orders", "rec_reports", "rec_proxies", "his_orders")


def create_tables(db: Any) -> None:
    with db.transaction() as conn:
        for statement in SCHEMA:
            conn.execute(statement)
        orders.create_tables(conn)


def _count(text: str) -> int:
    """RXE-10 (dispense amount) as the number of packs, 1 to 99."""
    try:
        return min(99, max(1, int(Decimal(text or "1"))))
    except InvalidOperation:
        raise Hl7Reject("AE", f"RXE-10 amount {text!r} is not a number", "102") from None


@dataclass
class Applied:
    """The outcome of one message: ACK text, the patient it concerned, work to do after the commit."""

    reason: str
    patient_id: int | None = None
    after: list[Callable[[], None]] = dc_field(default_factory=list)


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _money_fen(text: str) -> int:
    """An HL7 MO/CP amount in yuan ("12.50", "12.50^CNY") as fen."""
    amount = text.split("^")[0].strip()
    if not amount:
        return 0
    try:
        return int((Decimal(amount) * 100).quantize(Decimal(1)))
    except InvalidOperation:
        raise Hl7Reject("AE", f"not an amount: {amount!r}", "102") from None


def _range(text: str) -> tuple[float | None, float | None, str | None]:
    """OBX-7 "3.5-5.5", "<5", ">1.0" or text -> (low, high, text)."""
    t = text.strip()
    if not t:
        return None, None, None
    try:
        if t.startswith("<"):
            return None, float(t.lstrip("<=")), None
        if t.startswith(">"):
            return float(t.lstrip(">=")), None, None
        low, _, high = t.partition("-")
        if low and high:
            return float(low), float(high), None
    except ValueError:
        pass
    return None, None, t


def _person(segment: Any, number: int) -> str:
    """A person of an NDL field (OBR-32, OBR-34: ``id&family&given``): the name, else the id."""
    name = seg_field(segment, number, 1, 1, 2) + seg_field(segment, number, 1, 1, 3)
    return name or seg_field(segment, number, 1, 1, 1)


FLAGS = {"H": "↑", "HH": "↑", "L": "↓", "LL": "↓", "A": "↑", "N": ""}


class Inbound:
    """Applies parsed HL7 v2 messages to a `records.backend.Records`."""

    def __init__(self, records: Any, clock: Callable[[], datetime]):
        self.records = records
        self.clock = clock
        create_tables(records.db)
        self.handlers: dict[tuple[str, str], Callable[[Any, hl7.Message], Applied]] = {
            ("ADT", "A04"): self._adt_register, ("ADT", "A08"): self._adt_update, ("ADT", "A28"): self._adt_register,
            ("ADT", "A31"): self._adt_update, ("ADT", "A40"): self._adt_merge,
            ("SIU", "S12"): self._siu_book, ("SIU", "S13"): self._siu_move, ("SIU", "S14"): self._siu_move,
            ("SIU", "S15"): self._siu_cancel,
            ("ORM", "O01"): self._order, ("RDE", "O11"): self._order,
            ("ORU", "R01"): self._results, ("DFT", "P03"): self._charges,
        }

    # ------------------------------------------------------------------------------------------ entry
    def apply(self, message: hl7.Message) -> tuple[str, str, int | None]:
        """(ACK code, reason, patient id) for one message; never raises for what the sender did wrong."""
        kind, event = codec.message_type(message)
        control_id = codec.field(message, "MSH.F10")
        if not control_id:
            return "AR", "MSH-10 (message control id) is empty", None
        version = codec.field(message, "MSH.F12.R1.C1")
        if version and version not in codec.SUPPORTED_VERSIONS:
            return "AR", f"HL7 version {version} is not supported (2.3 to 2.6)", None
        handler = self.handlers.get((kind, event))
        if handler is None:
            return "AR", f"message type {kind}^{event} is not taken by this interface", None
        try:
            with actor_scope(HIS_ACTOR), self.records.db.transaction() as conn:
                seen = conn.execute("SELECT outcome, patient_id FROM his_inbound WHERE control_id = ?",
                                    (control_id,)).fetchone()
                if seen is not None:
                    return "AA", f"duplicate of message {control_id}, already applied; nothing changed", seen[1]
                applied = handler(conn, message)
                conn.execute("INSERT INTO his_inbound (control_id, kind, received_at, patient_id, outcome) "
                             "VALUES (?, ?, ?, ?, ?)", (control_id, f"{kind}^{event}", _iso(self.clock()),
                                                        applied.patient_id, applied.reason))
            for work in applied.after:
                try:
                    with actor_scope(HIS_ACTOR):
                        work()
                except RecordsError as exc:  # the message is applied; the queue said no to a follow-up
                    log.warning("after %s %s: %s", f"{kind}^{event}", control_id, exc.code)
            return "AA", applied.reason, applied.patient_id
        except Hl7Reject as exc:
            return exc.code, exc.reason, None
        except RecordsError as exc:
            return "AE", f"{exc.code}: {exc.message_en}", None

    # ------------------------------------------------------------------------------------------ patients
    def _pid(self, message: hl7.Message) -> Any:
        found = segments(message, "PID")
        if not found:
            raise Hl7Reject("AE", "the message has no PID segment", "100")
        return found[0]

    @staticmethod
    def _identifiers(pid: Any) -> dict[str, str]:
        """PID-3 (and PID-2, PID-19): {"his": MRN, "id_number": resident ID, "card": medical card}."""
        out: dict[str, str] = {}
        for rep in repeats(pid, 3) + repeats(pid, 2):
            parts = components(rep)
            value = parts[0].strip()
            authority = parts[3].split("&")[0].upper() if len(parts) > 3 else ""
            kind = parts[4].upper() if len(parts) > 4 else ""
            if not value:
                continue
            if kind in ("NI", "NNCHN", "CZ") or authority in ("CHN", "NI"):
                out.setdefault("id_number", value)
            elif kind in ("HC", "MC", "JHC"):
                out.setdefault("card", value)
            else:  # MR, PI, PT or no type: the HIS's own number of the patient
                out.setdefault("his", value)
        ssn = seg_field(pid, 19).strip()
        if ssn:
            out.setdefault("id_number", ssn)
        return out

    def _patient_fields(self, pid: Any) -> dict[str, Any]:
        name = "".join(p for p in (seg_field(pid, 5, 1, 1), seg_field(pid, 5, 1, 2)) if p).strip()
        birth = codec.parse_date(seg_field(pid, 7))
        address = "".join(c for c in components(repeats(pid, 11)[0])[:5] if c) if repeats(pid, 11) else ""
        phone = ""
        if repeats(pid, 13):
            parts = components(repeats(pid, 13)[0])
            phone = (parts[11] if len(parts) > 11 and parts[11] else parts[0]).strip()
        return {"name": name or None, "gender": GENDER.get(seg_field(pid, 8).upper()),
                "birth_date": birth.isoformat() if birth else None, "address": address or None,
                "phone": phone or None}

    def patient(self, conn: Any, message: hl7.Message, create: bool = True, update: bool = False) -> int:
        """The local patient of the message's PID: found by the HIS's number, the ID number or the card number;
        created from PID when unknown (the HIS is the master of patients)."""
        pid = self._pid(message)
        ids = self._identifiers(pid)
        if not ids:
            raise Hl7Reject("AE", "PID-3 carries no patient identifier", "101")
        number = None
        if ids.get("id_number"):
            try:
                number = check_id_number(ids["id_number"])
            except RecordsError:
                raise Hl7Reject("AE", f"PID-3 resident ID number {ids['id_number'][:6]}… is not valid (GB 11643)",
                                "102") from None
        fields = self._patient_fields(pid)
        if number:
            fields["gender"] = fields["gender"] or gender_from_id(number)
            fields["birth_date"] = fields["birth_date"] or birth_date_from_id(number)
        if not create and local_store.find_patient(conn, ids.get("his"), number, ids.get("card")) is None:
            raise Hl7Reject("AE", f"patient {ids.get('his') or ids.get('card')} is not known here", "204")
        local = local_store.save_patient(conn, self.records, self.clock(), ids.get("his"), number, ids.get("card"),
                                         fields, update)
        if local is None:
            raise Hl7Reject("AE", "PID-5 (patient name) is empty", "101")
        return local

    def _adt_register(self, conn: Any, message: hl7.Message) -> Applied:
        patient = self.patient(conn, message, update=True)
        return Applied(f"patient {patient} registered", patient)

    def _adt_update(self, conn: Any, message: hl7.Message) -> Applied:
        patient = self.patient(conn, message, update=True)
        return Applied(f"patient {patient} updated", patient)

    def _adt_merge(self, conn: Any, message: hl7.Message) -> Applied:
        survivor = self.patient(conn, message, update=True)
        merged: list[int] = []
        for mrg in segments(message, "MRG"):
            for rep in repeats(mrg, 1):
                prior = components(rep)[0]
                row = conn.execute("SELECT local_id FROM his_ids WHERE kind = 'patient' AND his_id = ?",
                                   (prior,)).fetchone()
                if row is None:
                    raise Hl7Reject("AE", f"MRG-1 patient {prior} is not known here", "204")
                old = int(row[0])
                conn.execute("UPDATE his_ids SET local_id = ? WHERE kind = 'patient' AND local_id = ?", (survivor, old))
                if old == survivor:
                    continue
                for table in PATIENT_TABLES:
                    conn.execute(f"UPDATE {table} SET patient_id = ? WHERE patient_id = ?", (survivor, old))
                conn.execute("DELETE FROM rec_patients WHERE id = ?", (old,))
                self.records.core.audit(conn, "patients_merged", patient_id=survivor, merged_patient_id=old,
                                        source="his")
                merged.append(old)
        if not merged and not segments(message, "MRG"):
            raise Hl7Reject("AE", "ADT^A40 needs an MRG segment naming the patient merged away", "100")
        return Applied(f"patient(s) {merged} merged into {survivor}", survivor)

    # ------------------------------------------------------------------------------------------ appointments
    def _appointment_fields(self, conn: Any, message: hl7.Message) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(HIS appointment id, session row, slot row) of a SIU message."""
        sch = segments(message, "SCH")
        if not sch:
            raise Hl7Reject("AE", "the message has no SCH segment", "100")
        appt = seg_field(sch[0], 2) or seg_field(sch[0], 1)
        if not appt:
            raise Hl7Reject("AE", "SCH-2 (filler appointment id) and SCH-1 are empty", "101")
        start = None
        for ais in segments(message, "AIS"):
            start = codec.parse_ts(seg_field(ais, 4))
        if start is None:
            start = codec.parse_ts(seg_field(sch[0], 11, 1, 4))
        if start is None:
            raise Hl7Reject("AE", "no start time (AIS-4, or SCH-11.4)", "101")
        doctor = ""
        for aip in segments(message, "AIP"):
            doctor = doctor or seg_field(aip, 3)
        if not doctor:
            raise Hl7Reject("AE", "no doctor (AIP-3)", "101")
        session, slot = self._session_slot(conn, doctor, start)
        return appt, session, slot

    def _session_slot(self, conn: Any, doctor: str, start: datetime) -> tuple[dict[str, Any], dict[str, Any] | None]:
        if self.records.core.doctor(doctor) is None:
            raise Hl7Reject("AE", f"doctor {doctor} is not in the hospital file", "204")
        self.records.ensure_day(start.date())
        hm = start.strftime("%H:%M")
        rows = conn.execute("SELECT * FROM rec_sessions WHERE date = ? AND doctor_id = ? ORDER BY starts",
                            (start.date().isoformat(), doctor)).fetchall()
        sessions = [dict(r) for r in rows]
        session = next((s for s in sessions if s["starts"] <= hm < s["ends"]), None)
        if session is None:
            raise Hl7Reject("AE", f"doctor {doctor} has no session at {start:%Y-%m-%d %H:%M}", "204")
        slot = conn.execute("SELECT * FROM rec_slots WHERE session_id = ? AND starts <= ? AND ends > ? ORDER BY starts",
                            (session["id"], hm, hm)).fetchone()
        return session, dict(slot) if slot else None

    def _book(self, conn: Any, patient: int, appt: str, session: dict[str, Any], slot: dict[str, Any] | None) -> int:
        if slot is None:
            raise Hl7Reject("AE", f"no slot at that time in session {session['id']}", "204")
        if session["status"] != "open":
            raise Hl7Reject("AE", f"the session is stopped (停诊): {session.get('stop_notice') or ''}", "207")
        now = self.clock()
        self.records.seats.take(conn, slot["id"])  # the HIS booked it: a full slot does not refuse it here
        source = "onsite" if session["date"] == now.date().isoformat() else "appointment"
        reg = conn.execute(
            "INSERT INTO rec_registrations (patient_id, slot_id, session_id, date, kind, fee_fen, source, state, "
            "created_at, final_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'final', ?, ?) RETURNING id",
            (patient, slot["id"], session["id"], session["date"], session["kind"], session["fee_fen"], source,
             _iso(now), _iso(now))).fetchone()[0]
        title = "挂号费（HIS 已收）"
        bill = conn.execute(
            "INSERT INTO rec_bills (patient_id, kind, title, total_fen, state, registration_id, created_at, paid_at) "
            "VALUES (?, 'registration', ?, ?, 'paid', ?, ?, ?) RETURNING id",
            (patient, title, session["fee_fen"], reg, _iso(now), _iso(now))).fetchone()[0]
        conn.execute("INSERT INTO rec_bill_items (bill_id, name, quantity, unit, unit_fen, amount_fen) "
                     "VALUES (?, ?, 1, '次', ?, ?)", (bill, title, session["fee_fen"], session["fee_fen"]))
        conn.execute("UPDATE rec_registrations SET bill_id = ? WHERE id = ?", (bill, reg))
        conn.execute("INSERT INTO his_ids (kind, his_id, local_id) VALUES ('appointment', ?, ?) "
                     "ON CONFLICT (kind, his_id) DO UPDATE SET local_id = excluded.local_id", (appt, reg))
        self.records.core.audit(conn, "registration_booked_by_his", after="final", registration_id=reg,
                                patient_id=patient, slot_id=slot["id"], session_id=session["id"], his_id=appt)
        return int(reg)

    def _enter_queue(self, reg: int) -> Callable[[], None]:
        return lambda: self.records.registrations.enter_queue(reg, at_kiosk=False)

    def _siu_book(self, conn: Any, message: hl7.Message) -> Applied:
        patient = self.patient(conn, message)
        appt, session, slot = self._appointment_fields(conn, message)
        known = conn.execute("SELECT local_id FROM his_ids WHERE kind = 'appointment' AND his_id = ?",
                             (appt,)).fetchone()
        if known is not None:
            return Applied(f"appointment {appt} is registration {known[0]} already", patient)
        reg = self._book(conn, patient, appt, session, slot)
        return Applied(f"appointment {appt} booked as registration {reg}", patient, [self._enter_queue(reg)])

    def _siu_move(self, conn: Any, message: hl7.Message) -> Applied:
        patient = self.patient(conn, message)
        appt, session, slot = self._appointment_fields(conn, message)
        known = conn.execute("SELECT local_id FROM his_ids WHERE kind = 'appointment' AND his_id = ?",
                             (appt,)).fetchone()
        after: list[Callable[[], None]] = []
        if known is not None:
            old = conn.execute("SELECT * FROM rec_registrations WHERE id = ?", (int(known[0]),)).fetchone()
            if old is not None and old["slot_id"] == (slot or {}).get("id") and old["state"] == "final":
                return Applied(f"appointment {appt} unchanged (registration {old['id']})", patient)
            if old is not None:
                self.records.seats.release(conn, dict(old), "cancelled")
                self.records.core.audit(conn, "registration_moved_by_his", before="final", after="cancelled",
                                        registration_id=old["id"], patient_id=patient, his_id=appt)
                if old["visit_id"] and self.records.core.queue is not None:
                    visit = old["visit_id"]
                    after.append(lambda: self.records.core.queue.cancel_visit(visit, f"his-{appt}-moved-{visit}"))
        reg = self._book(conn, patient, appt, session, slot)
        return Applied(f"appointment {appt} is now registration {reg}", patient, after + [self._enter_queue(reg)])

    def _siu_cancel(self, conn: Any, message: hl7.Message) -> Applied:
        if not segments(message, "PID"):  # a schedule change: the doctor's whole session stops (停诊)
            return self._stop_session(conn, message)
        patient = self.patient(conn, message, create=False)
        sch = segments(message, "SCH")
        appt = (seg_field(sch[0], 2) or seg_field(sch[0], 1)) if sch else ""
        known = conn.execute("SELECT local_id FROM his_ids WHERE kind = 'appointment' AND his_id = ?",
                             (appt,)).fetchone()
        if known is None:
            raise Hl7Reject("AE", f"appointment {appt} is not known here", "204")
        reg = int(known[0])
        return Applied(f"appointment {appt} (registration {reg}) cancelled", patient,
                       [lambda: self.records.cancel_registration(reg, f"his-{appt}-cancel")])

    def _stop_session(self, conn: Any, message: hl7.Message) -> Applied:
        sch = segments(message, "SCH")
        start = None
        for ais in segments(message, "AIS"):
            start = codec.parse_ts(seg_field(ais, 4))
        if start is None and sch:
            start = codec.parse_ts(seg_field(sch[0], 11, 1, 4))
        doctor = next((seg_field(a, 3) for a in segments(message, "AIP") if seg_field(a, 3)), "")
        if start is None or not doctor:
            raise Hl7Reject("AE", "停诊 needs the doctor (AIP-3) and the session's time (AIS-4)", "101")
        session, _ = self._session_slot(conn, doctor, start)
        notice = (seg_field(sch[0], 6, 1, 2) or seg_field(sch[0], 6, 1, 1)) if sch else ""
        doctor_name = getattr(self.records.core.doctor(doctor), "name", doctor)
        result = self.records.stop_clinic(session["id"], notice or f"{doctor_name}医生停诊")
        return Applied(f"session {session['id']} stopped; {len(result['affected_registrations'])} registrations "
                       "affected", None)

    # ------------------------------------------------------------------------------------------ orders
    def _order(self, conn: Any, message: hl7.Message) -> Applied:
        """ORM^O01 / RDE^O11: the orders are kept, and open the journey's steps on the patient's visit of today
        (records.his.orders says which visit)."""
        patient = self.patient(conn, message)
        kind, _ = codec.message_type(message)
        details = segments(message, "RXE") if kind == "RDE" else segments(message, "OBR")
        stored = 0
        opening: list[orders.HisOrder] = []
        withdrawn: list[Callable[[], None]] = []
        departments: list[str] = []
        today = self.clock().date()
        for n, orc in enumerate(segments(message, "ORC")):
            control = seg_field(orc, 1).upper() or "NW"
            placer = seg_field(orc, 2) or seg_field(orc, 3)
            if not placer:
                raise Hl7Reject("AE", "ORC-2 (placer order number) is empty", "101")
            detail = details[n] if n < len(details) else None
            if control in ("CA", "OC", "DC"):
                conn.execute("UPDATE his_orders SET state = 'cancelled' WHERE placer = ?", (placer,))
                opened = conn.execute("SELECT visit_id FROM his_order_steps WHERE placer = ?", (placer,)).fetchone()
                if opened is not None:  # its steps not paid yet go too
                    withdrawn.append(orders.canceller(self.records, str(opened[0]), placer))
                stored += 1
                continue
            slot = slot_day = None
            if kind == "RDE":
                code = seg_field(detail, 2, 1, 1) if detail else ""
                name = seg_field(detail, 2, 1, 2) if detail else ""
                quantity = f"{seg_field(detail, 10)}{seg_field(detail, 11, 1, 2) or seg_field(detail, 11)}" if detail else ""
                order_kind = step_kind = "drug"
                count = _count(seg_field(detail, 10) if detail else "")
            else:
                code = seg_field(detail, 4, 1, 1) if detail else ""
                name = seg_field(detail, 4, 1, 2) if detail else ""
                quantity = ""
                section = (seg_field(detail, 24) if detail else "").upper()
                order_kind = "lab" if section in ("LAB", "HM", "CH", "MB", "SR") else "exam"
                step_kind = orders.kind_of(self.records.core.config, code, "lab" if order_kind == "lab" else "imaging")
                count = 1
                if step_kind == "imaging" and detail:  # OBR-36: the exam's booked slot, today or a later day
                    slot, slot_day = orders.booked(codec.parse_ts(seg_field(detail, 36)), today)
            if not code:
                raise Hl7Reject("AE", f"order {placer} names no item ({'RXE-2' if kind == 'RDE' else 'OBR-4'})", "101")
            wanted = orders.HisOrder(placer, step_kind, code, count, slot_start=slot, slot_day=slot_day)
            try:
                orders.check(self.records.core.config, wanted)
            except orders.UnknownItem as exc:
                raise Hl7Reject("AE", f"order {placer}: {exc}", "103") from None
            department = seg_field(orc, 17) or None
            conn.execute(
                "INSERT INTO his_orders (patient_id, placer, filler, kind, code, name, department_id, quantity, state, "
                "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) ON CONFLICT (placer) DO UPDATE SET "
                "filler = excluded.filler, code = excluded.code, name = excluded.name, state = 'open'",
                (patient, placer, seg_field(orc, 3) or None, order_kind, code or None, name or code or placer,
                 department, quantity or None, _iso(self.clock())))
            opening.append(wanted)
            departments += [department] if department else []
            stored += 1
        if not stored:
            raise Hl7Reject("AE", "the order message has no ORC segment", "100")
        self.records.core.audit(conn, "orders_received", patient_id=patient, source="his", count=stored)
        if not opening:
            return Applied(f"{stored} order(s) of patient {patient} kept" +
                           ("; unpaid steps of the withdrawn order(s) cancelled" if withdrawn else ""), patient, withdrawn)
        pv1 = segments(message, "PV1")
        number = seg_field(pv1[0], 19) if pv1 else ""  # PV1-19: our visit number, or the HIS's appointment
        visit = orders.today_visit(conn, patient, today.isoformat(), visit=number or None, appointment=number or None,
                                   department=departments[0] if departments else None)
        if visit is None:
            return Applied(f"{stored} order(s) of patient {patient} kept; no visit of the patient today, "
                           "no step opened", patient)
        return Applied(f"{stored} order(s) of patient {patient} kept; steps opened on visit {visit}", patient,
                       withdrawn + [orders.opener(self.records, visit, opening, self.clock)])

    # ------------------------------------------------------------------------------------------ results
    def _results(self, conn: Any, message: hl7.Message) -> Applied:
        patient = self.patient(conn, message)
        obrs = segments(message, "OBR")
        if not obrs:
            raise Hl7Reject("AE", "ORU^R01 has no OBR segment", "100")
        # OBX segments belong to the OBR before them
        groups: list[tuple[Any, list[Any]]] = []
        for seg in message:
            name = str(seg[0])
            if name == "OBR":
                groups.append((seg, []))
            elif name == "OBX" and groups:
                groups[-1][1].append(seg)
        made = []
        for obr, obxs in groups:
            made.append(self._report(conn, patient, obr, obxs))
        return Applied(f"report(s) {made} of patient {patient} stored", patient)

    def _report(self, conn: Any, patient: int, obr: Any, obxs: list[Any]) -> int:
        key = seg_field(obr, 3) or seg_field(obr, 2)
        if not key:
            raise Hl7Reject("AE", "OBR-3 (filler order number) is empty", "101")
        title = seg_field(obr, 4, 1, 2) or seg_field(obr, 4, 1, 1) or "检验报告"
        now = self.clock()
        sampled = codec.parse_ts(seg_field(obr, 7)) or now
        ready = codec.parse_ts(seg_field(obr, 22)) or now
        status = seg_field(obr, 25).upper() or "F"
        specimen = seg_field(obr, 15, 1, 2) or seg_field(obr, 15, 1, 1) or None
        verifier = _person(obr, 32) or "LIS"  # 审核者
        tester = _person(obr, 34) or verifier  # 检验者
        items = []
        for obx in obxs:
            low, high, text = _range(seg_field(obx, 7))
            flag = FLAGS.get(seg_field(obx, 8).upper())
            item: dict[str, Any] = {"code": seg_field(obx, 3, 1, 1) or None,
                                    "name": seg_field(obx, 3, 1, 2) or seg_field(obx, 3, 1, 1) or "项目",
                                    "result": seg_field(obx, 5), "unit": seg_field(obx, 6, 1, 2) or seg_field(obx, 6) or None,
                                    "ref_low": low, "ref_high": high, "ref_text": text}
            if flag is not None:
                item["flag"] = flag
            items.append(item)
        if not items:
            raise Hl7Reject("AE", f"report {key} has no OBX results", "100")
        return local_store.save_report(conn, self.records, self.clock, patient, key, title, sampled, ready, items,
                                       specimen, status in ("F", "C"), tester, verifier)

    # ------------------------------------------------------------------------------------------ charges
    KINDS = {"DRUG": "drug", "RX": "drug", "MED": "drug", "EXAM": "exam", "LAB": "exam", "RAD": "exam"}

    def _charges(self, conn: Any, message: hl7.Message) -> Applied:
        patient = self.patient(conn, message)
        items = []
        kinds = set()
        for ft1 in segments(message, "FT1"):
            kind = seg_field(ft1, 6).upper() or "CG"
            if kind not in ("CG", "CH", "CHARGE"):
                continue  # payments and adjustments of the HIS's own are not bills
            name = seg_field(ft1, 7, 1, 2) or seg_field(ft1, 7, 1, 1)
            if not name:
                raise Hl7Reject("AE", "FT1-7 (transaction code) is empty", "101")
            try:
                quantity = max(1, int(Decimal(seg_field(ft1, 10) or "1")))
            except InvalidOperation:
                raise Hl7Reject("AE", f"FT1-10 quantity {seg_field(ft1, 10)!r} is not a number", "102") from None
            unit_fen = _money_fen(seg_field(ft1, 12))
            total = _money_fen(seg_field(ft1, 11))
            if not unit_fen and total:
                unit_fen = total // quantity
            if unit_fen <= 0:
                raise Hl7Reject("AE", f"charge {name!r} has no amount (FT1-11 / FT1-12)", "101")
            kinds.add(self.KINDS.get(seg_field(ft1, 7, 1, 3).upper(), "visit"))
            items.append({"name": name, "quantity": quantity, "unit": seg_field(ft1, 10, 1, 2) or None,
                          "unit_fen": unit_fen})
        if not items:
            raise Hl7Reject("AE", "DFT^P03 has no charge (FT1 with FT1-6 = CG)", "100")
        kind = kinds.pop() if len(kinds) == 1 else "visit"
        title = items[0]["name"] + (f" 等{len(items)}项" if len(items) > 1 else "")
        from records.models import BillCreate, BillItemIn

        bill = self.records.create_bill(BillCreate(
            idempotency_key=f"his:dft:{codec.field(message, 'MSH.F10')}", patient_id=patient, kind=kind, title=title,
            items=[BillItemIn(**i) for i in items]))
        return Applied(f"bill {bill['bill_id']} of {bill['total_fen'] / 100:.2f} yuan for patient {patient}", patient)

