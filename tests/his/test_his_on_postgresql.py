"""The HL7 v2 link on PostgreSQL (two machines, 双机热备): the same inbound and outbound behaviour as on SQLite."""
from __future__ import annotations

from his_helpers import ack_of, adt, dft, id_number, journey, oru, pid, send, settled

from common.config import DEMO_CONFIG, load_hospital
from records.his.testing import with_his
from records.testing import serve_records
from tests.pg_fixture import pg_cluster, pg_url  # noqa: F401 - fixtures


def test_inbound_and_outbound_on_postgresql(pg_url, clock, provider, his_peer):
    config = with_his(load_hospital(DEMO_CONFIG), "hl7v2", his_port=his_peer.port)
    with serve_records(config, db_path=pg_url, clock=clock, payments=provider) as live:
        port = live.app.state.his.listener.port
        patient = pid("HIS-PG-1", "杜甫", id_number())
        for text in (adt("A04", "gb18030", patient), oru("gb18030", patient, "LAB-PG"),
                     dft("gb18030", patient, control_id="DFT-PG")):
            assert ack_of(send(port, text, "gb18030"))[0] == "AA"
        code, reason = ack_of(send(port, dft("gb18030", patient, control_id="DFT-PG"), "gb18030"))
        assert code == "AA" and "duplicate" in reason
        assert live.records.db.one("SELECT COUNT(*) AS n FROM rec_bills")["n"] == 1
        assert live.records.db.one("SELECT COUNT(*) AS n FROM his_orders")["n"] == 0
        journey(live, provider, name="李白", seed=31)
        assert [r.kind for r in his_peer.wait_for(6)] == ["ADT^A04", "SIU^S12", "DFT^P03", "ADT^A10", "ADT^A10",
                                                          "ADT^A09"]
        assert settled(live.app.state.his)["backlog"]["waiting"] == 0
