"""What the service tells Prometheus at ``GET /metrics`` (text exposition format, prometheus-client).

Counted as they happen: commands by kind and result, command latency, event fan-out latency. Read at scrape time
from the running service: subscribers by role, queue lengths and longest waits per area, active wait alerts,
device states, database and WAL size, the age of the last backup. No patient data, ever: only counts and ids of
areas, departments and devices. Each service has its own registry (tests run several services in one process).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

CallerService = Any  # caller.service.CallerService; not imported, because the service imports this module

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BACKUP_MARK_SUFFIX = ".last-backup.json"  # written next to the database by `python -m caller backup`


def backup_mark(db_path: str | Path) -> Path:
    return Path(f"{db_path}{BACKUP_MARK_SUFFIX}")


class ServiceMetrics:
    """The counters a service updates; :meth:`render` gives the exposition text."""

    def __init__(self, service: "CallerService"):
        self.registry = CollectorRegistry()  # the state collector is read at scrape time only
        self.commands = Counter("hospital_commands", "Commands by kind and result (ok, refused, error)",
                                ["command", "result"], registry=self.registry)
        self.command_seconds = Histogram("hospital_command_seconds", "Time to apply, store and answer a command",
                                         ["command"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.fanout_seconds = Histogram("hospital_event_fanout_seconds",
                                        "Time from a committed event to its frames queued for every subscriber",
                                        buckets=LATENCY_BUCKETS, registry=self.registry)
        self.frames_seconds = Histogram("hospital_event_frames_seconds",
                                        "Time serialising one event (its snapshot included) and writing its frames to "
                                        "every subscriber of its area", ["type"], buckets=LATENCY_BUCKETS,
                                        registry=self.registry)
        self.registry.register(_StateCollector(service))
        self._labelled: dict[tuple[str, str], tuple[Any, Any]] = {}  # (command, result) -> its two children, found once

    def command(self, command: str, result: str, seconds: float) -> None:
        children = self._labelled.get((command, result))
        if children is None:  # a labelled child is looked up under a lock: once per command and result
            children = self._labelled[(command, result)] = (self.commands.labels(command, result),
                                                            self.command_seconds.labels(command))
        children[0].inc()
        children[1].observe(seconds)

    def frames(self, event_type: str, seconds: float) -> None:
        self.frames_seconds.labels(event_type).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector(Collector):
    def __init__(self, service: "CallerService"):
        self.service = service

    def collect(self) -> Iterator[GaugeMetricFamily]:
        service = self.service
        subs = GaugeMetricFamily("hospital_subscribers", "Live event subscribers by device role and area",
                                 labels=["role", "area"])
        counts: dict[tuple[str, str], int] = {}
        for area, members in list(service.hub.subscribers.items()):
            for sub in list(members):
                key = (getattr(sub, "role", "") or sub.audience, area)
                counts[key] = counts.get(key, 0) + 1
        for (role, area), n in sorted(counts.items()):
            subs.add_metric([role, area], n)
        yield subs

        writer = service.commands.writer  # group commit (caller/writer.py): commands per transaction = commands / batches
        yield CounterMetricFamily("hospital_write_batches", "Transactions the command writer committed (or failed)",
                                  value=writer.batches)
        yield CounterMetricFamily("hospital_write_batch_commands", "Commands in those transactions",
                                  value=writer.commands)
        yield CounterMetricFamily("hospital_write_batch_seconds",
                                  "Time the writer spent applying and committing them (fsync included)",
                                  value=writer.batch_ns / 1e9)
        yield CounterMetricFamily("hospital_write_batch_cpu_seconds", "The writer thread's CPU time in those",
                                  value=writer.cpu_ns / 1e9)
        yield CounterMetricFamily("hospital_store_commit_seconds", "Time in COMMIT (the fsync) in all",
                                  value=service.store.commit_ns / 1e9)
        yield CounterMetricFamily("hospital_store_begin_seconds", "Time in BEGIN in all",
                                  value=service.store.begin_ns / 1e9)

        length = GaugeMetricFamily("hospital_queue_length", "Patients waiting in an area (area and room queues)",
                                   labels=["area"])
        longest = GaugeMetricFamily("hospital_queue_longest_wait_seconds",
                                    "Longest current wait in an area (since check-in or registration)", labels=["area"])
        with service.lock:
            now = service.clock()
            today = now.date()
            waiting: dict[str, list] = {a.id: [] for a in service.config.areas}
            for visit in service.engine.visits():
                if visit.day == today and visit.in_queue and visit.area_id in waiting:
                    waiting[visit.area_id].append(visit)
            alerts = list(service.engine.wait_alerts(now))
        for area, visits in waiting.items():
            length.add_metric([area], len(visits))
            since = [v.checkin_at or v.registered_at for v in visits if (v.checkin_at or v.registered_at)]
            longest.add_metric([area], max(((now - s).total_seconds() for s in since), default=0.0))
        yield length
        yield longest

        alert = GaugeMetricFamily("hospital_wait_alerts", "Departments over their area's wait threshold now",
                                  labels=["area", "department"])
        for e in alerts:
            alert.add_metric([e.area_id, str(e.data.get("dept_id", ""))], 1)
        yield alert

        devices = GaugeMetricFamily("hospital_device_status", "1 for each device's last reported status",
                                    labels=["device", "role", "status"])
        for d in service.device_watch.devices():
            devices.add_metric([d["device"], str(d.get("role") or ""), str(d.get("status") or "unknown")], 1)
        yield devices

        path = service.store.local_file
        if path is not None:
            size = GaugeMetricFamily("hospital_database_bytes", "Size of the database file", labels=["file"])
            for name, file in (("db", path), ("wal", f"{path}-wal")):
                try:
                    size.add_metric([name], os.path.getsize(file))
                except OSError:
                    size.add_metric([name], 0)
            yield size
            mark = backup_mark(path)
            backup = GaugeMetricFamily("hospital_last_backup_timestamp_seconds",
                                       "When the last checked backup finished (POSIX seconds; 0: never)")
            try:
                backup.add_metric([], float(json.loads(mark.read_text(encoding="utf-8"))["finished"]))
            except (OSError, ValueError, KeyError, TypeError):
                backup.add_metric([], 0.0)
            yield backup
