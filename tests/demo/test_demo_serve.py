"""make serve: demo history for the cockpit, and a start banner that says where to look and how to log in."""
from __future__ import annotations

from datetime import date

from common.config import load_hospital
from demo.serve import CONFIG, banner, fill_history


def test_past_mornings_give_the_cockpit_something_to_show(tmp_path):
    from caller.service import CallerService
    from cockpit import report
    from cockpit.report import Scope

    config = load_hospital(CONFIG)
    today = date(2026, 12, 3)  # a Thursday: the two mornings before it are clinic days
    seen = fill_history(config, str(tmp_path / "h.db"), 2, today)
    assert seen > 20
    service = CallerService(config, tmp_path / "h.db")
    try:
        with service.store.read() as conn:
            figures = report.scope_kpis(conn, config, Scope("hospital", ""), date(2026, 12, 1), date(2026, 12, 2))
    finally:
        service.close()
    assert figures["registrations"] > 20 and figures["served"] >= seen * 0.9 and figures["wait_median"] > 0


def test_the_banner_names_the_cockpit_and_the_demo_logins():
    text = banner("0.0.0.0", 8700, "out/serve/hospital.db")
    assert "http://127.0.0.1:8700/cockpit/" in text and "admin / demo1234" in text and "wanghs" in text
