"""Check-in at the lab's draw windows by the patient's medical card: the card's QR (``MC:<card code>``) or the card
code typed finds the patient's journey of today through the records part and checks its lab step in; a card whose
patient has no lab step today is refused in words that say what to do, and nothing is checked in."""
from __future__ import annotations

from records_helpers import first_slot, new_patient, pay

from client.http import CallerClient, CallerError
from common.demo_accounts import DEMO_PASSWORD, DEMO_TOKENS


def staff(live, token: str, user: str) -> CallerClient:
    client = CallerClient(live.url, token)
    client.login(user, DEMO_PASSWORD)
    return client


def registered(kiosk, provider, name: str) -> tuple[dict, dict]:
    """A patient registered and paid at the kiosk: (patient, registration)."""
    patient = new_patient(kiosk, name)
    slot = first_slot(kiosk, min_start="08:00")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": patient["patient_id"], "slot_id": slot["slot_id"]})
    pay(kiosk, provider, patient["patient_id"], reg)
    return patient, kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["registration"]


def seen_with(nurse: CallerClient, visit_id: str, orders: list[dict]) -> str | None:
    """The doctor calls the visit in, sees the patient and orders (开单); the step id, if any."""
    for room in ("NK1", "NK2", "NK3", "NK4"):
        called = nurse.call_next(room)["visit"]
        if called:
            break
    assert called and called["visit_id"] == visit_id
    nurse.start(visit_id)
    step = nurse.orders(visit_id, orders)["visit"]["visit_id"] if orders else None
    nurse.finish(visit_id)
    return step


def test_a_scanned_or_typed_medical_card_checks_the_lab_step_in(live, kiosk, provider):
    nurse = staff(live, DEMO_TOKENS["console_nk"], "wanghs")
    lab = staff(live, DEMO_TOKENS["console_jy"], "caixue-wu")
    try:
        patient, reg = registered(kiosk, provider, "司马光")
        step = seen_with(nurse, reg["visit_id"], [{"kind": "lab", "paid": True, "items": [{"code": "CBC"}]}])
        qr = patient["card_qr"]
        assert qr.startswith("MC:")

        answer = lab.check_in_code("JY", qr)  # the card's QR under the window's scanner
        assert answer["visit"]["visit_id"] == step and answer["visit"]["state"] == "waiting"
        trail = {row["action"]: row for row in lab.audit(step)}
        assert trail["check_in"]["user"] == "caixue-wu"

        try:  # the same card again: told it is done, nothing changes
            lab.check_in_code("JY", qr)
            raise AssertionError("a second check-in was taken")
        except CallerError as exc:
            assert exc.code == "already_checked_in" and "您已签到" in exc.message_zh

        other, reg2 = registered(kiosk, provider, "欧阳修")
        step2 = seen_with(nurse, reg2["visit_id"], [{"kind": "lab", "paid": True, "items": [{"code": "GLU"}]}])
        typed = other["card_qr"][3:].lower()  # the card code typed at the window, in small letters
        assert lab.check_in_code("JY", typed)["visit"]["visit_id"] == step2
    finally:
        nurse.close()
        lab.close()


def test_a_card_without_a_lab_step_today_is_refused_with_what_to_do(live, kiosk, provider):
    nurse = staff(live, DEMO_TOKENS["console_nk"], "wanghs")
    lab = staff(live, DEMO_TOKENS["console_jy"], "caixue-wu")
    try:
        patient, reg = registered(kiosk, provider, "诸葛亮")
        for_no_visit, _reg = registered(kiosk, provider, "黄月英")
        unregistered = new_patient(kiosk, "庞统")
        seen_with(nurse, reg["visit_id"], [])  # seen, nothing ordered

        for card in (patient["card_qr"], unregistered["card_qr"]):
            try:
                lab.check_in_code("JY", card)
                raise AssertionError(f"{card} was checked in")
            except CallerError as exc:
                assert exc.status == 409, exc
                assert "没有需要在这里签到的检查或检验项目" in exc.message_zh and "缴费" in exc.message_zh
                assert "谢谢" in exc.message_zh and exc.message_en

        # a card with a clinic visit still waiting: no lab step either
        try:
            lab.check_in_code("JY", for_no_visit["card_qr"])
            raise AssertionError("checked in without a lab step")
        except CallerError as exc:
            assert exc.code == "no_step_here" and "请" in exc.message_zh

        try:  # a card code that belongs to nobody names nothing
            lab.check_in_code("JY", "MC:" + "A" * 20)
            raise AssertionError("an unknown card was taken")
        except CallerError as exc:
            assert exc.status == 404
        assert not [row for row in nurse.audit(reg["visit_id"]) if row["user"] == "caixue-wu"]  # nothing done
    finally:
        nurse.close()
        lab.close()
