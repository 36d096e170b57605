"""A real `redis-server` on 127.0.0.1 for tests, and the fixtures that start it.

Registered as a plugin by tests/conftest.py.
Without `redis-server` on PATH the fixtures fail: CI installs it, so a missing
binary is a broken setup, not a reason to skip.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatcli.store.redis import RedisStore


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process with its own folder and append-only file."""

    def __init__(self, folder: Path, *extra: str) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "redis-server is not on PATH; install it (apt-get install -y redis-server) "
                "to run the Redis store tests.",
                pytrace=False,
            )
        self.binary = binary
        self.folder = folder
        self.extra = extra
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:<port>/0`."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start (or restart, on the same folder and port) and wait for PING."""
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        args += ["--dir", str(self.folder), "--daemonize", "no", *self.extra]
        with open(self.folder / "server.log", "ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"redis-server exited at start:\n{log}", pytrace=False)
            if self.ping():
                return
            time.sleep(0.01)
        pytest.fail(f"redis-server did not answer PING within {timeout} s", pytrace=False)

    def ping(self) -> bool:
        """Whether the server answers (`+PONG`, or `-NOAUTH` when it wants a password)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
        except OSError:
            return False
        return reply.startswith((b"+PONG", b"-NOAUTH"))

    def stop(self) -> None:
        """Kill the server at once (SIGKILL): only what it fsynced survives."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def files(self) -> Iterator[Path]:
        """Every file the server wrote (the append-only files, its log)."""
        return (p for p in self.folder.rglob("*") if p.is_file())


_PREFIXES = itertools.count()


def unique_prefix(name: str) -> str:
    """A key prefix no other test uses: `t<pid>-<n>-<name>:`."""
    return f"t{os.getpid()}-{next(_PREFIXES)}-{name[:40]}:"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server shared by the whole run; tests keep apart by key prefix."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server_factory(tmp_path: Path) -> Iterator[type[RedisServer]]:
    """Start servers of this test's own (to stop, restart or lock with a password)."""
    started: list[RedisServer] = []

    class Own(RedisServer):
        def __init__(self, *extra: str) -> None:
            super().__init__(tmp_path / f"redis{len(started)}", *extra)
            started.append(self)

    try:
        yield Own
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def redis_store(redis_server: RedisServer, request: pytest.FixtureRequest) -> Iterator[RedisStore]:
    """An empty RedisStore on the shared server, under a key prefix of this test's own."""
    store = RedisStore.from_url(redis_server.url, prefix=unique_prefix(request.node.name))
    try:
        yield store
    finally:
        store.close()
