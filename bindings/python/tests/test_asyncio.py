"""asyncio: the heartbeat runs on the loop (so a stalled loop shows as lag),
and aflush/aclose/async with wait without blocking it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time

import pytest

import kissmon

from support import Monitor


def beats(monitor: Monitor) -> list[dict]:
    return [m for m in monitor.messages() if m["type"] == "heartbeat"]


def test_a_stalled_loop_shows_as_heartbeat_lag(monitor: Monitor, sock_path: str) -> None:
    async def bot() -> None:
        client = kissmon.MonitorClient("laggy", socket_path=sock_path)
        client.register()
        client.start_heartbeat(0.1)
        await asyncio.sleep(0.25)  # beats at 0, 0.1 and 0.2 s, on time
        assert await client.aflush(3)
        time.sleep(0.55)  # the bot blocks its own loop
        await asyncio.sleep(0.05)  # the overdue beat fires now
        client.stop_heartbeat()
        assert await client.aflush(3)
        await client.aclose()

    asyncio.run(bot())
    received = beats(monitor)
    lags = [beat["lag_ms"] for beat in received]
    assert len(received) >= 3, received
    assert all(lag < 80 for lag in lags[:3]), lags
    # The beat due during the stall fired when the loop woke, ~0.45 s late; the
    # sender thread's own timer would have been on time.
    assert max(lags) >= 350, lags
    # Beats missed during the stall are missing, not replayed: 3 on time + 1 late (+1 at most).
    assert len(received) <= 5, lags


def test_the_loop_heartbeat_announces_its_interval(monitor: Monitor, sock_path: str) -> None:
    async def bot() -> None:
        client = kissmon.MonitorClient("announcer", socket_path=sock_path)
        client.register()
        client.start_heartbeat(5)
        assert await client.aflush(3)
        client.stop_heartbeat()
        await client.aclose()

    asyncio.run(bot())
    registers = [m for m in monitor.messages() if m["type"] == "register"]
    assert registers[-1]["heartbeat_interval_s"] == 5.0


def test_outside_a_loop_the_sender_thread_beats(monitor: Monitor, sock_path: str) -> None:
    client = kissmon.MonitorClient("threaded", socket_path=sock_path)
    client.start_heartbeat(0.05)
    time.sleep(0.3)
    client.stop_heartbeat()
    assert client.flush(3)
    received = beats(monitor)
    assert len(received) >= 3
    assert all("lag_ms" in beat for beat in received)
    client.close(1)


def test_close_stops_the_loop_heartbeat(monitor: Monitor, sock_path: str) -> None:
    async def bot() -> None:
        client = kissmon.MonitorClient("closer", socket_path=sock_path)
        client.start_heartbeat(0.02)
        await asyncio.sleep(0.05)
        await client.aclose(2)
        before = client.stats().dropped
        await asyncio.sleep(0.1)
        assert client.stats().dropped == before, "no beats after close"

    asyncio.run(bot())


def test_aflush_does_not_block_the_loop(idle_monitor: Monitor, sock_path: str) -> None:
    async def bot() -> None:
        client = kissmon.MonitorClient("waiter", socket_path=sock_path)
        client.heartbeat()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        assert await client.aflush(0.3) is False  # nobody listens
        assert ticks >= 10, f"the loop ran only {ticks} ticks during the wait"
        idle_monitor.start()
        assert await client.aflush(3) is True
        task.cancel()
        await client.aclose(0.5)

    asyncio.run(bot())


def test_async_with_closes(monitor: Monitor, sock_path: str) -> None:
    async def bot() -> kissmon.MonitorClient:
        async with kissmon.MonitorClient("ctx", socket_path=sock_path) as client:
            client.register({"llm": True})
        return client

    client = asyncio.run(bot())
    types = [json.loads(line)["type"] for line in monitor.take(2)]
    assert types == ["register", "unregister"]
    assert client.stats().queued == 0


@pytest.mark.skipif(sys.version_info < (3, 10), reason="contextlib.aclosing is new in 3.10")
def test_aclose_works_with_contextlib_aclosing(monitor: Monitor, sock_path: str) -> None:
    async def bot() -> None:
        async with contextlib.aclosing(kissmon.MonitorClient("acl", socket_path=sock_path)) as client:
            client.register()

    asyncio.run(bot())
    assert [json.loads(line)["type"] for line in monitor.take(2)] == ["register", "unregister"]
