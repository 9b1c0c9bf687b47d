"""Active/standby benchmark.

failover: two ``caller serve`` processes on one PostgreSQL (a throw-away cluster, fsync on), two kiosks registering
patients without pause through the pair's address list. Each round SIGKILLs the active process and measures the
time from its death to the first command the new active acknowledged (takeover_p99_s over the rounds, target
<= 5 s), then starts the killed one again as the standby. At the end every acknowledged registration is looked up
on the last active one: ``lost`` counts those missing (target 0), ``duplicate_tickets`` ticket numbers issued twice.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

ROUNDS = int(os.environ.get("FAILOVER_ROUNDS", "10"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def failover(rounds: int = ROUNDS) -> dict:
    from caller.ha.processes import ServiceProcess
    from caller.pgcluster import PostgresCluster
    from caller.testing import DEMO_TOKENS
    from client.http import CallerClient, CallerError

    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp, PostgresCluster(fsync=True) as cluster:
        url = cluster.create_database("hospital")
        services = [ServiceProcess.start(url, Path(tmp), name="a")]
        services[0].wait_role("active")
        services.append(ServiceProcess.start(url, Path(tmp), name="b"))
        services[1].wait_role("standby")
        addresses = ",".join(s.url for s in services)
        acked: list[tuple[float, dict]] = []  # (answered at, visit)
        refused: list[str] = []
        stop = threading.Event()

        def kiosk(token: str) -> None:
            with CallerClient(addresses, token) as client:
                while not stop.is_set():
                    try:
                        visit = client.register("NK", name="压测患者")["visit"]
                        acked.append((time.monotonic(), visit))
                    except CallerError as exc:
                        refused.append(exc.code)
                    stop.wait(0.02)  # a kiosk's pace, with some to spare

        threads = [threading.Thread(target=kiosk, args=(DEMO_TOKENS[k],), daemon=True) for k in ("kiosk", "kiosk2")]
        for thread in threads:
            thread.start()
        takeovers: list[float] = []
        try:
            for _ in range(rounds):
                time.sleep(1.0)  # load on the active one
                active = next(s for s in services if (s.health() or {}).get("role") == "active")
                standby = next(s for s in services if s is not active)
                seen = len(acked)
                died = time.monotonic()
                active.kill()
                while len(acked) == seen or acked[-1][0] <= died:
                    if time.monotonic() - died > 60:
                        raise TimeoutError("no command was acknowledged within 60 s of the active's death")
                    time.sleep(0.005)
                first = min(t for t, _ in acked[seen:] if t > died)
                takeovers.append(first - died)
                port = int(active.url.rsplit(":", 1)[1])  # the same address: it is in every client's list
                services[services.index(active)] = again = ServiceProcess.start(url, Path(tmp), port=port,
                                                                                name=f"r{len(takeovers)}")
                again.wait_role("standby")
                standby.wait_role("active")
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        last = next(s for s in services if (s.health() or {}).get("role") == "active")
        lost = 0
        with CallerClient(last.url, DEMO_TOKENS["admin"]) as admin:
            for _, visit in acked:
                try:
                    if admin.visit_status(visit["visit_id"])["ticket"] != visit["ticket"]:
                        lost += 1
                except CallerError:
                    lost += 1
        tickets = [v["ticket"] for _, v in acked]
        for service in services:
            service.kill()
    return {"rounds": rounds, "takeover_p50_s": round(_pct(takeovers, 0.5), 3),
            "takeover_p99_s": round(_pct(takeovers, 0.99), 3), "takeover_max_s": round(max(takeovers), 3),
            "acknowledged": len(acked), "lost": lost, "duplicate_tickets": len(tickets) - len(set(tickets)),
            "refused_during_failover": len(refused)}


BENCHES = {"failover": failover}
