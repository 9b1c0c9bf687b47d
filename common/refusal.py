"""One shape for every refusal: a stable code, a polite Chinese message saying what to do next, English, and
the HTTP status.

Every part of the system that says "no" to a person raises a subclass of :class:`Refusal`: the queue engine's
rules (``caller.engine.model.RuleError``), tokens and logins (``caller.auth.AuthError``), the API layer
(``caller.api.errors.ApiError``), the records part (``records.errors.RecordsError``), notifications, storage and
the Python client (``client.http.CallerError``, which carries a refusal the service sent). The service has one
exception handler for all of them (caller/api/errors.py); the body is always

    {"error": {"code": ..., "message_zh": ..., "message_en": ...}}

plus the extra fields a refusal names (``bill_id``, ``ready_at``, ...). This package imports nothing of the
project, so every package may import it.

The status is a class attribute: a subclass states the status of its kind of refusal (a rule refusal is a 409
conflict, an unknown thing 404). A refusal made from parts that decide the status themselves (a token that is
missing is 401, one that may not do this 403) passes ``status=`` where it is raised; nothing guesses a status
from the code.
"""
from __future__ import annotations

from typing import Any, ClassVar


class Refusal(Exception):
    """Something a person asked for is refused; nothing was changed. ``code`` is stable and machine-readable,
    ``message_zh`` can be shown to patients and staff as it is."""

    status: ClassVar[int] = 409

    def __init__(self, code: str, message_zh: str, message_en: str, *, status: int | None = None,
                 **extra: Any) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        if status is not None:
            self.status = status  # type: ignore[misc] - this refusal's own status, stated where it is raised
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body every refusal is sent as."""
        return {"error": {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en,
                          **self.extra}}

    def headers(self) -> dict[str, str]:
        """HTTP headers sent with this refusal (a 401 asks for a bearer token)."""
        return {"WWW-Authenticate": "Bearer"} if self.status == 401 else {}


def not_found(what_zh: str, what_en: str, ident: str) -> Refusal:
    """404: the area, room, visit... named in the request does not exist (or is not visible to its caller)."""
    return Refusal("not_found", f"对不起，没有找到{what_zh}“{ident}”，请核对后再试。",
                   f"No {what_en} {ident!r}; please check and try again.", status=404)


__all__ = ["Refusal", "not_found"]
