"""Campuses of a hospital group on one PostgreSQL (one schema each): the cockpit shows the group and each campus."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, run_service
from client.http import CallerClient
from cockpit.screens import login
from common.config import DEMO_CONFIG
from tests.pg_fixture import pg_cluster  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(120)

CAMPUSES = {"east": ("仁和医院东院", "Renhe East Campus", 3), "west": ("仁和医院西院", "Renhe West Campus", 2)}


def campus_file(tmp_path: Path, name: str, name_en: str) -> Path:
    text = Path(DEMO_CONFIG).read_text(encoding="utf-8")
    text = text.replace('name = "仁和市第一人民医院"', f'name = "{name}"', 1)
    text = text.replace('name_en = "Renhe First People\'s Hospital"', f'name_en = "{name_en}"', 1)
    path = tmp_path / f"{name_en.split()[1].lower()}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def busy_morning(base_url: str, patients: int) -> None:
    """`patients` registered and checked in at a kiosk, one of them called, seen and finished."""
    with CallerClient(base_url, DEMO_TOKENS["kiosk"]) as kiosk, \
            CallerClient(base_url, DEMO_TOKENS["console_nk"]) as nurse:
        nurse.login("wanghs", DEMO_PASSWORD)
        for _ in range(patients):
            visit = kiosk.register("NK", name="王小明")["visit"]
            kiosk.check_in(visit["visit_id"])
        called = nurse.call_next("NK3")["visit"]
        nurse.start(called["visit_id"])
        nurse.finish(called["visit_id"])


def test_cockpit_shows_the_group_and_each_campus(pg_cluster, browser, tmp_path):
    url = pg_cluster.create_database("group_cockpit")
    pg_cluster.psql("CREATE SCHEMA east; CREATE SCHEMA west", "group_cockpit")
    with run_service(campus_file(tmp_path, *CAMPUSES["east"][:2]), f"{url}&options=-csearch_path%3Deast") as east, \
            run_service(campus_file(tmp_path, *CAMPUSES["west"][:2]), f"{url}&options=-csearch_path%3Dwest") as west:
        busy_morning(east, CAMPUSES["east"][2])
        busy_morning(west, CAMPUSES["west"][2])
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        login(page, east, "yuanzhang", DEMO_PASSWORD)  # a manager of the east campus

        registrations = page.locator("#cards [data-kpi=registrations] .v")
        expect(page.locator("#crumbs a").last).to_have_text("集团（全部院区）")
        expect(registrations).to_have_text("5")  # the whole group: 3 + 2
        rows = page.locator("#children tbody tr")
        expect(rows).to_have_count(2)
        expect(page.locator("#children tbody tr:has(td:text-is('仁和医院西院')) td").nth(1)).to_have_text("2")
        page.screenshot(path=str(tmp_path / "cockpit-group.png"), full_page=True)

        page.click("#children tbody tr:has(td:text-is('仁和医院西院'))")  # another campus: its own figures
        expect(page.locator("#crumbs a").last).to_have_text("仁和医院西院")
        expect(registrations).to_have_text("2")

        page.click("#crumbs a >> nth=0")
        expect(registrations).to_have_text("5")
        page.click("#children tbody tr:has(td:text-is('仁和医院东院'))")  # its own campus: down to areas and rooms
        expect(page.locator("#crumbs a").last).to_have_text("仁和医院东院")
        expect(registrations).to_have_text("3")
        expect(page.locator("#children tbody tr:has(td:text-is('内科诊区'))")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "cockpit-campus.png"), full_page=True)
