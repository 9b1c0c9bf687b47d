"""为家人办理: a parent registers a child who has no card, and an adult child acts for an elderly parent; the
records name the guardian, and the screens show masked names only."""
from __future__ import annotations

import json

from caller.testing import DEMO_TOKENS
from client.http import CallerClient
from tests.kiosk.kiosk_driver import (
    choose,
    click,
    input_method_types,
    pay_current_order,
    type_keys,
    visible_texts,
    wait_screen,
)
from tests.kiosk.test_kiosk_day import card_on_home
from tests.kiosk.test_kiosk_services import new_patient


def audit_rows(service, action: str) -> list[dict]:
    rows = service.app.state.records.db.all("SELECT detail FROM audit WHERE action = ?", (f"records.{action}",))
    return [json.loads(r["detail"]) for r in rows]


def add_newborn(qtbot, kiosk, name: str = "李小雨") -> None:
    """From the family page: no ID number, born 2024-03-15, a girl, named, record created."""
    family = wait_screen(qtbot, kiosk, "family")
    click(qtbot, family.add_button)
    child_id = wait_screen(qtbot, kiosk, "child_id")
    click(qtbot, child_id.none_button)
    birth = wait_screen(qtbot, kiosk, "child_birth")
    type_keys(qtbot, birth.keypad, "20240315")
    click(qtbot, birth.keypad.ok)
    assert "性别" in birth.error.text()  # nothing chosen yet: said, nothing sent
    click(qtbot, birth.sex_buttons[1])  # the date typed: choosing the sex goes on by itself
    named = wait_screen(qtbot, kiosk, "child_name")
    input_method_types(named.edit, name)
    click(qtbot, named.confirm_button)


def test_parent_registers_a_newborn_from_their_own_session(qtbot, kiosk, reader_sim, payment_sim, printer_sim, service):
    card, parent_id = new_patient(qtbot, kiosk, reader_sim, seed=61)
    card_on_home(qtbot, kiosk, reader_sim, card)
    departments = wait_screen(qtbot, kiosk, "departments")  # nothing due today: registering is offered first
    click(qtbot, departments.family_button)
    add_newborn(qtbot, kiosk)
    choose(qtbot, wait_screen(qtbot, kiosk, "departments"), 0)  # the child's own day: nothing due, so register
    assert kiosk.current.family_button is None  # acting for the child: no family of the child's own
    choose(qtbot, wait_screen(qtbot, kiosk, "doctors"), 0)
    confirm = wait_screen(qtbot, kiosk, "confirm")
    assert "李*雨" in " ".join(visible_texts(confirm)) and "李小雨" not in " ".join(visible_texts(confirm))
    click(qtbot, confirm.confirm_button)
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "ticket")
    child = kiosk.session.patient
    assert child.id != parent_id and child.birth_date == "2024-03-15" and child.gender == "女"

    admin = CallerClient(service, DEMO_TOKENS["admin"])
    reg = admin.request("GET", f"/records/registrations/{kiosk.session.ticket.registration_id}")["registration"]
    record = admin.request("GET", f"/records/patients/{child.id}")
    admin.close()
    assert reg["patient_id"] == int(child.id) and reg["proxy_name"] == card.name  # the guardian is named
    assert record["proxies"][0]["name"] == card.name and record["source"] == "family"
    created = audit_rows(service, "family_member_created")
    assert created[-1]["patient_id"] == int(child.id) and created[-1]["guardian_patient_id"] == int(parent_id)
    held = [r for r in audit_rows(service, "slot_held") if r["patient_id"] == int(child.id)]
    assert held and held[-1]["proxy_patient_id"] == int(parent_id)
    paid = [r for r in audit_rows(service, "payment_paid") if r["patient_id"] == int(child.id)]
    assert paid and paid[-1]["proxy_patient_id"] == int(parent_id)

    # next time: the parent's card shows the child on the day page, one tap to act for them
    kiosk.go_home("done")
    card_on_home(qtbot, kiosk, reader_sim, card)
    day = wait_screen(qtbot, kiosk, "day")
    assert "李*雨" in day.family_button.text()
    click(qtbot, day.family_button)
    family = wait_screen(qtbot, kiosk, "family")
    assert "子女" in family.choices.buttons[0].text() and "女" in family.choices.buttons[0].text()
    choose(qtbot, family, 0)
    child_day = wait_screen(qtbot, kiosk, "day")  # the child's day: the number just taken
    assert "正在为家人办理" in child_day.title_label.text() and child_day.queue_card is not None
    assert child_day.family_button is None


def test_the_same_newborn_twice_is_one_record(qtbot, kiosk, reader_sim, service):
    card, parent_id = new_patient(qtbot, kiosk, reader_sim, seed=62)
    card_on_home(qtbot, kiosk, reader_sim, card)
    click(qtbot, wait_screen(qtbot, kiosk, "departments").family_button)
    add_newborn(qtbot, kiosk, "王宝宝")
    wait_screen(qtbot, kiosk, "departments")
    first = kiosk.session.patient.id
    kiosk.go_home("done")
    card_on_home(qtbot, kiosk, reader_sim, card)
    click(qtbot, wait_screen(qtbot, kiosk, "day").family_button)
    add_newborn(qtbot, kiosk, "王宝宝")
    wait_screen(qtbot, kiosk, "departments")
    assert kiosk.session.patient.id == first


def test_an_elderly_parents_card_on_the_family_page(qtbot, kiosk, reader_sim, service):
    parent_card, parent_id = new_patient(qtbot, kiosk, reader_sim, seed=63)  # the elderly parent has a record
    son_card, son_id = new_patient(qtbot, kiosk, reader_sim, seed=64)
    card_on_home(qtbot, kiosk, reader_sim, son_card)
    click(qtbot, wait_screen(qtbot, kiosk, "departments").family_button)
    wait_screen(qtbot, kiosk, "family")
    reader_sim.remove_card()
    qtbot.waitUntil(lambda: kiosk.devices._reader.current_card is None, timeout=5000)
    reader_sim.place_card(parent_card)
    wait_screen(qtbot, kiosk, "departments")  # acting for the parent now
    assert kiosk.session.patient.id == parent_id and kiosk.session.guardian.id == son_id
    admin = CallerClient(service, DEMO_TOKENS["admin"])
    record = admin.request("GET", f"/records/patients/{parent_id}")
    admin.close()
    assert [p["name"] for p in record["proxies"]] == [son_card.name]


def test_a_kiosk_may_not_create_family_for_someone_it_acts_for(service):
    """Only the patient identified in person may add family; a session's other patients may not."""
    from hardware.idcard.demo_cards import demo_card

    kiosk = CallerClient(service, DEMO_TOKENS["kiosk"])
    parent = demo_card(seed=65)
    created = kiosk.request("POST", "/records/patients", json_body={
        "source": "id_card", "phone": "13812345678",
        "id_card": {"name": parent.name, "id_number": parent.id_number}})
    kiosk.headers["X-Patient-Session"] = created["session_token"]
    parent_id = created["patient"]["patient_id"]
    child = kiosk.request("POST", f"/records/patients/{parent_id}/family",
                          json_body={"name": "张小宝", "gender": "男", "birth_date": "2025-01-02"})
    child_id = child["patient"]["patient_id"]
    import pytest

    from client.http import CallerError

    with pytest.raises(CallerError) as refused:
        kiosk.request("POST", f"/records/patients/{child_id}/family",
                      json_body={"name": "张小小", "gender": "男", "birth_date": "2025-01-02"})
    assert refused.value.code == "patient_not_in_session"
    with pytest.raises(CallerError) as future:
        kiosk.request("POST", f"/records/patients/{parent_id}/family",
                      json_body={"name": "张未来", "gender": "男", "birth_date": "2099-01-02"})
    assert future.value.code == "invalid_birth_date" and "出生日期" in future.value.message_zh
    kiosk.close()
