"""Patients who go through the same LAN API the kiosk uses (no window), and the emergency triage desk."""
from __future__ import annotations

import time
from typing import Any

from client.http import CallerClient, CallerError, new_idempotency_key
from demo.script import APPOINTMENT, EMERGENCY, NEW, RETURNING, Arrival

R = "/records"
SESSION_HEADER = "X-Patient-Session"
PHONE = "13812345678"


def card_json(card: Any) -> dict[str, Any]:
    """An IdCard as the records API takes it (what the kiosk sends after reading the card)."""
    return {"name": card.name, "gender": getattr(card, "gender", "") or ("女" if card.gender_code == "2" else "男"),
            "birth_date": card.birth.isoformat(), "id_number": card.id_number,
            "address": getattr(card, "address", "") or "", "card_kind": "resident"}


def first_free_slot(client: CallerClient, department: str) -> dict[str, Any] | None:
    """The earliest slot with a seat left today (a general number when two start at the same time)."""
    sessions = client.request("GET", f"{R}/slots", params={"department": department}).get("sessions") or []
    free = [(slot["start"], session.get("kind") != "general", n, slot)
            for n, session in enumerate(sessions) if session.get("status") == "open"
            for slot in session.get("slots") or [] if slot.get("remaining", 0) > 0]
    return min(free, key=lambda f: f[:3])[3] if free else None


def pay_and_wait(client: CallerClient, provider: Any, patient_id: int, bill_id: int, amount_fen: int,
                 timeout: float = 15.0) -> dict[str, Any]:
    """Open a QR order, let the patient's phone pay it at the gateway, confirm until it is settled."""
    order = client.request("POST", f"{R}/payments", json_body={
        "patient_id": patient_id, "bill_ids": [bill_id], "amount_fen": amount_fen, "method": "qr",
        "idempotency_key": new_idempotency_key()})
    provider.patient_pays(order["payment"]["provider_order_id"])
    deadline = time.monotonic() + timeout
    while order["state"] == "pending" and time.monotonic() < deadline:
        order = client.request("POST", f"{R}/payments/{order['order_id']}/confirm")
        if order["state"] == "pending":
            time.sleep(0.05)
    return order


def register_today(client: CallerClient, provider: Any, patient_id: int, department: str) -> dict[str, Any]:
    """Hold the earliest free slot, pay, and return the final registration (with visit id and ticket)."""
    slot = first_free_slot(client, department)
    if slot is None:
        raise CallerError("no_slot", "对不起，今日号源已满。", "no free slot today", status=409)
    reg = client.request("POST", f"{R}/registrations", json_body={
        "patient_id": patient_id, "slot_id": slot["slot_id"], "idempotency_key": new_idempotency_key()})
    if reg["state"] == "held":
        order = pay_and_wait(client, provider, patient_id, reg["bill_id"], reg["fee_fen"])
        if order["state"] != "paid":
            raise CallerError("not_paid", "支付没有完成", f"order {order['order_id']} is {order['state']}", status=0)
    return client.request("GET", f"{R}/registrations/{reg['registration_id']}")["registration"]


def identity_of(arrival: Arrival) -> dict[str, Any] | None:
    """How the arrival's patient identifies at a kiosk again (records' identify body): the ID card read (a resident
    card), or the medical card's code; None for a card the demo cannot present again (港澳台 cards)."""
    from hardware.idcard import CardKind
    from hardware.idcard.demo_cards import demo_card

    if arrival.kind == NEW and arrival.card_kind != "hmt":
        card = demo_card(CardKind.RESIDENT, seed=arrival.card_seed)
        return {"id_number": card.id_number, "card_name": card.name}
    if arrival.kind == RETURNING and arrival.known is not None:
        return {"card_code": arrival.known.card_code}
    if arrival.kind == APPOINTMENT and arrival.appointment is not None:
        return {"card_code": arrival.appointment.patient.card_code}
    return None


def arrive_over_lan(arrival: Arrival, kiosk: CallerClient, triage: CallerClient, provider: Any) -> dict[str, Any]:
    """Run one patient through the LAN API; returns {visit_id, ticket, area, name}."""
    from hardware.idcard import CardKind
    from hardware.idcard.demo_cards import demo_card

    if arrival.kind == EMERGENCY:
        card = demo_card(CardKind.RESIDENT, seed=arrival.card_seed or arrival.number + 500)
        visit = triage.register("JZ", name=card.name, kind="emergency", triage_level=arrival.triage_level)["visit"]
        return {"visit_id": visit["visit_id"], "ticket": visit["ticket"], "area": "JZ", "name": card.name}
    if arrival.kind == NEW:
        card = demo_card(CardKind.RESIDENT, seed=arrival.card_seed)
        kiosk.headers.pop(SESSION_HEADER, None)  # a new patient at the kiosk
        created = kiosk.request("POST", f"{R}/patients", json_body={
            "source": "id_card", "id_card": card_json(card), "phone": PHONE,
            "idempotency_key": new_idempotency_key()})
        kiosk.headers[SESSION_HEADER] = created["session_token"]
        who = {"id_number": card.id_number, "card_name": card.name}
        reg = register_today(kiosk, provider, created["patient"]["patient_id"], arrival.department)
    elif arrival.kind == RETURNING:
        assert arrival.known is not None
        who = {"card_code": arrival.known.card_code}
        found = identify(kiosk, who)
        reg = register_today(kiosk, provider, found["patient"]["patient_id"], arrival.department)
    elif arrival.kind == APPOINTMENT:
        assert arrival.appointment is not None
        who = {"card_code": arrival.appointment.patient.card_code}
        identify(kiosk, who)
        reg = kiosk.request("POST", f"{R}/registrations/{arrival.appointment.registration_id}/check-in",
                            json_body={"idempotency_key": new_idempotency_key()})
    else:
        raise ValueError(f"{arrival.kind} arrivals use a kiosk window")
    if not reg.get("visit_id"):
        raise CallerError("not_queued", "没有进入排队", f"registration {reg.get('registration_id')} has no visit", status=0)
    return {"visit_id": reg["visit_id"], "ticket": reg["ticket"], "area": area_of(reg["department_id"]),
            "name": reg.get("patient_name_masked", ""), "registration_id": reg["registration_id"],
            "checked_in": bool(reg.get("checked_in_at")), "identify": who}


def identify(kiosk: CallerClient, who: dict[str, Any]) -> dict[str, Any]:
    """The patient identifies at the kiosk (card or medical card): the kiosk's patient session is theirs."""
    kiosk.headers.pop(SESSION_HEADER, None)
    found = kiosk.request("POST", f"{R}/patients/identify", json_body=who)
    kiosk.headers[SESSION_HEADER] = found["session_token"]
    return found


def check_in_later(kiosk: CallerClient, registration_id: int, who: dict[str, Any]) -> str | None:
    """Check in a registration whose slot was too far ahead at registration; None when done, else allowed_from."""
    identify(kiosk, who)
    try:
        kiosk.request("POST", f"{R}/registrations/{registration_id}/check-in",
                      json_body={"idempotency_key": new_idempotency_key()})
        return None
    except CallerError as exc:
        if exc.code != "too_early":
            raise
    reg = kiosk.request("GET", f"{R}/registrations/{registration_id}")["registration"]
    return reg.get("date", "") + "T" + reg.get("start", "00:00")


AREAS = {"NK": "NK", "WK": "WY", "YK": "WY", "EK": "FE", "FK": "FE", "JZ": "JZ"}


def area_of(department: str) -> str:
    return AREAS.get(department, department)
