"""Unguessable public links to one visit's live ticket page: ``/t/<token>``.

The ticket's QR code and the kiosk's "my queue" screen open ``/t/<token>``. The token is
HMAC-SHA256(server secret, "<visit id>|<visit day>") cut to 144 bits and written in base64url (24
characters): nobody can make one without the secret, and a guessed or sequential visit id finds nothing.
The secret is made once, on the first start, and kept in the service's database (table
``ticket_link_secret``), so links printed before a restart keep working. A link works on its visit's day
only: from the next day on (by the service's clock) it answers 404 like a guessed one.

Tokens are not stored: the service indexes today's (and yesterday's) visits by token on demand, so an
unknown token costs a dictionary lookup plus the HMACs of visits registered since the last lookup.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from datetime import date
from typing import Callable, Iterable, Protocol

TOKEN_BYTES = 18      # 144 bits (>= 128), 24 base64url characters
SECRET_BYTES = 32
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{24}$")
_TABLE = "ticket_link_secret"


class VisitLike(Protocol):
    id: str
    day: date


def make_token(secret: bytes, visit_id: str, day: date) -> str:
    """The link token of one visit on its day (pure)."""
    mac = hmac.new(secret, f"{visit_id}|{day.isoformat()}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:TOKEN_BYTES]).decode("ascii")


def looks_like_token(text: str) -> bool:
    return bool(TOKEN_PATTERN.match(text or ""))


def load_or_create_secret(conn: sqlite3.Connection) -> bytes:
    """The server's link secret, created (random, 256 bits) on the first start and kept in the database."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), secret BLOB NOT NULL)")
    conn.execute(f"INSERT INTO {_TABLE}(id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
                 (secrets.token_bytes(SECRET_BYTES),))
    row = conn.execute(f"SELECT secret FROM {_TABLE} WHERE id = 1").fetchone()
    return bytes(row[0])


class TicketLinks:
    """Tokens of visits and the way back from a token to its visit."""

    def __init__(self, secret: bytes):
        self.secret = secret
        self._visit_of: dict[str, tuple[str, date]] = {}   # token -> (visit id, day)
        self._token_of: dict[str, str] = {}                # visit id -> token
        self._lock = threading.Lock()

    def token(self, visit: VisitLike) -> str:
        with self._lock:
            token = self._token_of.get(visit.id)
            return token if token is not None else self._index(visit)

    def _index(self, visit: VisitLike) -> str:
        token = make_token(self.secret, visit.id, visit.day)
        self._token_of[visit.id] = token
        self._visit_of[token] = (visit.id, visit.day)
        return token

    def visit_id(self, token: str, visits: Callable[[], Iterable[VisitLike]], today: date) -> str | None:
        """The id of the visit whose link this is, if that visit is of ``today``; None otherwise.

        ``visits()`` gives the visits the service holds (today's and yesterday's); it is called only for a
        token not indexed yet, and only visits not indexed yet are hashed. A token of another day, a guessed
        one or a malformed one gives None.
        """
        if not looks_like_token(token):
            return None
        with self._lock:
            found = self._visit_of.get(token)
            if found is None:
                held = list(visits())
                for visit in held:
                    if visit.id not in self._token_of and self._index(visit) == token:
                        found = (visit.id, visit.day)
                self._forget_others({v.id for v in held})
        if found is None or found[1] != today:
            return None
        return found[0]

    def _forget_others(self, held: set[str]) -> None:
        """Drop index entries of visits the service no longer holds (older days), so the index stays small."""
        if len(self._token_of) <= len(held) + 1000:
            return
        for visit_id in [v for v in self._token_of if v not in held]:
            self._visit_of.pop(self._token_of.pop(visit_id), None)
