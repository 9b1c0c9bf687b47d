"""Idempotency keys: a retried command gets its first answer again, never a second change.

A key is scoped to the command, the device and the user that sent it (the same key from elsewhere is another
key); the stored answer is given back only to the same request (same body), else 409 idempotency_conflict.
The command runner stores the answers with the command's own write (caller/command_runner.py, caller/store.py).
"""
from __future__ import annotations

import hashlib
from typing import Any

from caller.auth import Principal
from caller.store import dumps
from common.refusal import Refusal


def idempotency_scope(command: str, who: Principal, key: str | None) -> str | None:
    """The stored key: the same client key from another device or user is another key (never its answer)."""
    return f"{command}:{who.device}:{who.user or ''}:{key}" if key else None


def request_hash(args: dict) -> str:
    """SHA-256 of what a command was asked to do (the idempotency key itself left out)."""

    def plain(value: Any) -> Any:
        if hasattr(value, "model_dump"):
            return {k: v for k, v in value.model_dump(mode="json").items() if k != "idempotency_key"}
        return value

    text = dumps({k: plain(v) for k, v in sorted(args.items())})
    return hashlib.sha256(text.encode()).hexdigest()


def replay(stored: tuple[str, int, dict, str], body_hash: str) -> dict:
    """The first answer again, or 409 idempotency_conflict when the key came with another request."""
    if stored[3] and stored[3] != body_hash:
        raise Refusal("idempotency_conflict", "对不起，这个请求编号已用于另一项不同的操作，请刷新后重新操作。",
                      "This idempotency key was already used with a different request body.", status=409)
    return {**stored[2], "replayed": True}
