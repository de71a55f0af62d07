"""The README's Python examples run as written (against a real monitor) and type-check."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import Monitor

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("number", range(len(EXAMPLES)))
def test_readme_example_runs(number: int, monitor: Monitor, sock_path: str) -> None:
    env = {**os.environ, "KISSBOT_MONITOR_SOCKET": sock_path}
    code = EXAMPLES[number]
    if "compat import" in code:
        # The earlier API takes the socket as an argument and defaults to /tmp/kissbot_monitor.sock.
        code = code.replace('MonitorClient("el_serda", 12345)', f'MonitorClient("el_serda", 12345, {sock_path!r})')
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    if "from kissmon.compat" in code and "MonitorClient(" not in code:
        return  # the one-line import example
    assert monitor.messages(1), "the example reached the monitor"


def test_readme_examples_type_check(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    for number, code in enumerate(EXAMPLES):
        (tmp_path / f"example_{number}.py").write_text(code)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
