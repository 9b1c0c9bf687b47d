"""Hospital time: one clock for every day, slot, session, release hour and rollover.

Throughout the code a naive ``datetime`` means the hospital's wall-clock time in the time zone its file names
(``[hospital] timezone``, default Asia/Shanghai), whatever zone the machine is set to. Two clocks produce it:

- :class:`HospitalClock` on the service: an instant (``time.time()``) shown in the hospital's zone.
- :class:`ServiceClock` on kiosks, consoles, screens and speakers: this machine's clock corrected by the offset
  last measured against the service's ``/healthz``, so that what they show and print is the service's time. An
  offset of more than :data:`DRIFT_WARNING_S` seconds is reported as a device warning (fix NTP on that machine).

Nothing else in the project calls ``datetime.now()`` or ``date.today()``.
"""
from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"
DRIFT_WARNING_S = 5.0


def zone(name: str = DEFAULT_TIMEZONE) -> ZoneInfo:
    """The zone of that IANA name; ValueError (with what to do) when the machine does not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as 'Asia/Shanghai'; "
                         "the machine needs the tzdata package)") from None


class HospitalClock:
    """``clock()`` is the hospital's wall-clock time now (naive); ``clock.aware()`` the same with its zone.

    ``source`` gives the instant as POSIX seconds (``time.time`` by default), so tests can move it.
    """

    def __init__(self, timezone: str = DEFAULT_TIMEZONE, source: Callable[[], float] = time.time):
        self.zone = zone(timezone)
        self.source = source

    def __call__(self) -> datetime:
        return self.aware().replace(tzinfo=None)

    def aware(self) -> datetime:
        return datetime.fromtimestamp(self.source(), self.zone)

    def today(self) -> date:
        return self().date()


def hospital_now(timezone: str = DEFAULT_TIMEZONE) -> datetime:
    """The hospital's wall-clock time now (naive), for code that has no clock handed to it."""
    return HospitalClock(timezone)()


def with_zone(naive: datetime, tz: ZoneInfo) -> datetime:
    """A naive hospital time made aware (what the service serves as its ``time``)."""
    return naive if naive.tzinfo else naive.replace(tzinfo=tz)


def clock_rate(clock: object) -> float:
    """Clock seconds per real second: 1, except on a demo's simulated clock (its ``speed``) that runs fast."""
    return float(getattr(clock, "speed", 1.0) or 1.0)


class ServiceClock:
    """The service's time on a client. ``clock()`` naive hospital time, ``clock.aware()`` with its zone.

    Until the first :meth:`sync` it is this machine's clock in the default zone. ``sync(client)`` reads the
    service's ``/healthz`` (``time``, ``timezone``) and keeps the offset, taking the middle of the round trip.
    """

    def __init__(self, timezone: str = DEFAULT_TIMEZONE, local: Callable[[], float] = time.time):
        self.zone = zone(timezone)
        self.local = local
        self.offset = 0.0  # service minus this machine, seconds, at the last measure
        self.rate = 1.0  # service seconds per second of this machine: 1, except on a demo's fast clock
        self._measured_at = 0.0  # this machine's time of the last measure
        self.synced = False
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self.aware().replace(tzinfo=None)

    def aware(self) -> datetime:
        with self._lock:
            offset, tz, rate, at = self.offset, self.zone, self.rate, self._measured_at
        now = self.local()
        return datetime.fromtimestamp(now + offset + (now - at) * (rate - 1.0) if rate != 1.0 else now + offset, tz)

    def today(self) -> date:
        return self().date()

    def observe(self, service_time: str, timezone: str | None, sent: float, received: float,
                rate: float | None = None) -> float:
        """Take the service's ``time`` (ISO 8601 with offset) seen between ``sent`` and ``received``; ``rate``
        (service seconds per real second, said by a demo service whose clock runs fast) keeps the clock in step
        between two measures."""
        when = datetime.fromisoformat(service_time)
        tz = zone(timezone) if timezone else self.zone
        if when.tzinfo is None:
            when = when.replace(tzinfo=tz)
        with self._lock:
            self._measured_at = (sent + received) / 2
            self.offset = when.timestamp() - self._measured_at
            self.rate = rate if rate and rate > 0 else 1.0
            self.zone = tz
            self.synced = True
        return self.offset

    def sync(self, client: Any) -> float | None:
        """Measure against the service through ``client.healthz()`` (whose errors pass through); the offset,
        or None when the service does not say its time."""
        sent = self.local()
        health = client.healthz()
        received = self.local()
        if not isinstance(health, dict) or not health.get("time"):
            return None
        try:
            return self.observe(str(health["time"]), health.get("timezone"), sent, received,
                                float(health.get("rate") or 1.0))
        except ValueError:
            return None

    def drift_warning(self) -> tuple[str, str] | None:
        """(Chinese, English) warning when this machine's clock is off by more than a few seconds."""
        if not self.synced or abs(self.offset) <= DRIFT_WARNING_S or self.rate != 1.0:  # a demo's clock: no NTP fault
            return None
        seconds = round(abs(self.offset))
        way_zh, way_en = ("慢", "behind") if self.offset > 0 else ("快", "ahead of")
        return (f"本机时钟比服务器{way_zh} {seconds} 秒，已按服务器时间显示；请检查时间同步（NTP）",
                f"this machine's clock is {seconds} s {way_en} the service; showing the service's time, check NTP")

class ManualClock:
    """A clock tests can move: ``clock.now`` is returned, ``clock.advance(minutes=5)`` moves it."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime(2026, 11, 23, 9, 0, 0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set(self, now: datetime) -> None:
        with self._lock:
            self.now = now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.now = self.now + timedelta(**delta)


def utc_now() -> datetime:
    """This machine's time in UTC (aware), for what the outside world dates in UTC rather than in the hospital's
    wall-clock time: the validity of a certificate."""
    return datetime.now(UTC)
