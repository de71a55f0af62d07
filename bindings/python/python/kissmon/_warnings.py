"""Connection warnings from the core, logged through ``logging.getLogger("kissmon")``.

The core's sender thread never calls Python: it keeps its warnings (at most 32)
until a call the bot makes anyway drains them here. Each client logs at most
``BURST`` of them per ``WINDOW`` seconds and then one line saying how many it
held back, so a monitor that flaps cannot flood the bot's log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

logger = logging.getLogger("kissmon")
# A library logs only where the application configured logging.
logger.addHandler(logging.NullHandler())

WINDOW = 60.0
BURST = 5


class WarningLog:
    """A per-client rate limit on the warnings it logs."""

    # No lock: a lock held by another thread at fork time would stay held in
    # the child. Racing threads can only miscount a warning or two.
    __slots__ = ("_logged", "_suppressed", "_window_start")

    def __init__(self) -> None:
        self._window_start = time.monotonic()
        self._logged = 0
        self._suppressed = 0

    def emit(self, channel: str, warnings: Iterable[str]) -> None:
        now = time.monotonic()
        if now - self._window_start >= WINDOW:
            if self._suppressed:
                logger.warning(
                    "kissmon[%s]: %d more monitor warnings in the last %.0fs were not logged",
                    channel,
                    self._suppressed,
                    now - self._window_start,
                )
            self._window_start = now
            self._logged = 0
            self._suppressed = 0
        for warning in warnings:
            if self._logged < BURST:
                self._logged += 1
                logger.warning("kissmon[%s]: %s", channel, warning)
            else:
                self._suppressed += 1
