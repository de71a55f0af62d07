"""The shared conformance corpus (conformance/cases/*.jsonl), one test per case id,
through the public API of the `kissmon` package and a real Unix socket."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

import kissmon

from support import Monitor, case_input, json_eq, load_corpus, redact

CASES = load_corpus()
WAIT = 3.0
SETTLE = 0.05


def build(spec: dict[str, Any], socket_path: str) -> kissmon.MonitorClient:
    settings = dict(spec)
    channel = settings.pop("channel")
    if "heartbeat_interval_s" in settings:
        settings["heartbeat_interval"] = settings.pop("heartbeat_interval_s")
    return kissmon.MonitorClient(channel, socket_path=socket_path, **settings)


def call(client: kissmon.MonitorClient, spec: dict[str, Any]) -> None:
    method, args = spec["method"], dict(spec.get("args", {}))
    if method == "register":
        client.register(**args)
    elif method == "heartbeat":
        client.heartbeat(**args)
    elif method == "unregister":
        client.unregister(**args)
    elif method == "log_llm_usage":
        client.log_llm_usage(**args)
    elif method == "start_heartbeat":
        client.start_heartbeat(args.pop("interval_s"), **args)
    elif method == "stop_heartbeat":
        client.stop_heartbeat(**args)
    else:
        pytest.fail(f"unknown method {method!r} in the corpus")


def expect_lines(monitor: Monitor, expected: list[dict[str, Any]]) -> None:
    got = monitor.take(len(expected), WAIT)
    time.sleep(SETTLE)
    got += monitor.take(0, 0)
    received = [redact(json.loads(line)) for line in got]
    assert len(received) == len(expected) and all(json_eq(g, e) for g, e in zip(received, expected)), (
        "monitor received:\n  " + "\n  ".join(map(str, received)) + "\nexpected:\n  " + "\n  ".join(map(str, expected))
    )


def run_decode_valid(case: dict[str, Any], sock_path: str) -> None:
    got = kissmon.decode_line(case_input(case))
    assert json_eq(got, case["expect"]), f"decoded to {got}, expected {case['expect']}"


def run_decode_invalid(case: dict[str, Any], sock_path: str) -> None:
    with pytest.raises(kissmon.ProtocolError) as caught:
        kissmon.decode_line(case_input(case))
    assert caught.value.error_class == case["error"], str(caught.value)
    if "field" in case:
        assert caught.value.field == case["field"], str(caught.value)


def run_encode(case: dict[str, Any], sock_path: str) -> None:
    monitor = Monitor(sock_path).start()
    client = build(case["client"], sock_path)
    try:
        call(client, case["call"])
        assert client.flush(WAIT), f"flush timed out: {client.stats()}"
        expect_lines(monitor, [case["expect"]])
    finally:
        client.close(0)
        monitor.stop()


def run_encode_invalid(case: dict[str, Any], sock_path: str) -> None:
    assert case["error"] == "invalid_argument", f"unknown error {case['error']!r}"
    client = None
    with pytest.raises((ValueError, TypeError)) as caught:
        client = build(case["client"], sock_path)
        if "call" in case:
            call(client, case["call"])
    if client is not None:
        client.close(0)
    error = caught.value
    assert isinstance(error, (kissmon.InvalidArgumentError, TypeError)), repr(error)
    if "argument" in case:
        assert getattr(error, "argument", None) == case["argument"], repr(error)
        assert f"`{case['argument']}`" in str(error), str(error)


def run_queue(case: dict[str, Any], sock_path: str) -> None:
    monitor = Monitor(sock_path)
    client = build(case["client"], sock_path)
    try:
        for number, step in enumerate(case["steps"]):
            where = f"step {number} {step}"
            op = step["op"]
            if op == "call":
                call(client, step)
            elif op == "monitor_up":
                monitor.start()
            elif op == "monitor_down":
                monitor.stop()
            elif op in ("flush", "close"):
                timeout = step.get("timeout_ms", 2000) / 1000
                got = client.flush(timeout) if op == "flush" else client.close(timeout)
                if "expect" in step:
                    assert got == step["expect"], f"{where}: returned {got}; {client.stats()}"
            elif op == "expect_lines":
                try:
                    expect_lines(monitor, step["lines"])
                except AssertionError as err:
                    raise AssertionError(f"{where}: {err}") from None
            elif op == "expect_stats":
                actual = client.stats().as_dict()
                for name, want in step["stats"].items():
                    assert name in actual, f"{where}: unknown stat {name!r}"
                    assert json_eq(actual[name], want), f"{where}: stats.{name} is {actual[name]}; {actual}"
            else:
                pytest.fail(f"{where}: unknown op {op!r}")
    finally:
        client.close(0)
        monitor.stop()


RUNNERS = {
    "decode_valid": run_decode_valid,
    "decode_invalid": run_decode_invalid,
    "encode": run_encode,
    "encode_invalid": run_encode_invalid,
    "queue": run_queue,
}


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, Any], sock_path: str) -> None:
    runner = RUNNERS.get(case["kind"])
    if runner is None:
        pytest.fail(f"unknown case kind {case['kind']!r}")
    runner(case, sock_path)


def test_corpus_is_loaded_whole() -> None:
    """Every kind the runner knows appears, so a path mistake cannot pass silently."""
    assert {case["kind"] for case in CASES} >= {"decode_valid", "decode_invalid", "encode", "queue"}
