"""Elderly mode lists departments by today's use: the busiest first, so fewer items a page still means page 1."""
from __future__ import annotations

from caller.testing import DEMO_TOKENS
from client.http import CallerClient
from records.ids import make_id_number
from tests.kiosk.kiosk_driver import click, place_card, type_keys, wait_screen


def test_elderly_mode_lists_the_busiest_departments_first(qtbot, kiosk, reader_sim, service):
    admin = CallerClient(service, DEMO_TOKENS["admin"])
    departments = admin.request("GET", "/records/departments")["departments"]
    last = [d for d in departments if d["area"] != "JZ"][-1]  # 妇产科: on page 2 in the hospital file's order
    for n in range(3):  # three mothers registered there this morning
        patient = admin.request("POST", "/records/patients", json_body={
            "source": "typed", "id_number": make_id_number(f"110105199003072{n}2"), "name": f"测试{n}",
            "phone": "13812345678"})["patient"]
        sessions = admin.request("GET", "/records/slots", params={"department": last["department_id"]})["sessions"]
        slot = next(x for s in sessions for x in s["slots"] if x["remaining"] > 0)
        admin.request("POST", "/records/registrations", json_body={"patient_id": patient["patient_id"],
                                                                   "slot_id": slot["slot_id"]})
    admin.close()

    click(qtbot, kiosk.current.elderly_button)
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    place_card(reader_sim, seed=95)
    screen = wait_screen(qtbot, kiosk, "new_patient")
    type_keys(qtbot, screen.keypad, "13812345678")
    click(qtbot, screen.keypad.ok)
    listed = wait_screen(qtbot, kiosk, "departments")
    assert listed.departments[0].id == last["department_id"]
    assert last["name"] in listed.choices.buttons[0].text()


def test_normal_mode_keeps_the_hospital_files_order(qtbot, kiosk, reader_sim, service):
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    place_card(reader_sim, seed=96)
    screen = wait_screen(qtbot, kiosk, "new_patient")
    type_keys(qtbot, screen.keypad, "13812345678")
    click(qtbot, screen.keypad.ok)
    listed = wait_screen(qtbot, kiosk, "departments")
    assert listed.departments[0].name == "内科"
