"""Backups of the hospital database while the service runs, and restoring one on a stopped (or spare) machine.

    python -m caller backup DIR [--db /var/lib/hospital/hospital.db] [--daily 14] [--monthly 12]
    python -m caller restore FILE [--db /var/lib/hospital/hospital.db]

A backup is SQLite's online backup API in one step: one read transaction, so in WAL mode the service keeps writing
while it runs and the copy is exactly the database at one instant (every command acknowledged before it). The copy
is checked with ``PRAGMA integrity_check`` before it gets its final name, ``hospital-YYYYmmdd-HHMMSS.db`` (hospital
time); the monthly archive files of old events and audit rows are copied beside it. Then retention keeps the newest
backup of each of the last ``daily`` days and of each of the last ``monthly`` months, and ``<db>.last-backup.json``
tells ``/metrics`` when the last good backup finished.

The running service holds an advisory lock on ``<db>.lock``; restore refuses while anyone holds it.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Iterable

from caller.ops.metrics import backup_mark

NAME = re.compile(r"^hospital-(\d{8})-(\d{6})\.db$")
REQUIRED_TABLES = ("visits", "events", "audit", "counters")


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why and what to do (Chinese, then English)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    seconds: float
    bytes: int
    removed: tuple[Path, ...]


# ------------------------------------------------------------------------------------------ the service's lock
def lock_path(db_path: str | Path) -> Path:
    return Path(f"{db_path}.lock")


def hold_service_lock(db_path: str | Path) -> IO | None:
    """Taken by the running service for its whole life (the kernel drops it if the process dies).

    None when it cannot be taken (another service on the same file, or an in-memory database)."""
    if str(db_path) == ":memory:":
        return None
    handle = open(lock_path(db_path), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def service_running(db_path: str | Path) -> bool:
    path = lock_path(db_path)
    if not path.exists():
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


# ------------------------------------------------------------------------------------------------- checks
def check_database(path: str | Path) -> None:
    """BackupError unless ``path`` is a readable, intact hospital database."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件 / no such file: {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份文件已损坏，不是可用的数据库 / {path} is not a usable SQLite database: {exc}") from None
    if result != ["ok"]:
        raise BackupError(f"备份文件未通过完整性检查 / {path} fails the integrity check: {'; '.join(result[:5])}")
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise BackupError(f"这不是叫号系统的数据库 / {path} is not a hospital queue database "
                          f"(missing tables: {', '.join(missing)})")


# ----------------------------------------------------------------------------------------------- backup
def _copy(source: str | Path, target: Path) -> None:
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)  # one step: a consistent snapshot, writers go on (WAL)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def archives_of(db_path: str | Path) -> list[Path]:
    base = Path(db_path)
    return sorted(base.parent.glob(f"{base.name}.archive-*.sqlite"))


def backup(db_path: str | Path, dest: str | Path, now: datetime, *, daily: int = 14, monthly: int = 12) -> BackupResult:
    """Copy the live database (and its archives) into ``dest``, check it, name it, apply retention.

    ``now`` is hospital time (it names the file). BackupError when the copy fails its check (nothing kept)."""
    db_path, dest = Path(db_path), Path(dest)
    if not db_path.is_file():
        raise BackupError(f"找不到数据库 / no database at {db_path}")
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / f"hospital-{now:%Y%m%d-%H%M%S}.db"
    partial = dest / f".{final.name}.partial"
    started = time.monotonic()
    try:
        _copy(db_path, partial)
        check_database(partial)
        _fsync(partial)
        for archive in archives_of(db_path):
            suffix = archive.name[len(db_path.name):]  # .archive-2026-10.sqlite
            _copy(archive, Path(f"{final}{suffix}.partial"))
            os.replace(f"{final}{suffix}.partial", f"{final}{suffix}")
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    seconds = time.monotonic() - started
    removed = tuple(prune(dest, daily=daily, monthly=monthly))
    mark = backup_mark(db_path)
    mark.write_text(json.dumps({"finished": time.time(), "file": str(final), "seconds": round(seconds, 3),
                                "integrity": "ok"}), encoding="utf-8")
    return BackupResult(final, seconds, final.stat().st_size, removed)


def keep(names: Iterable[str], *, daily: int, monthly: int) -> set[str]:
    """Which backup names retention keeps: the newest of each of the last ``daily`` days that have a backup,
    and the newest of each of the last ``monthly`` months (pure)."""
    dated = sorted((m.group(1) + m.group(2), name) for name in names if (m := NAME.match(name)))
    newest_per_day: dict[str, str] = {}
    newest_per_month: dict[str, str] = {}
    for stamp, name in dated:  # ascending: later ones overwrite
        newest_per_day[stamp[:8]] = name
        newest_per_month[stamp[:6]] = name
    kept = {newest_per_day[d] for d in sorted(newest_per_day)[-daily:]} if daily > 0 else set()
    kept |= {newest_per_month[m] for m in sorted(newest_per_month)[-monthly:]} if monthly > 0 else set()
    return kept


def prune(dest: Path, *, daily: int, monthly: int) -> list[Path]:
    """Delete the backups (and their archive copies) retention does not keep; the deleted files."""
    names = [p.name for p in dest.glob("hospital-*.db")]
    kept = keep(names, daily=daily, monthly=monthly)
    removed = []
    for name in names:
        if name in kept or not NAME.match(name):
            continue
        for path in [dest / name, *dest.glob(f"{name}.archive-*.sqlite")]:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


# ---------------------------------------------------------------------------------------------- restore
def restore(backup_file: str | Path, db_path: str | Path, now: datetime) -> Path | None:
    """Put a checked backup in place of ``db_path`` (service stopped); the previous database is kept aside.

    Returns where the previous database went (None when there was none)."""
    backup_file, db_path = Path(backup_file), Path(db_path)
    if service_running(db_path):
        raise BackupError("叫号服务正在运行，请先停止服务（systemctl stop hospital-service）再恢复 / "
                          f"the service is running on {db_path}: stop it first (systemctl stop hospital-service)")
    check_database(backup_file)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    aside = None
    if db_path.exists():
        aside = db_path.with_name(f"{db_path.name}.before-restore-{now:%Y%m%d-%H%M%S}")
        _copy(db_path, aside)
    staged = db_path.with_name(f".{db_path.name}.restoring")
    _copy(backup_file, staged)
    check_database(staged)
    _fsync(staged)
    for stale in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):  # an old WAL must never replay onto the copy
        stale.unlink(missing_ok=True)
    for old in archives_of(db_path):  # the previous database's archives go aside with it
        if aside is not None:
            os.replace(old, f"{aside}{old.name[len(db_path.name):]}")
        else:
            old.unlink()
    os.replace(staged, db_path)
    for archive in backup_file.parent.glob(f"{backup_file.name}.archive-*.sqlite"):
        shutil.copyfile(archive, f"{db_path}{archive.name[len(backup_file.name):]}")
    return aside
