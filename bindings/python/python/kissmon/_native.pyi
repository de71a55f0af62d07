# Stubs of the native module kissmon._native, written by hand; tests/test_stubs.py
# checks that they name exactly what the module defines. Docstrings live in the module.

import os
from collections.abc import Mapping
from typing import Any

from typing_extensions import Self

__version__: str
DEFAULT_SOCKET_PATH: str
SOCKET_ENV: str
PROTOCOL_VERSION: int
MAX_LINE_BYTES: int
DEFAULT_QUEUE_CAPACITY: int
DEFAULT_MAX_AGGREGATES: int
DEFAULT_HEARTBEAT_INTERVAL: float
DEFAULT_FLUSH_TIMEOUT: float
DEFAULT_CLOSE_TIMEOUT: float
EXIT_FLUSH_BUDGET: float

class InvalidArgumentError(ValueError):
    argument: str
    reason: str

class ProtocolError(ValueError):
    error_class: str
    field: str | None
    detail: str

class Stats:
    @property
    def queued(self) -> int: ...
    @property
    def sent(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    @property
    def coalesced(self) -> int: ...
    @property
    def reconnects(self) -> int: ...
    @property
    def connected(self) -> bool: ...
    @property
    def last_error(self) -> str | None: ...
    def as_dict(self) -> dict[str, Any]: ...

class MonitorClient:
    def __new__(
        cls,
        channel: str,
        *,
        pid: int | None = None,
        socket_path: str | os.PathLike[str] | None = None,
        queue_capacity: int | None = None,
        max_aggregates: int | None = None,
        heartbeat_interval: float | None = None,
    ) -> Self: ...
    def register(self, features: Mapping[str, bool] | None = None) -> None: ...
    def heartbeat(self) -> None: ...
    def heartbeat_with_lag(self, lag: float) -> None: ...
    def log_llm_usage(
        self,
        model: str,
        feature: str,
        tokens_in: int,
        tokens_out: int,
        latency_ms: float | None = None,
        *,
        provider: str | None = None,
        cost_usd: float | None = None,
        cache_read_tokens: int | None = None,
        reasoning_tokens: int | None = None,
        ok: bool | None = None,
    ) -> None: ...
    def unregister(self) -> None: ...
    def announce_heartbeat_interval(self, interval: float) -> None: ...
    def start_heartbeat(self, interval: float) -> None: ...
    def stop_heartbeat(self) -> None: ...
    def flush(self, timeout: float) -> bool: ...
    def close(self, timeout: float) -> bool: ...
    def stats(self) -> Stats: ...
    def take_warnings(self) -> list[str]: ...
    def _drain_warnings(self) -> None: ...
    @property
    def channel(self) -> str: ...
    @property
    def pid(self) -> int: ...
    @property
    def instance(self) -> str: ...
    @property
    def heartbeat_interval(self) -> float: ...

def decode_line(line: bytes | bytearray | str) -> dict[str, Any]: ...
