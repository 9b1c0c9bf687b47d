"""What-if: a stored morning replayed through the real engine, as it was and with an extra room."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pytest
from cockpit_helpers import Day

from caller import simulate
from caller.service import CallerService
from caller.testing import ManualClock
from common.config import DEMO_CONFIG, load_hospital


@pytest.fixture
def stored(tmp_path):
    """A morning in internal medicine: 12 patients from 08:00, one room (NK3) seeing them 10 minutes each."""
    clock = ManualClock(datetime(2026, 11, 23, 8, 0))
    service = CallerService(load_hospital(DEMO_CONFIG), tmp_path / "hospital.db", clock=clock)
    day = Day(service, clock)
    visits = []
    for n in range(12):
        v = day.at(f"08:{n:02d}").register()
        day.do("check_in", visit_id=v)
        visits.append(v)
    t = datetime(2026, 11, 23, 8, 15)
    while True:
        clock.set(t)
        called = day.call("NK3")
        if called is None:
            break
        day.do("start", visit_id=called)
        t = t.replace(minute=t.minute + 10) if t.minute < 50 else t.replace(hour=t.hour + 1, minute=t.minute - 50)
        clock.set(t)
        day.do("finish", visit_id=called)
    service.close()
    return tmp_path / "hospital.db"


def test_replay_as_it_was_and_with_another_room(stored):
    import sqlite3

    config = load_hospital(DEMO_CONFIG)
    conn = sqlite3.connect(stored)
    arrivals, happened = simulate.stored_day(conn, "2026-11-23")
    conn.close()
    assert len(arrivals) == 12 and happened.summary()["visits"] == 12
    assert [a.service_minutes for a in arrivals] == [10.0] * 12
    baseline = simulate.replay(config, date(2026, 11, 23), arrivals)
    wider = simulate.replay(simulate.changed_config(config, [], ["NK5"]), date(2026, 11, 23), arrivals)
    assert baseline.summary()["visits"] == wider.summary()["visits"] == 12
    assert baseline.unserved == wider.unserved == 0
    assert wider.summary()["wait_p90"] < baseline.summary()["wait_p90"]  # one more room: the last ones wait less
    with pytest.raises(ValueError, match="no area"):
        simulate.changed_config(config, ["areas.XX.rules.room_cap=3"])


def test_the_command_line_prints_the_table_side_by_side(stored):
    out = subprocess.run([sys.executable, "-m", "caller", "simulate", "--config", str(DEMO_CONFIG), "--db", str(stored),
                          "--day", "2026-11-23", "--set", "areas.NK.rules.room_cap=3", "--open-room", "NK5"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].split() == ["measure", "happened", "replayed", "as", "it", "was", "what-if"]
    assert out[1].split() == ["visits", "12", "12", "12"]


def test_the_replay_keeps_the_lunch_break_the_rooms_that_worked_and_recalled_patients(tmp_path):
    """One room (NK3) works; a patient arriving over lunch waits for the afternoon session; a patient missed at
    the first call comes back, is recalled and seen: missed for nobody."""
    clock = ManualClock(datetime(2026, 11, 23, 11, 40))
    service = CallerService(load_hospital(DEMO_CONFIG), tmp_path / "hospital.db", clock=clock)
    day = Day(service, clock)
    first = day.at("11:40").register()
    day.do("check_in", visit_id=first)
    assert day.at("11:45").call("NK3") == first
    day.do("start", visit_id=first)
    day.at("11:55").do("finish", visit_id=first)
    lunch = day.at("12:05").register()
    day.do("check_in", visit_id=lunch)
    away = day.at("13:00").register()
    day.do("check_in", visit_id=away)
    assert day.at("13:30").call("NK3") == lunch
    day.do("start", visit_id=lunch)
    day.at("13:40").do("finish", visit_id=lunch)
    assert day.call("NK3") == away
    day.at("13:45").miss(away)
    day.at("14:00").do("recall", visit_id=away)
    assert day.at("14:05").call("NK3") == away
    day.do("start", visit_id=away)
    day.at("14:15").do("finish", visit_id=away)
    service.close()

    import sqlite3

    conn = sqlite3.connect(tmp_path / "hospital.db")
    arrivals, happened = simulate.stored_day(conn, "2026-11-23")
    conn.close()
    assert happened.rooms == ["NK3"] and happened.missed == 0
    assert [a.recalled for a in arrivals] == [False, False, True]
    config = load_hospital(DEMO_CONFIG)
    replayed = simulate.replay(config, date(2026, 11, 23), arrivals, rooms=happened.rooms)
    assert replayed.rooms == ["NK3"]  # not every internal-medicine room: only the one that worked
    assert (replayed.missed, replayed.unserved, len(replayed.waits)) == (0, 0, 3)  # the recalled patient was seen
    waits = sorted(replayed.waits)
    assert waits[0] == 0 and waits[-1] >= 85  # arrived 12:05, called when the afternoon opens at 13:30
    opened = simulate.replay(config, date(2026, 11, 23), arrivals, rooms=happened.rooms + ["NK4"])
    assert opened.rooms == ["NK3", "NK4"]


def test_the_forms_choices_become_the_what_if_and_anything_else_is_refused_plainly():
    config = load_hospital(DEMO_CONFIG)
    options = simulate.whatif_options(config, worked={"NK3"})
    nk = next(a for a in options["areas"] if a["id"] == "NK")
    assert [r["id"] for r in nk["rooms"] if r["worked"]] == ["NK3"]
    assert "YF" not in [a["id"] for a in options["areas"]]  # a pharmacy is no clinic area: no what-if of it
    am = options["sessions"]["am"]
    assert am[0] == config.schedule.am and am[2] == "07:30-12:00"
    changed, opened = simulate.from_choices(config, {"area": "NK", "room_cap": 3, "open_rooms": ["NK4"],
                                                     "new_rooms": 1, "am": am[2]})
    assert changed.rules_for_area("NK").room_cap == 3 and changed.schedule.am == "07:30-12:00"
    assert opened == ["NK4", "NK-SIM1"] and "NK-SIM1" in [r.id for r in changed.area("NK").rooms]
    for bad, zh in (({"area": "XX"}, "请从列表中选择一个诊区。"),
                    ({"area": "NK", "room_cap": 99}, "每诊室候诊人数请在 1 到 6 之间选择。"),
                    ({"area": "NK", "open_rooms": ["WK2"]}, "诊室 WK2 不属于内科诊区，请从列表中选择。"),
                    ({"area": "NK", "am": "06:00-12:00"}, "上午出诊时间请从列表中选择。")):
        with pytest.raises(simulate.ChoiceError) as refused:
            simulate.from_choices(config, bad)
        assert refused.value.zh == zh
