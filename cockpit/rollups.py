"""Daily rollups: counts, sums and minute histograms per day x (hospital | area | department | room | doctor | kiosk).

Two plain tables (portable SQL): `rollup` (n, total per day/dim/key/measure) and `rollup_hist` (n per minute
bucket, for medians and p90). They are updated inside the transaction of the command that changed the facts, and
`rebuild()` recomputes them from the stored visits, records, audit and events (`python -m caller rollups rebuild`).
No page reads raw history: every cockpit figure is a sum over these rows.
"""
from __future__ import annotations

import json
import math
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from cockpit import sources
from cockpit.facts import BUCKET_MINUTES, HIST_MAX, HISTOGRAMS, Dims, day_of, diff, journey_end, visit_facts
from common.sqldialect import begin_write, insert_rows

SCHEMA = """
CREATE TABLE IF NOT EXISTS rollup (
    dim TEXT NOT NULL, day TEXT NOT NULL, key TEXT NOT NULL, measure TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0, total REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, day, key, measure)
);
CREATE TABLE IF NOT EXISTS rollup_hist (
    dim TEXT NOT NULL, day TEXT NOT NULL, key TEXT NOT NULL, measure TEXT NOT NULL, bucket INTEGER NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, day, key, measure, bucket)
);
"""


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def _bucket(value: float, measure: str = "") -> int:
    width = BUCKET_MINUTES.get(measure, 1)
    return min(HIST_MAX, int(value) // width * width)


class Deltas:
    """Rollup changes gathered over several commands and written in one go (:meth:`write`): the commands of one
    transaction (the service's group commit) share their rows, so the hospital's, an area's or a department's
    counts of a batch are one upsert each instead of one per command."""

    def __init__(self) -> None:
        self.sums: dict[tuple[str, str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])
        self.hist: dict[tuple[str, str, str, str, int], int] = defaultdict(int)

    def add(self, day: str, changes: Iterable[tuple[str, float | None, Dims, int]]) -> None:
        sums, hist = self.sums, self.hist
        for measure, value, dims, sign in changes:
            for dim, key in dims:
                acc = sums[(dim, day, key, measure)]
                acc[0] += sign
                acc[1] += sign * (value or 0.0)
                if value is not None and measure in HISTOGRAMS:
                    hist[(dim, day, key, measure, _bucket(value, measure))] += sign

    def write(self, conn: Any) -> None:
        """Add what was gathered to the tables, inside the caller's open transaction; then start empty again."""
        rows = [(dim, day, key, m, n, t) for (dim, day, key, m), (n, t) in self.sums.items() if n or t]
        if rows:  # one key per row (the dicts' keys): one statement for all on PostgreSQL
            insert_rows(
                conn, "INSERT INTO rollup (dim, day, key, measure, n, total) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (dim, day, key, measure) DO UPDATE SET n = rollup.n + excluded.n, total = rollup.total + excluded.total",
                rows)
        hrows = [(dim, day, key, m, b, n) for (dim, day, key, m, b), n in self.hist.items() if n]
        if hrows:
            insert_rows(
                conn,
                "INSERT INTO rollup_hist (dim, day, key, measure, bucket, n) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (dim, day, key, measure, bucket) DO UPDATE SET n = rollup_hist.n + excluded.n", hrows)
        self.sums.clear()
        self.hist.clear()


def add(conn: Any, day: str, changes: Iterable[tuple[str, float | None, Dims, int]]) -> None:
    """Add (+1) or take away (-1) facts of one day, inside the caller's open transaction."""
    deltas = Deltas()
    deltas.add(day, changes)
    deltas.write(conn)


def record(conn: Any, day: str, measure: str, value: float | None, dims: Dims) -> None:
    """One fact that is not a visit (a help request, a wait alert, a payment, a rating...)."""
    add(conn, day, [(measure, value, dims, +1)])


def apply_visits(conn: Any, visits: list[tuple[str, str, str, str, dict]], extra: dict[str, dict] | None = None,
                 stored: dict[str, dict] | None = None, deltas: Deltas | None = None, complete_since: str = "") -> None:
    """Before a command's visit rows are written: move each visit's facts from its stored row to its new one.

    `extra` adds fields the engine does not keep (channel, registering device) to new visits; fields a stored
    row has and the engine does not are carried over, so the stored row keeps them.
    `stored`: the rows as last written, kept in memory by the caller (visit id -> row); a visit found there is
    not read back from the database, and the new row replaces it there. A visit not there is read.
    `deltas`: gather the rollup changes there (the caller writes them before its commit) instead of writing them.
    `complete_since`: a day from which `stored` holds every stored visit, so a visit of such a day not found there
    is new and nothing is read (a round trip less per registration on PostgreSQL).
    """
    own = deltas is None
    if own:
        deltas = Deltas()
    for vid, day, _area, _state, data in visits:
        old = stored.get(vid) if stored is not None else None
        if old is None and not (complete_since and str(day) >= complete_since):
            old_row = conn.execute("SELECT data FROM visits WHERE id = ?", (vid,)).fetchone()
            old = json.loads(old_row[0]) if old_row else None
        if stored is not None:
            stored[vid] = data
        if old:
            for k in ("channel", "reg_device", "first_called_at", "estimate", "journey_end"):
                if k in old and k not in data:
                    data[k] = old[k]
        if extra and vid in extra:
            data.update(extra[vid])
        if data.get("called_at") and not data.get("first_called_at"):  # the engine keeps the latest call only
            data["first_called_at"] = (old or {}).get("first_called_at") or data["called_at"]
        changes = diff(visit_facts(old), visit_facts(data))
        if not changes:
            continue
        if old and day_of(old) != day_of(data):  # never happens today (a visit keeps its day); kept correct anyway
            deltas.add(day_of(old), [c for c in changes if c[3] < 0])
            deltas.add(day_of(data), [c for c in changes if c[3] > 0])
        else:
            deltas.add(day_of(data), changes)
    if own:
        deltas.write(conn)


def journey_ends(conn: Any, visits: list[tuple[str, str, str, str, dict]], members: Callable[[str], list[dict]],
                 stored: dict[str, dict] | None = None) -> None:
    """Before :func:`apply_visits`: when a command ends a journey (its last open step is done) or opens it again (a
    new order), the clinic visit's row gets its ``journey_end`` (the whole journey's measure is counted on it), and
    is added to the command's rows if the command did not change it itself. `members(visit_id)`: the journey of a
    visit as the engine holds it now, the clinic visit first ({id, state, finished_at} each; a visit without steps:
    itself only), so nothing is read back from the database per command."""
    changed = {vid: data for vid, _d, _a, _s, data in visits}
    roots: dict[str, list[dict]] = {}
    for vid, data in changed.items():
        root = data.get("journey_id") or vid
        if root not in roots:
            found = members(root)
            if len(found) > 1:
                roots[root] = found
    for root, found in roots.items():
        end = journey_end(found)
        if root in changed:
            changed[root]["journey_end"] = end
            continue
        old = stored.get(root) if stored is not None else None
        if old is None:
            row = conn.execute("SELECT data FROM visits WHERE id = ?", (root,)).fetchone()
            old = json.loads(row[0]) if row else None
        if old is None or old.get("journey_end") == end:
            continue
        visits.append((root, str(old["day"])[:10], old["area_id"], old["state"], {**old, "journey_end": end}))


def apply_rooms(conn: Any, rooms: dict[str, dict], ts: str, sessions: list,
                stored: dict[str, dict] | None = None) -> dict[str, dict[str, float]]:
    """Before a command's room rows are written: a room that pauses keeps since when (`paused_at` in its stored
    row); a room that opens again adds its paused minutes within opening hours to the day's rollups (room
    utilisation leaves them out). Returns the paused minutes per day of each room that opened again.
    `stored`: the rows as last written, kept in memory by the caller (as for :func:`apply_visits`)."""

    resumed: dict[str, dict[str, float]] = {}
    for room_id, data in rooms.items():
        old = stored.get(room_id) if stored is not None else None
        if old is None:
            old_row = conn.execute("SELECT data FROM rooms WHERE id = ?", (room_id,)).fetchone()
            old = json.loads(old_row[0]) if old_row else {}
        if stored is not None:
            stored[room_id] = data
        if data.get("paused"):
            data["paused_at"] = old.get("paused_at") if old.get("paused") and old.get("paused_at") else ts
        elif old.get("paused") and old.get("paused_at"):
            minutes = sources.within_sessions(old["paused_at"], ts, sessions)
            for fact in sources.room_paused(room_id, minutes):
                record(conn, *fact)
            resumed[room_id] = minutes
    return resumed


# ------------------------------------------------------------------------------------------------- reading
@dataclass
class Totals:
    """Summed rollups of one scope (dim, key) over a range of days."""

    n: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    hist: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def quantile(self, measure: str, q: float) -> float | None:
        """The q-quantile in whole minutes (the bucket holding the ceil(q*N)-th value); None without data."""
        buckets = self.hist.get(measure)
        count = sum(buckets.values()) if buckets else 0
        if not count:
            return None
        rank = max(1, math.ceil(q * count - 1e-9))
        seen = 0
        for bucket in sorted(buckets):
            seen += buckets[bucket]
            if seen >= rank:
                return float(bucket)
        return float(max(buckets))


def totals(conn: Any, dim: str, first: str, last: str, keys: Iterable[str] | None = None,
           by: str = "scope", measures: Iterable[str] | None = None) -> dict[str, Totals]:
    """Totals of dim's keys over the days [first, last]: by "scope" (one per key) or by "day" (one per day);
    of the given `measures` only, when named."""
    wanted = set(keys) if keys is not None else None
    out: dict[str, Totals] = defaultdict(Totals)
    where, params = "dim = ? AND day >= ? AND day <= ?", [dim, first, last]
    if wanted is not None and len(wanted) <= 32:  # the few keys asked: only their rows are read from the tables
        where += f" AND key IN ({', '.join('?' * len(wanted))})"
        params += sorted(wanted)
    if measures is not None:
        chosen = sorted(set(measures))
        where += f" AND measure IN ({', '.join('?' * len(chosen))})"
        params += chosen
    for day, key, measure, n, total in conn.execute(f"SELECT day, key, measure, n, total FROM rollup WHERE {where}",
                                                    params):
        if wanted is not None and key not in wanted:
            continue
        t = out[key if by == "scope" else day]
        t.n[measure] += n
        t.total[measure] += total
    for day, key, measure, bucket, n in conn.execute(
            f"SELECT day, key, measure, bucket, n FROM rollup_hist WHERE {where}", params):
        if wanted is not None and key not in wanted:
            continue
        out[key if by == "scope" else day].hist[measure][bucket] += n
    return out


def merged(parts: Iterable[Totals]) -> Totals:
    """One Totals of several (the days of a period read by day, summed)."""
    out = Totals()
    for part in parts:
        for measure, n in part.n.items():
            out.n[measure] += n
        for measure, total in part.total.items():
            out.total[measure] += total
        for measure, buckets in part.hist.items():
            into = out.hist[measure]
            for bucket, n in buckets.items():
                into[bucket] += n
    return out


def rebuild(conn: sqlite3.Connection) -> int:
    """Recompute every rollup from what is stored (visits; records payments, reports and ratings; help requests
    in the audit trail; wait alerts in the events). Returns the number of visits read."""
    begin_write(conn)
    try:
        conn.execute("DELETE FROM rollup")
        conn.execute("DELETE FROM rollup_hist")
        count = 0
        for (data,) in conn.execute("SELECT data FROM visits").fetchall():
            v = json.loads(data)
            add(conn, day_of(v), [(m, val, d, +1) for m, val, d in visit_facts(v)])
            count += 1
        for day, measure, value, dims in sources.stored_facts(conn):
            record(conn, day, measure, value, dims)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return count
