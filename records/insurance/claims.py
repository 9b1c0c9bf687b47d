"""医保 settlement of outpatient bills (门诊缴费), through the national platform's transactions.

A claim pays a patient's bills with their medical insurance:

    start   1101 人员信息获取 (by 医保电子凭证 QR, ID card or social-security card) -> 2201 门诊挂号 -> 2203 就诊信息上传
            -> 2204 费用明细上传 -> 2206 预结算                                        state: presettled (the split)
    settle  2207 结算                                                                   state: settled
            the fund (统筹) and the personal account (个人账户) have paid; the patient owes the rest (自付):
            nothing -> complete at once; else a payment order for exactly that amount (records.payments) -> complete
    undo    the patient walks away before paying 自付, or the kiosk gives up: 2208 结算撤销      -> reversed
            2207 sent but its answer lost: 2601 冲正 with the 2207's msgid (whatever became of it) -> reversed

States: ``presettled``, ``settling`` (2207 on its way), ``settled``, ``complete``, ``reversing`` (a reversal is due:
it is written to the service's durable outbox in the same transaction, so it is retried until the platform takes it),
``reversed``, ``cancelled`` (given up before 2207), ``failed`` (refused or unreachable before anything was settled).
While a claim is open (presettled, settling, settled, reversing) its bills can be paid by nothing else, and a payment
of them that lands late is refunded: a bill is never paid twice. Every step is audited with who did it; nothing of
the patient's insurance data (certificate numbers, person number, balance) is written to the audit trail or the log.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from caller.notify.model import Message
from platforms.medins.envelope import (
    CERT_ID_CARD,
    CERT_QR,
    CERT_SSC,
    CERT_TYPES,
    INSUTYPES,
    MED_TYPE_OUTPATIENT,
    OTP_FEE_UPLOAD,
    OTP_PRESETTLE,
    OTP_REGISTER,
    OTP_REGISTER_CANCEL,
    OTP_SETTLE,
    OTP_SETTLE_CANCEL,
    OTP_VISIT_UPLOAD,
    PERSON_INFO,
    REVERSE,
    to_fen,
    to_yuan,
)
from records.audit import SYSTEM, current_actor
from records.core import RecordsCore, iso
from records.db import RowConn
from records.errors import RecordsError, not_found
from records.insurance.medins_client import (
    MedInsClient,
    MedInsError,
    MedInsNoAnswer,
    MedInsRefused,
    MedInsUnreachable,
    Operator,
    self_service,
)

if TYPE_CHECKING:
    from records.payments import Payments

log = logging.getLogger("records.insurance")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS rec_ins_claims (
        id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, bill_ids TEXT NOT NULL, total_fen INTEGER NOT NULL,
        cert_type TEXT NOT NULL, cert_no TEXT NOT NULL, psn_no TEXT, insutype TEXT, mdtrt_id TEXT,
        state TEXT NOT NULL, fund_fen INTEGER NOT NULL DEFAULT 0, acct_fen INTEGER NOT NULL DEFAULT 0,
        cash_fen INTEGER NOT NULL DEFAULT 0, balance_fen INTEGER, setl_id TEXT, settle_msgid TEXT,
        reason_zh TEXT, reason_en TEXT, device TEXT, created_at TEXT NOT NULL, settling_at TEXT, settled_at TEXT,
        closed_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS rec_ins_claims_state ON rec_ins_claims (state, created_at)",
    "CREATE TABLE IF NOT EXISTS rec_ins_claim_bills (bill_id INTEGER NOT NULL, claim_id INTEGER NOT NULL, "
    "PRIMARY KEY (bill_id, claim_id))",
    "CREATE TABLE IF NOT EXISTS rec_ins_orders (order_id INTEGER PRIMARY KEY, claim_id INTEGER NOT NULL)",
)
OPEN = ("presettled", "settling", "settled", "reversing")
SETTLING_MINUTES = 5  # a 2207 unanswered for this long was interrupted (the client gives up after seconds)
CHANNEL = "medins"  # the outbox channel of reversals

MESSAGES = {
    "presettled": ("医保预结算完成，请核对金额后点击“确认结算”。", "Pre-settlement done: please check the amounts and confirm."),
    "settling": ("正在进行医保结算，请稍候……", "Settling with the medical insurance, please wait..."),
    "settled": ("医保已结算，请支付自付部分。", "Insurance settled: please pay your own part."),
    "complete": ("医保结算完成，谢谢。", "Medical insurance settlement complete. Thank you."),
    "reversing": ("医保结算结果未能确认，系统正在自动撤销本次结算，本次没有扣费，账单仍为未缴。请稍候重新缴费，或到人工窗口办理。",
                  "The settlement could not be confirmed and is being undone automatically; nothing was charged. "
                  "Please pay again later or at the counter."),
    "reversed": ("本次医保结算已撤销，没有扣费，账单仍为未缴。您可以重新缴费，或到人工窗口办理。",
                 "The insurance settlement was undone; nothing was charged and the bills are still unpaid."),
    "cancelled": ("已取消医保结算，没有扣费。", "Insurance settlement cancelled; nothing was charged."),
}
UNREACHABLE = ("对不起，医保平台暂时无法连接，本次没有结算也没有扣费。请稍后重试，或选择自费支付、到人工窗口办理。",
               "The medical insurance platform cannot be reached; nothing was settled or charged. Please try again "
               "later, pay yourself, or go to the counter.")


def insurance_error(code: str, zh: str, en: str, status: int = 409, **extra: Any) -> RecordsError:
    return RecordsError(code, zh, en, status=status, **extra)


class Claims:
    """Claims against the national platform; a hook of records.payments (its 自付 orders, bills no one pays twice)."""

    def __init__(self, core: RecordsCore, payments: Payments, client: MedInsClient | None, outbox: Any = None,
                 invoices: Any = None) -> None:
        self.core = core
        self.payments = payments
        self.client = client
        self.outbox = outbox  # records.insurance.sending.PlatformOutbox, or None
        self.invoices = invoices
        self._reversing = threading.Lock()
        with core.db.transaction() as conn:
            for statement in SCHEMA:
                conn.execute(statement)

    @property
    def available(self) -> bool:
        return self.client is not None

    # ------------------------------------------------------------------------------------------------ reading
    def _row(self, conn: RowConn, claim_id: int) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM rec_ins_claims WHERE id = ?", (claim_id,)).fetchone()
        if row is None:
            raise not_found("该医保结算", "The insurance settlement")
        return dict(row)

    def view(self, claim_id: int) -> dict[str, Any]:
        with self.core.db.reading() as rc:
            c = self._row(rc, claim_id)
            orders = [r[0] for r in rc.execute("SELECT order_id FROM rec_ins_orders WHERE claim_id = ? ORDER BY order_id",
                                                (claim_id,))]
        zh, en = MESSAGES.get(c["state"], ("", ""))
        if c["state"] == "failed":
            zh, en = c["reason_zh"] or "", c["reason_en"] or ""
        return {"claim_id": c["id"], "patient_id": c["patient_id"], "bill_ids": json.loads(c["bill_ids"]),
                "state": c["state"], "cert_type": c["cert_type"], "cert_type_zh": CERT_TYPES.get(c["cert_type"], ""),
                "insutype": c["insutype"], "insutype_zh": INSUTYPES.get(c["insutype"] or "", ""),
                "total_fen": c["total_fen"], "fund_fen": c["fund_fen"], "acct_fen": c["acct_fen"],
                "cash_fen": c["cash_fen"], "balance_fen": c["balance_fen"], "setl_id": c["setl_id"],
                "order_ids": orders, "created_at": c["created_at"], "settled_at": c["settled_at"],
                "message_zh": zh, "message_en": en}

    def owner(self, claim_id: int) -> int | None:
        row = self.core.db.one("SELECT patient_id FROM rec_ins_claims WHERE id = ?", (claim_id,))
        return row["patient_id"] if row else None

    def claim_of_order(self, conn: RowConn, order_id: int | None) -> dict[str, Any] | None:
        if order_id is None:
            return None
        row = conn.execute("SELECT c.* FROM rec_ins_claims c JOIN rec_ins_orders o ON o.claim_id = c.id "
                           "WHERE o.order_id = ?", (order_id,)).fetchone()
        return dict(row) if row else None

    def _open_claim_of_bill(self, conn: RowConn, bill_id: int) -> int | None:
        row = conn.execute(f"SELECT c.id FROM rec_ins_claims c JOIN rec_ins_claim_bills b ON b.claim_id = c.id "
                           f"WHERE b.bill_id = ? AND c.state IN ({','.join('?' * len(OPEN))})", (bill_id, *OPEN)).fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------------------------------------ starting
    def start(self, patient_id: int, bill_ids: list[int], cert_type: str, cert_no: str,
              idempotency_key: str | None = None, device: str | None = None) -> dict[str, Any]:
        """Identify the insured person, register the visit, upload the fees and pre-settle: the split to show."""
        if self.client is None:
            raise insurance_error("insurance_not_offered", "对不起，本院暂未开通自助机医保结算，请选择自费支付，或到人工窗口使用医保结算。",
                                  "Medical insurance settlement is not available at this kiosk; please pay yourself "
                                  "or use the counter.", status=409)
        if cert_type not in (CERT_QR, CERT_ID_CARD, CERT_SSC) or not (cert_no or "").strip():
            raise insurance_error("invalid_certificate", "请出示医保电子凭证二维码，或刷身份证、社保卡。",
                                  "Show the medical insurance QR code, or read your ID card or social security card.",
                                  status=422)
        self.sweep()
        with self.core.db.transaction() as conn:
            remembered = self.core.recall_key(conn, idempotency_key, "insurance_claim")
            if remembered:
                return self.view(remembered["id"])
            claim_id = self._new_claim(conn, patient_id, bill_ids, cert_type, cert_no.strip(), device)
            self.core.remember_key(conn, idempotency_key, "insurance_claim", {"id": claim_id})
        who = self._operator(device)
        try:
            self._presettle(claim_id, who)
        except MedInsError as exc:
            self._fail(claim_id, exc, who)
        return self.view(claim_id)

    def _new_claim(self, conn: RowConn, patient_id: int, bill_ids: list[int], cert_type: str, cert_no: str,
                   device: str | None) -> int:
        patient = conn.execute("SELECT id, id_number FROM rec_patients WHERE id = ?", (patient_id,)).fetchone()
        if patient is None:
            raise not_found("该患者", "The patient")
        bill_ids = list(dict.fromkeys(bill_ids))
        total = 0
        for bill_id in bill_ids:
            bill = conn.execute("SELECT * FROM rec_bills WHERE id = ?", (bill_id,)).fetchone()
            if bill is None or bill["patient_id"] != patient_id:
                raise not_found(f"账单（编号{bill_id}）", f"Bill {bill_id}")
            if bill["registration_id"]:
                raise insurance_error("registration_fee_not_claimable", "挂号费请在挂号时支付；本页医保结算用于门诊缴费，谢谢。",
                                      "Registration fees are paid when registering.", bill_id=bill_id)
            if bill["state"] != "unpaid":
                raise insurance_error("bill_paid", "该账单已缴费或已取消，无需缴费，谢谢。", "This bill is not payable.",
                                      bill_id=bill_id)
            if self._open_claim_of_bill(conn, bill_id) is not None:
                raise insurance_error("bill_in_settlement", "该账单正在医保结算中，请勿重复缴费。请稍候，或到人工窗口咨询。",
                                      "This bill is being settled with the insurance; do not pay it again.", bill_id=bill_id)
            total += bill["total_fen"]
        if total <= 0:
            raise insurance_error("nothing_to_pay", "这些账单无需缴费，谢谢。", "Nothing to pay for these bills.", status=422)
        claim_id = conn.execute(
            "INSERT INTO rec_ins_claims (patient_id, bill_ids, total_fen, cert_type, cert_no, state, device, created_at)"
            " VALUES (?, ?, ?, ?, ?, 'presettled', ?, ?) RETURNING id",
            (patient_id, json.dumps(bill_ids), total, cert_type, cert_no, device, iso(self.core.now()))).fetchone()[0]
        for bill_id in bill_ids:
            conn.execute("INSERT INTO rec_ins_claim_bills (bill_id, claim_id) VALUES (?, ?)", (bill_id, claim_id))
        self.core.audit(conn, "insurance_claim_started", after="presettling", claim_id=claim_id, patient_id=patient_id,
                        bill_ids=bill_ids, total_fen=total, cert_type=cert_type)
        return claim_id

    def _operator(self, device: str | None) -> Operator:
        actor = current_actor()
        if actor.user:  # a member of staff at a console: 经办人
            return Operator("1", actor.user, actor.user, actor.device)
        return self_service(device or actor.device)

    def _presettle(self, claim_id: int, who: Operator) -> None:
        with self.core.db.reading() as rc:
            c = self._row(rc, claim_id)
            patient = dict(rc.execute("SELECT id_number FROM rec_patients WHERE id = ?", (c["patient_id"],)).fetchone())
            items = [dict(r) for r in rc.execute(
                f"SELECT i.*, b.created_at AS billed_at FROM rec_bill_items i JOIN rec_bills b ON b.id = i.bill_id "
                f"WHERE i.bill_id IN ({','.join('?' * len(json.loads(c['bill_ids'])))}) ORDER BY i.id",
                json.loads(c["bill_ids"]))]
        cert = {"mdtrt_cert_type": c["cert_type"], "mdtrt_cert_no": c["cert_no"]}
        info = self.client.call(PERSON_INFO, {"data": {**cert, "psn_cert_type": "01", "certno": "", "psn_name": ""}}, who)
        base, insu = info.get("baseinfo") or {}, info.get("insuinfo") or []
        if not patient["id_number"] or str(base.get("certno", "")).upper() != patient["id_number"].upper():
            raise MedInsRefused(PERSON_INFO, "not_the_patient")
        chosen = next((i for i in insu if i.get("insutype") == "310"), insu[0] if insu else {})
        psn_no, insutype = base.get("psn_no", ""), chosen.get("insutype", "")
        with self.core.db.transaction() as conn:
            conn.execute("UPDATE rec_ins_claims SET psn_no = ?, insutype = ? WHERE id = ?", (psn_no, insutype, claim_id))
        reg = self.client.call(OTP_REGISTER, {"data": {"psn_no": psn_no, "insutype": insutype, **cert,
                                                       "begntime": f"{self.core.now():%Y-%m-%d %H:%M:%S}",
                                                       "ipt_otp_no": f"C{claim_id}", "dept_code": "", "dept_name": "",
                                                       "caty": "", "atddr_no": "", "dr_name": ""}}, who)
        mdtrt_id = (reg.get("data") or {}).get("mdtrt_id", "")
        with self.core.db.transaction() as conn:
            conn.execute("UPDATE rec_ins_claims SET mdtrt_id = ? WHERE id = ?", (mdtrt_id, claim_id))
        self.client.call(OTP_VISIT_UPLOAD, {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no,
                                                          "med_type": MED_TYPE_OUTPATIENT,
                                                          "begntime": f"{self.core.now():%Y-%m-%d %H:%M:%S}",
                                                          "main_cond_dscr": "门诊缴费"}, "diseinfo": []}, who)
        feedetail = [{"feedetl_sn": f"{claim_id}-{i['id']}", "mdtrt_id": mdtrt_id, "psn_no": psn_no,
                      "chrg_bchno": f"C{claim_id}", "med_type": MED_TYPE_OUTPATIENT,
                      "fee_ocur_time": (i["billed_at"] or "").replace("T", " "), "med_list_codg": "",
                      "medins_list_codg": str(i["id"]), "det_item_fee_sumamt": to_yuan(i["amount_fen"]),
                      "cnt": i["quantity"], "pric": to_yuan(i["unit_fen"]), "medins_list_name": i["name"]}
                     for i in items]
        self.client.call(OTP_FEE_UPLOAD, {"feedetail": feedetail}, who)
        pre = self.client.call(OTP_PRESETTLE, {"data": self._settle_input(c, psn_no, insutype, mdtrt_id)}, who)
        fund, acct, cash, balance = self._amounts(pre)
        if fund + acct + cash != c["total_fen"]:
            raise MedInsRefused(OTP_PRESETTLE, "split_mismatch")
        with self.core.db.transaction() as conn:
            conn.execute("UPDATE rec_ins_claims SET fund_fen = ?, acct_fen = ?, cash_fen = ?, balance_fen = ? "
                         "WHERE id = ?", (fund, acct, cash, balance, claim_id))
            self.core.audit(conn, "insurance_presettled", before="presettling", after="presettled", claim_id=claim_id,
                            patient_id=c["patient_id"], total_fen=c["total_fen"], fund_fen=fund, acct_fen=acct,
                            cash_fen=cash, opter_type=who.opter_type)

    def _settle_input(self, c: dict[str, Any], psn_no: str, insutype: str, mdtrt_id: str) -> dict[str, Any]:
        return {"psn_no": psn_no, "mdtrt_cert_type": c["cert_type"], "mdtrt_cert_no": c["cert_no"],
                "med_type": MED_TYPE_OUTPATIENT, "medfee_sumamt": to_yuan(c["total_fen"]), "psn_setlway": "01",
                "mdtrt_id": mdtrt_id, "chrg_bchno": f"C{c['id']}", "insutype": insutype, "acct_used_flag": "1"}

    @staticmethod
    def _amounts(answer: dict[str, Any]) -> tuple[int, int, int, int | None]:
        info = answer.get("setlinfo") or {}
        balance = info.get("balc")
        return (to_fen(info.get("fund_pay_sumamt", 0)), to_fen(info.get("acct_pay", 0)),
                to_fen(info.get("psn_cash_pay", 0)), to_fen(balance) if balance is not None else None)

    def _fail(self, claim_id: int, exc: MedInsError, who: Operator) -> None:
        """Nothing was settled: the claim fails with what to tell the patient; the platform's visit is cancelled."""
        if isinstance(exc, (MedInsUnreachable, MedInsNoAnswer)):
            zh, en = UNREACHABLE
        elif exc.reason == "not_the_patient":
            zh, en = ("对不起，该医保凭证不是本次缴费患者本人的。请出示患者本人的医保电子凭证、身份证或社保卡，或选择自费支付。",
                      "This insurance certificate is not the patient's own. Show the patient's own, or pay yourself.")
        elif exc.infno == PERSON_INFO:
            zh, en = (f"对不起，未能获取您的医保信息（{exc.reason}），本次没有结算也没有扣费。请确认凭证后重试，或选择自费支付、"
                      "到人工窗口办理。",
                      "Your insurance details could not be read; nothing was settled or charged. Please check the "
                      "certificate and try again, or pay yourself.")
        else:
            zh, en = (f"对不起，医保结算未成功（{exc.reason}），本次没有结算也没有扣费。请稍后重试，或选择自费支付、到人工窗口办理。",
                      "The insurance settlement did not succeed; nothing was settled or charged. Please try again "
                      "later, pay yourself, or go to the counter.")
        with self.core.db.transaction() as conn:
            before = self._row(conn, claim_id)
            conn.execute("UPDATE rec_ins_claims SET state = 'failed', reason_zh = ?, reason_en = ?, closed_at = ? "
                         "WHERE id = ?", (zh, en, iso(self.core.now()), claim_id))
            self.core.audit(conn, "insurance_claim_failed", before=before["state"], after="failed", claim_id=claim_id,
                            patient_id=before["patient_id"], step=exc.infno, error=type(exc).__name__)
        self._cancel_visit(claim_id, who)

    def _cancel_visit(self, claim_id: int, who: Operator) -> None:
        """2202: the platform's outpatient registration of a claim that settled nothing (best effort: an unsettled
        registration costs nobody anything)."""
        c = self.core.db.one("SELECT psn_no, mdtrt_id FROM rec_ins_claims WHERE id = ?", (claim_id,))
        if not c or not c["mdtrt_id"]:
            return
        try:
            self.client.call(OTP_REGISTER_CANCEL, {"data": {"psn_no": c["psn_no"], "mdtrt_id": c["mdtrt_id"],
                                                            "ipt_otp_no": f"C{claim_id}"}}, who)
        except MedInsError as exc:
            log.info("claim %s: visit not cancelled at the platform (%s)", claim_id, type(exc).__name__)

    # ------------------------------------------------------------------------------------------ settling
    def settle(self, claim_id: int, device: str | None = None) -> dict[str, Any]:
        """2207 once: a repeated or concurrent request finds the claim past ``presettled`` and only reads it."""
        who = self._operator(device)
        msgid = self.client.new_msgid() if self.client else ""
        with self.core.db.transaction() as conn:
            c = self._row(conn, claim_id)
            if c["state"] != "presettled":
                return self.view(claim_id)
            conn.execute("UPDATE rec_ins_claims SET state = 'settling', settle_msgid = ?, settling_at = ? WHERE id = ? "
                         "AND state = 'presettled'", (msgid, iso(self.core.now()), claim_id))
            self.core.audit(conn, "insurance_settling", before="presettled", after="settling", claim_id=claim_id,
                            patient_id=c["patient_id"], opter_type=who.opter_type)
        try:
            answer = self.client.call(OTP_SETTLE, {"data": self._settle_input(c, c["psn_no"], c["insutype"],
                                                                               c["mdtrt_id"])}, who, msgid=msgid)
        except MedInsNoAnswer:
            self._reverse(claim_id, "answer_lost")  # 2601 with the 2207's msgid
            self.perform_reversal(claim_id)
            return self.view(claim_id)
        except MedInsError as exc:
            self._fail(claim_id, exc, who)
            return self.view(claim_id)
        fund, acct, cash, balance = self._amounts(answer)
        setl_id = (answer.get("setlinfo") or {}).get("setl_id", "")
        with self.core.db.transaction() as conn:
            if not conn.execute("UPDATE rec_ins_claims SET state = 'settled', setl_id = ?, fund_fen = ?, acct_fen = ?, "
                                "cash_fen = ?, balance_fen = ?, settled_at = ? WHERE id = ? AND state = 'settling'",
                                (setl_id, fund, acct, cash, balance, iso(self.core.now()), claim_id)).rowcount:
                return self.view(claim_id)  # given up for lost meanwhile (see sweep): its 2601 undoes this one
            self.core.audit(conn, "insurance_settled", before="settling", after="settled", claim_id=claim_id,
                            patient_id=c["patient_id"], setl_id=setl_id, total_fen=c["total_fen"], fund_fen=fund,
                            acct_fen=acct, cash_fen=cash, opter_type=who.opter_type)
            if cash == 0:
                self._complete(conn, claim_id, None)
        return self.view(claim_id)

    def _complete(self, conn: RowConn, claim_id: int, order_id: int | None) -> None:
        """Bills paid: by the insurance alone (``order_id`` None) or with the patient's 自付 order."""
        c = self._row(conn, claim_id)
        if order_id is None:  # no order: the bills are paid here (an order's are paid by records.payments)
            now = iso(self.core.now())
            for bill_id in json.loads(c["bill_ids"]):
                bill = conn.execute("SELECT state, total_fen FROM rec_bills WHERE id = ?", (bill_id,)).fetchone()
                conn.execute("UPDATE rec_bills SET state = 'paid', paid_at = ? WHERE id = ?", (now, bill_id))
                self.core.audit(conn, "bill_paid", before=bill["state"], after="paid", bill_id=bill_id,
                                claim_id=claim_id, amount_fen=bill["total_fen"])
        conn.execute("UPDATE rec_ins_claims SET state = 'complete', closed_at = ? WHERE id = ?",
                     (iso(self.core.now()), claim_id))
        self.core.audit(conn, "insurance_claim_complete", before="settled", after="complete", claim_id=claim_id,
                        patient_id=c["patient_id"], order_id=order_id)
        if self.invoices is not None:
            self.invoices.request_for_claim(conn, claim_id, order_id)

    # ------------------------------------------------------------------------------------------ undoing
    def cancel(self, claim_id: int, device: str | None = None) -> dict[str, Any]:
        """The kiosk gives up on the claim (the patient left, or chose to stop). Before 2207: cancelled; settled but
        the 自付 not paid: its open order is closed and the settlement reversed (2208); paid meanwhile: complete."""
        with self.core.db.reading() as rc:
            c = self._row(rc, claim_id)
            orders = [r[0] for r in rc.execute("SELECT order_id FROM rec_ins_orders WHERE claim_id = ?", (claim_id,))]
        if c["state"] == "presettled":
            with self.core.db.transaction() as conn:
                if conn.execute("UPDATE rec_ins_claims SET state = 'cancelled', closed_at = ? WHERE id = ? "
                                "AND state = 'presettled'", (iso(self.core.now()), claim_id)).rowcount:
                    self.core.audit(conn, "insurance_claim_cancelled", before="presettled", after="cancelled",
                                    claim_id=claim_id, patient_id=c["patient_id"])
            self._cancel_visit(claim_id, self._operator(device))
            return self.view(claim_id)
        if c["state"] != "settled":
            return self.view(claim_id)
        for order_id in orders:  # a 自付 payment that landed meanwhile completes the claim instead
            self.payments.abandon_payment(order_id)
        with self.core.db.reading() as rc:
            if self._row(rc, claim_id)["state"] != "settled":
                return self.view(claim_id)
        self._reverse(claim_id, "patient_left")
        self.perform_reversal(claim_id)
        return self.view(claim_id)

    def _reverse(self, claim_id: int, why: str) -> None:
        """Mark the claim ``reversing`` and write its reversal to the durable outbox, in one transaction."""
        with self.core.db.transaction() as conn:
            c = self._row(conn, claim_id)
            if c["state"] not in ("settling", "settled"):
                return
            conn.execute("UPDATE rec_ins_claims SET state = 'reversing' WHERE id = ?", (claim_id,))
            self.core.audit(conn, "insurance_reversal_requested", before=c["state"], after="reversing",
                            claim_id=claim_id, patient_id=c["patient_id"], reason=why,
                            transaction=OTP_SETTLE_CANCEL if c["setl_id"] else REVERSE)
            if self.outbox is not None:
                now = self.core.clock()
                self.outbox.enqueue(conn, [Message(key=f"medins:reverse:{claim_id}", event="medins_reverse",
                                                   channel=CHANNEL, recipient=f"medins:claim:{claim_id}",
                                                   template="medins_reverse", params={"claim_id": claim_id},
                                                   text="", visit_id=None, due_at=now)], now)
        if self.outbox is not None:
            self.outbox.wake()

    def perform_reversal(self, claim_id: int) -> bool:
        """Send the claim's reversal (2208 with its setl_id, or 2601 with the 2207's msgid); True once reversed.
        Safe to repeat: the outbox's retries and the request that asked for it may both call it."""
        with self._reversing:  # the request and the outbox's sender may both try: one at a time
            return self._perform_reversal(claim_id)

    def _perform_reversal(self, claim_id: int) -> bool:
        with self.core.db.reading() as rc:
            c = self._row(rc, claim_id)
        if c["state"] == "reversed":
            return True
        if c["state"] != "reversing":
            return False
        who = self_service(c["device"] or "system")
        try:
            if c["setl_id"]:
                self.client.call(OTP_SETTLE_CANCEL, {"data": {"setl_id": c["setl_id"], "mdtrt_id": c["mdtrt_id"],
                                                              "psn_no": c["psn_no"]}}, who)
            else:
                self.client.call(REVERSE, {"data": {"psn_no": c["psn_no"], "omsgid": c["settle_msgid"],
                                                    "oinfno": OTP_SETTLE}}, who)
        except MedInsRefused as exc:
            if "已撤销" not in exc.reason:  # already undone is done; anything else is tried again
                log.warning("claim %s: reversal refused by the platform; retried later", claim_id)
                return False
        except MedInsError:
            log.warning("claim %s: reversal not confirmed; retried from the outbox", claim_id)
            return False
        with self.core.db.transaction() as conn:
            moved = conn.execute("UPDATE rec_ins_claims SET state = 'reversed', closed_at = ? WHERE id = ? "
                                 "AND state = 'reversing'", (iso(self.core.now()), claim_id)).rowcount
            if moved:
                self.core.audit(conn, "insurance_reversed", before="reversing", after="reversed", claim_id=claim_id,
                                patient_id=c["patient_id"], transaction=OTP_SETTLE_CANCEL if c["setl_id"] else REVERSE,
                                actor=SYSTEM)
        if moved:
            self._cancel_visit(claim_id, who)
        return True

    def sweep(self, older_than_minutes: int | None = None, now: Any = None) -> int:
        """Claims left behind: settled without their 自付 paid (the kiosk crashed, the patient went) once the hold
        time has passed, and settlements whose answer never came back because the service stopped while 2207 was on
        its way (``settling`` for over ``SETTLING_MINUTES``): all sent to reversal. Returns how many.
        The platforms' sender runs it before each round."""

        minutes = older_than_minutes if older_than_minutes is not None else self.core.settings.hold_minutes
        now = self.core.now()
        limit = iso(now - timedelta(minutes=minutes))
        for row in self.core.db.all("SELECT id FROM rec_ins_claims WHERE state = 'settling' AND settling_at < ?",
                                    (iso(now - timedelta(minutes=SETTLING_MINUTES)),)):
            self._reverse(row["id"], "service_restarted")
        stale = self.core.db.all("SELECT id FROM rec_ins_claims WHERE state = 'settled' AND settled_at < ?", (limit,))
        for row in stale:
            with self.core.db.reading() as rc:
                orders = [r[0] for r in rc.execute("SELECT order_id FROM rec_ins_orders WHERE claim_id = ?", (row["id"],))]
            for order_id in orders:
                self.payments.abandon_payment(order_id)
            self._reverse(row["id"], "left_unpaid")
        return len(stale)

    # ------------------------------------------------------------------ records.payments hooks (自付 orders)
    def expected_fen(self, conn: RowConn, body: Any, total: int) -> int:
        """What an order for these bills must be: the 自付 of their settled claim, else their total. Refuses bills
        a claim holds for any other payment."""
        claim_id = getattr(body, "insurance_claim_id", None)
        if claim_id is None:
            for bill_id in body.bill_ids:
                if self._open_claim_of_bill(conn, bill_id) is not None:
                    raise insurance_error("bill_in_settlement", "该账单正在医保结算中，请勿重复缴费。请稍候，或到人工窗口咨询。",
                                          "This bill is being settled with the insurance; do not pay it again.",
                                          bill_id=bill_id)
            return total
        c = self._row(conn, claim_id)
        if c["patient_id"] != body.patient_id or sorted(json.loads(c["bill_ids"])) != sorted(set(body.bill_ids)):
            raise insurance_error("claim_mismatch", "对不起，缴费项目与医保结算不一致，请返回重新缴费。",
                                  "The bills do not match the insurance settlement.", status=422)
        if c["state"] != "settled":
            zh, en = MESSAGES.get(c["state"], (c["reason_zh"] or "", c["reason_en"] or ""))
            raise insurance_error("claim_not_settled", zh or "医保结算未完成，请重新缴费。", en or "Not settled.")
        return c["cash_fen"]

    def order_created(self, conn: RowConn, order_id: int, body: Any) -> None:
        claim_id = getattr(body, "insurance_claim_id", None)
        if claim_id is not None:
            conn.execute("INSERT INTO rec_ins_orders (order_id, claim_id) VALUES (?, ?)", (order_id, claim_id))

    def before_apply(self, conn: RowConn, order: dict[str, Any]) -> str | None:
        """A reason not to apply a paid order to its bills (then it is refunded), or None."""
        claim = self.claim_of_order(conn, order["id"])
        if claim is not None:
            return None if claim["state"] == "settled" else "医保结算已撤销，自付款退回"
        for bill_id in json.loads(order["bill_ids"]):
            if self._open_claim_of_bill(conn, bill_id) is not None:
                return f"账单{bill_id}正在医保结算中"
        return None

    def paid(self, conn: RowConn, order: dict[str, Any]) -> bool:
        """An order was applied to its bills: a 自付 order completes its claim. True when this part took care of the
        order's e-invoice (the claim's invoice covers it)."""
        claim = self.claim_of_order(conn, order["id"])
        if claim is None:
            return False
        self._complete(conn, claim["id"], order["id"])
        return True
