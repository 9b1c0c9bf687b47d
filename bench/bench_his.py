"""The HIS link: inbound HL7 v2 throughput and ACK time over MLLP, a long HIS outage under a registering kiosk load and
its replay, and kiosk identification through the FHIR driver with 50 ms added HIS latency.

Every loop is bounded in count and in time; the service, the HIS peers and the load stop in `finally`.
"""
from __future__ import annotations

import logging
import os
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import hl7.client
import httpx

from caller.testing import DEMO_TOKENS, ManualClock, free_port
from common.config import DEMO_CONFIG, load_hospital
from records.his.testing import FhirPeer, Hl7Peer, with_his
from records.ids import make_id_number
from records.testing import serve_records

log = logging.getLogger("bench.his")

INBOUND = 1500  # ADT^A04 messages
INBOUND_CONNECTIONS = (1, 4)  # one interface channel (a HIS sends, waits for the ACK, sends the next), then four
INBOUND_MAX_S = 120.0
OUTAGE_REAL_S = 20.0  # the outage as the machine sees it (HIS_OUTAGE_REAL_S overrides it, up to an hour) ...
OUTAGE_REAL_MAX_S = 3600.0
OUTAGE_CLOCK_S = 600.0  # ... and as the service's clock sees it (10 minutes)
KIOSKS = 4
REPLAY_MAX_S = 180.0
IDENTIFY = 200
FHIR_LATENCY_MS = 50


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _adt(n: int, number: str) -> bytes:
    text = (f"MSH|^~\\&|HIS|HOSP|KIOSK|HOSP|20261123082000||ADT^A04^ADT_A01|B{n:07d}|P|2.5|||AL|NE|CHN|GB 18030-2000\r"
            f"EVN|A04|20261123082000\rPID|1||B{n:07d}^^^HIS^MR~{number}^^^CHN^NI||王^小明{n}||19800512|M\rPV1|1|O\r")
    return text.encode("gb18030")


def _number(n: int, birth: str = "19800512") -> str:
    return make_id_number(f"1101{n // 1000 % 100:02d}{birth}{n % 1000:03d}")


def inbound(connections: int) -> dict:
    """ADT^A04 through python-hl7's MLLP client on ``connections`` channels: messages per minute and ACK latency
    (from the message written to its ACK read, as the HIS sees it)."""
    clock = ManualClock(datetime(2026, 11, 23, 8, 0))
    with tempfile.TemporaryDirectory() as tmp, Hl7Peer() as his:
        config = with_his(load_hospital(DEMO_CONFIG), "hl7v2", his_port=his.port)
        with serve_records(config, db_path=Path(tmp) / "bench.db", clock=clock) as live:
            port = live.app.state.his.listener.port
            latencies: list[float] = []
            codes: dict[str, int] = {}
            lock = threading.Lock()
            deadline = time.monotonic() + INBOUND_MAX_S
            messages = [_adt(n, _number(n)) for n in range(INBOUND)]

            def channel(k: int) -> None:
                with hl7.client.MLLPClient("127.0.0.1", port, encoding="gb18030") as client:
                    for n in range(k, INBOUND, connections):
                        if time.monotonic() > deadline:
                            return
                        started = time.perf_counter()
                        answer = client.send_message(messages[n])
                        took = time.perf_counter() - started
                        code = answer.split(b"MSA|", 1)[1][:2].decode() if b"MSA|" in answer else "??"
                        with lock:
                            latencies.append(took)
                            codes[code] = codes.get(code, 0) + 1

            started = time.perf_counter()
            threads = [threading.Thread(target=channel, args=(k,)) for k in range(connections)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(INBOUND_MAX_S + 10)
            elapsed = time.perf_counter() - started
            stored = live.records.db.one("SELECT COUNT(*) AS n FROM rec_patients")["n"]
    return {"inbound_messages": len(latencies), "connections": connections, "seconds": round(elapsed, 2),
            "inbound_per_min": round(len(latencies) / elapsed * 60) if elapsed else 0,
            "ack_p50_ms": round(_pct(latencies, 0.5) * 1000, 2), "ack_p99_ms": round(_pct(latencies, 0.99) * 1000, 2),
            "acks": codes, "patients_stored": stored}


def outage_real_seconds() -> float:
    """The real length of the outage: HIS_OUTAGE_REAL_S (seconds, 1 to 3600) or 20 s."""
    text = os.environ.get("HIS_OUTAGE_REAL_S", "").strip()
    if not text:
        return OUTAGE_REAL_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 1.0 <= seconds <= OUTAGE_REAL_MAX_S:
        raise ValueError(f"HIS_OUTAGE_REAL_S={text!r}: give the outage's real length in seconds, "
                         f"1 to {OUTAGE_REAL_MAX_S:.0f}")
    return seconds


def outage() -> dict:
    """The HIS away while kiosks register patients (a new record, then a number paid at the visit: ADT^A04 and
    SIU^S12 each); the service's clock moves 10 minutes over a shorter real outage; then the HIS is back and the
    backlog replays. Counts what the HIS received: none lost, none twice, each patient's in order."""
    real_s = outage_real_seconds()
    clock = ManualClock(datetime(2026, 11, 23, 8, 0))
    port = free_port()
    made: list[int] = []
    errors = [0]
    with tempfile.TemporaryDirectory() as tmp:
        config = with_his(load_hospital(DEMO_CONFIG), "hl7v2", his_port=port, retry_base_seconds=0.2,
                          retry_max_seconds=2.0)
        with serve_records(config, db_path=Path(tmp) / "bench.db", clock=clock, pay_at_visit=True) as live:
            link = live.app.state.his
            live.records.ensure_day(clock().date())
            slots = [r["id"] for r in live.records.db.all(
                "SELECT s.id FROM rec_slots s JOIN rec_sessions e ON e.id = s.session_id WHERE s.date = ? "
                "AND s.starts >= '09:00' ORDER BY s.id", ("2026-11-23",))]
            booked = [0]
            lock = threading.Lock()
            stop = threading.Event()
            counter = iter(range(10_000_000))
            headers = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}

            def kiosk() -> None:
                with httpx.Client(base_url=live.url + "/api/v1/records", headers=headers, timeout=30) as client:
                    while not stop.is_set():
                        with lock:
                            n = next(counter)
                        try:
                            made_patient = client.post("/patients", json={
                                "source": "typed", "id_number": _number(n, "19700101"), "name": f"李{n}",
                                "phone": "13812345678", "idempotency_key": f"o-p-{n}"})
                            made_patient.raise_for_status()
                            pid = made_patient.json()["patient"]["patient_id"]
                            reg = client.post("/registrations", json={"patient_id": pid, "slot_id": slots[n % len(slots)],
                                                                      "idempotency_key": f"o-r-{n}", "extra": False})
                            with lock:
                                made.append(pid)
                                booked[0] += reg.status_code < 300  # a full slot refuses: not an error of the link
                        except httpx.HTTPError:
                            with lock:
                                errors[0] += 1

            threads = [threading.Thread(target=kiosk) for _ in range(KIOSKS)]
            started, clock_started = time.monotonic(), clock()
            for t in threads:
                t.start()
            steps = 20
            for _ in range(steps):  # the service's clock covers 10 minutes while the machine's covers real_s
                time.sleep(real_s / steps)
                clock.advance(seconds=OUTAGE_CLOCK_S / steps)
            stop.set()
            for t in threads:
                t.join(60)
            outage_real = time.monotonic() - started
            outage_clock = (clock() - clock_started).total_seconds()
            backlog = link.status()["backlog"]["waiting"]
            expected = {r["key"] for r in live.records.db.all("SELECT key FROM notify_outbox WHERE channel = 'his'")}
            with Hl7Peer(port=port) as his:
                replay_started = time.monotonic()
                clock.advance(seconds=30)
                while time.monotonic() - replay_started < REPLAY_MAX_S:
                    if link.status()["backlog"]["waiting"] == 0:
                        break
                    his.wait_for(len(expected), timeout=1.0)
                replay_s = time.monotonic() - replay_started
                received = his.wait_for(len(expected), timeout=2.0)
            status = link.status()
    control_ids = [r.control_id for r in received]
    per_patient: dict[str, list[str]] = {}
    for r in received:
        ours = next((x.split("^")[0] for x in str(r.message.segment("PID")(3)).split("~") if x.endswith("^PI")), "")
        per_patient.setdefault(ours, []).append(r.kind)
    out_of_order = sum(1 for kinds in per_patient.values() if kinds != sorted(kinds, key=lambda k: k != "ADT^A04"))
    # outage_s: how long the HIS was away as the service saw it (its clock); outage_real_s: as the machine saw it
    return {"outage_s": round(outage_clock, 1), "outage_real_s": round(outage_real, 1), "kiosks": KIOSKS,
            "patients_registered": len(made), "numbers_booked": booked[0], "kiosk_errors": errors[0], "backlog_at_end_of_outage": backlog,
            "replayed": len(set(control_ids)), "replay_s": round(replay_s, 1),
            "lost": len(expected) - len(set(control_ids)), "duplicates": len(control_ids) - len(set(control_ids)),
            "patients_out_of_order": out_of_order, "waiting_after": status["backlog"]["waiting"],
            "refused": status["backlog"]["refused"]}


def identify_fhir() -> dict:
    """The kiosk identifies patients the HIS knows (ID card read) through the FHIR driver; the HIS answers 50 ms late."""
    clock = ManualClock(datetime(2026, 11, 23, 8, 0))
    system = "urn:oid:2.16.156.10011.1.3"
    why = FhirPeer.available()
    if why:
        return {"skipped": why}
    with tempfile.TemporaryDirectory() as tmp, FhirPeer(latency_ms=FHIR_LATENCY_MS) as peer:
        numbers = [_number(n, "19660606") for n in range(IDENTIFY // 2)]
        with httpx.Client(base_url=peer.url, timeout=30) as fhir:
            for n, number in enumerate(numbers):
                fhir.post("/Patient", json={"resourceType": "Patient", "identifier": [{"system": system, "value": number}],
                                            "name": [{"text": f"赵{n}"}], "gender": "male"}).raise_for_status()
        config = with_his(load_hospital(DEMO_CONFIG), "fhir", base_url=peer.url)
        # one kiosk identifies 200 people in seconds here: its abuse cap (10 sessions a minute, then suspended)
        # would refuse all but the first 10 without asking the HIS, so it is lifted for this measurement
        config = config.model_copy(update={"security": config.security.model_copy(
            update={"kiosk_sessions_per_minute": IDENTIFY + 1})})
        with serve_records(config, db_path=Path(tmp) / "bench.db", clock=clock) as live:
            latencies: list[float] = []
            found = refused = 0
            headers = {"Authorization": f"Bearer {DEMO_TOKENS['kiosk']}"}
            deadline = time.monotonic() + 120
            with httpx.Client(base_url=live.url + "/api/v1/records", headers=headers, timeout=30) as kiosk:
                for n in range(IDENTIFY):  # each patient twice: the first brings the record here, the second updates it
                    if time.monotonic() > deadline:
                        break
                    number = numbers[n % len(numbers)]
                    started = time.perf_counter()
                    answer = kiosk.post("/patients/identify", json={"id_number": number,
                                                                    "card_name": f"赵{n % len(numbers)}"})
                    latencies.append(time.perf_counter() - started)
                    if answer.status_code != 200:
                        refused += 1
                        log.warning("identify refused: %s", answer.text[:200])
                        continue
                    found += bool(answer.json().get("found"))
                    kiosk.delete("/session", headers={"X-Patient-Session": answer.json().get("session_token", "")})
    return {"identifies": len(latencies), "found": found, "not_found": len(latencies) - found - refused,
            "refused": refused, "his_latency_ms": FHIR_LATENCY_MS,
            # every answer waited for the HIS's search: none may come back sooner than the HIS's latency
            "faster_than_his": sum(1 for t in latencies if t * 1000 < FHIR_LATENCY_MS),
            "identify_fhir_p50_ms": round(_pct(latencies, 0.5) * 1000, 1),
            "identify_fhir_p99_ms": round(_pct(latencies, 0.99) * 1000, 1),
            "identify_fhir_mean_ms": round(statistics.mean(latencies) * 1000, 1) if latencies else 0.0}


def his_link() -> list[dict]:
    logging.getLogger("caller.notify").setLevel(logging.ERROR)  # the outage's retries are expected
    logging.getLogger("records.his").setLevel(logging.ERROR)
    return [*({"part": "inbound", **inbound(n)} for n in INBOUND_CONNECTIONS), {"part": "outage", **outage()},
            {"part": "identify_fhir", **identify_fhir()}]


BENCHES = {"his_link": his_link}
