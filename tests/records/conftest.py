"""Fixtures: a live caller service with records mounted, a movable clock, a scriptable payment gateway."""
from __future__ import annotations

from typing import Iterator

import pytest
from records_helpers import Api, logged_in

from records.testing import LiveRecords, serve_records
from tests.pg_fixture import pg_cluster, pg_url, store_url  # noqa: F401 - fixtures
from tests.records_fixtures import clock, provider  # noqa: F401 - fixtures


@pytest.fixture
def live(store_url, clock, provider) -> Iterator[LiveRecords]:
    with serve_records(db_path=store_url, clock=clock, payments=provider) as service:
        yield service


@pytest.fixture
def kiosk(live) -> Iterator[Api]:
    api = Api(live, "kiosk")
    yield api
    api.client.close()


@pytest.fixture
def console(live) -> Iterator[Api]:
    """The NK nurse console with nurse wanghs logged in (staff actions need a user)."""
    api = logged_in(live, "wanghs")
    yield api
    api.client.close()


@pytest.fixture
def admin(live) -> Iterator[Api]:
    api = Api(live, "admin")
    yield api
    api.client.close()
