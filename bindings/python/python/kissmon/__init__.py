"""kissmon: the non-blocking client of the kissmon bot monitor.

A bot reports to one local monitor over a Unix socket, fire-and-forget::

    import kissmon

    client = kissmon.MonitorClient("el_serda")
    client.register({"llm": True, "translator": False})
    client.start_heartbeat()
    client.log_llm_usage("gpt-4", "jokes", 145, 87, latency_ms=1850.0)
    client.close()

No call waits on the monitor, whatever state it is in; ``flush``/``close``
wait at most their timeout. The protocol, validation and queue live in the
Rust core (``kissmon._native``); this package only adapts them to Python.
"""

from ._client import MonitorClient
from ._native import (
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_MAX_AGGREGATES,
    DEFAULT_QUEUE_CAPACITY,
    DEFAULT_SOCKET_PATH,
    MAX_LINE_BYTES,
    PROTOCOL_VERSION,
    SOCKET_ENV,
    InvalidArgumentError,
    ProtocolError,
    Stats,
    __version__,
    decode_line,
)

__all__ = [
    "DEFAULT_HEARTBEAT_INTERVAL",
    "DEFAULT_MAX_AGGREGATES",
    "DEFAULT_QUEUE_CAPACITY",
    "DEFAULT_SOCKET_PATH",
    "MAX_LINE_BYTES",
    "PROTOCOL_VERSION",
    "SOCKET_ENV",
    "InvalidArgumentError",
    "MonitorClient",
    "ProtocolError",
    "Stats",
    "__version__",
    "decode_line",
]
