"""Is the database file on disk still the one the store opened?

A running service holds its SQLite file open. Three things can take that file away from under it without an
error from SQLite:

* it is **deleted** (the service would go on writing into an unlinked inode and lose everything at restart);
* it is **replaced** by another file (``mv backup.db hospital.db``: a new inode; the service still writes the old);
* it is **overwritten in place** (``cp backup.db hospital.db`` while running: same inode, other bytes; the
  service's page cache and write-ahead log would silently write its own pages back over the restore).

:func:`look` reads what identifies the file now (device and inode, size, modification time, and the SQLite
header fields that change with the content: the file change counter, the page count, and the
version-valid-for number); :func:`what_changed` compares that with what the store recorded when it last wrote
the file itself. In WAL mode the main file is written only by checkpoints, and the store runs its own
checkpoints (``Store.verify_file``). A checkpoint by another SQLite connection (``sqlite3`` on the live file:
coherent, through SQLite's own locks) shows in the shared-memory index beside the file (``-shm``: its count of
frames copied back grows, or the log restarted and some were copied since) and is not a change; any other change
of these fields is a write that went around SQLite.

Both are small and pure apart from one ``stat`` and two reads of 100 bytes: the store calls them from wherever the
check runs (a timer, or after a failed write), see ``Store.verify_file``.

The reads go through descriptors opened once and kept until :func:`forget` (the store's close, after its SQLite
connections closed): closing any descriptor of a file drops every POSIX lock this process holds on it, SQLite's
included, and a service that lost its lock on ``-shm`` sees another process (a backup) rebuild the index under it
and dies of SIGBUS. So nothing here ever closes a descriptor of a file SQLite has open.
"""
from __future__ import annotations

import os
import struct
import sys
import threading
from dataclasses import dataclass

HEADER_BYTES = 100  # the SQLite database header


@dataclass(frozen=True)
class DbFile:
    """What identifies a database file's content at one moment."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    header: bytes  # file change counter + page count (offsets 24..32) and version-valid-for + SQLite version (92..100)
    log: tuple[int, int, int] | None = None  # the WAL index (-shm): salt 1, salt 2, frames checkpointed (nBackfill)


_kept: dict[str, int] = {}  # path -> a descriptor kept open (see the module's last paragraph)
_kept_lock = threading.Lock()


def _read_head(path: str) -> bytes | None:
    """The first 100 bytes of the file ``path`` was when first read here (None when it does not exist)."""
    with _kept_lock:
        fd = _kept.get(path)
        if fd is None:
            try:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            except OSError:
                return None
            _kept[path] = fd
    try:
        return os.pread(fd, HEADER_BYTES, 0)
    except OSError:
        return None


def forget(path: str) -> None:
    """Close what :func:`look` kept open for ``path``: only once no SQLite connection of this process has it open."""
    with _kept_lock:
        for name in (path, path + "-shm"):
            fd = _kept.pop(name, None)
            if fd is not None:
                os.close(fd)


def _log_state(path: str) -> tuple[int, int, int] | None:
    """From ``<db>-shm`` (SQLite's WAL index, in the machine's byte order): the log's salts (offset 32) and how
    many of its frames were copied into the database (nBackfill, offset 96). None without one."""
    raw = _read_head(path + "-shm")
    if raw is None or len(raw) < 100:
        return None
    order = "<" if sys.byteorder == "little" else ">"
    salt1, salt2 = struct.unpack_from(order + "II", raw, 32)
    (backfilled,) = struct.unpack_from(order + "I", raw, 96)
    return salt1, salt2, backfilled


def look(path: str) -> DbFile | None:
    """The file at ``path`` now, or None when there is none."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    raw = _read_head(path) or b""
    return DbFile(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, raw[24:32] + raw[92:100], _log_state(path))


def checkpointed_since(opened: DbFile, now: DbFile) -> bool:
    """Did a SQLite checkpoint (anyone's) copy log frames into the file since ``opened`` was recorded?"""
    if opened.log is None or now.log is None:
        return False
    if now.log[:2] != opened.log[:2]:
        # the log restarted since: SQLite restarts it only after a checkpoint copied every frame of the old one
        # into the file (another connection's automatic checkpoint, then our next write), so the file was written
        # through SQLite
        return True
    return now.log[2] > opened.log[2]


def what_changed(opened: DbFile, now: DbFile | None) -> str | None:
    """Why ``now`` is no longer the file recorded as ``opened`` (the words finish "The database file was ..."),
    or None when it still is."""
    if now is None:
        return "deleted"
    if (now.dev, now.ino) != (opened.dev, opened.ino):
        return "replaced by another file"
    if (now.size, now.mtime_ns, now.header) != (opened.size, opened.mtime_ns, opened.header):
        if checkpointed_since(opened, now):
            return None  # written through SQLite: the caller records ``now`` as the file
        return "overwritten in place (a restore while the service was running?)"
    return None
