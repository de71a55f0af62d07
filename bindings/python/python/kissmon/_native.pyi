"""Type stubs of the native module ``kissmon._native`` (hand-written; a test
checks that they name exactly what the module defines)."""

import os
from typing import Any, Mapping, Optional, Union

__version__: str
DEFAULT_SOCKET_PATH: str
SOCKET_ENV: str
PROTOCOL_VERSION: int
MAX_LINE_BYTES: int
DEFAULT_QUEUE_CAPACITY: int
DEFAULT_MAX_AGGREGATES: int
DEFAULT_HEARTBEAT_INTERVAL: float

class InvalidArgumentError(ValueError):
    """An argument broke a protocol rule."""

    argument: str
    reason: str

class ProtocolError(ValueError):
    """``decode_line`` rejected a line."""

    error_class: str
    field: Optional[str]
    detail: str

class Stats:
    """Counters and state of one client."""

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
    def last_error(self) -> Optional[str]: ...
    def as_dict(self) -> dict[str, Any]: ...

class MonitorClient:
    """The native client; use ``kissmon.MonitorClient``."""

    def __new__(
        cls,
        channel: str,
        *,
        pid: Optional[int] = None,
        socket_path: Optional[Union[str, os.PathLike[str]]] = None,
        queue_capacity: Optional[int] = None,
        max_aggregates: Optional[int] = None,
        heartbeat_interval: Optional[float] = None,
    ) -> MonitorClient: ...
    def register(self, features: Optional[Mapping[str, bool]] = None) -> None: ...
    def heartbeat(self) -> None: ...
    def heartbeat_with_lag(self, lag: float) -> None: ...
    def log_llm_usage(
        self,
        model: str,
        feature: str,
        tokens_in: int,
        tokens_out: int,
        latency_ms: Optional[float] = None,
        *,
        provider: Optional[str] = None,
        cost_usd: Optional[float] = None,
        cache_read_tokens: Optional[int] = None,
        reasoning_tokens: Optional[int] = None,
        ok: Optional[bool] = None,
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

def decode_line(line: Union[bytes, bytearray, str]) -> dict[str, Any]: ...
