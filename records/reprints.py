"""补打: a patient reprints the queue ticket (排队凭条) or the 挂号凭条 of a registration at a kiosk; each reprint is
counted and audited, and at most ``reprint_limit`` reprints of one slip are given (then the desk helps)."""
from __future__ import annotations

import json
from typing import Any

from records.core import RecordsCore, iso
from records.errors import RecordsError
from records.models import ReprintRequest

SLIP_NAMES = {"ticket": ("排队凭条", "queue ticket"), "receipt": ("挂号凭条", "registration receipt")}


class Reprints:
    """Counted, audited reprints of a registration's slips."""

    def __init__(self, core: RecordsCore) -> None:
        self.core = core

    def reprint_slip(self, reg_id: int, body: ReprintRequest, device: str | None = None) -> dict[str, Any]:
        zh, en = SLIP_NAMES[body.kind]
        limit = self.core.settings.reprint_limit
        with self.core.db.transaction() as conn:
            remembered = self.core.recall_key(conn, body.idempotency_key, "reprint")
            if remembered:
                return remembered
            reg = conn.execute("SELECT * FROM rec_registrations WHERE id = ?", (reg_id,)).fetchone()
            if reg is None or reg["state"] != "final":
                raise RecordsError("nothing_to_reprint", f"对不起，没有可以补打的{zh}（挂号已取消或未完成）。如需帮助请到人工窗口。",
                                   f"There is no {en} to reprint (the registration is cancelled or not finished).",
                                   status=409)
            bill = conn.execute("SELECT * FROM rec_bills WHERE id = ?", (reg["bill_id"],)).fetchone() if reg["bill_id"] else None
            if body.kind == "ticket" and not reg["ticket"]:
                raise RecordsError("nothing_to_reprint", "对不起，这个挂号还没有排队号，请先签到，或到分诊台咨询。",
                                   "This registration has no queue number yet; please check in first.", status=409)
            if body.kind == "receipt" and (bill is None or bill["state"] != "paid"):
                raise RecordsError("nothing_to_reprint", "对不起，这个挂号没有在自助机缴费，没有挂号凭条可以补打。",
                                   "This registration was not paid here; there is no receipt to reprint.", status=409)
            done = conn.execute("SELECT COUNT(*) FROM rec_reprints WHERE registration_id = ? AND kind = ?",
                                (reg_id, body.kind)).fetchone()[0]
            if done >= limit:
                self.core.audit(conn, "slip_reprint_refused", registration_id=reg_id, patient_id=reg["patient_id"],
                           kind=body.kind, reprints=done)
                raise RecordsError("reprint_limit", f"这张{zh}已补打{done}次，不能再在自助机补打。请到人工窗口办理，谢谢。",
                                   f"This {en} has been reprinted {done} times already; please ask at the desk.",
                                   status=409)
            conn.execute("INSERT INTO rec_reprints (registration_id, kind, patient_id, device, printed_at)"
                         " VALUES (?, ?, ?, ?, ?)", (reg_id, body.kind, reg["patient_id"], device, iso(self.core.now())))
            order = None
            if body.kind == "receipt" and bill["order_id"] is not None:
                row = conn.execute("SELECT method, payload, paid_at FROM rec_orders WHERE id = ?", (bill["order_id"],)).fetchone()
                payload = json.loads(row["payload"]) if row and row["payload"] else {}
                order = {"order_id": bill["order_id"], "method": payload.get("method") or (row["method"] if row else ""),
                         "provider_order_id": payload.get("provider_order_id"), "paid_at": row["paid_at"] if row else None}
            result = {"registration_id": reg_id, "kind": body.kind, "reprint_count": done + 1,
                      "reprints_left": limit - done - 1, "order": order}
            self.core.remember_key(conn, body.idempotency_key, "reprint", result)
            self.core.audit(conn, "slip_reprinted", before=str(done), after=str(done + 1), visit_id=reg["visit_id"],
                       registration_id=reg_id, patient_id=reg["patient_id"], kind=body.kind, reprint_count=done + 1)
            return result
