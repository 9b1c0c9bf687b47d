"""Console logins: argon2id hashes, lockout with a growing delay (429), tokens stored hashed, logout, expiry,
and an audit row for each burst of failed logins."""
from __future__ import annotations

import httpx
import pytest

import caller.auth
from caller.testing import DEMO_PASSWORD
from caller.testing import DEMO_TOKENS as T
from client.http import CallerClient, CallerError
from common.passwords import hash_password, verify_password


def _login(live, username: str, password: str, token: str = T["console_nk"]) -> httpx.Response:
    return httpx.post(f"{live}/api/v1/auth/login", json={"username": username, "password": password},
                      headers={"Authorization": f"Bearer {token}"})


def test_new_password_hashes_are_argon2id():
    stored = hash_password("护士站密码2026")
    assert stored.startswith("$argon2id$")
    assert verify_password("护士站密码2026", stored) and not verify_password("wrong", stored)


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one_and_audit_it(live):
    for _ in range(5):
        assert _login(live, "wanghs", "guess").status_code == 401
    locked = _login(live, "wanghs", DEMO_PASSWORD)
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) >= 30 and "分钟后再试" in locked.json()["error"]["message_zh"]
    # another user at the same console is not locked out, nor this nurse at another console
    assert _login(live, "zhangys", DEMO_PASSWORD).status_code == 200
    assert _login(live, "wanghs", DEMO_PASSWORD, T["admin"]).status_code == 200
    trail = live.service.store.audit(None, 50)
    burst = [a for a in trail if a["action"] == "login_locked"]
    assert len(burst) == 1 and burst[0]["user"] == "wanghs" and burst[0]["device"] == "console-nk"
    assert "guess" not in str(trail) and DEMO_PASSWORD not in str(trail)


def test_unknown_users_are_refused_like_wrong_passwords_and_lock_out_too(live):
    answers = [_login(live, "nobody", "x") for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert answers[0].json()["error"]["code"] == "bad_login"  # same answer as a wrong password


def test_user_tokens_are_stored_hashed_and_logout_ends_them(live):
    with CallerClient(live, T["console_nk"]) as console:
        token = console.login("wanghs", DEMO_PASSWORD)["token"]
        rows = live.service.store.conn.execute("SELECT token FROM user_sessions").fetchall()
        assert rows and all(token not in r[0] for r in rows)  # only its SHA-256 is kept
        assert console.request("POST", "/auth/logout")["ok"] is True
        with pytest.raises(CallerError) as gone:
            console.request("GET", "/auth/me")
        assert gone.value.status == 401


def test_an_idle_user_token_expires(live, monkeypatch):
    with CallerClient(live, T["console_nk"]) as console:
        console.login("wanghs", DEMO_PASSWORD)
        assert console.request("GET", "/auth/me")["user"] == "wanghs"
        monkeypatch.setattr(caller.auth, "USER_SESSION_IDLE_S", 0.0)  # as if the console sat unused for hours
        with pytest.raises(CallerError) as expired:
            console.request("GET", "/auth/me")
        assert expired.value.status == 401 and expired.value.code == "session_expired"
