"""schemathesis against the in-process app, once per kind of caller: generated requests for every operation of the
OpenAPI document never get a 5xx, and every answer's status is one the document lists for that operation.

Bounded: two generated requests per operation, sent as each caller (a few tens of seconds in all).
"""
from __future__ import annotations

import warnings
from datetime import datetime

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from caller.api.app import create_app
from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, ManualClock
from common.config import DEMO_CONFIG, load_hospital
from records.plugins import PLUGINS

EXAMPLES_PER_OPERATION = 2
CALLERS = ("none", "kiosk", "display", "console", "nurse", "admin")


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    app = create_app(load_hospital(DEMO_CONFIG), tmp_path_factory.mktemp("fuzz") / "h.db", plugins=PLUGINS,
                     clock=ManualClock(datetime(2026, 11, 23, 9, 0)))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    cases = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # .example() outside @given is what we want here: a fixed, small sample
        for result in schema.get_all_operations():
            operation = result.ok()
            strategy = operation.as_strategy()
            cases += [strategy.example() for _ in range(EXAMPLES_PER_OPERATION)]
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        nurse = client.post("/api/v1/auth/login", json={"username": "wanghs", "password": DEMO_PASSWORD},
                            headers={"Authorization": f"Bearer {DEMO_TOKENS['console_nk']}"}).json()["token"]
        tokens = {"none": None, "kiosk": DEMO_TOKENS["kiosk"], "display": DEMO_TOKENS["wall_nk"],
                  "console": DEMO_TOKENS["console_nk"], "nurse": nurse, "admin": DEMO_TOKENS["admin"]}
        yield cases, tokens


@pytest.mark.parametrize("caller", CALLERS)
def test_generated_requests_get_documented_answers_and_never_a_5xx(fuzz, caller):
    cases, tokens = fuzz
    token = tokens[caller]
    failures = []
    for case in cases:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance], headers=headers)
        except Exception:  # noqa: BLE001 - collect them all, report together
            failures.append(f"{case.method} {case.path}: {response.status_code} {response.text[:120]}")
    assert not failures, "\n".join(failures[:30])


def test_the_openapi_document_lists_the_refusals_in_the_error_shape():
    app = create_app(load_hospital(DEMO_CONFIG), ":memory:", plugins=PLUGINS)
    doc = app.openapi()
    assert "error" in doc["components"]["schemas"]["Error"]["properties"]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for code in ("401", "403", "422"):
                ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, code)
    assert "201" in doc["paths"]["/api/v1/records/registrations"]["post"]["responses"]
    assert "200" not in doc["paths"]["/api/v1/records/registrations"]["post"]["responses"]
    assert "429" in doc["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"409", "413", "503", "507"} <= set(doc["paths"]["/api/v1/visits"]["post"]["responses"])
