"""Per-call cost of heartbeat() and log_llm_usage() from Python while the monitor
is stuck (it accepts connections and never reads), and paced (one call every
200 µs to a monitor that reads: the path real bots take), side by side, in one run,
with the earlier client's design (a new connection per message) and with the
peer: the `statsd` package (a UDP client) reporting one LLM call the way its
users do, two counters and a timer, to a UDP socket on loopback that never reads.

    pip install statsd   # the peer
    python bench/bench_calls.py [--calls 200000] [--baseline-calls 2000] [--paced-calls 20000]

How it measures:
* The stuck monitor runs in a child process, so it takes no GIL time from
  the code under test. The kissmon client is first driven into the stuck
  steady state: its socket buffer is full, the sender is stalled, the queue is
  full and further llm_usage calls fold into aggregates.
* "per call": one perf_counter_ns() pair around each call. The pair's own
  cost (printed as "timer overhead") is included in these figures.
* "batched": one pair around each batch of BATCH calls, divided by BATCH;
  percentiles are over batches. This removes the timer overhead.
* "paced": one call every 200 µs to a monitor (another child process) that
  reads, each call timed with one perf_counter_ns pair. Between two calls
  the core's sender has written everything; it lingers, so no call wakes it.
* The earlier design is re-implemented here only as the baseline: per message
  it opens an asyncio Unix connection, writes one JSON line, drains and closes,
  as core/monitor_client.py did. Each await is timed on a running loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import statsd  # type: ignore[import-untyped]

import kissmon

BATCH = 100
#: The peer's row: two `incr` and a `timing`, what a statsd user writes for one LLM call.
PEER_CALL = "statsd LLM call"
ns = time.perf_counter_ns


def stuck_monitor(path: str) -> None:
    """Accepts every connection and reads nothing. Keeps the newest 4096 open
    (closing older ones unread) so that a connection per message cannot run
    the process out of file descriptors."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1024)
    held: list[socket.socket] = []
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        held.append(conn)
        if len(held) > 4096:
            held.pop(0).close()


def reading_monitor(path: str) -> None:
    """Accepts one connection and reads and discards everything."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    print("ready", flush=True)
    conn, _ = listener.accept()
    while conn.recv(1 << 16):
        pass


PACE_NS = 200_000


def paced(call: Callable[..., object], args: tuple[object, ...], calls: int) -> list[float]:
    """One call every PACE_NS, each timed on its own."""
    samples = [0.0] * calls
    next_at = ns()
    for i in range(calls):
        next_at += PACE_NS
        wait = next_at - ns()
        if wait > 0:
            time.sleep(wait / 1e9)
        t0 = ns()
        call(*args)
        samples[i] = ns() - t0
    return samples


def run_paced(directory: str, calls: int) -> None:
    path = os.path.join(directory, "reading.sock")
    monitor = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--reading-monitor", path], stdout=subprocess.PIPE, text=True
    )
    try:
        assert monitor.stdout is not None and monitor.stdout.readline().strip() == "ready"
        client = kissmon.MonitorClient("bench", socket_path=path, pid=4242)
        client.register({"llm": True})
        assert client.flush(5.0), f"the reading monitor is not up: {client.stats()}"
        usage_args = ("gpt-4", "jokes", 145, 87, 1850.0)
        print(f"\npaced: one call every {PACE_NS // 1000} µs, monitor reads; {calls} calls per method, each timed")
        print(f"{'call':<17} {'p50':>10} {'p99':>10} {'p99.9':>10} {'max':>10}")

        def empty() -> None:
            pass

        for name, call, args in (
            ("heartbeat()", client.heartbeat, ()),
            ("log_llm_usage()", client.log_llm_usage, usage_args),
            ("empty function", empty, ()),
        ):
            ordered = sorted(paced(call, args, calls))
            figures = [percentile(ordered, q) for q in (50, 99, 99.9)] + [ordered[-1]]
            print(f"{name:<17} " + " ".join(f"{fmt(value):>10}" for value in figures))
        assert client.flush(5.0)
        stats = client.stats()
        print(f"paced client: sent={stats.sent} coalesced={stats.coalesced} dropped={stats.dropped}")
        print("(the empty function is the floor: what any call costs right after a sleep, caches cold)")
        client.close(2.0)
    finally:
        monitor.kill()
        monitor.wait()


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": percentile(ordered, 50),
        "p99.9": percentile(ordered, 99.9),
        "mean": sum(ordered) / len(ordered),
    }


def per_call(call: Callable[..., object], args: tuple[object, ...], calls: int) -> list[float]:
    samples = [0.0] * calls
    for i in range(calls):
        t0 = ns()
        call(*args)
        samples[i] = ns() - t0
    return samples


def batched(call: Callable[..., object], args: tuple[object, ...], calls: int) -> list[float]:
    samples = []
    for _ in range(calls // BATCH):
        t0 = ns()
        for _ in range(BATCH):
            call(*args)
        samples.append((ns() - t0) / BATCH)
    return samples


def timer_overhead(calls: int) -> float:
    samples = [0.0] * calls
    for i in range(calls):
        t0 = ns()
        samples[i] = ns() - t0
    return summary(samples)["p50"]


async def earlier_send(path: str, message: dict[str, object], timeout: float = 2.0) -> bool:
    """The earlier client's send path: a connection per message, write, drain, close."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(path), timeout)
        writer.write((json.dumps(message) + "\n").encode())
        await asyncio.wait_for(writer.drain(), timeout)
        writer.close()
        await writer.wait_closed()
        return True
    except Exception:
        return False


async def earlier_per_call(path: str, message: dict[str, object], calls: int) -> list[float]:
    samples = [0.0] * calls
    for i in range(calls):
        t0 = ns()
        await earlier_send(path, message)
        samples[i] = ns() - t0
    return samples


def fmt(value_ns: float) -> str:
    if value_ns >= 1_000_000:
        return f"{value_ns / 1e6:.2f} ms"
    if value_ns >= 1_000:
        return f"{value_ns / 1e3:.2f} µs"
    return f"{value_ns:.0f} ns"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200_000, help="kissmon calls per method and mode")
    parser.add_argument("--baseline-calls", type=int, default=2_000, help="earlier-design calls per method")
    parser.add_argument("--paced-calls", type=int, default=20_000, help="paced calls per method")
    parser.add_argument("--stuck-monitor", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--reading-monitor", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stuck_monitor:
        stuck_monitor(args.stuck_monitor)
        return
    if args.reading_monitor:
        reading_monitor(args.reading_monitor)
        return
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    directory = tempfile.mkdtemp(prefix="km-bench-")
    path = os.path.join(directory, "monitor.sock")
    monitor = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--stuck-monitor", path], stdout=subprocess.PIPE, text=True
    )
    try:
        assert monitor.stdout is not None and monitor.stdout.readline().strip() == "ready"
        run(path, args.calls, args.baseline_calls)
        run_paced(directory, args.paced_calls)
    finally:
        monitor.kill()
        monitor.wait()
        for leftover in ("monitor.sock", "reading.sock"):
            try:
                os.unlink(os.path.join(directory, leftover))
            except OSError:
                pass
        try:
            os.rmdir(directory)
        except OSError:
            pass


def run(path: str, calls: int, baseline_calls: int) -> None:
    client = kissmon.MonitorClient("bench", socket_path=path, pid=4242)
    client.register({"llm": True})
    usage_args = ("gpt-4", "jokes", 145, 87, 1850.0)

    # Drive the client into the stuck steady state: socket full, queue full, folding.
    for _ in range(200_000):
        client.log_llm_usage(*usage_args)
        if client.stats().coalesced > 10_000:
            break
    stats = client.stats()
    assert stats.connected and stats.coalesced > 0, f"the client is not in the stuck state: {stats}"

    results: dict[tuple[str, str], dict[str, float]] = {}
    for name, call, args in (
        ("heartbeat()", client.heartbeat, ()),
        ("log_llm_usage()", client.log_llm_usage, usage_args),
    ):
        results[(name, "kissmon, per call")] = summary(per_call(call, args, calls))
        results[(name, "kissmon, batched")] = summary(batched(call, args, calls))

    # The peer: statsd over UDP to a socket that never reads (the kernel drops what does not fit).
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    peer = statsd.StatsClient("127.0.0.1", sink.getsockname()[1], prefix="llm")

    def peer_llm_call(model: str, feature: str, tokens_in: int, tokens_out: int, latency_ms: float) -> None:
        peer.incr(f"{model}.{feature}.tokens_in", tokens_in)
        peer.incr(f"{model}.{feature}.tokens_out", tokens_out)
        peer.timing(f"{model}.{feature}.latency_ms", latency_ms)

    results[(PEER_CALL, "statsd, per call")] = summary(per_call(peer_llm_call, usage_args, calls))
    results[(PEER_CALL, "statsd, batched")] = summary(batched(peer_llm_call, usage_args, calls))
    sink.close()

    pid = os.getpid()
    messages = {
        "heartbeat()": {"type": "heartbeat", "channel": "bench", "pid": pid},
        "log_llm_usage()": {
            "type": "llm_usage",
            "channel": "bench",
            "model": "gpt-4",
            "feature": "jokes",
            "tokens_in": 145,
            "tokens_out": 87,
            "latency_ms": 1850.0,
        },
    }
    for name, message in messages.items():
        samples = asyncio.run(earlier_per_call(path, message, baseline_calls))
        results[(name, "earlier design, per call")] = summary(samples)

    after = client.stats()
    overhead = timer_overhead(calls)
    print(f"kissmon {kissmon.__version__} on Python {sys.version.split()[0]}: monitor accepts and never reads")
    print(
        f"kissmon: {calls} calls per method and mode; earlier design: {baseline_calls} calls per method; "
        f"batched = {BATCH} calls per timer pair"
    )
    print(f"timer overhead (one perf_counter_ns pair, included in 'per call'): p50 {fmt(overhead)}")
    print(
        f"client while measured: sent={after.sent} queued={after.queued} coalesced={after.coalesced} "
        f"dropped={after.dropped} connected={after.connected}"
    )
    print()
    print(f"{'call':<17} {'design':<26} {'p50':>10} {'p99.9':>10} {'mean':>10}")
    for (name, design), figures in results.items():
        print(
            f"{name:<17} {design:<26} {fmt(figures['p50']):>10} {fmt(figures['p99.9']):>10} {fmt(figures['mean']):>10}"
        )
    print()
    for mode in ("per call", "batched"):
        ours = results[("log_llm_usage()", f"kissmon, {mode}")]["p50"]
        theirs = results[(PEER_CALL, f"statsd, {mode}")]["p50"]
        print(f"{'log_llm_usage()':<17} statsd / kissmon ({mode}): p50 {theirs / ours:.2f}x")
    for name in messages:
        new = results[(name, "kissmon, per call")]
        old = results[(name, "earlier design, per call")]
        print(
            f"{name:<17} earlier / kissmon (per call): p50 {old['p50'] / new['p50']:,.0f}x, "
            f"p99.9 {old['p99.9'] / new['p99.9']:,.0f}x"
        )
    client.close(0)


if __name__ == "__main__":
    main()
