"""Ticket link tokens: unguessable, one per visit and day, stable across restarts, refused when made up."""
from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass
from datetime import date

import pytest

from caller.ticket_links import TicketLinks, load_or_create_secret, make_token
from common.config import DEMO_CONFIG, ConfigError, load_hospital


@dataclass
class V:
    id: str
    day: date


DAY = date(2026, 11, 23)


def test_token_carries_at_least_128_bits_and_differs_per_visit_day_and_secret():
    secret = b"s" * 32
    token = make_token(secret, "20261123-NK-0001", DAY)
    assert len(base64.urlsafe_b64decode(token)) * 8 >= 128
    others = {make_token(secret, "20261123-NK-0002", DAY), make_token(secret, "20261123-NK-0001", date(2026, 11, 24)),
              make_token(b"t" * 32, "20261123-NK-0001", DAY)}
    assert token not in others and len(others) == 3


def test_secret_is_made_once_and_kept_in_the_database(tmp_path):
    db = tmp_path / "h.db"
    with sqlite3.connect(db) as conn:
        first = load_or_create_secret(conn)
    with sqlite3.connect(db) as conn:
        assert load_or_create_secret(conn) == first
    with sqlite3.connect(tmp_path / "other.db") as conn:
        assert load_or_create_secret(conn) != first  # each hospital's service has its own
    assert len(first) == 32


def test_a_token_finds_its_visit_on_its_day_only():
    visits = [V(f"20261123-NK-{i:04d}", DAY) for i in range(1, 50)]
    links = TicketLinks(b"k" * 32)
    token = links.token(visits[10])
    fresh = TicketLinks(b"k" * 32)  # after a restart nothing is indexed yet
    assert fresh.visit_id(token, lambda: visits, DAY) == visits[10].id
    assert fresh.visit_id(token, lambda: visits, date(2026, 11, 24)) is None
    assert fresh.visit_id("A" * 24, lambda: visits, DAY) is None
    assert fresh.visit_id(visits[10].id, lambda: visits, DAY) is None


def test_hospital_file_refuses_a_guessable_ticket_url(tmp_path):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace(
        '# ticket_url = "https://queue.example-hospital.cn/t/{token}"', 'ticket_url = "https://q.example.cn/t/{visit_id}"')
    bad = tmp_path / "h.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_hospital(bad)
    assert "use {token}" in str(err.value)
