"""After os.fork() the child has a working client of its own; the parent is unaffected."""

from __future__ import annotations

import os
import signal
import time

import pytest

import kissmon

from support import Monitor


def wait_child(pid: int, timeout: float = 10.0) -> int:
    """The child's exit code; kills it and fails if it hangs (a deadlock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"forked child {pid} hung for {timeout}s")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # 3.12+ warns about fork with threads
def test_fork_child_gets_its_own_client(monitor: Monitor, sock_path: str) -> None:
    client = kissmon.MonitorClient("forky", socket_path=sock_path)
    client.register({"llm": True})
    client.start_heartbeat(30)  # the sender thread is busy with a schedule at fork time
    assert client.flush(3)
    parent_instance = client.instance

    child = os.fork()
    if child == 0:
        code = 70
        try:
            client.log_llm_usage("gpt-4", "child", 7, 3)
            same_pid = client.pid == os.getpid()
            own_instance = client.instance != parent_instance
            delivered = client.flush(3)
            code = 0 if (delivered and same_pid and own_instance and client.stats().connected) else 71
            client.close(1)
        finally:
            os._exit(code)

    # The parent goes on while the child runs, and after.
    client.log_llm_usage("gpt-4", "parent", 1, 1)
    assert client.flush(3)
    assert wait_child(child) == 0
    client.heartbeat()
    assert client.flush(3)
    assert client.instance == parent_instance and client.pid == os.getpid()

    # The child flushed before it exited 0; the monitor reads its connection on its own thread.
    both = monitor.until(lambda ms: {m.get("feature") for m in ms} >= {"child", "parent"})
    usage = {m["feature"]: m for m in both if m["type"] == "llm_usage"}
    assert usage["child"]["pid"] == child and usage["child"]["instance"] != parent_instance
    assert usage["child"]["tokens_in"] == 7
    assert usage["parent"]["pid"] == os.getpid() and usage["parent"]["instance"] == parent_instance
    assert monitor.accepted >= 2, "the child made a connection of its own"
    stats = client.stats()
    assert stats.dropped == 0 and stats.reconnects == 0 and stats.connected
    client.close(1)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fork_while_the_monitor_is_stuck(monitor: Monitor, sock_path: str) -> None:
    """A parent whose sender is stalled on a full socket: the child does not inherit the stall."""
    monitor.pause_reading()
    client = kissmon.MonitorClient("stuckfork", socket_path=sock_path, queue_capacity=16)
    for _ in range(5000):
        client.log_llm_usage("gpt-4", "filler", 1000, 1000, provider="x" * 60)
    child = os.fork()
    if child == 0:
        code = 70
        try:
            started = time.monotonic()
            client.heartbeat()
            client.log_llm_usage("gpt-4", "child", 1, 1)
            # A stall inherited from the parent would last forever; 2 s is room for a loaded machine.
            fast = time.monotonic() - started < 2.0
            # Its own fresh connection takes two small lines at once, though nobody reads it.
            delivered = client.flush(2)
            code = 0 if fast and delivered else 71
            if code:
                os.write(2, f"child: fast={fast} delivered={delivered} {client.stats()}\n".encode())
        finally:
            os._exit(code)
    assert wait_child(child) == 0
    monitor.resume_reading()
    assert client.flush(5)
    client.close(1)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_forked_child_runs_no_heartbeat_schedule_of_its_parent(monitor: Monitor, sock_path: str) -> None:
    """A loop task inherited by the child ends at its next tick; the parent's schedule runs on."""
    client = kissmon.MonitorClient("forkbeat", socket_path=sock_path)
    schedule = client.start_host_heartbeat(30)
    assert client.heartbeat_tick(schedule) is not None
    child = os.fork()
    if child == 0:
        code = 70
        try:
            code = 0 if client.heartbeat_tick(schedule) is None else 71
        finally:
            os._exit(code)
    assert wait_child(child) == 0
    assert client.heartbeat_tick(schedule) is not None, "the parent's schedule runs on"
    client.close(1)
