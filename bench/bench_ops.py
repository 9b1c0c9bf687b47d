"""Operations benchmarks.

backup_under_load: a database holding a year of history (visits, events, audit, idempotency rows written straight
into the file), served by ``python -m caller serve``; 20 kiosk clients register patients without pause. First
QUIET_SECONDS of load alone (quiet_p99_ms), then ``python -m caller backup`` runs while the load goes on: how long
the backup takes (backup_s) and the commands' p99 while it runs (p99_ms; the target is <= 2x the quiet p99).
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

CLIENTS = 20
QUIET_SECONDS = 8.0
YEAR_DAYS = 365
VISITS_PER_DAY = 300


def _seed_year(path: Path, days: int = YEAR_DAYS, per_day: int = VISITS_PER_DAY) -> None:
    """A year of finished days, shaped like the service writes them (sizes close to real rows)."""
    visit = json.dumps({"id": "x", "ticket": "A001", "dept_id": "NK", "area_id": "NK", "patient_name": "历史患者",
                        "patient_id": "320102196001010011", "state": "done", "number_kind": "general",
                        "registered_at": "2026-01-01T08:00:00", "called_at": "2026-01-01T08:30:00",
                        "finished_at": "2026-01-01T08:40:00", "order_key": [0, 0, 0, 1, 1, 1], "room_id": "NK3"},
                       ensure_ascii=False)
    event = json.dumps({"visit_id": "x", "ticket": "A001", "room": "NK3", "name": "王*明", "text": "请 A001 号到 3 诊室就诊"},
                       ensure_ascii=False)
    conn = sqlite3.connect(path, isolation_level=None)
    start = datetime(2026, 11, 20) - timedelta(days=days)
    n = 0
    for d in range(days):
        conn.execute("BEGIN")
        day = start + timedelta(days=d)
        for i in range(per_day):
            n += 1
            ts = (day + timedelta(hours=8, seconds=30 * i)).isoformat()
            vid = f"{day:%Y%m%d}-NK-{i + 1:04d}"
            conn.execute("INSERT INTO visits (id, date, area, state, data) VALUES (?, ?, 'NK', 'done', ?)",
                         (vid, day.date().isoformat(), visit))
            conn.executemany("INSERT INTO events (ts, type, area, data) VALUES (?, ?, 'NK', ?)",
                             [(ts, "queue", "{}"), (ts, "call", event), (ts, "queue", "{}")])
            conn.executemany("INSERT INTO audit (ts, user, device, action, visit_id, detail) "
                             "VALUES (?, 'wanghs', 'console-nk', ?, ?, '{}')",
                             [(ts, a, vid) for a in ("register", "check_in", "call", "finish")])
        conn.execute("COMMIT")
    conn.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def backup_under_load() -> dict:
    from caller.testing import DEMO_TOKENS, REPO, run_service_process
    from client.http import CallerClient

    tokens = (DEMO_TOKENS["kiosk"], DEMO_TOKENS["kiosk2"])
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        db = Path(tmp) / "hospital.db"
        with run_service_process(db_path=db):
            pass  # the service creates the schema
        _seed_year(db)
        size_mb = db.stat().st_size / 1e6
        samples: list[tuple[float, float]] = []  # (finished at, seconds)
        lock = threading.Lock()
        stop = threading.Event()
        errors: list[BaseException] = []

        def client(k: int, base_url: str) -> None:
            try:
                with CallerClient(base_url, tokens[k % 2], timeout=60) as kiosk:
                    while not stop.is_set():
                        t0 = time.perf_counter()
                        kiosk.register(("NK", "WK", "EK", "FK")[k % 4], name="张三")
                        t1 = time.perf_counter()
                        with lock:
                            samples.append((t1, t1 - t0))
            except BaseException as exc:  # noqa: BLE001 - reported in the result
                errors.append(exc)

        with run_service_process(db_path=db) as proc:
            threads = [threading.Thread(target=client, args=(k, proc.base_url)) for k in range(CLIENTS)]
            for t in threads:
                t.start()
            time.sleep(1.0)  # warm-up, not measured
            quiet_from = time.perf_counter()
            time.sleep(QUIET_SECONDS)
            backup_from = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "caller", "backup", str(Path(tmp) / "backups"), "--db",
                                   str(db)], cwd=REPO, capture_output=True, text=True)
            backup_to = time.perf_counter()
            stop.set()
            for t in threads:
                t.join(60)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        quiet = [s for at, s in samples if quiet_from <= at < backup_from]
        during = [s for at, s in samples if backup_from <= at <= backup_to]
        return {"backup_s": round(backup_to - backup_from, 2), "p99_ms": round(_pct(during, 0.99) * 1000, 1),
                "quiet_p99_ms": round(_pct(quiet, 0.99) * 1000, 1), "db_mb": round(size_mb, 1),
                "clients": CLIENTS, "commands_during_backup": len(during), "commands_quiet": len(quiet),
                "errors": len(errors)}


BENCHES = {"backup_under_load": backup_under_load}
