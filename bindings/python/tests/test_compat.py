"""kissmon.compat: the earlier client's API, end to end against a real socket,
writing the line shapes the earlier monitor reads."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

import pytest

import kissmon
from kissmon import compat

from support import Monitor

# What the earlier monitor (core/monitor.py) read from each line type, in its order.
LEGACY_FIELDS = {
    "register": {"channel": str, "pid": int, "features": dict},
    "heartbeat": {"channel": str, "pid": int},
    "unregister": {"channel": str, "pid": int},
    "llm_usage": {"channel": str, "model": str, "feature": str, "tokens_in": int, "tokens_out": int},
}


def legacy_view(line: str) -> dict[str, Any]:
    """Reads a line as the earlier monitor did, failing where it would have."""
    message = json.loads(line)
    fields = LEGACY_FIELDS[message["type"]]
    keys = list(message)
    assert keys[: 1 + len(fields)] == ["type", *fields], f"legacy fields first, in order: {keys}"
    for name, kind in fields.items():
        assert isinstance(message[name], kind), (name, message)
    if message["type"] == "llm_usage" and "latency_ms" in message:
        assert keys[6] == "latency_ms" and isinstance(message["latency_ms"], (int, float))
    return message


def test_client_end_to_end(monitor: Monitor, sock_path: str) -> None:
    async def bot() -> None:
        client = compat.MonitorClient("el_serda", 4242, socket_path=sock_path, timeout=2.0)
        assert await client.register({"llm": True, "translator": False}) is True
        assert await client.heartbeat() is True
        assert await client.log_llm_usage("gpt-4", "jokes", 145, 87, 1850) is True
        assert await client.log_llm_usage("gpt-4", "jokes", 1, 2) is True
        await client.start_heartbeat(0.05)
        await asyncio.sleep(0.2)
        await client.stop_heartbeat()
        assert await client.unregister() is True

    asyncio.run(bot())
    # The unregister was written before asyncio.run returned, but the monitor's
    # reader thread may not have read it yet: wait for it, not for a fixed time.
    lines = monitor.take(6)
    deadline = time.monotonic() + 3.0
    while not any('"unregister"' in line for line in lines) and time.monotonic() < deadline:
        lines += monitor.take(1, deadline - time.monotonic())
    messages = [legacy_view(line) for line in lines]
    kinds = [m["type"] for m in messages]
    assert kinds[:4] == ["register", "heartbeat", "llm_usage", "llm_usage"]
    assert kinds[-1] == "unregister"
    assert kinds.count("heartbeat") >= 3, "the periodic heartbeat ran"
    assert all(m["channel"] == "el_serda" and m["pid"] == 4242 for m in messages)
    assert messages[0]["features"] == {"llm": True, "translator": False}
    assert messages[2]["latency_ms"] == 1850 and messages[2]["tokens_in"] == 145
    assert "latency_ms" not in messages[3]


def test_unreachable_returns_false_soon_and_keeps_the_message(idle_monitor: Monitor, sock_path: str) -> None:
    async def bot() -> None:
        client = compat.MonitorClient("el_serda", 4242, socket_path=sock_path, timeout=2.0)
        started = time.monotonic()
        assert await client.register({"llm": True}) is False
        assert await client.log_llm_usage("gpt-4", "jokes", 5, 6) is False
        # The old client failed fast on a missing socket; so does this one, well inside `timeout`.
        assert time.monotonic() - started < 1.0
        idle_monitor.start()
        assert await client.heartbeat() is True

    asyncio.run(bot())
    kinds = [legacy_view(line)["type"] for line in idle_monitor.take(3)]
    assert kinds[:3] == ["register", "llm_usage", "heartbeat"], "kept while away, delivered when it appeared"


def test_stuck_monitor_returns_false_at_timeout(monitor: Monitor, sock_path: str) -> None:
    monitor.pause_reading()

    async def bot() -> None:
        client = compat.MonitorClient("stuck_bot", 4242, socket_path=sock_path, timeout=0.3)
        # Large registrations fill the socket the monitor does not read.
        big = {f"feature_{n}": True for n in range(1000)}
        started = time.monotonic()
        results = [await client.register(big) for _ in range(20)]
        assert results[-1] is False
        assert time.monotonic() - started < 20 * 0.3 + 2, "each call waited at most its timeout"
        client.client.close(0)

    asyncio.run(bot())


def test_module_functions(monitor: Monitor, sock_path: str) -> None:
    assert compat.register_with_monitor("fn_bot", 77, {"llm": True}, socket_path=sock_path) is True
    assert compat.send_heartbeat("fn_bot", 77, socket_path=sock_path) is True

    async def bot() -> None:
        assert await compat.register_with_monitor_async("fn_bot", 77, {"llm": False}, sock_path) is True
        assert await compat.send_heartbeat_async("fn_bot", 77, sock_path) is True
        assert await compat.unregister_from_monitor_async("fn_bot", 77, sock_path) is True

    asyncio.run(bot())
    assert compat.unregister_from_monitor("fn_bot", 77, socket_path=sock_path) is True
    messages = [legacy_view(line) for line in monitor.take(5)]
    # The sync calls do not wait for delivery, so a heartbeat may share a batch
    # with the next register (written first) or coalesce with the next heartbeat.
    registers = [m for m in messages if m["type"] == "register"]
    assert [r["features"] for r in registers] == [{"llm": True}, {"llm": False}]
    assert any(m["type"] == "heartbeat" for m in messages)
    assert messages[-1]["type"] == "unregister"
    assert len({m["instance"] for m in messages}) == 1, "the functions share one client per (channel, pid)"


def test_sync_functions_never_wait_on_an_absent_monitor(sock_path: str) -> None:
    started = time.monotonic()
    assert compat.register_with_monitor("absent_bot", 78, None, socket_path=sock_path) is False
    assert compat.send_heartbeat("absent_bot", 78, socket_path=sock_path) is False
    # Each gives up after the 50 ms first-connect limit; a call that waited on
    # the monitor would take its 2 s timeout. Loose for a loaded machine.
    assert time.monotonic() - started < 1.0


def test_heartbeat_task(monitor: Monitor, sock_path: str) -> None:
    async def bot() -> None:
        task = compat.HeartbeatTask("beater", 79, interval=0.05, socket_path=sock_path)
        await task.start()
        assert task.running
        await asyncio.sleep(0.22)
        await task.stop()
        assert not task.running

    asyncio.run(bot())
    beats = [legacy_view(line) for line in monitor.take(4)]
    assert len(beats) >= 4 and {b["type"] for b in beats} == {"heartbeat"}
    assert all("lag_ms" in b for b in beats), "the task runs on the loop and reports its lag"


@dataclasses.dataclass
class BotFeatures:
    llm: bool = True
    translator: bool = False
    name: str = "not a feature"


class PlainFeatures:
    def __init__(self) -> None:
        self.llm = True
        self._private = True
        self.retries = 3


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (None, {}),
        ({"llm": True, "translator": 0}, {"llm": True, "translator": False}),
        (BotFeatures(), {"llm": True, "translator": False}),
        (PlainFeatures(), {"llm": True}),
    ],
)
def test_features_to_dict(features: Any, expected: dict[str, bool]) -> None:
    assert compat.features_to_dict(features) == expected


def test_bad_arguments_still_name_the_argument(sock_path: str) -> None:
    client = compat.MonitorClient("el_serda", 4242, socket_path=sock_path)
    with pytest.raises(kissmon.InvalidArgumentError) as caught:
        asyncio.run(client.log_llm_usage("gpt-4", "jokes", -1, 2))
    assert caught.value.argument == "tokens_in"
    with pytest.raises(kissmon.InvalidArgumentError) as caught:
        compat.MonitorClient("", 4242, socket_path=sock_path)
    assert caught.value.argument == "channel"
    client.client.close(0)


def test_one_import_line_is_the_migration() -> None:
    """The earlier module's public names all exist, with the earlier signatures."""
    import inspect

    signature = inspect.signature(compat.MonitorClient.__init__)
    assert list(signature.parameters)[1:] == ["channel", "pid", "socket_path", "timeout"]
    assert signature.parameters["socket_path"].default == "/tmp/kissbot_monitor.sock"
    assert signature.parameters["timeout"].default == 2.0
    for name in ("register", "heartbeat", "unregister", "log_llm_usage", "start_heartbeat", "stop_heartbeat"):
        assert inspect.iscoroutinefunction(getattr(compat.MonitorClient, name)), name
    usage = inspect.signature(compat.MonitorClient.log_llm_usage)
    assert list(usage.parameters)[1:] == ["model", "feature", "tokens_in", "tokens_out", "latency_ms"]
    assert inspect.signature(compat.MonitorClient.start_heartbeat).parameters["interval"].default == 30
    for name in compat.__all__:
        assert hasattr(compat, name), name
