"""Drop-in replacement for the earlier KissBot client (``core/monitor_client.py``).

Change one import line::

    from kissmon.compat import MonitorClient   # was: from core.monitor_client import MonitorClient

Same names and signatures, non-blocking underneath: every call only queues
the message for the core's sender thread, and the message is kept and
delivered when the monitor is (or comes) up, whatever the return value says.

Return values keep their old meaning, "the monitor is reachable":

* ``async`` methods and ``*_async`` functions return True once the message is
  written, within ``timeout`` seconds. They return False sooner when no
  connection could be made within a short grace (``CONNECT_GRACE``), as the
  old client did when the socket was absent. They await on the loop; they
  never block it.
* The sync functions (``register_with_monitor``, ``send_heartbeat``,
  ``unregister_from_monitor``) never wait on the monitor: they return whether
  the client holds a connection now. A client's first call waits only for its
  first (non-blocking) connect attempt to finish.

Invalid arguments raise ``ValueError``/``TypeError`` naming the argument,
where the old client would have sent them and hoped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from . import _native
from ._client import MonitorClient as _Client

__all__ = [
    "DEFAULT_SOCKET_PATH",
    "HeartbeatTask",
    "MonitorClient",
    "features_to_dict",
    "register_with_monitor",
    "register_with_monitor_async",
    "send_heartbeat",
    "send_heartbeat_async",
    "unregister_from_monitor",
    "unregister_from_monitor_async",
]

DEFAULT_SOCKET_PATH: str = _native.DEFAULT_SOCKET_PATH
#: How long an async call waits for a connection before it says "unreachable".
CONNECT_GRACE = 0.1
#: The longest a sync call's first use of a client waits for its first connect attempt.
FIRST_CONNECT_LIMIT = 0.05


def features_to_dict(features: Any) -> dict[str, bool]:
    """Features as the ``{name: bool}`` dict that ``register`` sends.

    Takes None, a mapping, a dataclass, or an object whose bool attributes
    are the features.
    """
    if features is None:
        return {}
    if isinstance(features, Mapping):
        return {str(name): bool(enabled) for name, enabled in features.items()}
    if dataclasses.is_dataclass(features) and not isinstance(features, type):
        fields = {field.name: getattr(features, field.name) for field in dataclasses.fields(features)}
    else:
        fields = dict(vars(features))
    return {name: value for name, value in fields.items() if isinstance(value, bool) and not name.startswith("_")}


async def _reachable(client: _Client, timeout: float) -> bool:
    """Awaits delivery of what was queued, up to ``timeout``; False early if unconnected."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = start + max(0.0, timeout)
    grace = start + min(max(0.0, timeout), CONNECT_GRACE)
    delay = 0.0005
    # flush(0) never waits: it says whether everything is written, and asks the sender to connect now.
    while not client.flush(0):
        now = loop.time()
        if now >= deadline or (now >= grace and not client.stats().connected):
            return False
        await asyncio.sleep(min(delay, deadline - now))
        delay = min(delay * 2, 0.02)
    return True


def _connected(client: _Client) -> bool:
    """Whether the client holds a connection now; never waits on the monitor."""
    if client.flush(0):
        return True
    limit = time.monotonic() + FIRST_CONNECT_LIMIT
    stats = client.stats()
    # A fresh client's first connect attempt is a non-blocking connect() on the sender thread.
    while not stats.connected and stats.last_error is None and stats.sent == 0 and time.monotonic() < limit:
        time.sleep(0.0005)
        stats = client.stats()
    return stats.connected


_shared: dict[tuple[str, int, str], _Client] = {}
_shared_lock = threading.Lock()


def _fresh_lock_in_child() -> None:
    # Another thread may have held the lock at fork time; it would stay held in the child.
    global _shared_lock
    _shared_lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_in_child)


def _client_for(channel: str, pid: int, socket_path: str) -> _Client:
    """One client per (channel, pid, socket), kept until exit: the old code
    opened a connection per message; here they share a queue, a connection
    and a registration."""
    key = (channel, pid, socket_path)
    with _shared_lock:
        client = _shared.get(key)
        if client is None:
            client = _shared[key] = _Client(channel, pid=pid, socket_path=socket_path)
        return client


class MonitorClient:
    """The earlier client's API over ``kissmon.MonitorClient``."""

    def __init__(self, channel: str, pid: int, socket_path: str = DEFAULT_SOCKET_PATH, timeout: float = 2.0) -> None:
        self.channel = channel
        self.pid = pid
        self.socket_path = socket_path
        self.timeout = timeout
        # Shared with the module functions, so that a short-lived MonitorClient
        # object does not unregister the bot when it is garbage collected.
        self.client = _client_for(channel, pid, socket_path)

    async def register(self, features: Mapping[str, bool] | None = None) -> bool:
        """Registers the bot; True if the monitor got it within ``timeout``."""
        self.client.register(features_to_dict(features))
        return await _reachable(self.client, self.timeout)

    async def heartbeat(self) -> bool:
        """Sends one heartbeat; True if the monitor got it within ``timeout``."""
        self.client.heartbeat()
        return await _reachable(self.client, self.timeout)

    async def unregister(self) -> bool:
        """Unregisters the bot (and stops the heartbeat); True if the monitor got it."""
        self.client.unregister()
        return await _reachable(self.client, self.timeout)

    async def log_llm_usage(
        self, model: str, feature: str, tokens_in: int, tokens_out: int, latency_ms: float | None = None
    ) -> bool:
        """Reports one LLM call; True if the monitor got it within ``timeout``."""
        self.client.log_llm_usage(model, feature, tokens_in, tokens_out, latency_ms)
        return await _reachable(self.client, self.timeout)

    async def start_heartbeat(self, interval: float = 30) -> None:
        """Heartbeats every ``interval`` seconds, as a task on the running loop."""
        self.client.start_heartbeat(interval)

    async def stop_heartbeat(self) -> None:
        """Stops the periodic heartbeat."""
        self.client.stop_heartbeat()
        await asyncio.sleep(0)  # let the cancelled task finish, as awaiting it did


def register_with_monitor(
    channel: str,
    pid: int,
    features: Mapping[str, bool] | None = None,
    socket_path: str = DEFAULT_SOCKET_PATH,
    timeout: float = 2.0,
) -> bool:
    """Registers the bot; returns whether the monitor is connected now (never waits on it)."""
    client = _client_for(channel, pid, socket_path)
    client.register(features_to_dict(features))
    return _connected(client)


async def register_with_monitor_async(
    channel: str,
    pid: int,
    features: Mapping[str, bool] | None = None,
    socket_path: str = DEFAULT_SOCKET_PATH,
    timeout: float = 2.0,
) -> bool:
    """Registers the bot; True if the monitor got it within ``timeout``."""
    client = _client_for(channel, pid, socket_path)
    client.register(features_to_dict(features))
    return await _reachable(client, timeout)


def send_heartbeat(channel: str, pid: int, socket_path: str = DEFAULT_SOCKET_PATH, timeout: float = 2.0) -> bool:
    """Sends one heartbeat; returns whether the monitor is connected now (never waits on it)."""
    client = _client_for(channel, pid, socket_path)
    client.heartbeat()
    return _connected(client)


async def send_heartbeat_async(
    channel: str, pid: int, socket_path: str = DEFAULT_SOCKET_PATH, timeout: float = 2.0
) -> bool:
    """Sends one heartbeat; True if the monitor got it within ``timeout``."""
    client = _client_for(channel, pid, socket_path)
    client.heartbeat()
    return await _reachable(client, timeout)


def unregister_from_monitor(
    channel: str, pid: int, socket_path: str = DEFAULT_SOCKET_PATH, timeout: float = 2.0
) -> bool:
    """Unregisters the bot; returns whether the monitor is connected now (never waits on it)."""
    client = _client_for(channel, pid, socket_path)
    client.unregister()
    return _connected(client)


async def unregister_from_monitor_async(
    channel: str, pid: int, socket_path: str = DEFAULT_SOCKET_PATH, timeout: float = 2.0
) -> bool:
    """Unregisters the bot; True if the monitor got it within ``timeout``."""
    client = _client_for(channel, pid, socket_path)
    client.unregister()
    return await _reachable(client, timeout)


class HeartbeatTask:
    """The earlier periodic heartbeat (deprecated there, kept working here)."""

    def __init__(
        self,
        channel: str,
        pid: int,
        interval: float = 30,
        socket_path: str = DEFAULT_SOCKET_PATH,
        timeout: float = 2.0,
    ) -> None:
        self.channel = channel
        self.pid = pid
        self.interval = interval
        self.socket_path = socket_path
        self.timeout = timeout
        self.running = False

    async def start(self) -> None:
        """Heartbeats every ``interval`` seconds, as a task on the running loop."""
        _client_for(self.channel, self.pid, self.socket_path).start_heartbeat(self.interval)
        self.running = True

    async def stop(self) -> None:
        """Stops the heartbeat."""
        _client_for(self.channel, self.pid, self.socket_path).stop_heartbeat()
        self.running = False
        await asyncio.sleep(0)
