"""A group of campuses (医联体) on one PostgreSQL: the cockpit's view of the whole group and of each campus.

Each campus is one schema of the same database, with its own hospital file and its own services
(``--db "postgresql://.../hospital?options=-csearch_path%3Deast"``). Every service registers its campus in
``hospital_group.campuses`` (schema, names, session minutes) when it starts; the group view reads each registered
campus's rollups (counts, sums and minute histograms: they add up exactly) and sums them. No campus reads another's
visits, only its daily rollups; on SQLite there is no group.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterator

from caller.pgdb import PgConnection, connect
from cockpit import rollups
from cockpit.kpis import KPIS, Capacity
from cockpit.report import Scope, kiosk_minutes, kiosks_in, kpis_of, open_minutes, session_minutes

# the group's own schema (no campus's): which campuses there are
REGISTRY = ("CREATE SCHEMA IF NOT EXISTS hospital_group",
            """CREATE TABLE IF NOT EXISTS hospital_group.campuses (
    schema_name TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT NOT NULL, session_minutes REAL NOT NULL,
    kiosks INTEGER NOT NULL, updated_at TEXT NOT NULL)""")
GROUP_ZH, GROUP_EN = "集团（全部院区）", "Group (all campuses)"


@dataclass(frozen=True)
class Campus:
    schema: str
    name_zh: str
    name_en: str
    session_minutes: float
    kiosks: int


def is_group_store(store: Any) -> bool:
    return getattr(store, "dialect", "sqlite") == "postgresql"


def register(store: Any, config: Any, now: str) -> str:
    """Record this service's campus (its schema) in the group's registry; the schema's name."""
    import psycopg  # noqa: PLC0415 - a heavy library, loaded only when this runs

    try:
        return _register(store, config, now)
    except psycopg.errors.UniqueViolation:  # another campus created the registry at the same moment
        return _register(store, config, now)


def _register(store: Any, config: Any, now: str) -> str:
    with store.transaction() as conn:
        for statement in REGISTRY:
            conn.execute(statement)
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        conn.execute(
            "INSERT INTO hospital_group.campuses (schema_name, name, name_en, session_minutes, kiosks, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (schema_name) DO UPDATE SET name = excluded.name, "
            "name_en = excluded.name_en, session_minutes = excluded.session_minutes, kiosks = excluded.kiosks, "
            "updated_at = excluded.updated_at",
            (schema, config.hospital.name, config.hospital.name_en or config.hospital.name,
             session_minutes(config), kiosks_in(config, Scope("hospital")), now))
    return schema


def campuses(conn: Any) -> list[Campus]:
    """The registered campuses, by name (none before the first service registered)."""
    if conn.execute("SELECT to_regclass('hospital_group.campuses')").fetchone()[0] is None:
        return []
    rows = conn.execute("SELECT schema_name, name, name_en, session_minutes, kiosks FROM hospital_group.campuses "
                        "ORDER BY name")
    return [Campus(r[0], r[1], r[2], float(r[3]), int(r[4])) for r in rows.fetchall()]


@contextmanager
def reading(url: str) -> Iterator[Any]:
    """A read-only connection to the group's database (the cockpit's views switch it from schema to schema)."""

    raw = connect(url, application_name="hospital-cockpit-group")
    try:
        raw.execute("SET default_transaction_read_only = on")
        yield PgConnection(raw)
    finally:
        raw.close()


def _in_schema(conn: Any, schema: str) -> None:
    from psycopg import sql  # noqa: PLC0415 - a heavy library, loaded only when this runs

    conn.raw.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))


def _merge(into: rollups.Totals, more: rollups.Totals) -> None:
    for measure, n in more.n.items():
        into.n[measure] += n
    for measure, total in more.total.items():
        into.total[measure] += total
    for measure, buckets in more.hist.items():
        for bucket, n in buckets.items():
            into.hist[measure][bucket] += n


@dataclass
class _Figures:
    totals: rollups.Totals
    capacity: Capacity
    days: dict[str, tuple[rollups.Totals, Capacity]]


def _add(a: Capacity, b: Capacity) -> Capacity:
    return Capacity(a.room_minutes + b.room_minutes, a.kiosk_minutes + b.kiosk_minutes)


def _campus_figures(conn: Any, campus: Campus, first: str, last: str) -> _Figures:
    _in_schema(conn, campus.schema)
    whole = rollups.totals(conn, "hospital", first, last, keys=[""]).get("", rollups.Totals())
    per_day = rollups.totals(conn, "hospital", first, last, keys=[""], by="day")
    rooms = open_minutes(conn, campus.session_minutes, None, first, last, by_day=True)
    kiosks = kiosk_minutes(conn, campus.session_minutes * campus.kiosks, first, last, by_day=True) \
        if campus.kiosks else {}
    days = {d: (t, Capacity(rooms.get(d, 0.0), kiosks.get(d, 0.0))) for d, t in per_day.items()}
    return _Figures(whole, Capacity(sum(rooms.values()), sum(kiosks.values())), days)


def view(conn: Any, scope_level: str, scope_key: str, first: date, last: date) -> dict[str, Any]:
    """The group (``group``) or one campus (``campus``, key: its schema): the shape of cockpit.report.view."""
    a, b = first.isoformat(), last.isoformat()
    found = campuses(conn)
    chosen = found if scope_level == "group" else [c for c in found if c.schema == scope_key]
    if not chosen:
        raise KeyError(scope_key)
    figures = {c.schema: _campus_figures(conn, c, a, b) for c in chosen}
    total, capacity = rollups.Totals(), Capacity()
    by_day: dict[str, tuple[rollups.Totals, Capacity]] = {}
    for fig in figures.values():
        _merge(total, fig.totals)
        capacity = _add(capacity, fig.capacity)
        for d, (t, c) in fig.days.items():
            day_total, day_capacity = by_day.get(d, (rollups.Totals(), Capacity()))
            _merge(day_total, t)
            by_day[d] = (day_total, _add(day_capacity, c))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if scope_level == "group":
        name_zh, name_en = GROUP_ZH, GROUP_EN
        children = [{"level": "campus", "key": c.schema, "name_zh": c.name_zh, "name_en": c.name_en,
                     "kpis": kpis_of("hospital", figures[c.schema].totals, figures[c.schema].capacity)}
                    for c in chosen]
    else:
        name_zh, name_en = chosen[0].name_zh, chosen[0].name_en
        children = []
    empty = (rollups.Totals(), Capacity())
    return {
        "scope": {"level": scope_level, "key": scope_key if scope_level == "campus" else "",
                  "name_zh": name_zh, "name_en": name_en},
        "from": a, "to": b,
        "kpis": kpis_of("hospital", total, capacity),
        "children": children,
        "series": [{"day": d.isoformat(), "kpis": kpis_of("hospital", *by_day.get(d.isoformat(), empty))}
                   for d in days],
        "definitions": [{"id": k.id, "zh": k.zh, "en": k.en, "unit": k.unit} for k in KPIS],
    }
