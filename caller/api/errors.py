"""One error shape for every refusal: ``{"error": {"code", "message_zh", "message_en"}}``.

Every refusal of the project is a :class:`refusal.Refusal` and goes through the one handler below with the status
its class (or its raiser) states; FastAPI's own validation and routing errors are put in the same shape."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from common.refusal import Refusal

log = logging.getLogger("caller.api")


class ApiError(Refusal):
    """A refusal raised by the API layer itself (unknown area, visit not visible, ...); each states its status."""

    status = 400


def error_body(code: str, message_zh: str, message_en: str) -> dict:
    return {"error": {"code": code, "message_zh": message_zh, "message_en": message_en}}


def error_response(status: int, code: str, message_zh: str, message_en: str) -> JSONResponse:
    return JSONResponse(error_body(code, message_zh, message_en), status_code=status)


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _validation_messages(exc: RequestValidationError) -> tuple[str, str]:
    zh, en = [], []
    for err in exc.errors()[:5]:
        field = _field(tuple(err.get("loc", ())))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        kind = err.get("type", "")
        if kind == "missing":
            zh.append(f"缺少“{field}”")
        elif kind == "extra_forbidden":
            zh.append(f"不认识的字段“{field}”")
        elif kind in ("json_invalid", "model_attributes_type", "dict_type"):
            zh.append("请求内容不是有效的 JSON 对象")
        else:
            zh.append(f"“{field}”的值不正确")
        en.append(f"{field}: {msg}")
    return ("对不起，提交的信息有误：" + "；".join(zh) + "。请核对后重新提交。", "; ".join(en))



def refusal_response(exc: Refusal) -> JSONResponse:
    """The response of every refusal, from the API's handler and from the access middleware alike."""
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers())


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        zh, en = _validation_messages(exc)
        return error_response(422, "invalid_request", zh, en)

    @app.exception_handler(Refusal)
    async def _refused(request: Request, exc: Refusal) -> JSONResponse:
        return refusal_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response(404, "not_found", "对不起，没有这个接口。", f"No such endpoint: {request.url.path}")
        if exc.status_code == 405:
            return error_response(405, "method_not_allowed", "对不起，此接口不支持这种请求方式。",
                                  f"{request.method} is not allowed on {request.url.path}")
        if exc.status_code == 400:  # a body that is not JSON at all (optional bodies): the documented 422 shape
            return error_response(422, "invalid_request", "对不起，提交的信息有误：请求内容不是有效的 JSON 对象。请核对后重新提交。",
                                  f"body: {exc.detail}")
        return error_response(exc.status_code, "http_error", "对不起，请求无法处理。", str(exc.detail))

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        return error_response(422, "invalid_request", "对不起，提交的数字超出范围，请核对后重新提交。",
                              "A number is out of range.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "对不起，服务内部出现问题，操作未完成，请稍候再试或联系信息科。",
                              "Internal error; nothing was changed. Please retry or call IT support.")
