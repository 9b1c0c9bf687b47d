"""Errors of the records part: a code, a polite Chinese message that says what to do next, and English.

RecordsError is a `refusal.Refusal`: the service's one handler sends it as
`{"error": {"code", "message_zh", "message_en", ...extra}}` with its status.
"""
from __future__ import annotations

from common.refusal import Refusal


class RecordsError(Refusal):
    """A refused records operation (409 unless stated). Nothing was changed when this is raised. Extra keyword
    arguments (``bill_id``, ``ready_at``, ...) are sent inside the error object."""

    status = 409


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
