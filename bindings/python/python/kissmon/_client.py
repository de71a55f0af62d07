"""``kissmon.MonitorClient``: the core's client plus what belongs to Python.

The native base class does every call; this layer fires the core's heartbeat
schedule from the asyncio loop, and adds awaitable ``aflush``/``aclose``,
``with``/``async with``, warning logging and closing at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from . import _native
from ._warnings import WarningLog

_T = TypeVar("_T")
_Self = TypeVar("_Self", bound="MonitorClient")

#: How long, in total, the interpreter's exit waits for live clients to
#: deliver: the core's budget for every binding's exit hook.
EXIT_TIMEOUT = _native.EXIT_FLUSH_BUDGET
_FLUSH_TIMEOUT = _native.DEFAULT_FLUSH_TIMEOUT
_CLOSE_TIMEOUT = _native.DEFAULT_CLOSE_TIMEOUT

_live: weakref.WeakSet[MonitorClient] = weakref.WeakSet()


class MonitorClient(_native.MonitorClient):
    """The non-blocking client of one bot.

    ``MonitorClient(channel, *, pid=None, socket_path=None, queue_capacity=1024,
    max_aggregates=256, heartbeat_interval=30.0)``

    No method waits on the monitor except ``flush``/``close`` (bounded by their
    timeout, GIL released) and their awaitable twins ``aflush``/``aclose``. An
    absent, slow, stuck or restarting monitor never raises: what cannot be
    written yet waits in a bounded queue, and what cannot wait is folded or
    counted in ``stats()``. Invalid arguments raise ``InvalidArgumentError``
    (a ``ValueError``) or ``TypeError``, both with ``.argument`` naming it.

    ``pid`` defaults to this process (and to the child's own after a fork);
    ``socket_path`` to ``$KISSBOT_MONITOR_SOCKET``, else
    ``/tmp/kissbot_monitor.sock``. Durations are in seconds.
    """

    def __init__(self, channel: str, **_settings: Any) -> None:
        # The native __new__ has checked and used every argument already.
        self._warning_log = WarningLog()
        self._beat_task: asyncio.Task[None] | None = None
        _live.add(self)

    def start_heartbeat(self, interval: float | None = None) -> None:
        """Heartbeats now and then every ``interval`` seconds (default: ``heartbeat_interval``).

        Inside a running asyncio loop a task on that loop fires the beats, so a
        stalled loop shows at the monitor as late (``lag_ms``) or missing beats.
        Outside a loop the core's sender thread fires them. The schedule itself
        is the core's either way: ``unregister``, ``stop_heartbeat``, ``close``
        and a new ``start_heartbeat`` end it. Does nothing after ``close``.
        """
        seconds = self.heartbeat_interval if interval is None else interval
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            super().start_heartbeat(seconds)
            self._cancel_beat_task()
            return
        schedule = self.start_host_heartbeat(seconds)
        self._cancel_beat_task()
        self._beat_task = loop.create_task(self._beat(schedule))
        self._drain_warnings()

    async def _beat(self, schedule: int) -> None:
        """The timer of the core's schedule on this loop: ticks until the core says it ended."""
        while True:
            delay = self.heartbeat_tick(schedule)
            if delay is None:
                return
            self._drain_warnings()
            await asyncio.sleep(delay)

    def unregister(self) -> None:
        """Says the bot is leaving and stops the periodic heartbeat."""
        super().unregister()
        self._cancel_beat_task()

    def stop_heartbeat(self) -> None:
        """Stops the periodic heartbeat, whichever of the loop or the sender thread fires it."""
        super().stop_heartbeat()
        self._cancel_beat_task()

    def _cancel_beat_task(self) -> None:
        """Ends the loop's timer of a schedule the core has ended (its next tick would end it too)."""
        task, self._beat_task = self._beat_task, None
        if task is not None and not task.done():
            task.cancel()

    def flush(self, timeout: float = _FLUSH_TIMEOUT) -> bool:
        """Waits up to ``timeout`` seconds for every call made so far to be
        written; returns whether they were. Releases the GIL while waiting."""
        delivered = super().flush(timeout)
        self._drain_warnings()
        return delivered

    def close(self, timeout: float = _CLOSE_TIMEOUT) -> bool:
        """Unregisters if registered, flushes for up to ``timeout`` seconds and
        stops the sender. Returns whether everything was written. Idempotent;
        later calls are ignored and counted as dropped."""
        self._cancel_beat_task()
        clean = super().close(timeout)
        self._drain_warnings()
        return clean

    async def aflush(self, timeout: float = _FLUSH_TIMEOUT) -> bool:
        """``flush`` for asyncio: the wait runs off the event loop."""
        delivered = await _off_loop(super().flush, timeout)
        self._drain_warnings()
        return delivered

    async def aclose(self, timeout: float = _CLOSE_TIMEOUT) -> bool:
        """``close`` for asyncio: the wait runs off the event loop."""
        self._cancel_beat_task()
        clean = await _off_loop(super().close, timeout)
        self._drain_warnings()
        return clean

    def stats(self) -> _native.Stats:
        """A snapshot of the counters: ``queued``, ``sent``, ``dropped``,
        ``coalesced``, ``reconnects``, ``connected``, ``last_error``, and the
        protocol 1.1 counters ``acked``, ``unacked``, ``resent``, ``acks_active``."""
        self._drain_warnings()
        return super().stats()

    def _drain_warnings(self) -> None:
        warnings = self.take_warnings()
        if warnings:
            self._warning_log.emit(self.channel, warnings)

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self: _Self) -> _Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _off_loop(wait: Callable[[float], _T], timeout: float) -> _T:
    """Runs a bounded blocking wait on a short-lived thread and awaits it.

    A thread per wait rather than a pool: waits are rare, bounded, and a
    pool's idle threads would not survive a fork.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result, error = wait(timeout), None
        except BaseException as exc:  # handed to the awaiting task
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the loop closed meanwhile; nobody awaits the result

    threading.Thread(target=run, name="kissmon-wait", daemon=True).start()
    return await future


@atexit.register
def _close_at_exit() -> None:
    """Closes live clients so queued lines go out before the interpreter exits."""
    deadline = time.monotonic() + EXIT_TIMEOUT
    for client in list(_live):
        client.close(max(0.0, deadline - time.monotonic()))
