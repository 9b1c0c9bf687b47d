"""The durable outbox: messages written in the same SQLite transaction as the command that caused them.

A message is a row of ``notify_outbox`` with a unique ``key``. Its life:

``pending`` -> (the sender marks it, and commits, before calling the gateway) ``sending`` -> ``sent`` (the
gateway took it) -> ``delivered`` / ``failed`` (the gateway's status callback); or ``pending`` again with a later
``next_at`` (the gateway failed: retry with backoff); or ``dropped`` (expired, no longer true, quiet hours past
its time); or ``failed`` (the gateway refused it for good). A message found in ``sending`` after a crash is sent
again with the same key when the gateway is idempotent, else it becomes ``unknown`` and is never sent again: a
patient may miss one text, but never gets one twice.

Opt-ins (``notify_optin``): which visit wants which channel at which address. Every state change of a message
that concerns a visit is also an audit row of that visit (``notify_*``), so the console's visit audit shows it.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any, Iterable

from caller.notify.model import Message, Outgoing
from caller.store import AuditRow, ChangeRows, Store, dumps
from common.privacy import mask_phone

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS notify_outbox (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, event TEXT NOT NULL, channel TEXT NOT NULL,
        recipient TEXT NOT NULL, template TEXT NOT NULL, params TEXT NOT NULL, text TEXT NOT NULL,
        visit_id TEXT, created_at TEXT NOT NULL, due_at TEXT NOT NULL, expires_at TEXT,
        state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_at TEXT NOT NULL,
        last_error TEXT NOT NULL DEFAULT '', gateway_ref TEXT NOT NULL DEFAULT '', sent_at TEXT, updated_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS notify_outbox_open ON notify_outbox(state, next_at)",
    "CREATE INDEX IF NOT EXISTS notify_outbox_recipient ON notify_outbox(recipient, state)",
    "CREATE INDEX IF NOT EXISTS notify_outbox_visit ON notify_outbox(visit_id)",
    "CREATE INDEX IF NOT EXISTS notify_outbox_ref ON notify_outbox(gateway_ref)",
    """CREATE TABLE IF NOT EXISTS notify_optin (
        visit_id TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL, "by" TEXT NOT NULL, ts TEXT NOT NULL,
        PRIMARY KEY (visit_id, channel))""",
)

OPEN_STATES = ("pending", "sending")
_COLUMNS = ("id, key, event, channel, recipient, template, params, text, visit_id, due_at, expires_at, state, "
            "attempts, next_at, last_error, gateway_ref")


def _ts(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds")


def _channels(channels: Iterable[str] | None, column: str = "channel") -> tuple[str, tuple]:
    """An ``AND channel [NOT] IN (...)`` clause and its parameters ('' for every channel). ``channels`` names the
    channels to take, or with a leading "-" each, the channels to leave (another sender's): ("-his",)."""
    if channels is None:
        return "", ()
    names = tuple(channels)
    if names and all(n.startswith("-") for n in names):
        return f" AND {column} NOT IN ({','.join('?' * len(names))})", tuple(n[1:] for n in names)
    return f" AND {column} IN ({','.join('?' * len(names))})", names


def _row(r: tuple) -> Outgoing:
    return Outgoing(id=r[0], key=r[1], event=r[2], channel=r[3], recipient=r[4], template=r[5],
                    params=json.loads(r[6]), text=r[7], visit_id=r[8], due_at=r[9], expires_at=r[10], state=r[11],
                    attempts=r[12], next_at=r[13], last_error=r[14], gateway_ref=r[15])


class Outbox:
    """The outbox and opt-in tables of the service's database."""

    def __init__(self, store: Store):
        self.store = store
        with store.transaction() as conn:
            for statement in SCHEMA:
                conn.execute(statement)

    # ------------------------------------------------------------------ opt-ins
    def opt_in(self, conn: sqlite3.Connection, visit_id: str, channel: str, recipient: str, by: str, now: datetime) -> None:
        conn.execute('INSERT INTO notify_optin(visit_id, channel, recipient, "by", ts) VALUES (?,?,?,?,?) '
                     'ON CONFLICT (visit_id, channel) DO UPDATE SET recipient = excluded.recipient, '
                     '"by" = excluded."by", ts = excluded.ts',
                     (visit_id, channel, recipient, by, _ts(now)))

    def opt_out(self, conn: sqlite3.Connection, visit_id: str, channel: str) -> bool:
        return conn.execute("DELETE FROM notify_optin WHERE visit_id = ? AND channel = ?",
                            (visit_id, channel)).rowcount > 0

    def optins(self, visit_ids: Iterable[str] | None = None) -> dict[str, list[tuple[str, str]]]:
        """visit id -> [(channel, recipient)] of the given visits (all when None)."""
        with self.store.lock:
            if visit_ids is None:
                rows = self.store.conn.execute("SELECT visit_id, channel, recipient FROM notify_optin").fetchall()
            else:
                ids = list(visit_ids)
                rows = []
                for i in range(0, len(ids), 500):
                    chunk = ids[i:i + 500]
                    rows += self.store.conn.execute(
                        f"SELECT visit_id, channel, recipient FROM notify_optin WHERE visit_id IN "
                        f"({','.join('?' * len(chunk))})", chunk).fetchall()
        out: dict[str, list[tuple[str, str]]] = {}
        for visit_id, channel, recipient in rows:
            out.setdefault(visit_id, []).append((channel, recipient))
        return out

    # ------------------------------------------------------------------ writing
    def enqueue(self, conn: sqlite3.Connection, messages: Iterable[Message], now: datetime) -> int:
        """Add messages inside the caller's transaction; a key already there is ignored. Returns how many were new."""
        rows = [(m.key, m.event, m.channel, m.recipient, m.template, dumps(m.params), m.text, m.visit_id, _ts(now),
                 _ts(m.due_at), _ts(m.expires_at) if m.expires_at else None, _ts(m.due_at)) for m in messages]
        if not rows:
            return 0
        added = 0
        for row in rows:  # a key already in the outbox is the same message: kept once
            added += len(conn.execute(
                "INSERT INTO notify_outbox(key, event, channel, recipient, template, params, text, visit_id, "
                "created_at, due_at, expires_at, next_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (key) DO NOTHING RETURNING id", row).fetchall())
        return added

    def due(self, now: datetime, limit: int = 100, channels: Iterable[str] | None = None) -> list[Outgoing]:
        """Open messages whose time has come, oldest first, at most one per recipient: the oldest open one.

        A recipient's later messages wait behind an earlier one that is being retried, so they arrive in order;
        a message planned for later (an appointment reminder) or waiting for the end of quiet hours holds nobody up.
        ``channels``: only these (each sender reads its own channels of the one outbox).
        """
        only, params = _channels(channels)
        sql = (f"SELECT {_COLUMNS} FROM notify_outbox o WHERE state IN ('pending', 'sending') AND next_at <= ?{only} "
               "AND id = (SELECT MIN(id) FROM notify_outbox p WHERE p.recipient = o.recipient "
               "AND p.state IN ('pending', 'sending') AND (p.next_at <= ? OR p.attempts > 0)) ORDER BY id LIMIT ?")
        with self.store.lock:
            rows = self.store.conn.execute(sql, (_ts(now), *params, _ts(now), limit)).fetchall()
        return [_row(r) for r in rows]

    def next_due_at(self) -> str | None:
        with self.store.lock:
            row = self.store.conn.execute(
                "SELECT MIN(next_at) FROM notify_outbox WHERE state IN ('pending', 'sending')").fetchone()
        return row[0] if row else None

    def sent_since(self, recipient: str, since: datetime) -> int:
        with self.store.lock:
            row = self.store.conn.execute(
                "SELECT COUNT(*) FROM notify_outbox WHERE recipient = ? AND sent_at >= ?",
                (recipient, _ts(since))).fetchone()
        return int(row[0])

    def set_state(self, message: Outgoing, state: str, now: datetime, *, error: str = "", ref: str = "",
                  next_at: datetime | None = None, attempt: bool = False) -> None:
        """Change a message's state durably, in one transaction with its audit row (none for ``sending``)."""
        attempts = message.attempts + (1 if attempt else 0)
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE notify_outbox SET state = ?, attempts = ?, last_error = ?, "
                "gateway_ref = CASE WHEN ? != '' THEN ? ELSE gateway_ref END, next_at = COALESCE(?, next_at), "
                "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, updated_at = ? WHERE id = ?",
                (state, attempts, error, ref, ref, _ts(next_at) if next_at else None, state, _ts(now),
                 _ts(now), message.id))
            if message.visit_id and state != "sending":
                action = "retry" if state == "pending" else state
                self._audit(conn, message, action, now, error, attempts)
        message.state, message.attempts = state, attempts

    def gateway_status(self, ref: str, key: str, state: str, error: str, now: datetime) -> bool:
        """A gateway's status callback (``delivered`` / ``failed``) for the message with that reference or key."""
        with self.store.transaction() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM notify_outbox WHERE (gateway_ref = ? AND ? != '') OR key = ?",
                               (ref, ref, key)).fetchone()
            if row is None:
                return False
            message = _row(row)
            if message.state not in ("sent", "sending", "unknown"):
                return message.state == state
            conn.execute("UPDATE notify_outbox SET state = ?, last_error = ?, updated_at = ? WHERE id = ?",
                         (state, error, _ts(now), message.id))
            if message.visit_id:
                self._audit(conn, message, state, now, error, message.attempts)
        return True

    def _audit(self, conn: sqlite3.Connection, message: Outgoing, state: str, now: datetime, error: str,
               attempts: int) -> None:
        to = mask_phone(message.recipient) if message.channel == "sms" else message.recipient[:4] + "…"
        detail: dict[str, Any] = {"event": message.event, "channel": message.channel, "to": to, "attempts": attempts}
        if error:
            detail["error"] = error
        self.store.write_change(conn, ChangeRows(audit=[AuditRow(
            ts=_ts(now), user="", device="notify", action=f"notify_{state}", visit_id=message.visit_id,
            before=None, after=None, detail=detail)]))

    def recover(self, idempotent: dict[str, bool], now: datetime,
                channels: Iterable[str] | None = None) -> dict[str, int]:
        """After a restart: messages caught in ``sending`` go back to ``pending`` when their gateway takes our
        idempotency key (it will not deliver them twice), else become ``unknown`` (never sent again).
        ``channels``: only these (another sender recovers its own)."""
        counts = {"resend": 0, "unknown": 0}
        only, params = _channels(channels)
        with self.store.transaction() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM notify_outbox WHERE state = 'sending'{only}",
                                params).fetchall()
            for row in rows:
                message = _row(row)
                if idempotent.get(message.channel, False):
                    conn.execute("UPDATE notify_outbox SET state = 'pending', updated_at = ? WHERE id = ?",
                                 (_ts(now), message.id))
                    counts["resend"] += 1
                else:
                    conn.execute("UPDATE notify_outbox SET state = 'unknown', updated_at = ? WHERE id = ?",
                                 (_ts(now), message.id))
                    if message.visit_id:
                        self._audit(conn, message, "unknown", now, "interrupted while sending", message.attempts)
                    counts["unknown"] += 1
        return counts

    # ------------------------------------------------------------------ reading
    def messages(self, visit_id: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        sql = f"SELECT {_COLUMNS} FROM notify_outbox"
        params: tuple = ()
        if visit_id:
            sql += " WHERE visit_id = ?"
            params = (visit_id,)
        with self.store.lock:
            rows = self.store.conn.execute(sql + " ORDER BY id DESC LIMIT ?", params + (limit,)).fetchall()
        return [_row(r).__dict__ for r in rows[::-1]]

    def counts(self, channels: Iterable[str] | None = None) -> dict[str, int]:
        only, params = _channels(channels)
        where = f" WHERE 1 = 1{only}" if only else ""
        with self.store.lock:
            rows = self.store.conn.execute(f"SELECT state, COUNT(*) FROM notify_outbox{where} GROUP BY state",
                                           params).fetchall()
        return {state: n for state, n in rows}
