"""Errors of the records part: a code, a polite Chinese message that says what to do next, and English.

The router turns a RecordsError into `{"error": {"code", "message_zh", "message_en", ...extra}}` with its status.
"""
from __future__ import annotations

from typing import Any


class RecordsError(Exception):
    """A refused records operation. Nothing was changed when this is raised."""

    def __init__(self, code: str, message_zh: str, message_en: str, status: int = 409, **extra: Any) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.status = status
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en, **self.extra}}


def invalid_id_number(reason_zh: str, reason_en: str) -> RecordsError:
    return RecordsError(
        "invalid_id_number",
        f"对不起，身份证号码有误（{reason_zh}），请核对后重新输入，或请在读卡区放置身份证。",
        f"The ID number is not valid ({reason_en}). Please check it and type it again, or place your ID card on the reader.",
        status=422,
    )


def not_found(what_zh: str, what_en: str) -> RecordsError:
    return RecordsError(
        "not_found",
        f"对不起，未找到{what_zh}，请核对后重试，或咨询服务台。",
        f"{what_en} was not found. Please check and try again, or ask at the service desk.",
        status=404,
    )


def bad_request(code: str, message_zh: str, message_en: str) -> RecordsError:
    return RecordsError(code, message_zh, message_en, status=422)
