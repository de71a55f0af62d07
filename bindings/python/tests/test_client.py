"""The client API through a real socket: calls, argument errors, stats, context managers, logging."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

import kissmon
from kissmon import _native

from support import Monitor


def new_client(sock_path: str, **settings: Any) -> kissmon.MonitorClient:
    return kissmon.MonitorClient("el_serda", socket_path=sock_path, **settings)


def test_every_call_reaches_the_monitor(monitor: Monitor, sock_path: str) -> None:
    client = new_client(sock_path, pid=4242, heartbeat_interval=12.5)
    client.register({"llm": True, "translator": False})
    client.log_llm_usage(
        "gpt-4",
        "jokes",
        145,
        87,
        1850.0,
        provider="openai",
        cost_usd=0.01,
        cache_read_tokens=10,
        reasoning_tokens=5,
        ok=True,
    )
    client.heartbeat()
    client.unregister()
    assert client.flush(3)
    lines = [json.loads(line) for line in monitor.take(4)]
    assert [line["type"] for line in lines] == ["register", "llm_usage", "heartbeat", "unregister"]
    register, usage, beat, _ = lines
    assert register["features"] == {"llm": True, "translator": False}
    assert register["heartbeat_interval_s"] == 12.5
    assert register["sdk"] == {"lang": "python", "version": kissmon.__version__}
    assert usage["provider"] == "openai" and usage["cost_usd"] == 0.01 and usage["ok"] is True
    assert usage["cache_read_tokens"] == 10 and usage["reasoning_tokens"] == 5 and usage["latency_ms"] == 1850.0
    assert all(line["pid"] == 4242 and line["instance"] == client.instance for line in lines)
    assert beat["channel"] == "el_serda"
    stats = client.stats()
    assert (stats.sent, stats.queued, stats.dropped, stats.connected) == (4, 0, 0, True)
    assert client.close(1)


def test_properties_and_defaults(sock_path: str) -> None:
    import os

    client = new_client(sock_path)
    assert client.channel == "el_serda"
    assert client.pid == os.getpid()
    assert client.heartbeat_interval == kissmon.DEFAULT_HEARTBEAT_INTERVAL == 30.0
    assert len(client.instance) > 0
    assert "el_serda" in repr(client)
    assert kissmon.DEFAULT_QUEUE_CAPACITY == 1024 and kissmon.DEFAULT_MAX_AGGREGATES == 256
    client.close(0)


def test_features_accept_any_mapping(monitor: Monitor, sock_path: str) -> None:
    from types import MappingProxyType

    client = new_client(sock_path)
    client.register(MappingProxyType({"llm": True}))
    assert client.flush(3)
    assert json.loads(monitor.take(1)[0])["features"] == {"llm": True}
    client.close(1)


@pytest.mark.parametrize(
    ("settings", "argument", "error"),
    [
        ({"channel": ""}, "channel", kissmon.InvalidArgumentError),
        ({"channel": 5}, "channel", TypeError),
        ({"pid": 0}, "pid", kissmon.InvalidArgumentError),
        ({"pid": -1}, "pid", kissmon.InvalidArgumentError),
        ({"pid": 2**40}, "pid", kissmon.InvalidArgumentError),
        ({"pid": "12"}, "pid", TypeError),
        ({"queue_capacity": 0}, "queue_capacity", kissmon.InvalidArgumentError),
        ({"queue_capacity": -5}, "queue_capacity", kissmon.InvalidArgumentError),
        ({"max_aggregates": 1.5}, "max_aggregates", TypeError),
        ({"heartbeat_interval": 0}, "heartbeat_interval", kissmon.InvalidArgumentError),
        ({"heartbeat_interval": -1.0}, "heartbeat_interval", kissmon.InvalidArgumentError),
        ({"heartbeat_interval": float("nan")}, "heartbeat_interval", kissmon.InvalidArgumentError),
        ({"heartbeat_interval": 1e19}, "heartbeat_interval", kissmon.InvalidArgumentError),
        ({"heartbeat_interval": "30"}, "heartbeat_interval", TypeError),
        ({"socket_path": ""}, "socket_path", kissmon.InvalidArgumentError),
        ({"socket_path": "/tmp/" + "x" * 200}, "socket_path", kissmon.InvalidArgumentError),
        ({"socket_path": 3}, "socket_path", TypeError),
    ],
)
def test_bad_settings_name_the_argument(
    settings: dict[str, Any], argument: str, error: type[Exception], sock_path: str
) -> None:
    settings = {"channel": "el_serda", "socket_path": sock_path, **settings}
    with pytest.raises(error) as caught:
        kissmon.MonitorClient(settings.pop("channel"), **settings)
    assert caught.value.argument == argument  # type: ignore[attr-defined]
    assert f"`{argument}`" in str(caught.value)
    assert isinstance(caught.value, (ValueError, TypeError))


USAGE = {"model": "gpt-4", "feature": "jokes", "tokens_in": 1, "tokens_out": 2}


@pytest.mark.parametrize(
    ("change", "argument", "error"),
    [
        ({"model": ""}, "model", kissmon.InvalidArgumentError),
        ({"model": None}, "model", TypeError),
        ({"model": "gpt\ud800"}, "model", kissmon.InvalidArgumentError),  # a lone surrogate has no UTF-8
        ({"provider": "\udc00"}, "provider", kissmon.InvalidArgumentError),
        ({"feature": "x" * 129}, "feature", kissmon.InvalidArgumentError),
        ({"feature": "a\nb"}, "feature", kissmon.InvalidArgumentError),
        ({"tokens_in": -1}, "tokens_in", kissmon.InvalidArgumentError),
        ({"tokens_in": 2**53 + 1}, "tokens_in", kissmon.InvalidArgumentError),
        ({"tokens_in": 2**70}, "tokens_in", kissmon.InvalidArgumentError),
        ({"tokens_in": 1.0}, "tokens_in", TypeError),
        ({"tokens_out": "87"}, "tokens_out", TypeError),
        ({"latency_ms": -1}, "latency_ms", kissmon.InvalidArgumentError),
        ({"latency_ms": float("inf")}, "latency_ms", kissmon.InvalidArgumentError),
        ({"latency_ms": "fast"}, "latency_ms", TypeError),
        ({"provider": ""}, "provider", kissmon.InvalidArgumentError),
        ({"cost_usd": -0.5}, "cost_usd", kissmon.InvalidArgumentError),
        ({"cache_read_tokens": -3}, "cache_read_tokens", kissmon.InvalidArgumentError),
        ({"reasoning_tokens": 2**54}, "reasoning_tokens", kissmon.InvalidArgumentError),
        ({"ok": 1}, "ok", TypeError),
    ],
)
def test_bad_usage_names_the_argument(
    change: dict[str, Any], argument: str, error: type[Exception], sock_path: str
) -> None:
    client = new_client(sock_path)
    with pytest.raises(error) as caught:
        client.log_llm_usage(**{**USAGE, **change})
    assert caught.value.argument == argument  # type: ignore[attr-defined]
    assert f"`{argument}`" in str(caught.value)
    if isinstance(caught.value, kissmon.InvalidArgumentError):
        assert caught.value.reason in str(caught.value)
    assert client.stats().queued == 0, "a refused call queues nothing"
    client.close(0)


@pytest.mark.parametrize(
    ("features", "error"),
    [
        ({"": True}, kissmon.InvalidArgumentError),
        ({"llm": 1}, TypeError),
        ({1: True}, TypeError),
        ([1], TypeError),
    ],
)
def test_bad_features_name_the_argument(features: Any, error: type[Exception], sock_path: str) -> None:
    client = new_client(sock_path)
    with pytest.raises(error) as caught:
        client.register(features)
    assert caught.value.argument == "features"  # type: ignore[attr-defined]
    client.close(0)


@pytest.mark.parametrize(
    ("method", "argument"),
    [
        ("flush", "timeout"),
        ("close", "timeout"),
        ("start_heartbeat", "interval"),
        ("heartbeat_with_lag", "lag"),
    ],
)
def test_bad_durations_name_the_argument(method: str, argument: str, sock_path: str) -> None:
    client = new_client(sock_path)
    bad_values = ((-1.0, kissmon.InvalidArgumentError), (1e19, kissmon.InvalidArgumentError), ("soon", TypeError))
    for bad, error in bad_values:
        with pytest.raises(error) as caught:
            getattr(client, method)(bad)
        assert caught.value.argument == argument  # type: ignore[attr-defined]
    client.close(0)


def test_absent_monitor_never_raises(sock_path: str) -> None:
    client = new_client(sock_path)
    client.register({"llm": True})
    for _ in range(100):
        client.heartbeat()
        client.log_llm_usage("gpt-4", "jokes", 1, 1)
    assert client.flush(0.05) is False
    stats = client.stats()
    assert stats.connected is False and stats.last_error and "cannot connect" in stats.last_error
    assert stats.coalesced == 99, "heartbeats coalesce while the monitor is away"
    assert client.close(0.05) is False


def test_with_closes_and_unregisters(monitor: Monitor, sock_path: str) -> None:
    with new_client(sock_path) as client:
        client.register()
        assert client.flush(3)
    lines = [json.loads(line) for line in monitor.take(2)]
    assert [(line["type"], line.get("reason")) for line in lines] == [
        ("register", None),
        ("unregister", "close"),
    ]
    client.heartbeat()  # after close: ignored, counted
    assert client.stats().dropped == 1
    assert client.close() is True, "close is idempotent"


def test_warnings_go_to_the_kissmon_logger_rate_limited(
    caplog: pytest.LogCaptureFixture, idle_monitor: Monitor, sock_path: str
) -> None:
    from kissmon import _warnings

    caplog.set_level(logging.WARNING, logger="kissmon")
    client = new_client(sock_path)
    client.heartbeat()
    client.flush(0.05)
    assert any("cannot connect" in r.getMessage() and r.name == "kissmon" for r in caplog.records)
    # A monitor that flaps: up, down, up, ... each a warning; only BURST per window are logged.
    for _ in range(6):
        idle_monitor.start()
        client.heartbeat()
        assert client.flush(3)
        idle_monitor.stop()
        client.heartbeat()
        client.flush(0.1)
    logged = [r for r in caplog.records if r.name == "kissmon"]
    assert len(logged) == _warnings.BURST
    client.close(0)


def test_warnings_drain_from_hot_calls(caplog: pytest.LogCaptureFixture, sock_path: str) -> None:
    caplog.set_level(logging.WARNING, logger="kissmon")
    client = new_client(sock_path)
    client.heartbeat()
    # Wait until the sender tried to connect and failed. The native stats()
    # does not hand warnings to the logger, as kissmon.MonitorClient.stats() does.
    deadline = time.monotonic() + 5
    while _native.MonitorClient.stats(client).last_error is None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert not caplog.records
    for _ in range(1024):
        client.heartbeat()
    assert any("cannot connect" in r.getMessage() for r in caplog.records)
    client.close(0)


def test_flush_and_close_release_the_gil(sock_path: str) -> None:
    import threading

    client = new_client(sock_path)
    client.heartbeat()
    for wait in (client.flush, client.close):
        thread = threading.Thread(target=wait, args=(1.0,))  # nobody listens: waits the whole timeout
        thread.start()
        longest_pause = 0.0
        last = time.perf_counter()
        while thread.is_alive():
            now = time.perf_counter()
            longest_pause = max(longest_pause, now - last)
            last = now
        thread.join()
        # Holding the GIL for its 1 s wait would have paused this loop as long;
        # half of that leaves room for a loaded 2-core machine's scheduling.
        assert longest_pause < 0.5, f"{wait.__name__}: this thread was paused {longest_pause:.3f}s"
