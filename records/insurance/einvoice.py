"""电子票据: a fiscal e-invoice for every payment, requested from the platform through the service's durable outbox.

When a payment is applied to its bills (records.payments) or a 医保 claim completes (records.insurance.claims), an
invoice row (``requested``) and an outbox message (channel ``einvoice``) are written in the same transaction. The
outbox's sender hands the message to :class:`InvoiceSender`, which asks the platform under the invoice's business
number (``busNo``: the platform answers a repeated number with the same invoice, so a retry never makes a second
one) and stores what it answered (``issued``): 票据代码, 票据号码, 校验码 and the QR text the receipt prints. A platform
that is away or refuses for a while is retried with the outbox's backoff; the kiosk can print the invoice as soon as it
is issued, and reprint it later (counted and audited).
"""
from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from caller.notify.model import DeliveryError, Message
from records.audit import SYSTEM
from records.core import RecordsCore, iso
from records.db import RowConn
from records.errors import RecordsError, not_found

log = logging.getLogger("records.einvoice")

CHANNEL = "einvoice"
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS rec_einvoices (
        id INTEGER PRIMARY KEY, bus_no TEXT NOT NULL UNIQUE, patient_id INTEGER NOT NULL, order_id INTEGER,
        claim_id INTEGER, total_fen INTEGER NOT NULL, pay_modes TEXT NOT NULL, bill_ids TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'requested', batch_code TEXT, bill_no TEXT, check_code TEXT, qr TEXT,
        issued_at TEXT, created_at TEXT NOT NULL, print_count INTEGER NOT NULL DEFAULT 0, last_error TEXT)""",
    "CREATE INDEX IF NOT EXISTS rec_einvoices_patient ON rec_einvoices (patient_id, id)",
    "CREATE INDEX IF NOT EXISTS rec_einvoices_order ON rec_einvoices (order_id)",
    "CREATE INDEX IF NOT EXISTS rec_einvoices_claim ON rec_einvoices (claim_id)",
)
PAY_MODES = {"fund": "医保统筹支付", "acct": "医保个人账户支付", "cash": "个人自付"}


class Invoices:
    """The invoices of the hospital's payments (table ``rec_einvoices``)."""

    def __init__(self, core: RecordsCore, outbox: Any = None, place_code: str = "001") -> None:
        self.core = core
        self.outbox = outbox  # records.insurance.sending.PlatformOutbox, or None: nothing is requested
        self.place_code = place_code
        with core.db.transaction() as conn:
            for statement in SCHEMA:
                conn.execute(statement)

    # -------------------------------------------------------------------------- requested with the payment
    def request_for_order(self, conn: RowConn, order_id: int) -> None:
        order = dict(conn.execute("SELECT * FROM rec_orders WHERE id = ?", (order_id,)).fetchone())
        self._request(conn, f"ORD{order_id:010d}", order["patient_id"], order["amount_fen"],
                      {"cash": order["amount_fen"]}, json.loads(order["bill_ids"]), order_id=order_id)

    def request_for_claim(self, conn: RowConn, claim_id: int, order_id: int | None = None) -> None:
        """One invoice for the whole claim (its 自付 ``order_id`` included), the split as its payment modes."""
        c = dict(conn.execute("SELECT * FROM rec_ins_claims WHERE id = ?", (claim_id,)).fetchone())
        modes = {k: v for k, v in (("fund", c["fund_fen"]), ("acct", c["acct_fen"]), ("cash", c["cash_fen"])) if v}
        self._request(conn, f"CLM{claim_id:010d}", c["patient_id"], c["total_fen"], modes, json.loads(c["bill_ids"]),
                      order_id=order_id, claim_id=claim_id)

    def _request(self, conn: RowConn, bus_no: str, patient_id: int, total: int, modes: dict[str, int],
                 bill_ids: list[int], order_id: int | None = None, claim_id: int | None = None) -> None:
        if self.outbox is None:
            return
        added = conn.execute(
            "INSERT INTO rec_einvoices (bus_no, patient_id, order_id, claim_id, total_fen, pay_modes, bill_ids, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bus_no) DO NOTHING RETURNING id",
            (bus_no, patient_id, order_id, claim_id, total, json.dumps(modes), json.dumps(bill_ids),
             iso(self.core.now()))).fetchall()
        if not added:
            return

        now = self.core.clock()
        self.outbox.enqueue(conn, [Message(key=f"einvoice:{bus_no}", event="einvoice", channel=CHANNEL,
                                           recipient=f"einvoice:{bus_no}", template="einvoice",
                                           params={"bus_no": bus_no}, text="", visit_id=None, due_at=now)], now)
        self.core.audit(conn, "einvoice_requested", after="requested", invoice_id=added[0][0], bus_no=bus_no,
                        patient_id=patient_id, order_id=order_id, claim_id=claim_id, amount_fen=total)
        self.outbox.wake()

    # --------------------------------------------------------------------------------- the platform's answer
    def issue_request(self, bus_no: str) -> dict[str, Any] | None:
        """What the platform is asked for this invoice (None: no such invoice)."""
        with self.core.db.reading() as rc:
            row = rc.execute("SELECT * FROM rec_einvoices WHERE bus_no = ?", (bus_no,)).fetchone()
            if row is None:
                return None
            inv = dict(row)
            payer = rc.execute("SELECT name FROM rec_patients WHERE id = ?", (inv["patient_id"],)).fetchone()
            bill_ids = json.loads(inv["bill_ids"])
            bills = [dict(r) for r in rc.execute(
                f"SELECT title, total_fen FROM rec_bills WHERE id IN ({','.join('?' * len(bill_ids))}) ORDER BY id",
                bill_ids)]
        return {"busNo": bus_no, "busType": "02", "placeCode": self.place_code, "payer": payer["name"] if payer else "",
                "busDate": inv["created_at"].replace("-", "").replace("T", "").replace(":", ""),
                "totalAmt": f"{inv['total_fen'] / 100:.2f}",
                "items": [{"itemName": b["title"], "itemAmt": f"{b['total_fen'] / 100:.2f}"} for b in bills],
                "payMode": [{"payChannel": PAY_MODES[k], "payAmt": f"{v / 100:.2f}"}
                            for k, v in json.loads(inv["pay_modes"]).items()],
                "_state": inv["state"]}

    def issued(self, bus_no: str, answer: dict[str, Any]) -> None:
        with self.core.db.transaction() as conn:
            row = conn.execute("SELECT id, state, patient_id FROM rec_einvoices WHERE bus_no = ?", (bus_no,)).fetchone()
            if row is None or row["state"] == "issued":
                return
            conn.execute("UPDATE rec_einvoices SET state = 'issued', batch_code = ?, bill_no = ?, check_code = ?, qr = ?,"
                         " issued_at = ?, last_error = NULL WHERE bus_no = ?",
                         (answer.get("billBatchCode"), answer.get("billNo"), answer.get("random"),
                          answer.get("billQRCode"), iso(self.core.now()), bus_no))
            self.core.audit(conn, "einvoice_issued", before="requested", after="issued", invoice_id=row["id"],
                            bus_no=bus_no, patient_id=row["patient_id"], bill_no=answer.get("billNo"),
                            actor=_system())

    # ------------------------------------------------------------------------------------------- reading
    def owner(self, invoice_id: int) -> int | None:
        row = self.core.db.one("SELECT patient_id FROM rec_einvoices WHERE id = ?", (invoice_id,))
        return row["patient_id"] if row else None

    @staticmethod
    def _view(inv: dict[str, Any]) -> dict[str, Any]:
        issued = inv["state"] == "issued"
        return {"invoice_id": inv["id"], "patient_id": inv["patient_id"], "order_id": inv["order_id"],
                "claim_id": inv["claim_id"], "total_fen": inv["total_fen"], "pay_modes": json.loads(inv["pay_modes"]),
                "state": inv["state"], "batch_code": inv["batch_code"], "bill_no": inv["bill_no"],
                "check_code": inv["check_code"], "qr": inv["qr"], "issued_at": inv["issued_at"],
                "created_at": inv["created_at"], "print_count": inv["print_count"],
                "message_zh": "" if issued else "电子票据正在开具，请稍候；也可稍后在自助机“补打”中打印。",
                "message_en": "" if issued else "The e-invoice is being issued; you can print it later under Reprint."}

    def list_for(self, patient_id: int, order_id: int | None = None, claim_id: int | None = None) -> dict[str, Any]:
        sql, params = "SELECT * FROM rec_einvoices WHERE patient_id = ?", [patient_id]
        if order_id is not None:
            sql, params = sql + " AND order_id = ?", params + [order_id]
        if claim_id is not None:
            sql, params = sql + " AND claim_id = ?", params + [claim_id]
        return {"invoices": [self._view(r) for r in self.core.db.all(sql + " ORDER BY id DESC LIMIT 20", tuple(params))]}

    def get(self, invoice_id: int) -> dict[str, Any]:
        row = self.core.db.one("SELECT * FROM rec_einvoices WHERE id = ?", (invoice_id,))
        if row is None:
            raise not_found("该电子票据", "The e-invoice")
        return self._view(row)

    def print_invoice(self, invoice_id: int, device: str | None, idempotency_key: str | None = None) -> dict[str, Any]:
        """Count one print (the first, or a 补打) of an issued invoice; the invoice to print."""
        with self.core.db.transaction() as conn:
            row = conn.execute("SELECT * FROM rec_einvoices WHERE id = ?", (invoice_id,)).fetchone()
            if row is None:
                raise not_found("该电子票据", "The e-invoice")
            if row["state"] != "issued":
                raise RecordsError("einvoice_not_ready", "电子票据正在开具，请稍候几分钟再打印，谢谢。",
                                   "The e-invoice is not issued yet; please print it in a few minutes.")
            if self.core.recall_key(conn, idempotency_key, "einvoice_print") is None:
                conn.execute("UPDATE rec_einvoices SET print_count = print_count + 1 WHERE id = ?", (invoice_id,))
                self.core.audit(conn, "einvoice_printed", before=str(row["print_count"]),
                                after=str(row["print_count"] + 1), invoice_id=invoice_id, patient_id=row["patient_id"],
                                device=device)
                self.core.remember_key(conn, idempotency_key, "einvoice_print", {"id": invoice_id})
        return self.get(invoice_id)


def _system():
    return SYSTEM


class InvoiceSender:
    """The outbox's notifier for channel ``einvoice``: asks the platform for the message's invoice."""

    channel = CHANNEL
    idempotent = True  # the platform keys invoices by busNo

    def __init__(self, invoices: Invoices, url: str, timeout_s: float = 10.0) -> None:
        self.invoices = invoices
        self.url = url.rstrip("/")
        self.client = httpx.Client(timeout=timeout_s)

    def send(self, message: Any) -> str:
        bus_no = message.params.get("bus_no", "")
        body = self.invoices.issue_request(bus_no)
        if body is None:
            raise DeliveryError("no such invoice", retryable=False)
        if body.pop("_state") == "issued":
            return bus_no
        try:
            answer = self.client.post(f"{self.url}/einvoice/v1/issue", json=body)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"e-invoice platform unreachable: {type(exc).__name__}") from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise DeliveryError(f"e-invoice platform answered {answer.status_code}")
        try:
            data = answer.json()
        except ValueError:
            raise DeliveryError("e-invoice platform answered something that is not JSON") from None
        if data.get("result") != "S0000":
            # a refusal of our data: kept for staff to see, retried (the data may be fixed), never dropped silently
            log.warning("e-invoice %s refused by the platform: %s", bus_no, data.get("result"))
            raise DeliveryError(f"refused: {data.get('result')}")
        self.invoices.issued(bus_no, data["message"])
        return str(data["message"].get("billNo", bus_no))

    def close(self) -> None:
        self.client.close()


class ReversalSender:
    """The outbox's notifier for channel ``medins``: a claim's reversal (2208 or 2601), until the platform takes it."""

    channel = "medins"
    idempotent = True  # reversing a reversed settlement changes nothing

    def __init__(self, claims: Any) -> None:
        self.claims = claims

    def send(self, message: Any) -> str:
        claim_id = int(message.params.get("claim_id", 0))
        if not self.claims.perform_reversal(claim_id):
            raise DeliveryError("reversal not confirmed yet")
        return f"claim-{claim_id}-reversed"
