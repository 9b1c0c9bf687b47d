"""Writing what the HIS says into the service's own records (shared by the HL7 v2 and FHIR drivers): patients by
the HIS's number, reports released as the LIS signed them. Each runs inside the caller's records transaction."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from records.reports import flag_for


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def map_id(conn: Any, kind: str, his_id: str, local_id: int) -> None:
    conn.execute("INSERT INTO his_ids (kind, his_id, local_id) VALUES (?, ?, ?) "
                 "ON CONFLICT (kind, his_id) DO UPDATE SET local_id = excluded.local_id", (kind, his_id, local_id))


def mapped(conn: Any, kind: str, his_id: str) -> int | None:
    row = conn.execute("SELECT local_id FROM his_ids WHERE kind = ? AND his_id = ?", (kind, his_id)).fetchone()
    return int(row[0]) if row else None


def his_id_of(conn: Any, kind: str, local_id: int) -> str | None:
    row = conn.execute("SELECT his_id FROM his_ids WHERE kind = ? AND local_id = ? ORDER BY his_id",
                       (kind, local_id)).fetchone()
    return str(row[0]) if row else None


def find_patient(conn: Any, his_id: str | None, number: str | None, card: str | None) -> int | None:
    """The local patient of the HIS's number, else of the resident ID number, else of the medical card."""
    local = mapped(conn, "patient", his_id) if his_id else None
    if local is None and number:
        row = conn.execute("SELECT id FROM rec_patients WHERE id_number = ?", (number,)).fetchone()
        local = int(row[0]) if row else None
    if local is None and card:
        row = conn.execute("SELECT id FROM rec_patients WHERE medical_card_no = ?", (card,)).fetchone()
        local = int(row[0]) if row else None
    return local


def save_patient(conn: Any, records: Any, now: datetime, his_id: str | None, number: str | None, card: str | None,
                 fields: dict[str, Any], update: bool) -> int | None:
    """Find or create (from ``fields``: name, gender, birth_date, address, phone) the patient; with ``update`` the
    HIS's values replace ours. None when unknown and without a name to create it."""
    local = find_patient(conn, his_id, number, card)
    if local is None:
        if not fields.get("name"):
            return None
        local = conn.execute(
            "INSERT INTO rec_patients (id_number, id_kind, name, gender, birth_date, address, phone, "
            "medical_card_no, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'his', ?) RETURNING id",
            (number, "resident" if number else None, fields["name"], fields.get("gender"), fields.get("birth_date"),
             fields.get("address"), fields.get("phone"), card, _iso(now))).fetchone()[0]
        records.core.audit(conn, "patient_created", after="created", patient_id=local, source="his", his_id=his_id)
    elif update:
        wanted = {k: v for k, v in fields.items() if v}
        if number:
            wanted["id_number"] = number
        if card:
            wanted["medical_card_no"] = card
        row = conn.execute(f"SELECT {', '.join(wanted) or 'id'} FROM rec_patients WHERE id = ?", (local,)).fetchone()
        changes = {k: v for k, v in wanted.items() if row is None or row[k] != v}  # only what the HIS changed
        if changes:
            conn.execute(f"UPDATE rec_patients SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                         (*changes.values(), local))
            records.core.audit(conn, "patient_updated", patient_id=local, source="his", fields=sorted(changes))
    if his_id:
        map_id(conn, "patient", his_id, int(local))
    return int(local)


def save_report(conn: Any, records: Any, clock: Callable[[], datetime], patient: int, key: str, title: str,
                sampled: datetime, ready: datetime, items: list[dict[str, Any]], specimen: str | None,
                released: bool, tester: str, verifier: str) -> int:
    """A report of the LIS, by its number ``key``: new, or its items replaced (corrected results); released (the
    kiosk prints it) once final, signed by the LIS's tester and verifier."""
    report = mapped(conn, "report", key)
    if report is not None:
        conn.execute("DELETE FROM rec_report_items WHERE report_id = ?", (report,))
        conn.execute("UPDATE rec_reports SET title = ?, sampled_at = ?, ready_at = ? WHERE id = ?",
                     (title, _iso(sampled), _iso(ready), report))
        conn.executemany(
            "INSERT INTO rec_report_items (report_id, seq, code, name, result, unit, ref_low, ref_high, ref_text, flag)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(report, n, i.get("code"), i["name"], i["result"], i.get("unit"), i.get("ref_low"), i.get("ref_high"),
              i.get("ref_text"), i.get("flag", flag_for(i["result"], i.get("ref_low"), i.get("ref_high"))))
             for n, i in enumerate(items, 1)])
    else:
        report = records.add_report(patient, title, sampled, ready, items, specimen=specimen)
        map_id(conn, "report", key, report)
    if released:
        row = conn.execute("SELECT released_at FROM rec_reports WHERE id = ?", (report,)).fetchone()
        if not row[0]:
            conn.execute("UPDATE rec_reports SET verified_by_1 = ?, verified_by_2 = ?, released_at = ? WHERE id = ?",
                         (tester, verifier, _iso(clock()), report))
            records.core.audit(conn, "report_released", before="pending", after="released", report_id=report,
                               patient_id=patient, source="his", his_id=key)
            records.core.notify_patient(conn, patient, "report_ready", f"report:{report}", title=title)
    return int(report)
