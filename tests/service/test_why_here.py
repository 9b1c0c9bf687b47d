"""Each waiting visit's status says in a few words why it waits where it does (for the kiosk, ticket and phone)."""
from __future__ import annotations


def test_visit_status_says_why_here_in_chinese_and_english(live, nurse, register_waiting):
    first, second, third = register_waiting(3)
    nurse.priority(third["visit_id"], "elderly")
    status = nurse.visit_status(second["visit_id"])
    assert status["why_zh"] == "前面 2 位：1 位老年人优先，1 位先到"
    assert status["why_en"] == "2 ahead: 1 priority (elderly), 1 came earlier"
    assert nurse.visit_status(third["visit_id"])["why_zh"] == "老年人优先；排在最前"
