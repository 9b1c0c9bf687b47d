"""The OpenAPI document lists every status an operation can answer, each refusal with the shared error shape.

FastAPI documents 200 and 422 by itself; this adds what the access rules (401/403), the limits (408/413), the
store (503/507), idempotency (409), lockouts (429) and the records (201 for creations) answer, so generated
clients and API tests see the whole contract.
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message_zh", "message_en"],
                             "properties": {"code": {"type": "string"}, "message_zh": {"type": "string"},
                                            "message_en": {"type": "string"}},
                             "additionalProperties": True}},
}
REASONS = {
    "401": "no token, an unknown or expired token (`unauthorized`, `session_expired`), a wrong password (`bad_login`)",
    "403": "this caller may not (`forbidden`, `login_required`, `patient_session_required`, `patient_not_in_session`, "
           "`field_not_allowed`, `no_access_rule`)",
    "404": "unknown visit, room, area, patient, registration, order, report (`not_found`)",
    "408": "the body stalled (`request_timeout`)",
    "409": "the rules refuse (`wrong_state`, `slot_taken`, ...) or `idempotency_conflict`",
    "413": "body over the limit (`body_too_large`)",
    "422": "the body, path or query does not validate (`invalid_request`, ...)",
    "429": "too many failed logins (`too_many_attempts`, with Retry-After)",
    "503": "the database file is gone or replaced (`storage_unavailable`)",
    "507": "the disk is full (`disk_full`)",
}
CREATED = {("post", "/api/v1/records/patients"), ("post", "/api/v1/records/registrations"),
           ("post", "/api/v1/records/bills"), ("post", "/api/v1/records/payments"), ("post", "/api/v1/records/ratings")}
WRITES = ("post", "put", "patch", "delete")


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            responses = op.setdefault("responses", {})
            codes = ["401", "403", "404", "422"]  # even public routes: a page's own login checks answer them
            if method in WRITES:
                codes += ["408", "409", "413", "503", "507"]
            if path.endswith("/login"):
                codes += ["429"]
            if path == "/healthz":
                codes += ["503"]
            for code in codes:
                responses.setdefault(code, _error(REASONS[code]))
            for code in ("422",):  # FastAPI's own 422 schema is not the shape the service answers
                responses[code] = _error(REASONS[code])
            if (method, path) in CREATED:
                ok = responses.pop("200", {"description": "created"})
                responses["201"] = {**ok, "description": "created"}
                if path == "/api/v1/records/patients":
                    responses["200"] = {**ok, "description": "the record already existed (returning)"}
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
