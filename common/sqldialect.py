"""The few SQL differences between the SQLite and the PostgreSQL stores that more than one package needs.

A leaf: it imports nothing of the project, so the service (caller), the cockpit's rollups and the records part may
all use it without importing each other.
"""
from __future__ import annotations

import sqlite3
from typing import Any


def has_table(conn: Any, name: str) -> bool:
    """Whether the database behind `conn` (either store's connection, or records' wrapper of it) has table `name`."""
    raw = getattr(conn, "raw", conn)
    if isinstance(raw, sqlite3.Connection):
        return raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
    return bool(conn.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0])


def begin_write(conn: Any) -> None:
    """Start a write transaction on a plain connection: SQLite takes the write lock at once (IMMEDIATE)."""
    conn.execute("BEGIN IMMEDIATE" if isinstance(getattr(conn, "raw", conn), sqlite3.Connection) else "BEGIN")


def insert_rows(conn: Any, sql: str, rows: list[tuple]) -> None:
    """``conn.executemany(sql, rows)`` for an ``INSERT ... VALUES (?, ...)`` whose rows have different keys: on
    PostgreSQL one statement of them all (one step of the writer's pipeline instead of one per row)."""
    many = getattr(conn, "insert_rows", None)
    if many is None:
        conn.executemany(sql, rows)
    else:
        many(sql, rows)
