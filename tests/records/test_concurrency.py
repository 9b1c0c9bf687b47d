"""20 kiosks take the last 5 seats of a slot at the same instant, over HTTP against a live service."""
from __future__ import annotations

import threading

import httpx

from records_helpers import logged_in, new_patient
from records.testing import serve_records


def test_twenty_kiosks_five_seats_exactly_five_succeed(tmp_path, clock, provider):
    with serve_records(db_path=tmp_path / "h.db", clock=clock, payments=provider, quota_general=5) as live:
        setup = logged_in(live, "wanghs")  # twenty kiosks, one patient session each: staff headers stand in for them
        patients = [new_patient(setup, f"患者{i}") for i in range(20)]
        session = next(s for s in setup.ok("GET", "/records/slots", department="NK")["sessions"] if s["kind"] == "general")
        slot = next(x for x in session["slots"] if x["start"] >= "09:00")
        assert slot["remaining"] == 5
        barrier = threading.Barrier(20, timeout=30)
        results: list[tuple[int, dict]] = []
        lock = threading.Lock()

        def kiosk(patient_id: int) -> None:
            with httpx.Client(base_url=live.url + "/api/v1", headers=dict(setup.client.headers), timeout=30) as client:
                client.get("/records/departments")  # connection warm, then all press "confirm" together
                barrier.wait()
                r = client.post("/records/registrations", json={"patient_id": patient_id, "slot_id": slot["slot_id"]})
                with lock:
                    results.append((r.status_code, r.json()))

        threads = [threading.Thread(target=kiosk, args=(p["patient_id"],)) for p in patients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(results) == 20
        won = [body for status, body in results if status == 201]
        lost = [body for status, body in results if status != 201]
        assert len(won) == 5
        assert all(b["error"]["code"] == "slot_taken" and b["error"]["message_zh"].startswith("对不起") for b in lost)
        assert all(b["error"]["next_free"] and slot["slot_id"] not in {s["slot_id"] for s in b["error"]["next_free"]} for b in lost)
        row = live.records.db.one("SELECT taken, quota FROM rec_slots WHERE id = ?", (slot["slot_id"],))
        live_regs = live.records.db.one("SELECT COUNT(*) AS n FROM rec_registrations WHERE slot_id = ? AND state IN ('held', 'final')",
                                        (slot["slot_id"],))["n"]
        assert (row["taken"], row["quota"], live_regs) == (5, 5, 5)
        after = next(x for s in setup.ok("GET", "/records/slots", department="NK")["sessions"] for x in s["slots"] if x["slot_id"] == slot["slot_id"])
        assert after["remaining"] == 0
        setup.client.close()
