"""A patient session needs the patient (through the running service): second factors are throttled per patient and
per kiosk, a kiosk opening sessions faster than a lobby could is suspended, a family proxy from two card reads holds
for that kiosk and day only, and patient sessions are kept (hashed) in the database across a restart."""
from __future__ import annotations

import sqlite3

import httpx
from records_helpers import Api, logged_in, new_patient

from caller.auth import digest
from common.config import SecurityConfig
from records.testing import serve_records


def second_kiosk(live) -> Api:
    api = Api(live, "kiosk")
    token = [d.token for d in live.config.devices if d.role == "kiosk"][1]
    api.client.headers["Authorization"] = f"Bearer {token}"
    return api


def identify(api: Api, body: dict) -> tuple[int, dict]:
    api.client.headers.pop("X-Patient-Session", None)  # the next person at the kiosk
    return api.post("/records/patients/identify", body)


def test_wrong_last_four_digits_lock_the_patient_after_five_even_for_the_right_ones(live, kiosk, console):
    p = new_patient(console, "王小明")
    for guess in range(4):
        status, answer = identify(kiosk, {"id_number": p["id_number"], "phone_last4": f"{guess:04d}"})
        assert status == 200 and answer["second_factor_required"] and "session_token" not in answer
    status, locked = identify(kiosk, {"id_number": p["id_number"], "phone_last4": "0004"})
    assert status == 403 and locked["error"]["code"] == "second_factor_locked"
    assert "身份证" in locked["error"]["message_zh"] and "服务台" in locked["error"]["message_zh"]
    status, right = identify(kiosk, {"id_number": p["id_number"], "phone_last4": "5678"})
    assert status == 403 and "session_token" not in right  # the right digits open nothing while locked
    status, card = identify(kiosk, {"id_number": p["id_number"], "card_name": "王小明"})
    assert status == 200 and card["found"]  # the ID card on the reader still works
    alerts = {d["device"]: d for d in live.app.state.service.device_watch.devices()}
    assert alerts["kiosk-lobby-1/security"]["status"] == "fault"

    status, _ = kiosk.post(f"/records/patients/{p['patient_id']}/unlock")
    assert status == 403  # a kiosk cannot lift it
    assert console.ok("POST", f"/records/patients/{p['patient_id']}/unlock") == {"patient_id": p["patient_id"],
                                                                                 "locked": False}
    status, opened = identify(kiosk, {"id_number": p["id_number"], "phone_last4": "5678"})
    assert status == 200 and opened["found"] and opened["session_token"]
    actions = [(r["action"], r["user"]) for r in live.app.state.service.store.audit(limit=100)]
    assert ("second_factor_locked", "") in actions and ("second_factor_unlocked", "wanghs") in actions


def test_guessing_across_patients_at_one_kiosk_suspends_it(live, kiosk, console):
    people = [new_patient(console, f"患者{i}") for i in range(4)]
    answers = []
    for n in range(12):
        answers.append(identify(kiosk, {"id_number": people[n % 4]["id_number"], "phone_last4": f"{n:04d}"}))
    codes = [a[1].get("error", {}).get("code") for a in answers]
    assert codes[:9] == [None] * 9 and codes[9] == "device_suspended"  # the tenth wrong guess at this kiosk
    status, refused = kiosk.get("/records/departments")
    assert status == 403 and refused["error"]["code"] == "device_suspended" and "暂停服务" in refused["error"]["message_zh"]
    assert console.ok("GET", "/devices/locks")[0]["key"] == "kiosk-lobby-1"
    other = second_kiosk(live)  # another kiosk goes on serving
    assert other.get("/records/departments")[0] == 200
    console.ok("POST", "/devices/kiosk-lobby-1/reinstate")
    assert kiosk.get("/records/departments")[0] == 200


def test_a_kiosk_opening_more_sessions_than_a_lobby_could_is_suspended(live, kiosk, console):
    people = [new_patient(console, f"病人{i}") for i in range(11)]
    opened = [identify(kiosk, {"id_number": p["id_number"], "phone_last4": "5678"}) for p in people]
    assert [s for s, _ in opened[:10]] == [200] * 10 and all(a["found"] for _, a in opened[:10])
    assert opened[10][0] == 403 and opened[10][1]["error"]["code"] == "device_suspended"
    assert live.app.state.service.guard.suspended("kiosk-lobby-1")
    rows = [r for r in live.app.state.service.store.audit(limit=50) if r["action"] == "kiosk_suspended"]
    assert rows and rows[0]["device"] == "kiosk-lobby-1" and rows[0]["detail"]["reason"] == "sessions_per_minute"


def test_a_card_number_alone_opens_nothing_the_card_code_does(live, kiosk, console):
    number_only = console.ok("POST", "/records/patients", {"source": "medical_card", "medical_card_no": "MC26000002",
                                                          "name": "钱七", "phone": "13900002222"})
    for guess in ("MC26000001", "MC26000002", "MC26000003"):  # sequential numbers: the next card is easy to write
        status, answer = identify(kiosk, {"card_code": guess})
        assert status == 200 and answer["patient"] is None and "session_token" not in answer
    code = number_only["patient"]["card_qr"].removeprefix("MC:")
    status, by_code = identify(kiosk, {"card_code": code})
    assert status == 200 and by_code["found"] and by_code["session_token"]
    assert kiosk.get("/records/bills", patient_id=number_only["patient"]["patient_id"])[0] == 200


def test_a_proxy_from_two_card_reads_holds_at_that_kiosk_that_day_until_staff_confirm(live, kiosk, console, clock):
    mother = new_patient(console, "李秀英", "19500101")
    son = new_patient(console, "王强", "19800808")
    identify(kiosk, {"id_number": mother["id_number"], "card_name": "李秀英"})
    kiosk.ok("POST", "/records/patients/identify", {"id_number": son["id_number"], "card_name": "王强"})
    view = kiosk.ok("POST", f"/records/patients/{mother['patient_id']}/proxies",
                    {"name": "王强", "relation": "儿子", "id_number": son["id_number"]})
    assert view["proxies"] == [{"name": "王强", "relation": "儿子", "phone_masked": None, "confirmed": False}]

    def acting_for(api: Api) -> list[int]:
        found = identify(api, {"id_number": son["id_number"], "card_name": "王强"})[1]
        return [p["patient_id"] for p in found["acting_for"]]

    assert acting_for(kiosk) == [mother["patient_id"]]      # here, today
    assert acting_for(second_kiosk(live)) == []             # not at another kiosk
    clock.advance(days=1)
    assert acting_for(kiosk) == []                           # not tomorrow
    console.ok("POST", f"/records/patients/{mother['patient_id']}/proxies",
               {"name": "王强", "relation": "儿子", "id_number": son["id_number"]})  # confirmed at the desk
    assert acting_for(second_kiosk(live)) == [mother["patient_id"]]


def test_a_patient_session_outlives_a_restart_and_only_its_hash_is_kept(tmp_path, clock, provider):
    db = tmp_path / "hospital.db"
    with serve_records(db_path=db, clock=clock, payments=provider) as live:
        console = logged_in(live, "wanghs")
        p = new_patient(console, "赵六")
        kiosk = Api(live, "kiosk")
        token = kiosk.ok("POST", "/records/patients/identify", {"id_number": p["id_number"],
                                                                 "phone_last4": "5678"})["session_token"]
        headers = {**live.kiosk_headers, "X-Patient-Session": token}
        console.client.close()
        kiosk.client.close()
    with sqlite3.connect(db) as conn:
        stored = [r[0] for r in conn.execute("SELECT token FROM kiosk_sessions")]
    assert stored == [digest(token)] and token not in str(stored)
    with serve_records(db_path=db, clock=clock, payments=provider) as again:  # restarted (or the standby took over)
        with httpx.Client(base_url=again.url + "/api/v1/records", headers=headers) as client:
            assert client.get("/bills", params={"patient_id": p["patient_id"]}).status_code == 200
            assert client.delete("/session").json() == {"ended": True}
            assert client.get("/bills", params={"patient_id": p["patient_id"]}).status_code == 403
        other = {**second_kiosk(again).client.headers, "X-Patient-Session": token}  # bound to the kiosk that opened it
        assert httpx.get(again.url + "/api/v1/records/bills", params={"patient_id": p["patient_id"]},
                         headers=other).status_code == 403


def test_the_session_limit_comes_from_the_hospital_file(live, kiosk, console):
    live.app.state.service.guard.limits = SecurityConfig(kiosk_sessions_per_minute=2)
    people = [new_patient(console, f"人{i}") for i in range(3)]
    statuses = [identify(kiosk, {"id_number": p["id_number"], "phone_last4": "5678"})[0] for p in people]
    assert statuses == [200, 200, 403]
