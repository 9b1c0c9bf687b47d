"""20 kiosks take the last 5 seats of a slot at the same instant, over HTTP against a live service."""
from __future__ import annotations

import threading

import httpx
from records_helpers import logged_in, new_patient

from common.config import SecurityConfig
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


def test_card_reads_at_two_kiosks_at_once_each_leave_their_audit_row_naming_the_kiosk(live, kiosk):
    """Eight card reads at a time (four at each of two kiosks), six rounds: the audit rows of reads are committed
    in shared transactions, yet every read has its own row with its own kiosk and patient, none lost."""
    live.app.state.service.guard.limits = SecurityConfig(kiosk_sessions_per_minute=100)  # not the pace check here
    patients = [new_patient(kiosk, f"患者{i}") for i in range(8)]
    first, second = [d for d in live.config.devices if d.role == "kiosk"][:2]
    tokens = [first.token] * 4 + [second.token] * 4
    barrier = threading.Barrier(8, timeout=30)
    failures: list[str] = []

    def reader(k: int) -> None:
        p = patients[k]
        with httpx.Client(base_url=live.url + "/api/v1", headers={"Authorization": f"Bearer {tokens[k]}"},
                          timeout=30) as client:
            for _ in range(6):
                barrier.wait()
                r = client.post("/records/patients/identify", json={"id_number": p["id_number"], "card_name": p["name"]})
                if r.status_code != 200 or not r.json()["found"]:
                    failures.append(r.text)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    rows = [r for r in live.app.state.service.store.audit(limit=5000) if r["action"] == "records.patient_recognised"]
    by_reader = {(r["device"], r["detail"]["patient_id"]) for r in rows}
    assert len(rows) == 48
    assert by_reader == {(first.id if k < 4 else second.id, patients[k]["patient_id"]) for k in range(8)}
    assert all(sum(1 for r in rows if r["detail"]["patient_id"] == p["patient_id"]) == 6 for p in patients)
