"""PostgreSQL itself highly available: a primary with a streaming replica (pg_basebackup), the primary lost, the
replica promoted. With synchronous replication every command the service acknowledged is on the promoted replica;
with asynchronous replication what the replica had not received is lost (docs/high-availability.md)."""
from __future__ import annotations

import threading
from datetime import datetime

import pytest

from caller.pgcluster import PostgresCluster, available
from caller.testing import DEMO_TOKENS, ManualClock, run_service
from client.http import CallerClient
from common.config import DEMO_CONFIG, load_hospital

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "-")


@pytest.fixture
def primary():
    with PostgresCluster(fsync=False) as cluster:
        yield cluster


def _serve(url: str):
    return run_service(load_hospital(DEMO_CONFIG), url, clock=ManualClock(datetime(2026, 11, 23, 9, 0)), records=False)


def _ack(answer: dict) -> dict:
    """What the kiosk was told of an acknowledged registration."""
    return {"id": answer["visit"]["visit_id"], "ticket": answer["visit"]["ticket"], "seq": answer["seq"]}


def _register(url: str, names: list[str]) -> list[dict]:
    with _serve(url) as live, CallerClient(live, DEMO_TOKENS["kiosk"]) as kiosk:
        return [_ack(kiosk.register("NK", name=name)) for name in names]


def _stored(url: str) -> tuple[set[str], int]:
    """(visit ids, last event seq) a service started on `url` finds."""
    with _serve(url) as live:
        service = live.service
        return {v.id for v in service.engine.visits()}, service.store.last_seq()


def test_a_promoted_synchronous_replica_carries_every_acknowledged_command(primary):
    replica = primary.start_replica(name="standby1")
    try:
        primary.configure(synchronous_standby_names="'FIRST 1 (standby1)'", synchronous_commit="on")
        primary.reload()
        primary.wait_synchronous("standby1")
        primary.create_database("hospital")
        # both servers in one URL: libpq connects to whichever accepts writes (docs/high-availability.md)
        both = (f"postgresql://postgres@/hospital?host={primary.run},{replica.run}&port={primary.port},{replica.port}"
                "&target_session_attrs=read-write")
        with _serve(both) as live, CallerClient(live, DEMO_TOKENS["kiosk"]) as kiosk:
            acknowledged = [_ack(kiosk.register("NK", name=n)) for n in ["王小明", "李秀英", "张伟", "欧阳娜娜", "陈静"]]
            primary.stop("immediate")  # the primary's machine dies right after the last answer
            replica.promote()
            replica.wait_ready()
            more = _ack(kiosk.register("NK", name="赵磊"))  # the same service goes on, on the promoted replica
        assert more["seq"] > acknowledged[-1]["seq"]  # numbers go on, none twice
        assert more["ticket"] not in {a["ticket"] for a in acknowledged}

        visits, last_seq = _stored(replica.url("hospital"))  # a service started afresh on the promoted replica
        assert {a["id"] for a in acknowledged} | {more["id"]} <= visits  # every acknowledged command is there
        assert last_seq >= more["seq"]
    finally:
        replica.stop("immediate")
        replica.remove()


def test_an_asynchronous_replica_loses_what_it_had_not_received(primary):
    replica = primary.start_replica(name="standby1")  # no synchronous_standby_names: asynchronous
    try:
        url = primary.create_database("hospital")
        before = _register(url, ["王小明"])
        primary.wait_replayed(replica)
        replica.stop("fast")  # the replica falls behind (a network cut, a slow link)
        after = _register(url, ["李秀英", "张伟"])  # acknowledged by the primary alone
        primary.stop("immediate")

        replica.start()
        replica.promote()
        replica.wait_ready()
        visits, _ = _stored(replica.url("hospital"))
        assert {a["id"] for a in before} <= visits
        assert not {a["id"] for a in after} & visits  # acknowledged, and gone: what asynchronous mode can lose
    finally:
        replica.stop("immediate")
        replica.remove()


def test_with_the_synchronous_replica_down_a_command_waits_and_is_acknowledged_only_once_it_is_replicated(primary):
    replica = primary.start_replica(name="standby1")
    try:
        primary.configure(synchronous_standby_names="'FIRST 1 (standby1)'", synchronous_commit="on")
        primary.reload()
        primary.wait_synchronous("standby1")
        url = primary.create_database("hospital")
        with _serve(url) as live, CallerClient(live, DEMO_TOKENS["kiosk"]) as kiosk:
            kiosk.register("NK", name="王小明")
            replica.stop("fast")  # the only synchronous standby goes down
            answered = threading.Event()
            answers: list[dict] = []

            def register() -> None:
                with CallerClient(live, DEMO_TOKENS["kiosk"], timeout=60) as other:
                    answers.append(_ack(other.register("NK", name="李秀英")))
                answered.set()

            worker = threading.Thread(target=register)
            worker.start()
            assert not answered.wait(3)  # not acknowledged while no standby has it (kiosks see 请稍候)
            replica.start()  # back: it catches up, the commit returns, the kiosk gets its answer
            assert answered.wait(60)
            worker.join()
        primary.stop("immediate")
        replica.promote()
        replica.wait_ready()
        visits, _ = _stored(replica.url("hospital"))
        assert answers[0]["id"] in visits
    finally:
        replica.remove()
