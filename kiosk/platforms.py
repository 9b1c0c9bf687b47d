"""The kiosk's calls about 医保 settlement, e-health cards and e-invoices (the service's /records/insurance,
/records/ehealth and /records/einvoices), and what they map to. Mixed into kiosk.backend.Backend; every method blocks.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

CLAIM_DONE = ("complete",)
CLAIM_FAILED = ("failed", "reversing", "reversed", "cancelled")


@dataclass(frozen=True)
class InsuranceStatus:
    """能用医保吗: the service's plain answer, and which platforms this hospital has connected."""

    insurance: bool
    ehealth: bool
    einvoice: bool
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class Claim:
    """A 医保 settlement of bills: the split (money in fen) and where it stands."""

    id: str
    state: str  # presettled | settling | settled | complete | reversing | reversed | cancelled | failed
    total_fen: int
    fund_fen: int  # 统筹支付
    acct_fen: int  # 个人账户
    cash_fen: int  # 自付
    insutype_zh: str = ""
    setl_id: str = ""
    message_zh: str = ""
    message_en: str = ""


@dataclass(frozen=True)
class Invoice:
    """电子票据: what the receipt prints once the fiscal platform issued it."""

    id: str
    state: str  # requested | issued
    total_fen: int
    batch_code: str = ""  # 票据代码
    bill_no: str = ""  # 票据号码
    check_code: str = ""  # 校验码
    qr: str = ""
    issued_at: str = ""
    pay_modes: tuple[tuple[str, int], ...] = ()

    @property
    def issued(self) -> bool:
        return self.state == "issued"


def _claim(c: dict[str, Any]) -> Claim:
    return Claim(id=str(c["claim_id"]), state=c["state"], total_fen=c["total_fen"], fund_fen=c["fund_fen"],
                 acct_fen=c["acct_fen"], cash_fen=c["cash_fen"], insutype_zh=c.get("insutype_zh") or "",
                 setl_id=c.get("setl_id") or "", message_zh=c.get("message_zh") or "", message_en=c.get("message_en") or "")


def _invoice(i: dict[str, Any]) -> Invoice:
    return Invoice(id=str(i["invoice_id"]), state=i["state"], total_fen=i["total_fen"], batch_code=i.get("batch_code") or "",
                   bill_no=i.get("bill_no") or "", check_code=i.get("check_code") or "", qr=i.get("qr") or "",
                   issued_at=i.get("issued_at") or "", pay_modes=tuple((i.get("pay_modes") or {}).items()))


class PlatformCalls:
    """Needs ``_get``, ``_post``, ``_fresh_session``, ``_keep_session`` and ``_patient`` of kiosk.backend.Backend."""

    def insurance_status(self) -> InsuranceStatus:
        s = self._get("/records/insurance/status")
        return InsuranceStatus(bool(s.get("insurance")), bool(s.get("ehealth")), bool(s.get("einvoice")),
                               s.get("message_zh", ""), s.get("message_en", ""))

    def identify_by_platform(self, kind: str, qr: str):
        """An e-health card QR (``kind`` "ehealth") or a 医保电子凭证 QR ("insurance"), verified by its platform:
        the patient (or None without a record), with the patient session opened as for a card read."""
        self._fresh_session()
        found = self._post(f"/records/{'ehealth' if kind == 'ehealth' else 'insurance'}/identify", {"qr": qr})
        self._keep_session(found)
        if not found.get("found"):
            return None
        return self._patient(found["patient"], "", found.get("acting_for"))

    def start_claim(self, patient, bill_ids: list[str], cert_type: str, cert_no: str, key: str) -> Claim:
        return _claim(self._post("/records/insurance/claims", {
            "idempotency_key": key, "patient_id": patient.id, "bill_ids": [int(b) for b in bill_ids],
            "cert_type": cert_type, "cert_no": cert_no}))

    def settle_claim(self, claim: Claim) -> Claim:
        return _claim(self._post(f"/records/insurance/claims/{claim.id}/settle"))

    def cancel_claim(self, claim: Claim) -> Claim:
        return _claim(self._post(f"/records/insurance/claims/{claim.id}/cancel"))

    def invoices(self, patient, order_id: str = "", claim_id: str = "") -> list[Invoice]:
        params: dict[str, Any] = {"patient_id": patient.id}
        if claim_id:
            params["claim_id"] = int(claim_id)
        elif order_id:
            params["order_id"] = int(order_id)
        return [_invoice(i) for i in self._get("/records/einvoices", **params)["invoices"]]

    def wait_invoice(self, patient, order_id: str = "", claim_id: str = "", wait_s: float = 6.0) -> Invoice | None:
        """The payment's invoice once issued (the platform usually answers in a second), or None after ``wait_s``."""
        deadline = time.monotonic() + wait_s
        while True:
            found = self.invoices(patient, order_id, claim_id)
            if found and found[0].issued:
                return found[0]
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.3)

    def print_invoice(self, invoice: Invoice, key: str) -> Invoice:
        """Count one print (or 补打) of the invoice at the service; the invoice to print."""
        return _invoice(self._post(f"/records/einvoices/{invoice.id}/print", {"idempotency_key": key}))
