"""Group commit: the one thread that applies queued commands and commits them, many to a transaction.

The API's handlers put their command in :class:`CommandWriter`'s queue and wait for its answer without holding
the event loop. The writer thread takes every command queued so far, in arrival order, and hands them as one
batch to the service (``run_batch``), which applies them in that order and writes them in ONE transaction: one
commit, one fsync for the batch. Commands that arrive while that commit is in flight wait for the next batch.
So under load each fsync carries many commands, and a quiet service still commits each command at once.

Nothing is acknowledged before its commit: ``run_batch`` fills each command's result (or error) only after the
transaction holding it committed (or failed: then every command of the batch gets the error). The answers go
back to the loop in one call, and the batch's events are sent right after them (see ``EventHub.publish``).
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections import deque
from typing import Any, Callable

log = logging.getLogger("caller.writer")

BATCH_MAX = 256  # commands in one transaction at most (a burst of more is committed in several)


class Queued:
    """One command waiting for the writer: what to run, and where its answer goes."""

    __slots__ = ("command", "who", "key", "body_hash", "extra_writes", "args", "future", "result", "error",
                 "started", "done", "context")

    def __init__(self, command: str, who: Any, key: str | None, body_hash: str, extra_writes: Any, args: dict,
                 future: asyncio.Future | None = None, started: float = 0.0):
        self.command, self.who, self.key, self.body_hash = command, who, key, body_hash
        self.extra_writes, self.args, self.future, self.started = extra_writes, args, future, started
        self.result: dict | None = None
        self.error: BaseException | None = None
        self.done: threading.Event | None = None  # set once answered, for a caller waiting on a thread (no loop)
        # the submitter's context variables (who is asking, for a plug-in's audit): the command runs in them
        self.context = contextvars.copy_context()


class CommandWriter:
    """A daemon thread running ``run_batch(list[Queued])`` on whatever is queued; answers go to the loop."""

    def __init__(self, run_batch: Callable[[list[Queued]], None], after: Callable[[], None] | None = None,
                 after_elsewhere: Callable[[], None] | None = None):
        self._run_batch = run_batch
        self._after = after  # on the loop, after a batch's answers were handed out (the hub sends its events)
        self._after_elsewhere = after_elsewhere  # any thread: the same when no answer went to a loop
        self._queue: deque[Queued] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._in_batch = False  # a batch is being applied and committed (read without the lock: a hint)
        # counted by the writer thread, read by /metrics: transactions, the commands they held, time in them
        self.batches = 0
        self.commands = 0
        self.batch_ns = 0
        self.cpu_ns = 0  # the writer thread's own CPU time in batches (the rest of batch_ns: fsync, GIL waits)

    def submit(self, item: Queued) -> None:
        """Queue a command whose ``future`` belongs to the running loop; its answer is set there."""
        with self._cond:
            if self._stopping:
                raise RuntimeError("the service is stopping")
            self._queue.append(item)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="caller-writer", daemon=True)
                self._thread.start()
            self._cond.notify()

    def on_writer(self) -> bool:
        """True on the writer thread itself (a command run from inside a batch cannot wait for the next one)."""
        return threading.current_thread() is self._thread

    def run(self, item: Queued, timeout: float | None = None) -> None:
        """Queue a command from a thread that is not an event loop's and wait until it was answered."""
        item.done = threading.Event()
        self.submit(item)
        if not item.done.wait(timeout):
            raise TimeoutError("the command writer did not answer")

    def busy(self) -> bool:
        """Commands queued or being applied and committed (any thread; a hint for work that may wait, such as the
        phone pages' background refresh, which would otherwise hold the GIL the writer thread needs)."""
        return self._in_batch or bool(self._queue)

    def waiting(self) -> int:
        """Commands queued and not yet taken into a batch."""
        with self._cond:
            return len(self._queue)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                n = min(len(self._queue), BATCH_MAX)
                batch = [self._queue.popleft() for _ in range(n)]
                self._in_batch = True
            t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
            try:
                self._run_batch(batch)
            except BaseException as exc:  # noqa: BLE001 - a bug in the batch runner fails its commands, not the thread
                log.exception("a batch of %d commands failed", len(batch))
                for item in batch:
                    if item.result is None and item.error is None:
                        item.error = exc
            self._in_batch = False
            self.batch_ns += time.perf_counter_ns() - t0
            self.cpu_ns += time.thread_time_ns() - c0
            self.batches += 1
            self.commands += len(batch)
            by_loop: dict[asyncio.AbstractEventLoop, list[Queued]] = {}
            for item in batch:
                if item.future is not None:
                    by_loop.setdefault(item.future.get_loop(), []).append(item)
            if not by_loop and self._after_elsewhere is not None:
                try:  # before the waiting threads go on: without a loop their events are sent by then
                    self._after_elsewhere()
                except Exception:  # noqa: BLE001 - sending is the hub's business; the answers still go out
                    log.exception("sending a batch's events failed")
            for item in batch:
                if item.done is not None:
                    item.done.set()
            for loop, items in by_loop.items():
                try:
                    loop.call_soon_threadsafe(self._deliver, items)
                except RuntimeError:  # that loop is closed: nobody waits for these answers any more
                    pass

    def _deliver(self, batch: list[Queued]) -> None:
        for item in batch:
            future = item.future
            if future is None or future.done():  # (a waiter that gave up: nobody takes the answer)
                continue
            if item.error is not None:
                future.set_exception(item.error)
            else:
                future.set_result(item.result)
        if self._after is not None:
            # scheduled, not called: the handlers woken above write their answers first, then the frames go out
            asyncio.get_running_loop().call_soon(self._after)
