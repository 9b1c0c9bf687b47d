"""Patients over the LAN API: 建档 from an ID card, a typed number, a medical card; identify; family proxies."""
from __future__ import annotations

import base64

from records_helpers import new_patient

from records.ids import make_id_number
from tests.pg_fixture import connect_db

PHOTO = bytes(range(256)) * 4  # the reader's 1024 opaque bytes


def card(number: str, name: str = "李秀英") -> dict:
    return {"name": name, "gender": "女", "ethnicity": "汉", "birth_date": "1958-06-01", "address": "北京市东城区东华门街道1号",
            "id_number": number, "authority": "北京市公安局东城分局", "valid_from": "20150101", "valid_to": "长期",
            "photo_b64": base64.b64encode(PHOTO).decode()}


def test_id_card_record_keeps_every_field_and_the_photo_but_answers_masked(kiosk, live):
    number = make_id_number("11010119580601002")
    status, data = kiosk.post("/records/patients", {"source": "id_card", "id_card": card(number), "phone": "13900001111"})
    assert status == 201 and data["returning"] is False
    patient = data["patient"]
    assert patient["name"] == "李秀英" and patient["has_photo"] is True
    assert patient["birth_date"] == "1958-06-01" and "id_number_masked" not in patient  # a mask beside its hidden
    assert number not in str(data) and number[-4:] not in str(data)                   # digits would hide nothing
    assert patient["phone_masked"] == "139********" and "1111" not in str(data)       # the second factor: nowhere
    with connect_db(live.records.db.path) as db:
        row = db.execute("SELECT id_number, address, authority, valid_to, photo FROM rec_patients WHERE id = ?",
                         (patient["patient_id"],)).fetchone()
    assert row == (number, "北京市东城区东华门街道1号", "北京市公安局东城分局", "长期", PHOTO)


def test_second_create_for_the_same_number_returns_the_existing_record(kiosk, live):
    number = make_id_number("11010119580601002")
    first = kiosk.ok("POST", "/records/patients", {"source": "id_card", "id_card": card(number)})
    status, again = kiosk.post("/records/patients", {"source": "id_card", "id_card": card(number)})
    assert status == 200 and again["returning"] is True
    assert again["patient"]["patient_id"] == first["patient"]["patient_id"]
    assert "无需重复建档" in again["message_zh"]
    assert live.records.db.one("SELECT COUNT(*) AS n FROM rec_patients")["n"] == 1
    # someone typing the same number with another phone learns nothing about the record
    status, refused = kiosk.post("/records/patients", {"source": "typed", "id_number": number, "name": "某人", "phone": "13900001111"})
    assert status == 409 and refused["error"]["code"] == "already_registered"
    assert "李" not in str(refused) and "patient" not in refused


def test_mistyped_number_is_refused_and_nothing_is_stored(kiosk, live):
    good = make_id_number("11010119900307803")
    typo = good[:-1] + ("0" if good[-1] != "0" else "1")
    status, data = kiosk.post("/records/patients", {"source": "typed", "id_number": typo, "name": "王小明", "phone": "13800000000"})
    assert status == 422
    assert data["error"]["code"] == "invalid_id_number"
    assert "校验码" in data["error"]["message_zh"] and "请核对" in data["error"]["message_zh"]
    assert live.records.db.one("SELECT COUNT(*) AS n FROM rec_patients")["n"] == 0


def test_identify_by_number_and_by_medical_card(kiosk):
    number = make_id_number("44030519851212123")
    status, unknown = kiosk.post("/records/patients/identify", {"id_number": number})
    assert status == 200 and unknown["found"] is False and unknown["new_patient"] is True
    assert "请先建档" in unknown["message_zh"]
    created = kiosk.ok("POST", "/records/patients", {"source": "medical_card", "medical_card_no": "MC20260001",
                                                     "name": "赵六", "phone": "13700000000", "id_number": number})
    qr = created["patient"]["card_qr"]  # what the card's QR code carries: a random code, not the number
    assert qr.startswith("MC:") and "MC20260001" not in qr and len(qr) == 23
    by_card = kiosk.ok("POST", "/records/patients/identify", {"card_code": qr.removeprefix("MC:")})
    for typed in ({"medical_card_no": "MC20260001"}, {"card_code": "MC20260001"}):  # the number alone: no one
        alone = kiosk.ok("POST", "/records/patients/identify", typed)
        assert alone["second_factor_required"] and alone["patient"] is None and "赵" not in str(alone)
        assert "session_token" not in alone
    with_phone = kiosk.ok("POST", "/records/patients/identify", {"medical_card_no": "MC20260001", "phone_last4": "0000"})
    assert with_phone["found"] and with_phone["patient"]["patient_id"] == created["patient"]["patient_id"]
    hidden = kiosk.ok("POST", "/records/patients/identify", {"id_number": number.lower()})
    assert hidden["second_factor_required"] and hidden["patient"] is None and "赵" not in str(hidden)
    wrong = kiosk.ok("POST", "/records/patients/identify", {"id_number": number, "phone_last4": "1234"})
    assert wrong["second_factor_required"] and wrong["patient"] is None
    by_number = kiosk.ok("POST", "/records/patients/identify", {"id_number": number.lower(), "phone_last4": "0000"})
    assert by_card["found"] and by_number["found"]
    assert by_card["patient"]["patient_id"] == by_number["patient"]["patient_id"]
    assert by_card["patient"]["name_masked"] == "赵*"
    status, missing = kiosk.post("/records/patients/identify", {"medical_card_no": "MC-NOT-THERE"})
    assert status == 200 and missing["new_patient"] is True


def test_a_listed_family_member_may_act_for_the_patient_and_others_may_not(kiosk, console, clock):
    son = make_id_number("11010119880808001")
    stranger = make_id_number("11010119880808003")
    mother = new_patient(console, "李秀英", "19500101")
    console.ok("POST", f"/records/patients/{mother['patient_id']}/proxies",
               {"name": "王强", "relation": "儿子", "phone": "13911112222", "id_number": son})
    seen = kiosk.ok("POST", "/records/patients/identify", {"id_number": son, "card_name": "王强"})  # the son's card
    assert seen["found"] is False  # the son has no record of his own
    assert [p["patient_id"] for p in seen["acting_for"]] == [mother["patient_id"]]

    slot = kiosk.ok("GET", "/records/slots", department="NK")["sessions"][0]["slots"][-1]
    ok = kiosk.ok("POST", "/records/registrations", {"patient_id": mother["patient_id"], "slot_id": slot["slot_id"],
                                                     "proxy_id_number": son})
    assert ok["proxy_name"] == "王强"
    status, refused = kiosk.post("/records/registrations", {"patient_id": mother["patient_id"], "slot_id": slot["slot_id"],
                                                            "proxy_id_number": stranger})
    assert status == 403 and refused["error"]["code"] == "proxy_not_allowed"
    assert "服务台" in refused["error"]["message_zh"]


def test_display_tokens_cannot_read_records(live):
    import httpx

    r = httpx.post(live.url + "/api/v1/records/patients/identify", json={"medical_card_no": "X"}, headers=live.headers("display"))
    assert r.status_code == 403
    r = httpx.post(live.url + "/api/v1/records/patients/identify", json={"medical_card_no": "X"})
    assert r.status_code == 401
