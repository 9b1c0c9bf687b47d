"""The e-health card platform (电子健康卡), simulated: ``python -m platforms.ehealth.simulator --port N``.

A patient shows the dynamic QR code of their national e-health card (in a phone app); the hospital asks the platform
whose card it is. The QR text is the card id (64 hexadecimal characters) and the moment it was drawn, ``<id>:<unix
seconds>``; the platform refuses a code older than ``valid_s`` (the app redraws it every minute), a revoked card, or
a code it never issued::

    POST /ehc/v1/verify  {"qr_code", "org_code", "terminal_id", "scene": "kiosk_identify"}
        -> {"code": 0, "message": "成功", "data": {"ehc_id", "name", "id_type": "01", "id_no", "gender", "phone"?}}
        -> {"code": 4001 | 4002 | 4003, "message": "二维码已过期，请刷新后重试" | "电子健康卡已注销" | "无效的电子健康卡"}

For tests and the demo: ``POST /sim/cards {name, id_no, gender?}`` -> ``{"ehc_id", "qr_code"}``,
``POST /sim/cards/<ehc_id>/revoke``, and ``/sim/faults`` (platforms.httpsim) with ``op`` ``"verify"``.
"""
from __future__ import annotations

import re
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from platforms.httpsim import JsonServer, serve_main

VERIFY = "/ehc/v1/verify"
_QR = re.compile(r"^(?:EHC:)?([0-9A-Fa-f]{64})(?::(\d+))?$")
EXPIRED, REVOKED, UNKNOWN = 4001, 4002, 4003


@dataclass
class Card:
    ehc_id: str
    name: str
    id_no: str
    gender: str
    revoked: bool = False


class EHealthSimulator(JsonServer):
    name = "ehealth-simulator"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, valid_s: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(host, port)
        self.valid_s = valid_s
        self.clock = clock
        self.cards: dict[str, Card] = {}
        self.verified: list[tuple[str, str]] = []  # (ehc_id, terminal_id) of every code verified
        self._lock = threading.Lock()

    def add_card(self, name: str, id_no: str, gender: str = "") -> tuple[Card, str]:
        card = Card(secrets.token_hex(32).upper(), name, id_no.upper(), gender)
        with self._lock:
            self.cards[card.ehc_id] = card
        return card, self.qr_of(card)

    def qr_of(self, card: Card, at: float | None = None) -> str:
        return f"{card.ehc_id}:{int(self.clock() if at is None else at)}"

    def op_of(self, method: str, path: str, body: dict[str, Any]) -> str:
        return "verify" if path == VERIFY else path

    def error_answer(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return 500, {"code": 5000, "message": "平台繁忙，请稍后再试"}

    def verify(self, qr_code: str, terminal_id: str = "") -> dict[str, Any]:
        m = _QR.match((qr_code or "").strip())
        with self._lock:
            card = self.cards.get(m.group(1).upper()) if m else None
            if card is None:
                return {"code": UNKNOWN, "message": "无效的电子健康卡"}
            if card.revoked:
                return {"code": REVOKED, "message": "电子健康卡已注销"}
            drawn = int(m.group(2) or 0)
            if not drawn or abs(self.clock() - drawn) > self.valid_s:
                return {"code": EXPIRED, "message": "二维码已过期，请刷新后重试"}
            self.verified.append((card.ehc_id, terminal_id))
            return {"code": 0, "message": "成功", "data": {"ehc_id": card.ehc_id, "name": card.name, "id_type": "01",
                                                          "id_no": card.id_no, "gender": card.gender}}

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if method == "POST" and path == VERIFY:
            return 200, self.verify(str(body.get("qr_code", "")), str(body.get("terminal_id", "")))
        if method == "POST" and path == "/sim/cards":
            card, qr = self.add_card(body["name"], body["id_no"], body.get("gender", ""))
            return 200, {"ehc_id": card.ehc_id, "qr_code": qr}
        m = re.match(r"^/sim/cards/([0-9A-F]{64})/revoke$", path)
        if method == "POST" and m and m.group(1) in self.cards:
            self.cards[m.group(1)].revoked = True
            return 200, {"revoked": True}
        if method == "GET" and path == "/health":
            return 200, {"status": "ok"}
        return 404, {"code": 404, "message": "not found"}


def main(argv: list[str] | None = None) -> int:
    return serve_main(lambda host, port: EHealthSimulator(host, port), argv, prog="python -m platforms.ehealth.simulator",
                      description=__doc__.splitlines()[0], port=8767, what="e-health card platform")


if __name__ == "__main__":
    sys.exit(main())
