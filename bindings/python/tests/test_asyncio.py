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


def beats(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] == "heartbeat"]


def delivered(monitor: Monitor, client: kissmon.MonitorClient) -> list[dict]:
    """Every line the monitor got, once it has read all that ``client`` wrote (after a flush or close)."""
    return monitor.messages(client.stats().sent)


async def beats_arrive(monitor: Monitor, count: int) -> None:
    """Lets the loop run until ``count`` heartbeats reached the monitor."""
    deadline = asyncio.get_running_loop().time() + 5
    while len(beats(monitor.until(lambda _: True, 0))) < count:
        assert asyncio.get_running_loop().time() < deadline, "the heartbeat never arrived"
        await asyncio.sleep(0.005)


def test_a_stalled_loop_shows_as_heartbeat_lag(monitor: Monitor, sock_path: str) -> None:
    client = kissmon.MonitorClient("laggy", socket_path=sock_path)

    async def bot() -> None:
        client.register()
        client.start_heartbeat(0.1)
        await asyncio.sleep(0.25)  # beats at 0, 0.1 and 0.2 s, on time
        assert await client.aflush(3)
        time.sleep(0.55)  # the bot blocks its own loop
        await asyncio.sleep(0.05)  # the overdue beat fires now
        client.stop_heartbeat()
        await client.aclose()

    asyncio.run(bot())
    received = beats(delivered(monitor, client))
    lags = [beat["lag_ms"] for beat in received]
    # Lower bounds only, and upper bounds a loaded machine meets: a busy 2-core
    # machine may run a beat late, never early.
    assert len(received) >= 3, received
    # The beat due during the stall fired when the loop woke, ~0.45 s late; the
    # sender thread's own timer would have been on time.
    assert max(lags) >= 350, lags
    # Beats missed during the stall are missing, not replayed: 3 on time + 1 late
    # (+1 at most), and the schedule restarts from the late beat, so no beat
    # follows it within an interval.
    assert len(received) <= 5, lags
    late = lags.index(max(lags))
    stamps = [beat["ts"] for beat in received]
    assert all(later - stamps[late] >= 0.09 for later in stamps[late + 1 :]), stamps


def test_the_loop_heartbeat_announces_its_interval(monitor: Monitor, sock_path: str) -> None:
    client = kissmon.MonitorClient("announcer", socket_path=sock_path)

    async def bot() -> None:
        client.register()
        client.start_heartbeat(5)
        assert client.heartbeat_interval == 5, "the getter reads the core"
        assert await client.aflush(3)
        client.stop_heartbeat()
        await client.aclose()

    asyncio.run(bot())
    registers = [m for m in delivered(monitor, client) if m["type"] == "register"]
    assert registers[-1]["heartbeat_interval_s"] == 5.0


def test_outside_a_loop_the_sender_thread_beats(monitor: Monitor, sock_path: str) -> None:
    client = kissmon.MonitorClient("threaded", socket_path=sock_path)
    client.start_heartbeat(0.05)
    assert client.heartbeat_interval == 0.05
    received = beats(monitor.until(lambda ms: len(beats(ms)) >= 3))
    client.stop_heartbeat()
    assert len(received) >= 3
    assert all("lag_ms" in beat for beat in received)
    client.close(1)


def test_unregister_stops_the_loop_heartbeat(monitor: Monitor, sock_path: str) -> None:
    """Issue 13: in an asyncio program, beats went on after unregister(), and
    the monitor showed a bot that had left as online again."""
    client = kissmon.MonitorClient("leaver", socket_path=sock_path)

    async def bot() -> None:
        client.register()
        client.start_heartbeat(0.02)
        await beats_arrive(monitor, 3)
        client.unregister()
        # Five intervals of the loop's time, in which a schedule still running
        # would beat; this is the schedule's time, not a wait for the monitor.
        await asyncio.sleep(0.1)
        client.log_llm_usage("marker", "end", 1, 1)
        assert await client.aflush(3)

    asyncio.run(bot())
    lines = delivered(monitor, client)
    left = [m["type"] for m in lines].index("unregister")
    assert [m["type"] for m in lines[left:]] == ["unregister", "llm_usage"], lines[left:]
    client.close(1)


def test_close_stops_the_loop_heartbeat_and_start_after_close_does_nothing(monitor: Monitor, sock_path: str) -> None:
    client = kissmon.MonitorClient("closer", socket_path=sock_path)

    async def bot() -> None:
        client.start_heartbeat(0.02)
        await beats_arrive(monitor, 2)
        await client.aclose(2)
        sent, dropped = client.stats().sent, client.stats().dropped
        client.start_heartbeat(0.02)
        # Five intervals in which a running schedule would beat (and, after
        # close, count each beat as dropped).
        await asyncio.sleep(0.1)
        assert (client.stats().sent, client.stats().dropped) == (sent, dropped), "no beats after close"

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
