"""Fencing with real processes on a private Redis: a `sanctions sync` worker paused (SIGSTOP) past its sync lock's
expiry while a second worker takes the lock and publishes; resumed, the first worker's publish is refused and
reported (exit 1, the list failed with the reason), and the second worker's version and status stand.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis

from service.store.redis_ import RedisStore
from tests.store.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
UN = "un_sc_sanctions"
STAMP = b'dateGenerated="2026-02-27T00:00:09.554Z"'  # MANIFEST.md: the UN list of 2026-02-27
STALLED_VERSION = "2026-03-02T00:00:00.000Z"  # what the paused worker downloads: the newer of the two
WINNER_VERSION = "2026-03-01T00:00:00.000Z"
LOCK_TTL_S = "1.5"  # short, so the paused worker's lock expires within the test; its watchdog renews every 0.5 s

pytestmark = pytest.mark.slow


class GatedMirror:
    """A loopback mirror with two folders: /stalled/ answers only once `release` is set (after setting `asked`),
    /winner/ at once; each serves the real UN file with its own publication date."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                folder = self.path.strip("/").split("/", 1)[0]
                body = bodies.get(folder)
                if body is None or not self.path.endswith(f"/{UN}/consolidated.xml"):
                    self.send_error(404)
                    return
                if folder == "stalled":
                    mirror.asked.set()
                    mirror.release.wait(120)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror(fixture_mirror: Path) -> Iterator[GatedMirror]:
    original = (fixture_mirror / UN / "consolidated.xml").read_bytes()
    assert STAMP in original
    bodies = {
        "stalled": original.replace(STAMP, f'dateGenerated="{STALLED_VERSION}"'.encode()),
        "winner": original.replace(STAMP, f'dateGenerated="{WINNER_VERSION}"'.encode()),
    }
    server = GatedMirror(bodies)
    yield server
    server.close()


def worker_env(redis_url: str, mirror: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_")}
    return {
        **env,
        "SANCTIONS_REDIS_URL": redis_url,
        "SANCTIONS_LISTS": UN,
        "SANCTIONS_MIRROR": mirror,
        "SANCTIONS_DATA_DIR": str(data_dir),
        "SANCTIONS_SYNC_LOCK_TTL_S": LOCK_TTL_S,
        "SANCTIONS_LOG_LEVEL": "INFO",
    }


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        time.sleep(0.05)


def test_sync_worker_paused_past_its_lock_cannot_publish_over_the_next_holder(
    mirror: GatedMirror, tmp_path: Path
) -> None:
    cmd = [sys.executable, "-m", "service", "sync", "--json"]
    with RedisServer() as server:
        r = redis.Redis.from_url(server.url)
        stalled = subprocess.Popen(
            cmd,
            env=worker_env(server.url, f"{mirror.url}/stalled", tmp_path / "a"),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # It holds the lock (taken before any download) and waits for its file: freeze it there.
            assert mirror.asked.wait(60), "the first worker never asked for its file"
            os.kill(stalled.pid, signal.SIGSTOP)
            held_by_stalled = r.get("sanctions:lock:sync")
            assert held_by_stalled is not None
            # Frozen, its watchdog cannot renew the lock: it expires.
            wait_for(lambda: r.get("sanctions:lock:sync") != held_by_stalled, 30, "the paused worker's lock expired")

            winner = subprocess.run(
                cmd,
                env=worker_env(server.url, f"{mirror.url}/winner", tmp_path / "b"),
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            assert winner.returncode == 0, winner.stderr[-3000:]
            assert [(d["id"], d["status"], d["version"]) for d in json.loads(winner.stdout)["lists"]] == [
                (UN, "ok", WINNER_VERSION)
            ]

            mirror.release.set()
            os.kill(stalled.pid, signal.SIGCONT)
            out, err = stalled.communicate(timeout=180)
        finally:
            if stalled.poll() is None:
                os.kill(stalled.pid, signal.SIGCONT)
                stalled.kill()
                stalled.wait()
            r.close()

        assert stalled.returncode == 1, err[-3000:]  # a list failed
        [record] = json.loads(out)["lists"]
        assert record["id"] == UN and record["status"] == "failed"
        assert "publish" in record["error"] and "no longer holds the sync lock" in record["error"]
        assert "store.sync_lock_lost" in err or "list.lock_lost" in err

        store = RedisStore(server.url)
        try:
            snap = store.load_snapshot(UN)
            status = store.get_status(UN)
            assert snap is not None and snap.version == WINNER_VERSION
            # The refused worker wrote nothing, not even its failure: the status is the winner's.
            assert status is not None and (status.status.value, status.version) == ("ok", WINNER_VERSION)
            assert store.generation().endswith(".1")  # exactly one publish: the winner's
        finally:
            store.close()
