"""Test support: a real monitor on a Unix socket."""

from __future__ import annotations

import json
import os
import selectors
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any


class Monitor:
    """A monitor for tests: records every line it reads; it can go away,
    come back, or hold its connections without reading them."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self._taken = 0
        self._arrived = threading.Condition()
        self._reading = threading.Event()
        self._reading.set()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._conns_lock = threading.Lock()
        self.accepted = 0

    @property
    def up(self) -> bool:
        return self._listener is not None

    def start(self) -> Monitor:
        assert self._listener is None, "monitor already up"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        listener.listen(128)
        listener.setblocking(False)
        self._listener = listener
        self._stop = threading.Event()
        thread = threading.Thread(target=self._accept, args=(listener, self._stop), daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Closes the listener and every accepted connection, and removes the socket file."""
        if self._listener is None:
            return
        self._stop.set()
        # The accept thread goes first, so no reader starts while they are joined.
        while self._threads:
            self._threads.pop(0).join(5)
        self._listener.close()
        self._listener = None
        with self._conns_lock:
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._conns = []
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def pause_reading(self) -> None:
        """Accepts, but reads nothing until resume_reading()."""
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            sel = selectors.DefaultSelector()
            sel.register(listener, selectors.EVENT_READ)
            ready = sel.select(0.02)
            sel.close()
            if not ready:
                continue
            try:
                conn, _ = listener.accept()
            except (BlockingIOError, OSError):
                continue
            self.accepted += 1
            with self._conns_lock:
                self._conns.append(conn)
            thread = threading.Thread(target=self._read, args=(conn, stop), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _read(self, conn: socket.socket, stop: threading.Event) -> None:
        pending = b""
        conn.settimeout(0.02)
        while not stop.is_set():
            if not self._reading.wait(0.02):
                continue
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            *complete, pending = pending.split(b"\n")
            if complete:
                with self._arrived:
                    self.lines.extend(line.decode() for line in complete)
                    self._arrived.notify_all()

    def take(self, count: int, timeout: float = 3.0) -> list[str]:
        """Waits up to `timeout` for `count` lines not taken yet; returns every new line."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.lines) - self._taken < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            new = self.lines[self._taken :]
            self._taken = len(self.lines)
            return new

    def messages(self, at_least: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Every line read so far, once at least ``at_least`` arrived in all
        (or ``timeout`` passed). With a client's ``stats().sent`` after a flush,
        that is "the monitor has read everything the client wrote"."""
        return self.until(lambda messages: len(messages) >= at_least, timeout)

    def until(self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0) -> list[dict[str, Any]]:
        """Every line read so far, once ``done`` holds for them (or ``timeout`` passed)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                messages = [json.loads(line) for line in self.lines]
                left = deadline - time.monotonic()
                if done(messages) or left <= 0:
                    return messages
                self._arrived.wait(left)


def socket_dir() -> str:
    # Short paths: sun_path holds 107 bytes.
    return tempfile.mkdtemp(prefix="km-", dir="/tmp")
