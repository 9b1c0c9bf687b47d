"""The few SQL differences between the SQLite and the PostgreSQL stores that more than one package needs.

A leaf: it imports nothing of the project, so the service (caller), the cockpit's rollups and the records part may
all use it without importing each other.
"""
from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from typing import Any, Iterator

_VALUES = re.compile(r"\bVALUES\s*(\([^()]*\))", re.I)  # an INSERT's row of placeholders
ROWS_PER_INSERT = 500  # rows in one multi-row INSERT at most (each distinct count is a statement prepared once)


def has_table(conn: Any, name: str) -> bool:
    """Whether the database behind `conn` (either store's connection, or records' wrapper of it) has table `name`."""
    raw = getattr(conn, "raw", conn)
    if isinstance(raw, sqlite3.Connection):
        return raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
    return bool(conn.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0])


def begin_write(conn: Any) -> None:
    """Start a write transaction on a plain connection: SQLite takes the write lock at once (IMMEDIATE)."""
    conn.execute("BEGIN IMMEDIATE" if isinstance(getattr(conn, "raw", conn), sqlite3.Connection) else "BEGIN")


@lru_cache(maxsize=1024)
def many_values(sql: str, count: int) -> str:
    """``INSERT ... VALUES (?, ...) [ON CONFLICT ...]`` for `count` rows: its row of placeholders repeated."""
    found = _VALUES.search(sql)
    if found is None:
        raise ValueError(f"not an INSERT ... VALUES (...): {sql[:60]!r}")
    return sql[:found.start(1)] + ", ".join([found.group(1)] * count) + sql[found.end(1):]


def value_chunks(sql: str, rows: list[tuple]) -> Iterator[tuple[str, list]]:
    """The statements that insert `rows` with :func:`many_values`, ROWS_PER_INSERT at most each: (SQL, values)."""
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start:start + ROWS_PER_INSERT]
        yield many_values(sql, len(chunk)), [value for row in chunk for value in row]


def insert_rows(conn: Any, sql: str, rows: list[tuple]) -> None:
    """``conn.executemany(sql, rows)`` for an ``INSERT ... VALUES (?, ...)`` whose rows have different keys: on the
    stores' writing connections one statement of them all (:func:`many_values`): on PostgreSQL one step of the
    writer's pipeline instead of one per row, on SQLite one step instead of one per row, each of which lets the
    event loop's thread take the interpreter from the writer."""
    many = getattr(conn, "insert_rows", None)
    if many is None:
        conn.executemany(sql, rows)
    else:
        many(sql, rows)
