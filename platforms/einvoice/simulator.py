"""The fiscal e-invoice platform (财政电子票据), simulated: ``python -m platforms.einvoice.simulator --port N``.

The hospital asks for one 医疗门诊收费票据 per payment, under its own business number (``busNo``): asking again with the
same number returns the same invoice, so a request retried after a lost answer never makes a second one::

    POST /einvoice/v1/issue  {"busNo", "busType": "02", "placeCode", "payer", "busDate", "totalAmt" (yuan),
                              "items": [{"itemName", "itemAmt"}], "payMode": [{"payChannel", "payAmt"}]}
        -> {"result": "S0000", "message": {"billName", "billBatchCode" (票据代码), "billNo" (票据号码),
            "random" (校验码), "billQRCode" (the QR text printed on the receipt), "createTime"}}
        -> {"result": "E1001", "message": "..."} (refused: missing fields, amounts that do not add up)
    POST /einvoice/v1/query  {"busNo"} -> the same answer, or {"result": "E2001"} when there is none

For tests: ``GET /sim/invoices`` and ``/sim/faults`` (platforms.httpsim) with ``op`` ``"issue"``.
"""
from __future__ import annotations

import itertools
import secrets
import sys
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any

from platforms.httpsim import JsonServer, serve_main

ISSUE, QUERY = "/einvoice/v1/issue", "/einvoice/v1/query"
BILL_NAME = "医疗门诊收费票据（电子）"


class EInvoiceSimulator(JsonServer):
    name = "einvoice-simulator"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, batch_code: str = "11060126") -> None:
        super().__init__(host, port)
        self.batch_code = batch_code
        self.invoices: dict[str, dict[str, Any]] = {}  # busNo -> the invoice
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def op_of(self, method: str, path: str, body: dict[str, Any]) -> str:
        return {ISSUE: "issue", QUERY: "query"}.get(path, path)

    def error_answer(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return 500, {"result": "E9999", "message": "开票服务繁忙，请稍后再试"}

    def issue(self, body: dict[str, Any]) -> dict[str, Any]:
        bus_no = str(body.get("busNo") or "")
        missing = [k for k in ("busNo", "payer", "totalAmt", "items") if not body.get(k)]
        if missing:
            return {"result": "E1001", "message": f"缺少必填项：{','.join(missing)}"}
        total = Decimal(str(body["totalAmt"]))
        if sum(Decimal(str(i.get("itemAmt", 0))) for i in body["items"]) != total:
            return {"result": "E1002", "message": "项目金额合计与票据金额不符"}
        with self._lock:
            if bus_no not in self.invoices:
                number = f"{next(self._numbers):010d}"
                check = secrets.token_hex(3)
                self.invoices[bus_no] = {
                    "billName": BILL_NAME, "billBatchCode": self.batch_code, "billNo": number, "random": check,
                    "billQRCode": f"{self.url}/einvoice/v1/view?code={self.batch_code}&no={number}&check={check}"
                                  f"&amt={total:.2f}",
                    "createTime": datetime.now().strftime("%Y%m%d%H%M%S"), "totalAmt": f"{total:.2f}",
                    "payer": body["payer"], "payMode": body.get("payMode") or []}
            return {"result": "S0000", "message": self.invoices[bus_no]}

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if method == "POST" and path == ISSUE:
            return 200, self.issue(body)
        if method == "POST" and path == QUERY:
            found = self.invoices.get(str(body.get("busNo") or ""))
            return 200, {"result": "S0000", "message": found} if found else {"result": "E2001", "message": "票据不存在"}
        if method == "GET" and path == "/sim/invoices":
            with self._lock:
                return 200, dict(self.invoices)
        if method == "GET" and path == "/health":
            return 200, {"status": "ok"}
        return 404, {"result": "E404", "message": "not found"}


def main(argv: list[str] | None = None) -> int:
    return serve_main(lambda host, port: EInvoiceSimulator(host, port), argv, prog="python -m platforms.einvoice.simulator",
                      description=__doc__.splitlines()[0], port=8768, what="e-invoice platform")


if __name__ == "__main__":
    sys.exit(main())
