"""The Python adapter of the kissmon conformance harness.

Reads one command per line on stdin, makes the call on the installed
``kissmon`` package, and answers on stdout (conformance/README.md, "Adapter
protocol"). Commands run on a running asyncio loop, so ``start_heartbeat``
takes the asyncio path that bots use, and a stalled process stalls that loop.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import kissmon


def build(spec: dict[str, Any], socket_path: str) -> kissmon.MonitorClient:
    settings = dict(spec)
    channel = settings.pop("channel")
    if "heartbeat_interval_s" in settings:
        settings["heartbeat_interval"] = settings.pop("heartbeat_interval_s")
    return kissmon.MonitorClient(channel, socket_path=socket_path, **settings)


def call(client: kissmon.MonitorClient, method: str, args: dict[str, Any]) -> None:
    if method == "register":
        client.register(**args)
    elif method == "heartbeat":
        client.heartbeat()
    elif method == "unregister":
        client.unregister()
    elif method == "log_llm_usage":
        client.log_llm_usage(**args)
    elif method == "start_heartbeat":
        client.start_heartbeat(args["interval_s"])
    elif method == "stop_heartbeat":
        client.stop_heartbeat()
    else:
        raise LookupError(f"unknown method {method!r}")


class Adapter:
    def __init__(self) -> None:
        self.client: kissmon.MonitorClient | None = None

    def live(self) -> kissmon.MonitorClient:
        assert self.client is not None, "new_client comes first"
        return self.client

    def handle(self, command: dict[str, Any]) -> Any:
        """The command's result; errors are raised, and answered by ``answer``."""
        cmd = command["cmd"]
        if cmd == "hello":
            return {"lang": "python"}
        if cmd == "decode":
            line = command["text"] if "text" in command else bytes.fromhex(command["hex"])
            return kissmon.decode_line(line)
        if cmd == "new_client":
            self.client = None
            self.client = build(command["client"], command["socket"])
            return None
        if cmd == "call":
            call(self.live(), command["method"], command["args"])
            return None
        if cmd == "flush":
            return self.live().flush(command["timeout_ms"] / 1000)
        if cmd == "close":
            return self.live().close(command["timeout_ms"] / 1000)
        if cmd == "stats":
            return self.live().stats().as_dict()
        raise LookupError(f"unknown command {cmd!r}")

    def answer(self, command: dict[str, Any]) -> dict[str, Any]:
        try:
            return {"ok": self.handle(command)}
        except kissmon.ProtocolError as err:
            return {"error": err.error_class, "field": err.field, "detail": str(err)}
        except (kissmon.InvalidArgumentError, TypeError) as err:
            argument = getattr(err, "argument", None)
            return {"error": "invalid_argument", "argument": argument, "detail": repr(err)}


async def main() -> None:
    loop = asyncio.get_running_loop()
    adapter = Adapter()
    while True:
        # Read off the loop, so that the heartbeat task runs while we wait.
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        sys.stdout.write(json.dumps(adapter.answer(json.loads(line))) + "\n")
        sys.stdout.flush()
    if adapter.client is not None:
        adapter.client.close(0)


if __name__ == "__main__":
    asyncio.run(main())
