from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from support import Monitor, socket_dir


@pytest.fixture
def sock_path() -> Iterator[str]:
    directory = socket_dir()
    yield os.path.join(directory, "monitor.sock")
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def monitor(sock_path: str) -> Iterator[Monitor]:
    """A monitor that is up and reading."""
    mon = Monitor(sock_path).start()
    yield mon
    mon.stop()


@pytest.fixture
def idle_monitor(sock_path: str) -> Iterator[Monitor]:
    """A monitor that is not up yet."""
    mon = Monitor(sock_path)
    yield mon
    mon.stop()
