"""电子健康卡: whose card a scanned e-health QR code is, asked of the e-health card platform.

A code the platform verified stands for the card itself (like an ID card on the reader): the identification that
follows uses the platform's name for the person as the card's name, so the same session rules apply as for a read
ID card, never those of a typed number. The ID number the platform returns stays inside the service.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from records.errors import RecordsError

log = logging.getLogger("records.ehealth")

REFUSALS = {
    4001: ("您的电子健康卡二维码已过期，请在手机上刷新二维码后重新扫描，谢谢。", "The e-health card code has expired; refresh it and scan again."),
    4002: ("对不起，该电子健康卡已注销，请使用身份证或医保电子凭证，或到人工窗口办理。", "This e-health card was revoked; use your ID card."),
    4003: ("对不起，无法识别该电子健康卡二维码，请确认后重新扫描，或将身份证放在读卡区。", "This e-health card code is not valid."),
}


@dataclass(frozen=True)
class CardHolder:
    name: str
    id_number: str


class EHealthClient:
    """``EHealthClient(url, org_code)``: ``verify(qr, terminal)`` -> the card's holder, or a RecordsError to show."""

    def __init__(self, url: str, org_code: str, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.org_code = org_code
        self.client = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self.client.close()

    def verify(self, qr: str, terminal: str) -> CardHolder:
        try:
            answer = self.client.post(f"{self.url}/ehc/v1/verify", json={
                "qr_code": qr.strip(), "org_code": self.org_code, "terminal_id": terminal, "scene": "kiosk_identify"})
            data = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("e-health card platform not reachable: %s", type(exc).__name__)
            raise unavailable() from None
        code = data.get("code")
        if code == 0 and data.get("data", {}).get("id_no") and data["data"].get("id_type") == "01":
            return CardHolder(data["data"].get("name", ""), data["data"]["id_no"].upper())
        if code in REFUSALS:
            zh, en = REFUSALS[code]
            raise RecordsError("ehealth_card_refused", zh, en, status=422)
        log.warning("e-health card platform answered code %s", code)
        raise unavailable()


def unavailable() -> RecordsError:
    return RecordsError("ehealth_unavailable", "对不起，电子健康卡暂时无法验证，请将身份证放在读卡区，或扫描就诊卡，谢谢。",
                        "The e-health card cannot be verified right now; please use your ID card.", status=503)
