"""The station lists from a staff snapshot and the area's open steps (pure)."""
from __future__ import annotations

from datetime import datetime

from caller_console.station_model import build_station_view, prep_text, service_of_area, station_cells
from common.config import DEMO_CONFIG, hospital_public, load_hospital

NOW = datetime(2026, 11, 23, 9, 20)


def item(visit_id: str, ticket: str, state: str, **extra) -> dict:
    return {"visit_id": visit_id, "ticket": ticket, "patient_name": "王小明", "state": state, "dept_id": "YF",
            "registered_at": "2026-11-23T09:00:00", **extra}


def test_the_area_decides_the_mode():
    hospital = hospital_public(load_hospital(DEMO_CONFIG))
    assert [service_of_area(hospital, a) for a in ("NK", "YF", "JY", "YX", "SF")] == \
        ["clinic", "pharmacy", "lab", "imaging", "cashier"]


def test_pharmacy_lists_by_stage_with_this_window_first():
    snapshot = {"rooms": [
        {"room_id": "YF1", "name": "1号窗口", "queue": [item("s1", "A001", "room_waiting", room_id="YF1", stage="ready")],
         "called": [], "in_service": []},
        {"room_id": "YF3", "name": "3号窗口", "queue": [item("s2", "A002", "room_waiting", room_id="YF3", stage="ready")],
         "called": [item("s5", "A005", "called", room_id="YF3", call_count=2)], "in_service": []}],
        "waiting": [], "missed": []}
    steps = [item("s3", "A003", "registered", stage="pending", title="阿莫西林胶囊"),
             item("s4", "A004", "registered", stage="dispensing", title="布洛芬缓释胶囊×2"),
             item("s1", "A001", "registered", stage="pending", title="二甲双胍片")]  # stale: the snapshot wins
    view = build_station_view("pharmacy", snapshot, steps, "YF3", NOW)
    assert [r.ticket for r in view.lists["ready"]] == ["A002", "A001"]
    assert [r.ticket for r in view.lists["pending"]] == ["A003"]
    assert [r.ticket for r in view.lists["dispensing"]] == ["A004"]
    assert station_cells(view.lists["ready"][1])[4:] == ("1号窗口", "已配好", "二甲双胍片")
    assert station_cells(view.lists["pending"][0])[5:] == ("待配药", "阿莫西林胶囊")
    assert station_cells(view.lists["called"][0])[5] == "已呼叫 · 第2次呼叫"
    assert view.current_of_room().ticket == "A005"


def test_preparation_countdown_and_what_is_missing():
    held = {"gate_met": False, "gate_ready_at": "2026-11-23T09:45:00", "prep": '{"water_minutes":45}',
            "gate_text": "检查准备中（憋尿），还需约 25 分钟，请稍候"}
    assert prep_text(held, NOW) == "准备中（憋尿），还需 25 分钟（09:45 可叫）"
    unknown = {"gate_met": False, "gate_ready_at": None, "gate_text": "请先完成检查准备：增强知情同意，并告知登记台，谢谢"}
    assert prep_text(unknown, NOW).startswith("请先完成检查准备：增强知情同意")
    assert prep_text({"gate_met": True, "prep": '{"fasting_hours":8}'}, NOW) == "准备完成"
    assert prep_text({"gate_met": True, "prep": "{}"}, NOW) == ""


def test_an_exam_shows_its_booked_time_at_the_desk():
    snapshot = {"rooms": [{"room_id": "US1", "name": "超声1室", "queue": [], "called": [], "in_service": []}],
                "waiting": [], "missed": []}
    steps = [item("x1", "A007", "registered", dept_id="US", stage="booked", title="腹部彩超（肝胆胰脾）",
                  booked_at="2026-11-23T10:00", gate_met=True, prep='{"fasting_hours":8}')]
    view = build_station_view("imaging", snapshot, steps, "US1", NOW)
    assert station_cells(view.lists["arriving"][0])[6] == "腹部彩超（肝胆胰脾）；预约 10:00；准备完成"
