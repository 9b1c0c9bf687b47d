"""What the service does for systemd while it runs: READY=1, watchdog pings, reload on SIGHUP."""
from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from caller.ops.sdnotify import notify, watchdog_interval

if TYPE_CHECKING:
    from caller.service import CallerService

log = logging.getLogger("caller.ops")


def responsive(service: "CallerService", timeout: float) -> bool:
    """The engine lock can be taken and the database answers within ``timeout`` seconds."""
    if not service.lock.acquire(timeout=timeout):
        return False
    try:
        service.store.conn.execute("SELECT 1").fetchone()
        return True
    except Exception:
        log.exception("the database does not answer")
        return False
    finally:
        service.lock.release()


async def _watchdog(service: "CallerService", every: float) -> None:
    while True:
        await asyncio.sleep(every)
        if await asyncio.to_thread(responsive, service, every):
            notify("WATCHDOG=1")
        else:
            log.error("not pinging the watchdog: the service is stuck; systemd will restart it")


def _reload_on_sighup(service: "CallerService", path: Path) -> None:
    loop = asyncio.get_running_loop()

    async def reload() -> None:
        notify("RELOADING=1")
        try:
            await asyncio.to_thread(service.reload_file, path)
        except Exception as exc:  # refused: the running configuration stays; the audit and the log say why
            log.error("reload refused: %s", exc)
        finally:
            notify("READY=1")

    try:
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(reload()))
    except (RuntimeError, ValueError, NotImplementedError):
        log.debug("not in the main thread: no SIGHUP reload (tests)")


def start(service: "CallerService", config_path: str | Path | None) -> list[asyncio.Task]:
    """Call from the app's lifespan once everything is up; cancel the returned tasks on shutdown."""
    tasks = []
    if config_path:
        _reload_on_sighup(service, Path(config_path))
    every = watchdog_interval()
    if every:
        tasks.append(asyncio.create_task(_watchdog(service, every)))
    notify("READY=1")
    return tasks
