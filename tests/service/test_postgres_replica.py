"""PostgreSQL itself highly available: a primary with a streaming replica (pg_basebackup), the primary lost, the
replica promoted. With synchronous replication every command the service acknowledged is on the promoted replica;
with asynchronous replication what the replica had not received is lost (docs/high-availability.md)."""
from __future__ import annotations

from datetime import datetime

import pytest

from caller.client import CallerClient
from caller.config import DEMO_CONFIG, load_hospital
from caller.pgcluster import PostgresCluster, available
from caller.testing import DEMO_TOKENS, ManualClock, run_service

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "-")


@pytest.fixture
def primary():
    with PostgresCluster(fsync=False) as cluster:
        yield cluster


def _serve(url: str):
    return run_service(load_hospital(DEMO_CONFIG), url, clock=ManualClock(datetime(2026, 11, 23, 9, 0)), records=False)


def _register(url: str, names: list[str]) -> list[dict]:
    """Each acknowledged registration (visit id, ticket, seq), as the kiosk was told."""
    with _serve(url) as live, CallerClient(live, DEMO_TOKENS["kiosk"]) as kiosk:
        answers = [kiosk.register("NK", name=name) for name in names]
    return [{"id": a["visit"]["visit_id"], "ticket": a["visit"]["ticket"], "seq": a["seq"]} for a in answers]


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
        url = primary.create_database("hospital")
        acknowledged = _register(url, ["王小明", "李秀英", "张伟", "欧阳娜娜", "陈静"])
        primary.stop("immediate")  # the primary's machine dies right after the last answer

        replica.promote()
        replica.wait_ready()
        promoted = replica.url("hospital")
        visits, last_seq = _stored(promoted)
        assert {a["id"] for a in acknowledged} <= visits  # every acknowledged command is there
        assert last_seq >= acknowledged[-1]["seq"]
        more = _register(promoted, ["赵磊"])  # the promoted replica serves: numbers go on, none twice
        assert more[0]["seq"] > acknowledged[-1]["seq"]
        assert more[0]["ticket"] not in {a["ticket"] for a in acknowledged}
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
