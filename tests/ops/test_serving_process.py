"""What `caller serve` sets up around the app: the settled heap and the keep-alive both ends agree on."""
from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from caller.api.app import create_app
from caller.ops.heap import SETTLED_HEAP
from caller.testing import DEMO_TOKENS, run_service
from client.http import CallerClient
from common.config import DEMO_CONFIG, load_hospital
from common.wire import CLIENT_KEEP_ALIVE_S, SERVICE_KEEP_ALIVE_S
from records.plugins import PLUGINS


def test_the_served_app_keeps_what_it_loaded_out_of_the_collectors_way_and_gives_it_back_when_it_stops(tmp_path):
    app = create_app(load_hospital(DEMO_CONFIG), tmp_path / "h.db", plugins=(*PLUGINS, SETTLED_HEAP))
    assert gc.get_freeze_count() == 0
    with TestClient(app) as http:
        frozen = gc.get_freeze_count()
        # everything it loaded to serve: modules, settings, routes, the records' parts (tens of thousands of objects)
        assert frozen > 20_000
        assert http.get("/healthz").status_code == 200
        # a collection now walks only what was made since start-up, not the whole service
        assert len(gc.get_objects(generation=2)) < frozen
    assert gc.get_freeze_count() == 0  # handed back: a second app in the same process starts clean


def test_a_client_drops_an_idle_connection_before_the_service_closes_it(tmp_path):
    # a command must never be written into a connection the service is closing at that moment: the nurse would be
    # told the service cannot be reached for a call that never left
    assert CLIENT_KEEP_ALIVE_S < SERVICE_KEEP_ALIVE_S
    with run_service(load_hospital(DEMO_CONFIG), tmp_path / "h.db") as url:
        assert url.server.config.timeout_keep_alive == SERVICE_KEEP_ALIVE_S
        client = CallerClient(url, DEMO_TOKENS["console_nk"])
        try:
            assert client.request("GET", "/areas/NK/queue")["area_id"] == "NK"
            assert client._http._transport._pool._keepalive_expiry == CLIENT_KEEP_ALIVE_S
        finally:
            client.close()
