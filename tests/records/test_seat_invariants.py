"""Seat accounting under any mix of holds, payments, cancellations and expiry (in-process backend)."""
from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caller.testing import ManualClock
from common.config import DEMO_CONFIG, load_hospital
from records.backend import open_records
from records.errors import RecordsError
from records.ids import make_id_number
from records.models import HoldRequest, PatientCreate

CONFIG = load_hospital(DEMO_CONFIG)
STEPS = st.lists(st.tuples(st.sampled_from(["hold", "cancel", "wait", "finalise"]), st.integers(0, 7), st.integers(0, 3)),
                 min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS)
def test_taken_always_equals_live_registrations_and_never_exceeds_quota(steps):
    clock = ManualClock(datetime(2026, 11, 23, 7, 0))
    records = open_records(":memory:", CONFIG, clock=clock, quota_general=2, quota_expert=2)
    patients = [records.create_patient(PatientCreate(source="typed", id_number=make_id_number(f"11010119800101{n:03d}"),
                                                     name="测试", phone="13800000000"))["patient"]["patient_id"] for n in range(8)]
    records.ensure_day(clock().date())
    slots = [r["id"] for r in records.db.all("SELECT id FROM rec_slots ORDER BY id LIMIT 4")]
    regs: list[int] = []
    for action, who, which in steps:
        if action == "hold":
            try:
                regs.append(records.hold(HoldRequest(patient_id=patients[who], slot_id=slots[which]))["registration_id"])
            except RecordsError as exc:
                assert exc.code in ("slot_taken", "already_registered")
        elif action == "cancel" and regs:
            records.cancel_registration(regs[who % len(regs)])
        elif action == "finalise" and regs:
            with records.db.transaction() as conn:
                records.finalise(conn, regs[which % len(regs)])
        elif action == "wait":
            clock.advance(minutes=3)
        records.expire_holds()
        for row in records.db.all(
                "SELECT x.taken, x.quota, (SELECT COUNT(*) FROM rec_registrations r WHERE r.slot_id = x.id"
                " AND r.state IN ('held', 'final') AND r.kind != 'extra') AS live FROM rec_slots x WHERE x.id IN (?, ?, ?, ?)",
                tuple(slots)):
            assert row["taken"] == row["live"] <= row["quota"]
    records.db.close()


def test_staff_add_extra_numbers_beyond_the_quota_up_to_the_extra_limit():
    clock = ManualClock(datetime(2026, 11, 23, 7, 0))
    records = open_records(":memory:", CONFIG, clock=clock, quota_general=1, quota_expert=1, extra_quota=1)
    ids = [records.create_patient(PatientCreate(source="typed", id_number=make_id_number(f"11010119800101{n:03d}"),
                                                name="测试", phone="13800000000"))["patient"]["patient_id"] for n in range(3)]
    records.ensure_day(clock().date())
    slot = records.db.one("SELECT id FROM rec_slots ORDER BY id LIMIT 1")["id"]
    records.hold(HoldRequest(patient_id=ids[0], slot_id=slot))
    with pytest.raises(RecordsError) as refused:
        records.hold(HoldRequest(patient_id=ids[1], slot_id=slot, extra=True))  # a kiosk may not
    assert refused.value.code == "forbidden"
    extra = records.hold(HoldRequest(patient_id=ids[1], slot_id=slot, extra=True), may_add_extra=True)
    assert extra["kind"] == "extra" and extra["fee_fen"] == CONFIG.fees.extra
    with pytest.raises(RecordsError) as full:
        records.hold(HoldRequest(patient_id=ids[2], slot_id=slot, extra=True), may_add_extra=True)
    assert full.value.code == "extra_full" and "加号已满" in full.value.message_zh
    assert records.db.one("SELECT taken FROM rec_slots WHERE id = ?", (slot,))["taken"] == 1
    clock.advance(minutes=10)
    assert records.expire_holds() == 2
    assert records.db.one("SELECT taken FROM rec_slots WHERE id = ?", (slot,))["taken"] == 0
