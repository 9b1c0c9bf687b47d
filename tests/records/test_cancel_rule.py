"""退号 by the patient follows the hospital's rule, enforced by the records service (not trusted to the kiosk):
"called" (default) until the number is called, "slot_start" until the booked slot starts; the desk may still cancel."""
from __future__ import annotations

from datetime import datetime

import pytest
from records_helpers import Api, logged_in, paid_registration

from caller.testing import ManualClock
from hardware.payment import Outcome, SimulatedProvider
from records.testing import serve_records


def test_a_called_number_cannot_be_cancelled_by_the_patient_but_the_desk_can(kiosk, provider, clock, live):
    reg = paid_registration(kiosk, provider, "08:30")
    rid = reg["registration_id"]
    nurse = logged_in(live, "wanghs")
    nurse.ok("POST", f"/visits/{reg['visit_id']}/call", {"room": reg["room_id"] or "NK1", "reason": "test"})
    status, data = kiosk.post(f"/records/registrations/{rid}/cancel", {})
    assert status == 409 and data["error"]["code"] == "too_late_to_cancel"
    assert "已被叫号" in data["error"]["message_zh"] and "called" in data["error"]["message_en"]
    assert kiosk.ok("GET", f"/records/registrations/{rid}")["registration"]["state"] == "final"  # nothing changed
    assert nurse.ok("POST", f"/records/registrations/{rid}/cancel", {})["state"] == "cancelled"
    nurse.client.close()


def test_under_the_called_rule_a_started_slot_not_yet_called_can_be_cancelled(kiosk, provider, clock):
    reg = paid_registration(kiosk, provider, "08:30")
    clock.set(clock().replace(hour=int(reg["start"][:2]), minute=int(reg["start"][3:5]) + 5))
    cancelled = kiosk.ok("POST", f"/records/registrations/{reg['registration_id']}/cancel", {})
    assert cancelled["state"] == "cancelled" and cancelled["bill_state"] in ("refund_pending", "refunded")


def test_slot_start_rule_refuses_once_the_slot_has_started(tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 8, 20))  # a Monday morning, like the other records tests
    provider = SimulatedProvider(Outcome.no_answer(), clock=lambda: clock().timestamp(), expires_after_s=900)
    with serve_records(db_path=tmp_path / "h.db", clock=clock, payments=provider, cancel_until="slot_start") as live:
        kiosk = Api(live, "kiosk")
        reg = paid_registration(kiosk, provider, "08:30")
        hh, mm = int(reg["start"][:2]), int(reg["start"][3:5])
        clock.set(clock().replace(hour=hh, minute=mm))
        status, data = kiosk.post(f"/records/registrations/{reg['registration_id']}/cancel", {})
        assert status == 409 and data["error"]["code"] == "too_late_to_cancel"
        assert reg["start"] in data["error"]["message_zh"] and "不能退号" in data["error"]["message_zh"]
        kiosk.client.close()


@pytest.mark.parametrize("value", ["called", "slot_start"])
def test_the_rule_is_read_from_the_hospital_file(value):
    from common.config import load_hospital
    from kiosk.layout_check import DEMO_HOSPITAL
    from records.settings import settings_from_config

    config = load_hospital(DEMO_HOSPITAL)
    config = config.model_copy(update={"schedule": config.schedule.model_copy(update={"cancel_until": value,
                                                                                        "reprint_limit": 5})})
    assert settings_from_config(config).cancel_until == value
    assert settings_from_config(config).reprint_limit == 5  # 补打's limit sits beside it
