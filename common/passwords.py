"""Console user passwords: argon2id (argon2-cffi) for new hashes; older ``pbkdf2_sha256$iterations$salt$hash``
hashes still verify (rehash them with ``python -m caller hash-password``).

Verifying costs the same for an unknown user (:func:`verify_unknown_user` checks against a dummy hash of the
same kind), so timing does not tell which user names exist.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP's floor for PBKDF2-SHA256 (only for hashes made with hash_password_pbkdf2)

_ARGON2 = PasswordHasher()  # argon2id, library defaults (64 MiB, 3 passes)
_DUMMY = {"argon2": _ARGON2.hash(secrets.token_urlsafe(16))}


def hash_password(password: str) -> str:
    """An argon2id hash for [[users]] password_hash."""
    return _ARGON2.hash(password)


def hash_password_pbkdf2(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return _ARGON2.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    try:
        algorithm, iterations, salt_hex, digest_hex = stored.split("$")
        if algorithm != ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt_hex), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def verify_unknown_user(password: str, like: str = "") -> bool:
    """The work of one verification for a user who does not exist (always False), shaped like ``like``."""
    if like.startswith(ALGORITHM + "$"):
        _, iterations, _, _ = like.split("$")
        key = f"pbkdf2:{iterations}"
        if key not in _DUMMY:
            _DUMMY[key] = hash_password_pbkdf2(secrets.token_urlsafe(16), iterations=int(iterations))
        verify_password(password, _DUMMY[key])
    else:
        verify_password(password, _DUMMY["argon2"])
    return False


def is_password_hash(value: str) -> bool:
    if value.startswith("$argon2id$"):
        return True
    parts = value.split("$")
    return len(parts) == 4 and parts[0] == ALGORITHM and parts[1].isdigit()
