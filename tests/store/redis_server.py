"""Real Redis servers for the tests: the shared one on 127.0.0.1:6379 when it answers, else one started here;
and private `redis-server` processes on free ports for fault tests (never the shared one: others use it).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import redis

SHARED_PORT = 6379
TEST_DB = 1  # not db 0: keeps these keys away from anything that flushes the default DB


def is_up(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A private redis-server process on a free port that a test may stop, kill and start again."""

    def __init__(self, port: int | None = None, *, persist: bool = False) -> None:
        self.port = port or free_port()
        self.persist = persist  # AOF in its own folder: a restart brings the data back, as a production Redis
        self.dir = tempfile.mkdtemp(prefix="sanctions-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> RedisServer:
        quiet = ["--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"]
        aof = ["--appendonly", "yes" if self.persist else "no", "--appendfsync", "always"]
        exe = shutil.which("redis-server")
        if exe is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server not installed; scripts/ensure-redis.sh installs it")
            pytest.skip("redis-server not installed")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *quiet, *aof],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while not is_up(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@functools.cache
def shared_url() -> str:
    """redis://… of a Redis every test may share (with its own key prefix)."""
    if is_up(SHARED_PORT):
        return f"redis://127.0.0.1:{SHARED_PORT}/{TEST_DB}"
    server = RedisServer().start()
    atexit.register(server.__exit__)
    return f"redis://127.0.0.1:{server.port}/{TEST_DB}"


def unique_prefix(name: str) -> str:
    return f"test:{name}:{os.getpid()}:{secrets.token_hex(4)}:"


def drop_prefix(url: str, prefix: str) -> None:
    """Delete this test's keys, and only those."""
    r = redis.Redis.from_url(url)
    try:
        keys = list(r.scan_iter(match=prefix + "*", count=1000))
        for i in range(0, len(keys), 500):
            r.delete(*keys[i : i + 500])
    finally:
        r.close()


_CONTRACT_PREFIXES: set[str] = set()


def contract_prefix(tmp_path: object) -> str:
    """One key prefix per test folder (the same folder reopens the same store); dropped when the session ends."""
    digest = hashlib.sha256(str(tmp_path).encode()).hexdigest()[:16]
    prefix = f"test:contract:{os.getpid()}:{digest}:"
    if not _CONTRACT_PREFIXES:
        atexit.register(lambda: [drop_prefix(shared_url(), p) for p in _CONTRACT_PREFIXES])
    _CONTRACT_PREFIXES.add(prefix)
    return prefix
