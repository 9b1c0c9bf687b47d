"""医保 settlement benchmark: kiosks settling bills through the live service against the platform simulator over HTTP,
with one 2207 answer in ten lost on the way back (undone by 2601). Bounded: a fixed number of claims, every request
with a timeout."""
from __future__ import annotations

import logging
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

from caller.testing import ManualClock
from hardware.payment import Outcome, SimulatedProvider
from platforms.einvoice.simulator import EInvoiceSimulator
from platforms.medins.simulator import MedInsSimulator
from records.ids import make_id_number
from records.testing import serve_records

KIOSKS = 2  # the demo hospital's two lobby kiosks (a kiosk serves one patient at a time)
CLAIMS_PER_KIOSK = 20
LOST_EVERY = 10  # one 2207 answer in ten never comes back

log = logging.getLogger("bench.insurance")


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q))], 1) if values else 0.0


def insurance_settle() -> dict:
    """Claims from 2 kiosks at once: pre-settlement (1101..2206) and settlement (2207) latency, claims per minute,
    and what must never happen: a bill settled twice, or paid while its settlement was undone."""
    import os

    clock = ManualClock(datetime(2026, 11, 23, 8, 20))
    provider = SimulatedProvider(Outcome.approve(0.0), clock=lambda: clock().timestamp(), expires_after_s=900)
    with tempfile.TemporaryDirectory() as tmp, MedInsSimulator() as medins, EInvoiceSimulator() as einvoice:
        os.environ["HOSPITAL_MEDINS_URL"], os.environ["HOSPITAL_EINVOICE_URL"] = medins.url, einvoice.url
        try:
            with serve_records(db_path=Path(tmp) / "bench.db", clock=clock, payments=provider) as live:
                admin = httpx.Client(base_url=live.url + "/api/v1", headers=live.headers("admin"), timeout=30)
                presettle_ms: list[float] = []
                settle_ms: list[float] = []
                outcomes: dict[str, int] = {}
                lock = threading.Lock()
                serial = iter(range(100000))

                tokens = [d.token for d in live.config.devices if d.role == "kiosk"][:KIOSKS]

                def kiosk(k: int) -> None:
                    for n in range(CLAIMS_PER_KIOSK):
                        with lock:
                            number = make_id_number(f"11010119800101{next(serial):03d}")
                        with httpx.Client(base_url=live.url + "/api/v1", timeout=30,
                                          headers={"Authorization": f"Bearer {tokens[k]}"}) as http:
                            made = http.post("/records/patients", json={"source": "typed", "id_number": number,
                                                                        "name": "测试", "phone": "13800000000"}).json()
                            http.headers["X-Patient-Session"] = made["session_token"]
                            patient = made["patient"]["patient_id"]
                            person = medins.platform.add_person("测试", number, balc_fen=1000)
                            bill = admin.post("/records/bills", json={
                                "patient_id": patient, "kind": "exam", "title": "检验费",
                                "items": [{"name": "血常规", "quantity": 1, "unit_fen": 10000}]}).json()
                            started = time.perf_counter()
                            claim = http.post("/records/insurance/claims", json={
                                "idempotency_key": f"b{k}-{n}", "patient_id": patient, "bill_ids": [bill["bill_id"]],
                                "cert_type": "01", "cert_no": person.qr}).json()
                            middle = time.perf_counter()
                            if (k * CLAIMS_PER_KIOSK + n) % LOST_EVERY == 0:
                                medins.faults.add("2207", "lose_answer")
                            answer = http.post(f"/records/insurance/claims/{claim['claim_id']}/settle")
                            done = time.perf_counter()
                            settled = answer.json()
                            if answer.status_code != 200:
                                log.warning("settle answered %s: %s", answer.status_code, settled)
                                settled = {"state": "error"}
                            if settled["state"] == "settled":
                                order = http.post("/records/payments", json={
                                    "patient_id": patient, "bill_ids": [bill["bill_id"]],
                                    "amount_fen": settled["cash_fen"], "insurance_claim_id": claim["claim_id"]}).json()
                                http.post(f"/records/payments/{order['order_id']}/confirm")
                                settled = http.get(f"/records/insurance/claims/{claim['claim_id']}").json()
                        with lock:
                            presettle_ms.append((middle - started) * 1000)
                            settle_ms.append((done - middle) * 1000)
                            outcomes[settled["state"]] = outcomes.get(settled["state"], 0) + 1

                threads = [threading.Thread(target=kiosk, args=(k,), daemon=True) for k in range(KIOSKS)]
                started = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(300)
                wall = time.perf_counter() - started
                admin.close()
                db = live.records.db
                paid_undone = db.one("SELECT COUNT(*) AS n FROM rec_bills b JOIN rec_ins_claim_bills cb ON cb.bill_id = b.id"
                                     " JOIN rec_ins_claims c ON c.id = cb.claim_id WHERE b.state = 'paid'"
                                     " AND c.state IN ('reversed', 'failed', 'cancelled')"
                                     " AND NOT EXISTS (SELECT 1 FROM rec_ins_claim_bills o JOIN rec_ins_claims oc"
                                     " ON oc.id = o.claim_id WHERE o.bill_id = b.id AND oc.state = 'complete')")["n"]
                with medins.platform.lock:
                    per_visit: dict[str, int] = {}
                    for s in medins.platform.settlements.values():
                        if s.state == "settled":
                            per_visit[s.mdtrt_id] = per_visit.get(s.mdtrt_id, 0) + 1
                    complete = sum(1 for s in medins.platform.settlements.values() if s.state == "settled")
        finally:
            os.environ.pop("HOSPITAL_MEDINS_URL", None)
            os.environ.pop("HOSPITAL_EINVOICE_URL", None)
    claims = len(settle_ms)
    return {"claims": claims, "kiosks": KIOSKS, "complete": outcomes.get("complete", 0),
            "reversed": outcomes.get("reversed", 0) + outcomes.get("reversing", 0),
            "platform_settled": complete, "settled_twice": sum(1 for n in per_visit.values() if n > 1),
            "paid_but_undone": int(paid_undone), "presettle_p50_ms": _pct(presettle_ms, 0.5),
            "presettle_p99_ms": _pct(presettle_ms, 0.99), "settle_p50_ms": _pct(settle_ms, 0.5),
            "settle_p99_ms": _pct(settle_ms, 0.99),
            "claims_per_min": round(claims / wall * 60, 1) if wall else 0.0, "wall_s": round(wall, 2)}


BENCHES = {"insurance_settle": insurance_settle}
