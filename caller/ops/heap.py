"""The serving program's heap, settled once the service has started (``caller serve`` adds :data:`SETTLED_HEAP` to
its plug-ins; tests and tools that build many apps in one process do not).

What the service loads to serve (modules, the hospital's settings, the routes and models, today's queues) lives as
long as the process. Python's garbage collector would still walk all of it in every full collection: about 110,000
objects, 80-130 ms on the two-core machine with the walls' browsers busy, during which nothing else runs. A call
that met one was the slowest call to reach the web walls (``bench/run call_to_web_wall``). Once the app has
started (and again after a takeover, which loads a new app), one collection frees what start-up left behind and
``gc.freeze()`` moves the survivors out of the collector's way: later collections walk only what was made since.
When the app stops, the objects are handed back to the collector.
"""
from __future__ import annotations

import gc
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

log = logging.getLogger("caller.ops.heap")


def settle() -> dict[str, float]:
    """Collect once, then freeze what survived; returns the objects frozen and the milliseconds it took."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    taken = {"frozen": gc.get_freeze_count(), "ms": round((time.perf_counter() - started) * 1000, 1)}
    log.info("heap settled: %(frozen)d objects kept out of collections (%(ms)s ms)", taken)
    return taken


@asynccontextmanager
async def _settled() -> AsyncIterator[None]:
    settle()
    try:
        yield
    finally:
        gc.unfreeze()


class SettledHeap:
    """A plug-in of the serving program: the heap is settled after the other plug-ins have started (it is installed
    last, and lifespan hooks are entered in order)."""

    def install(self, app: Any, service: Any, hooks: Any) -> None:
        hooks.lifespan.append(_settled)


SETTLED_HEAP = SettledHeap()
