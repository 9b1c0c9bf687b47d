"""Tokens and a registration helper for the console tests (the demo hospital's)."""
from __future__ import annotations

from client.http import CallerClient

NK_CONSOLE = "demo-console-nk-9c2e47b1d3a6"
JZ_CONSOLE = "demo-console-jz-2a7c5e8b1f40"
PASSWORD = "demo1234"


def register(client: CallerClient, name: str, **kwargs) -> dict:
    area_dept = kwargs.pop("department", "NK")
    visit = client.register(area_dept, name=name, **kwargs)["visit"]
    if visit["state"] == "registered":  # areas in check-in mode
        client.check_in(visit["visit_id"])
    return visit
