"""Helpers of the records tests: a kiosk's or staff's view of the records API, and quick patients and slots.

Kept apart from conftest.py so that tests import them by a name no other test folder uses."""
from __future__ import annotations

from typing import Any

import httpx

from records.ids import make_id_number
from records.testing import LiveRecords


class Api:
    """A kiosk's (or staff's) view of the records API: returns (status, json)."""

    def __init__(self, live: LiveRecords, role: str = "kiosk") -> None:
        self.live = live
        self.client = httpx.Client(base_url=live.url + "/api/v1", headers=live.headers(role), timeout=30)

    def get(self, path: str, **params: Any) -> tuple[int, dict]:
        r = self.client.get(path, params={k: v for k, v in params.items() if v is not None})
        return r.status_code, self._keep_session(r.json())

    def post(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        r = self.client.post(path, json=body if body is not None else {})
        return r.status_code, self._keep_session(r.json())

    def _keep_session(self, data: Any) -> Any:
        """Like the kiosk: send the patient session a successful identification opened with every request."""
        if isinstance(data, dict) and data.get("session_token"):
            self.client.headers["X-Patient-Session"] = data["session_token"]
        return data

    def ok(self, method: str, path: str, body: dict | None = None, **params: Any) -> dict:
        status, data = self.get(path, **params) if method == "GET" else self.post(path, body)
        assert status < 300, (status, data)
        return data



def logged_in(live: LiveRecords, username: str) -> Api:
    """A console with a nurse or doctor logged in (demo password demo1234)."""
    api = Api(live, "console")
    token = api.ok("POST", "/auth/login", {"username": username, "password": "demo1234"})["token"]
    api.client.headers["Authorization"] = f"Bearer {token}"
    return api


_serial = iter(range(100, 999))


def new_patient(api: Api, name: str = "张三", birth: str = "19900307") -> dict:
    """Create a typed-ID patient with a fresh valid ID number; returns the patient JSON plus the number."""
    number = make_id_number(f"110101{birth}{next(_serial):03d}")
    data = api.ok("POST", "/records/patients", {"source": "typed", "id_number": number, "name": name, "phone": "13812345678"})
    return {**data["patient"], "id_number": number}


def first_slot(api: Api, department: str = "NK", date: str | None = None, kind: str | None = None, min_start: str = "00:00") -> dict:
    """The first slot with seats left (optionally of a kind, starting no earlier than min_start)."""
    data = api.ok("GET", "/records/slots", department=department, date=date)
    for session in data["sessions"]:
        if kind and session["kind"] != kind:
            continue
        for slot in session["slots"]:
            if slot["remaining"] > 0 and slot["start"] >= min_start:
                return {**slot, "session": session}
    raise AssertionError("no free slot")


def pay(kiosk, provider, patient_id: int, reg: dict) -> None:
    """Pay a registration's bill at the kiosk through the payment simulator."""
    order = kiosk.ok("POST", "/records/payments", {"patient_id": patient_id, "bill_ids": [reg["bill_id"]],
                                                   "amount_fen": reg["fee_fen"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")


def paid_registration(kiosk, provider, min_start: str) -> dict:
    """A new patient's registration in the first free slot from ``min_start``, paid: final and in the queue."""
    p = new_patient(kiosk)
    slot = first_slot(kiosk, min_start=min_start)
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    pay(kiosk, provider, p["patient_id"], reg)
    return kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["registration"]
