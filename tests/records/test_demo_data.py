"""Demo data: deterministic for a seed, valid ID numbers, and usable by the live service."""
from __future__ import annotations

import sqlite3
from datetime import date

import httpx

from common.config import DEMO_CONFIG, load_hospital
from records.demo_data import generate
from records.ids import check_id_number
from records.testing import serve_records

TODAY = date(2026, 11, 23)


def _rows(path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id_number, name, address, phone, medical_card_no, proxies FROM rec_patients ORDER BY id").fetchall()


def test_same_seed_same_data_and_every_id_number_is_valid(tmp_path):
    cfg = load_hospital(DEMO_CONFIG)
    counts = generate(cfg, tmp_path / "a.db", seed=7, today=TODAY)
    generate(cfg, tmp_path / "b.db", seed=7, today=TODAY)
    generate(cfg, tmp_path / "c.db", seed=8, today=TODAY)
    a, b, c = _rows(tmp_path / "a.db"), _rows(tmp_path / "b.db"), _rows(tmp_path / "c.db")
    assert a == b and a != c
    assert counts["patients"] == len(a) == 200
    assert all(check_id_number(row[0]) == row[0] for row in a)
    assert len({row[0] for row in a}) == 200 and len({row[4] for row in a}) == 200
    assert counts["appointments"] > 0 and counts["bills"] > 0
    assert counts["reports_released"] > 0 and counts["reports_pending"] > 0
    with sqlite3.connect(tmp_path / "a.db") as db:
        days = [r[0] for r in db.execute("SELECT DISTINCT date FROM rec_sessions ORDER BY date")]
        unpaid = db.execute("SELECT COUNT(*) FROM rec_bills WHERE state = 'unpaid'").fetchone()[0]
    assert days[0] == "2026-11-20" and days[-1] == "2026-11-26" and len(days) == 7
    assert unpaid == counts["bills"]


def test_a_demo_patient_is_found_by_medical_card_and_sees_bills_and_appointments(tmp_path, clock, provider):
    db = tmp_path / "demo.db"
    generate(load_hospital(DEMO_CONFIG), db, seed=7, today=TODAY)
    with sqlite3.connect(db) as conn:
        card_code, patient_id = conn.execute(
            "SELECT p.card_code, p.id FROM rec_patients p JOIN rec_registrations r ON r.patient_id = p.id"
            " JOIN rec_bills b ON b.patient_id = p.id AND b.state = 'unpaid' ORDER BY p.id LIMIT 1").fetchone()
    with serve_records(db_path=db, clock=clock, payments=provider) as live:
        with httpx.Client(base_url=live.url + "/api/v1/records", headers=live.kiosk_headers) as client:
            found = client.post("/patients/identify", json={"card_code": card_code}).json()  # the card's QR
            assert found["found"] and found["patient"]["patient_id"] == patient_id
            client.headers["X-Patient-Session"] = found["session_token"]  # the kiosk's patient session
            assert client.get("/bills", params={"patient_id": patient_id}).json()["bills"]
            assert client.get("/registrations", params={"patient_id": patient_id}).json()["registrations"]
