"""Lab reports (检验报告): released only after two different staff verified them (双人签字); printed with a count."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cockpit import rollups, sources
from records.audit import Actor, current_actor
from records.core import RecordsCore, iso
from records.db import RowConn
from records.errors import RecordsError, not_found

if TYPE_CHECKING:  # the parts it works with (Records wires them)
    from records.patients import Patients



def flag_for(result: str, ref_low: float | None, ref_high: float | None) -> str:
    """↑ above the range, ↓ below it, "" inside it or when the result is not a number."""
    try:
        value = float(result)
    except (TypeError, ValueError):
        return ""
    if ref_high is not None and value > ref_high:
        return "↑"
    if ref_low is not None and value < ref_low:
        return "↓"
    return ""


def reference_text(ref_low: float | None, ref_high: float | None, ref_text: str | None) -> str:
    if ref_text:
        return ref_text
    if ref_low is not None and ref_high is not None:
        return f"{ref_low:g}-{ref_high:g}"
    if ref_high is not None:
        return f"<{ref_high:g}"
    if ref_low is not None:
        return f">{ref_low:g}"
    return ""


def _when_zh(moment: str) -> str:
    t = datetime.fromisoformat(moment)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


class Reports:
    """Lab reports: create (from the lab), verify twice, list, read, print."""

    def __init__(self, core: RecordsCore, patients: Patients) -> None:
        self.core = core
        self.patients = patients


    def add_report(self, patient_id: int, title: str, sampled_at: datetime, ready_at: datetime,
                   items: list[dict[str, Any]], department_id: str | None = None, specimen: str | None = None) -> int:
        """Store a report from the lab; flags are computed from the reference ranges when not given."""
        with self.core.db.transaction() as conn:
            self.patients.row(conn, patient_id)
            report_id = conn.execute(
                "INSERT INTO rec_reports (patient_id, title, department_id, specimen, sampled_at, ready_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (patient_id, title, department_id, specimen, iso(sampled_at), iso(ready_at))).fetchone()[0]
            conn.executemany(
                "INSERT INTO rec_report_items (report_id, seq, code, name, result, unit, ref_low, ref_high, ref_text, flag)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(report_id, n, i.get("code"), i["name"], str(i["result"]), i.get("unit"), i.get("ref_low"), i.get("ref_high"),
                  i.get("ref_text"), i.get("flag", flag_for(str(i["result"]), i.get("ref_low"), i.get("ref_high"))))
                 for n, i in enumerate(items, 1)])
            return report_id

    def verify_report(self, report_id: int, staff_id: str) -> dict[str, Any]:
        """One signature; the second by a different person releases the report."""
        with self.core.db.transaction() as conn:
            r = self._report_row(conn, report_id)
            if r["released_at"]:
                return self._report_summary(conn, r)
            signer = Actor(staff_id, current_actor().device)  # the signer is the user, whichever token carried it
            if r["verified_by_1"] is None:
                conn.execute("UPDATE rec_reports SET verified_by_1 = ? WHERE id = ?", (staff_id, report_id))
                self.core.audit(conn, "report_verified", before="unverified", after="verified_once", actor=signer,
                           report_id=report_id, patient_id=r["patient_id"], signature=1, verified_by=staff_id)
            elif r["verified_by_1"] == staff_id:
                raise RecordsError("same_verifier", "双人签字需由另一位工作人员复核，请由其他同事签字。",
                                   "The second verification must be by a different member of staff.")
            else:
                conn.execute("UPDATE rec_reports SET verified_by_2 = ?, released_at = ? WHERE id = ?", (staff_id, iso(self.core.now()), report_id))
                rollups.record(conn, *sources.report_released(r["sampled_at"], iso(self.core.now()), r["department_id"]))
                self.core.audit(conn, "report_verified", before="verified_once", after="verified_twice", actor=signer,
                           report_id=report_id, patient_id=r["patient_id"], signature=2, verified_by=staff_id,
                           first_verified_by=r["verified_by_1"])
                self.core.audit(conn, "report_released", before="pending", after="released", actor=signer, report_id=report_id,
                           patient_id=r["patient_id"], verified_by=[r["verified_by_1"], staff_id])
                self.core.notify_patient(conn, r["patient_id"], "report_ready", f"report:{report_id}", title=r["title"])
            return self._report_summary(conn, self._report_row(conn, report_id))

    def list_reports(self, patient_id: int) -> dict[str, Any]:
        with self.core.db.reading() as rc:
            self.patients.row(rc, patient_id)
            rows = rc.execute("SELECT * FROM rec_reports WHERE patient_id = ? ORDER BY sampled_at DESC", (patient_id,)).fetchall()
            return {"reports": [self._report_summary(rc, dict(r)) for r in rows]}

    def get_report(self, report_id: int) -> dict[str, Any]:
        with self.core.db.reading() as rc:
            r = self._report_row(rc, report_id)
            self._refuse_unreleased(r)
            return self._report_full(rc, r)

    def print_report(self, report_id: int, device: str | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
        """Count one more print (any number allowed) and return the report to print; a retried key counts once."""
        with self.core.db.transaction() as conn:
            r = self._report_row(conn, report_id)
            self._refuse_unreleased(r)
            if self.core.recall_key(conn, idempotency_key, "print"):
                return self._report_full(conn, r)
            self.core.remember_key(conn, idempotency_key, "print", {"id": report_id})
            conn.execute("INSERT INTO rec_report_prints (report_id, printed_at, device) VALUES (?, ?, ?)", (report_id, iso(self.core.now()), device))
            if r["print_count"] == 0:
                rollups.record(conn, *sources.report_first_print(r["released_at"], iso(self.core.now()), device))
            conn.execute("UPDATE rec_reports SET print_count = print_count + 1 WHERE id = ?", (report_id,))
            self.core.audit(conn, "report_printed", before=str(r["print_count"]), after=str(r["print_count"] + 1),
                       report_id=report_id, patient_id=r["patient_id"], print_count=r["print_count"] + 1)
            return self._report_full(conn, self._report_row(conn, report_id))

    def staff_name(self, staff_id: str | None) -> str:
        """The real name of a member of staff from the hospital's staff list ([[users]]); the id as given when
        the laboratory system signed with a name the list does not hold."""
        if not staff_id:
            return ""
        for user in getattr(self.core.config, "users", None) or []:
            if user.username == staff_id:
                return user.name
        return staff_id

    def _report_row(self, conn: RowConn, report_id: int) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM rec_reports WHERE id = ?", (report_id,)).fetchone()
        if row is None:
            raise not_found("该检验报告", "The report")
        return dict(row)

    def _refuse_unreleased(self, r: dict[str, Any]) -> None:
        if not r["released_at"]:
            late = datetime.fromisoformat(r["ready_at"]) <= self.core.now()
            zh = ("您的报告正在审核中，请稍候再来打印，或咨询检验科。" if late
                  else f"您的报告尚未出具，预计{_when_zh(r['ready_at'])}可以打印，请届时再来，谢谢。")
            raise RecordsError("report_not_ready", zh, f"The report is not released yet; expected at {r['ready_at']}.", ready_at=r["ready_at"])

    def _report_summary(self, conn: RowConn, r: dict[str, Any]) -> dict[str, Any]:
        released = bool(r["released_at"])
        out = {"report_id": r["id"], "patient_id": r["patient_id"], "title": r["title"], "department_id": r["department_id"], "specimen": r["specimen"],
               "sampled_at": r["sampled_at"], "state": "released" if released else "pending", "ready_at": r["ready_at"],
               "released_at": r["released_at"], "print_count": r["print_count"]}
        if not released:
            out["message_zh"] = f"报告尚未出具，预计{_when_zh(r['ready_at'])}可以打印。"
        return out

    def _report_full(self, conn: RowConn, r: dict[str, Any]) -> dict[str, Any]:
        items = conn.execute("SELECT * FROM rec_report_items WHERE report_id = ? ORDER BY seq", (r["id"],)).fetchall()
        prints = conn.execute("SELECT printed_at, device FROM rec_report_prints WHERE report_id = ? ORDER BY id", (r["id"],)).fetchall()
        patient = self.patients.row(conn, r["patient_id"])
        return {**self._report_summary(conn, r), "patient_name": patient["name"], "gender": patient["gender"],
                "birth_date": patient["birth_date"], "verified_by": [r["verified_by_1"], r["verified_by_2"]],
                "verified_by_names": [self.staff_name(r["verified_by_1"]), self.staff_name(r["verified_by_2"])],
                "report_no": f"JY{r['sampled_at'][:10].replace('-', '')}-{r['id']:06d}",
                "items": [{"code": i["code"], "name": i["name"], "result": i["result"], "unit": i["unit"],
                           "reference": reference_text(i["ref_low"], i["ref_high"], i["ref_text"]),
                           "ref_low": i["ref_low"], "ref_high": i["ref_high"], "flag": i["flag"] or ""} for i in items],
                "prints": [dict(p) for p in prints]}
