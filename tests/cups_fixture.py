"""A real CUPS scheduler with a cups-pdf queue, started by the test itself (no systemd): import the fixtures."""
from __future__ import annotations

import itertools

import pytest

from hardware.a4.server import CupsServer, available

_names = itertools.count(1)


@pytest.fixture(scope="module")
def cups_server():
    missing = available()
    if missing:
        pytest.skip(missing)
    with CupsServer() as server:
        yield server


@pytest.fixture
def a4_queue(cups_server, tmp_path):
    """(queue name, directory its PDFs land in): a fresh cups-pdf queue for one test."""
    name = f"LabA4_{cups_server.port}_{next(_names)}"
    out = cups_server.add_pdf_queue(name, tmp_path / "pdf")
    return name, out
