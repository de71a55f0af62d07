"""A monitor that accepts and never reads: calls stay non-blocking and never
raise; once it reads again, every token logged arrives (delivered or folded)."""

from __future__ import annotations

import time

import kissmon

from support import Monitor

CALLS = 20_000


def test_calls_never_block_on_a_monitor_that_does_not_read(monitor: Monitor, sock_path: str) -> None:
    monitor.pause_reading()
    client = kissmon.MonitorClient("stuck", socket_path=sock_path, queue_capacity=64)
    client.register({"llm": True})
    # Fill the socket first, so that nothing more can be written whatever the
    # sender's timing: lines the sender cannot write (queued), and none taken
    # (sent unchanged) over several rounds.
    wide = "x" * 250
    filled = quiet = 0
    last_sent = -1
    deadline = time.monotonic() + 30
    while quiet < 5:
        assert time.monotonic() < deadline, f"the socket never filled up: {client.stats()}"
        for _ in range(500):
            client.log_llm_usage(wide, "fill", 1, 1)
        filled += 500
        time.sleep(0.02)
        stats = client.stats()
        quiet = quiet + 1 if stats.connected and stats.queued > 0 and stats.sent == last_sent else 0
        last_sent = stats.sent
    slowest = 0.0
    tokens_in = tokens_out = filled
    for n in range(CALLS):
        started = time.perf_counter()
        client.log_llm_usage("gpt-4", "jokes" if n % 2 else "news", 3 + n % 5, 2, latency_ms=10.0)
        client.heartbeat()
        slowest = max(slowest, time.perf_counter() - started)
        tokens_in += 3 + n % 5
        tokens_out += 2
    # Not a speed test (the benchmark is): a call that waited on the monitor
    # would take the core's 5 s write-stall timeout or forever. Loose, because a
    # loaded 2-core machine may deschedule this thread for tens of milliseconds.
    assert slowest < 1.0, f"a call took {slowest:.3f}s"
    assert client.flush(0.2) is False, "nothing can be delivered yet: the socket is full"
    stats = client.stats()
    assert stats.connected and stats.coalesced > 0 and stats.dropped == 0, stats

    monitor.resume_reading()
    assert client.flush(10), client.stats()
    usage = [m for m in monitor.messages(client.stats().sent) if m["type"] == "llm_usage"]
    assert sum(m["tokens_in"] for m in usage) == tokens_in
    assert sum(m["tokens_out"] for m in usage) == tokens_out
    assert sum(m.get("count", 1) for m in usage) == CALLS + filled
    assert any(m.get("count", 1) > 1 for m in usage), "some calls were folded"
    assert client.close(2)
