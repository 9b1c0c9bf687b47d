"""The authorisation matrix: every route of the app x every kind of caller, against the in-process app.

The expected status comes from caller/api/access.py's RULES (who may reach a route) plus what the handlers
check (a kiosk only for its session's patient, staff only in their areas). Every path parameter names
something of patient B or of area WY, so a kiosk holding patient A's session and a nurse of NK are always
asking for somebody else's data. No answer to a public or wrong caller may carry B's full name, ID number
or phone, nor the full name of a patient waiting in WY.
"""
from __future__ import annotations

from datetime import datetime

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from caller.api.access import ANYONE, KIOSK, MANAGER, PATIENT, RULES, SCREEN, allowed, app_routes, missing_rules
from caller.api.app import create_app
from caller.auth import Principal
from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, ManualClock
from common.config import DEMO_CONFIG, load_hospital
from records.ids import make_id_number
from records.plugins import PLUGINS

A_NUMBER = make_id_number("11010119700101001")
B_NUMBER = make_id_number("11010119650505002")
B_NAME, B_PHONE = "司马相如", "13900002222"
WY_NAME = "欧阳娜娜"
SECRETS = (B_NAME, B_NUMBER, B_PHONE, WY_NAME)
SECRETS_OF_B: list[str] = []  # + the ticket page token of the visit waiting in WY: only its patient's kiosk and staff

# what each caller is, as the rules see it (the same Principal the service resolves)
PRINCIPALS = {
    "none": None,
    "garbage": None,
    "kiosk": Principal(role="kiosk", device="kiosk-lobby-2"),
    "kiosk_A": Principal(role="kiosk", device="kiosk-lobby-1", patients=frozenset({1})),
    "display": Principal(role="display", device="wall-nk", area="NK"),
    "speaker": Principal(role="speaker", device="speaker-nk", area="NK"),
    "console": Principal(role="console", device="console-nk", area="NK"),
    "nurse_NK": Principal(role="console", device="console-nk", area="NK", user="wanghs", user_role="nurse"),
    "doctor": Principal(role="console", device="console-nk", area="NK", user="zhangys", user_role="doctor"),
    "admin": Principal(role="admin", device="admin-office"),
}
STAFF_NAMES = ("nurse_NK", "doctor", "admin")
AREA_BOUND = ("display", "speaker", "console", "nurse_NK", "doctor")  # devices of area NK


def area_scoped(path: str) -> bool:
    """Routes whose target lives in area WY (a visit, a room, an area, a department, a doctor's session)."""
    return any(p in path for p in ("{visit_id}", "{room_id}", "{area_id}", "{session_id}")) or path.endswith(
        ("/api/v1/visits", "/api/v1/audit"))


# handler checks beyond the rule and the two data scopes above
OVERRIDES = {
    (("POST", "/api/v1/auth/login"), "nurse_NK"): 403,   # already logged in
    (("POST", "/api/v1/auth/login"), "doctor"): 403,
    (("POST", "/api/v1/screens/pair"), "doctor"): 403,  # pairing, revoking, notices: nurses and admins only
    (("DELETE", "/api/v1/screens/{device}"), "doctor"): 403,
    (("POST", "/api/v1/screens/overrides"), "doctor"): 403,
}


# routes whose handler answers every caller the same (the cockpit's login checks the password itself)
ROUTE_EXPECT = {("POST", "/cockpit/api/login"): (401, 429),  # wrong passwords, then the lockout
                ("POST", "/api/v1/notify/sms/status"): 403}  # only the SMS gateway's signature opens it
EXTRA_HEADERS = {"/cockpit/api/login": {"X-Cockpit": "1"}, "/cockpit/api/logout": {"X-Cockpit": "1"},
                 "/screen/api/pair": {"X-Screen": "1"},
                 "/cockpit/api/simulate": {"X-Cockpit": "1"}}


def expected(key: tuple[str, str], who: str) -> int | str | tuple[int, ...]:
    """401, 403 or "ok" (anything else below 500)."""
    if key in ROUTE_EXPECT:
        return ROUTE_EXPECT[key]
    rule = RULES[key]
    if ANYONE in rule:
        return "ok"
    principal = PRINCIPALS[who]
    if principal is None or MANAGER in rule or SCREEN in rule:  # cockpit and web screens read their cookies only
        return 401
    if not allowed(rule, principal):
        return 403
    if (key, who) in OVERRIDES:
        return OVERRIDES[(key, who)]
    if who == "kiosk_A" and PATIENT in rule and KIOSK not in rule:
        return 403  # patient B is not in A's session
    if who in AREA_BOUND and area_scoped(key[1]):
        return 403  # WY is not their area
    return "ok"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The demo hospital on a fresh database: patients A and B, B's bill, registration, order and report,
    a visit waiting in WY, and kiosk 1 holding A's patient session."""
    clock = ManualClock(datetime(2026, 11, 23, 8, 20))
    app = create_app(load_hospital(DEMO_CONFIG), tmp_path_factory.mktemp("matrix") / "h.db", clock=clock, plugins=PLUGINS)
    with TestClient(app) as client:
        admin = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}

        def ok(method: str, path: str, headers=admin, **kw) -> dict:
            r = client.request(method, "/api/v1" + path, headers=headers, **kw)
            assert r.status_code < 300, (path, r.status_code, r.text)
            return r.json()

        a = ok("POST", "/records/patients", json={"source": "typed", "id_number": A_NUMBER, "name": "张伟",
                                                  "phone": "13800001111"})["patient"]["patient_id"]
        b = ok("POST", "/records/patients", json={"source": "typed", "id_number": B_NUMBER, "name": B_NAME,
                                                  "phone": B_PHONE})["patient"]["patient_id"]
        assert a == 1
        bill = ok("POST", "/records/bills", json={"patient_id": b, "kind": "exam", "title": "检验费",
                                                  "items": [{"name": "血常规", "quantity": 1, "unit_fen": 2500}]})["bill_id"]
        sessions = ok("GET", "/records/slots", params={"department": "WK"})["sessions"]
        session = next(s for s in sessions if s["kind"] == "general")
        slot = next(x for x in session["slots"] if x["remaining"] > 1)
        reg = ok("POST", "/records/registrations", json={"patient_id": b, "slot_id": slot["slot_id"]})
        order = ok("POST", "/records/payments", json={"patient_id": b, "bill_ids": [bill], "amount_fen": 2500})
        report = app.state.records.add_report(b, "血常规", datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 23, 8, 0),
                                              [{"name": "白细胞计数", "result": "6.1", "unit": "10^9/L"}])
        visit = ok("POST", "/visits", json={"department": "WK", "name": WY_NAME})["visit"]["visit_id"]
        kiosk1 = {"Authorization": f"Bearer {DEMO_TOKENS['kiosk']}"}
        session_token = ok("POST", "/records/patients/identify", headers=kiosk1,
                           json={"id_number": A_NUMBER, "phone_last4": "1111"})["session_token"]

        def login(user: str) -> dict:
            token = ok("POST", "/auth/login", headers={"Authorization": f"Bearer {DEMO_TOKENS['console_nk']}"},
                       json={"username": user, "password": DEMO_PASSWORD})["token"]
            return {"Authorization": f"Bearer {token}"}

        headers = {
            "none": {}, "garbage": {"Authorization": "Bearer not-a-token"},
            "kiosk": {"Authorization": f"Bearer {DEMO_TOKENS['kiosk2']}"},
            "kiosk_A": {**kiosk1, "X-Patient-Session": session_token},
            "display": {"Authorization": f"Bearer {DEMO_TOKENS['wall_nk']}"},
            "speaker": {"Authorization": f"Bearer {DEMO_TOKENS['speaker_nk']}"},
            "console": {"Authorization": f"Bearer {DEMO_TOKENS['console_nk']}"},
            "nurse_NK": login("wanghs"), "doctor": login("zhangys"), "admin": admin,
        }
        params = {"path:path": "cockpit.js", "visit_id": visit, "room_id": "WK1", "area_id": "WY", "patient_id": str(b),
                  "registration_id": str(reg["registration_id"]), "order_id": str(order["order_id"]),
                  "report_id": str(report), "session_id": str(session["session_id"]),
                  "token": "A" * 24, "name": "ticket.js", "channel": "sms", "device": "wall-nk", "clip_id": "c1",
                  "doctor_id": "nk-zhang", "override_id": "none"}  # (a live page's stream never ends)
        bodies = {
            "/api/v1/visits": {"department": "WK", "name": "测试"},
            "/api/v1/visits/{visit_id}/triage": {"level": 3},
            "/api/v1/visits/{visit_id}/assign-doctor": {"doctor": "wk-sun"},
            "/api/v1/visits/{visit_id}/transfer": {"room": "WK2"},
            "/api/v1/visits/{visit_id}/dispatch": {"room": "WK1"},
            "/api/v1/visits/{visit_id}/call": {"room": "WK1", "reason": "行动不便"},
            "/api/v1/help/{help_id}/close": {"outcome": "resolved"},
            "/api/v1/areas/{area_id}/broadcast": {"text": "请保持安静"},
            "/api/v1/visits/{visit_id}/orders": {"orders": [{"kind": "drug", "items": [{"code": "AMOX"}]}]},
            "/api/v1/visits/{visit_id}/collect": {"code": "A001"},
            "/api/v1/areas/{area_id}/check-in": {"code": "A001"},
            "/api/v1/visits/{visit_id}/notify": {"channel": "sms", "to": "13800001111"},
            "/api/v1/auth/login": {"username": "wanghs", "password": DEMO_PASSWORD},
            "/api/v1/devices/health": {"status": "ok"},
            "/api/v1/records/patients/identify": {"id_number": B_NUMBER},
            "/api/v1/records/patients": {"source": "typed", "id_number": B_NUMBER, "name": "某人", "phone": "13700000000"},
            "/api/v1/records/patients/{patient_id}/proxies": {"name": "李四", "relation": "配偶"},
            "/api/v1/records/sessions/{session_id}/stop": {"notice": "医生临时停诊"},
            "/api/v1/records/registrations": {"patient_id": b, "slot_id": slot["slot_id"]},
            "/api/v1/records/bills": {"patient_id": b, "kind": "exam", "title": "检验费",
                                      "items": [{"name": "尿常规", "quantity": 1, "unit_fen": 1200}]},
            "/api/v1/records/payments": {"patient_id": b, "bill_ids": [bill], "amount_fen": 2500},
            "/api/v1/records/payments/{order_id}/pay-code": {"code": "134567890123456789"},
            "/api/v1/records/payments/notify": {"order_id": order["order_id"]},
            "/api/v1/records/payments/reconcile": {"date": "2026-11-23"},
            "/api/v1/records/ratings": {"stars": 5, "transaction_kind": "other"},
            "/cockpit/api/login": {"username": "nobody", "password": "wrong"},
            "/cockpit/api/simulate": {"day": "2026-11-23"},
            "/api/v1/screens/pair": {"code": "000000", "device": "wall-nk"},
            "/api/v1/screens/overrides": {"text": "测试通知", "devices": ["wall-nk"]},
        }
        query = {"/api/v1/records/registrations": {"patient_id": b}, "/api/v1/records/bills": {"patient_id": b},
                 "/api/v1/records/reports": {"patient_id": b}, "/api/v1/audit": {"visit": visit}}
        SECRETS_OF_B.append(app.state.service.ticket_token(visit))  # the WY visit's ticket page link
        yield client, app, headers, params, bodies, query


def test_every_route_has_an_access_rule():
    app = create_app(load_hospital(DEMO_CONFIG), ":memory:", plugins=PLUGINS)
    assert missing_rules(app) == [], f"give these routes a rule in caller/api/access.py RULES: {missing_rules(app)}"
    unused = [key for key in RULES if key not in app_routes(app)]
    assert unused == [], f"rules for routes that do not exist (renamed?): {unused}"


def test_a_route_without_a_rule_is_refused():
    extra = APIRouter()

    @extra.get("/brand-new")
    async def brand_new() -> dict:
        return {"secret": "should never be reached"}

    app = create_app(load_hospital(DEMO_CONFIG), ":memory:", extra_routers=[extra], plugins=PLUGINS)
    assert missing_rules(app) == [("GET", "/api/v1/brand-new")]
    with TestClient(app) as client:
        for token in (None, DEMO_TOKENS["admin"]):
            r = client.get("/api/v1/brand-new", headers={"Authorization": f"Bearer {token}"} if token else {})
            assert r.status_code == 403 and r.json()["error"]["code"] == "no_access_rule"
            assert "secret" not in r.text


def _routes() -> list[tuple[str, str]]:
    keys = [k for k in RULES if k[0] != "WS"]
    logout = ("POST", "/api/v1/auth/logout")
    return [k for k in keys if k != logout] + [logout]  # logging out last keeps the users' tokens for the rest


def test_every_route_for_every_principal(world):
    client, app, headers, params, bodies, query = world
    wrong: list[str] = []
    for key in _routes():
        method, template = key
        path = template
        for name, value in params.items():
            path = path.replace("{" + name + "}", value)
        for who in PRINCIPALS:
            want = expected(key, who)
            body = bodies.get(template, {}) if method in ("POST", "PUT", "PATCH") else None
            r = client.request(method, path, headers={**headers[who], **EXTRA_HEADERS.get(template, {})}, json=body,
                               params=query.get(template))
            got_ok = r.status_code < 500 and r.status_code not in (401, 403)
            wanted = want if isinstance(want, tuple) else (want,)
            if (want == "ok" and not got_ok) or (want != "ok" and r.status_code not in wanted):
                wrong.append(f"{method} {template} as {who}: {r.status_code} (expected {want}) {r.text[:160]}")
            if r.status_code >= 500:
                wrong.append(f"{method} {template} as {who}: {r.status_code}")
            if who not in STAFF_NAMES or want != "ok":
                leaked = [s for s in SECRETS + tuple(SECRETS_OF_B) if s in r.text]
                if leaked:
                    wrong.append(f"{method} {template} as {who} shows {leaked}: {r.text[:200]}")
    assert not wrong, "\n".join(wrong)


def test_the_matrix_in_docs_security_md_is_the_one_the_code_makes():
    from pathlib import Path

    from caller.api.access import matrix_markdown, replace_matrix

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    table = matrix_markdown(create_app(load_hospital(DEMO_CONFIG), ":memory:", plugins=PLUGINS))
    assert replace_matrix(doc, table) == doc, "run: python -m caller access-matrix --write docs/security.md"
