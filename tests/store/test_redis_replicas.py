"""Several real `sanctions serve` replicas and `sanctions sync` workers on one private Redis: a replica starts
from Redis without downloading, swaps in a published change within seconds, keeps screening while Redis is
gone and reconnects; two workers started together sync once. Every process is real and bounded in time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from service.model import Entity, EntityKind, Name, SyncState
from service.store.redis_ import RedisStore
from service.store.spool import AuditSpool
from tests.store.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
LISTS = "un_sc_sanctions,eu_fsf,gb_fcdo_sanctions"  # real excerpts (tests/fixtures/mirror): quick to sync and load
UN_PERSON = ("Eric Badege", "un_sc_sanctions:CDi.001")  # the UN list of 2026-02-27, first INDIVIDUAL

pytestmark = pytest.mark.slow


def http(method: str, url: str, body: dict[str, Any] | None = None, timeout_s: float = 10) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
    except OSError as e:
        return 0, str(e)


def wait_for(predicate: Any, timeout_s: float, what: str, step_s: float = 0.05) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if predicate():
            return time.monotonic() - started
        time.sleep(step_s)
    raise AssertionError(f"{what}: not within {timeout_s} s")


def base_env(redis_url: str, tmp: Path, mirror: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_")}
    return {
        **env,
        "SANCTIONS_REDIS_URL": redis_url,
        "SANCTIONS_LISTS": LISTS,
        "SANCTIONS_MIRROR": mirror,
        "SANCTIONS_DATA_DIR": str(tmp / "data"),
        "SANCTIONS_LOG_LEVEL": "WARNING",
    }


def sync(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", "sync", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


class Replica:
    """`sanctions serve` as a user runs it, on a free port, with its output in a file."""

    def __init__(self, env: dict[str, str], tmp: Path, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(self.port)],
            env={**env, "SANCTIONS_SYNC_ON_START": "false"},  # as in docker-compose.yml: the worker syncs
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def ready(self) -> dict[str, Any] | None:
        code, body = http("GET", f"{self.url}/readyz", timeout_s=5)
        return body if code == 200 else None

    def wait_ready(self, timeout_s: float = 90) -> float:
        try:
            return wait_for(lambda: self.proc.poll() is None and self.ready() is not None, timeout_s, "ready")
        except AssertionError:
            raise AssertionError(f"replica not ready; log:\n{self.log_path.read_text()[-3000:]}") from None

    def screen(self, name: str) -> tuple[int, Any]:
        return http("POST", f"{self.url}/v1/screen", {"name": name, "type": "person", "limit": 3}, timeout_s=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def hit_ids(body: Any) -> list[str]:
    return [h["entity_id"] for h in body.get("hits", [])] if isinstance(body, dict) else []


class RecordingMirror:
    """A loopback HTTP mirror that serves nothing (404) and records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                mirror.requests.append(self.path)
                self.send_error(404)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def synced(fixture_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RedisServer, Path]]:
    """A private Redis (AOF on: it survives the restarts below) holding what `sanctions sync` published."""
    tmp = tmp_path_factory.mktemp("replicas")
    with RedisServer(persist=True) as server:
        done = sync(base_env(server.url, tmp, str(fixture_mirror)))
        assert done.returncode == 0, done.stderr[-2000:]
        assert {d["id"]: d["status"] for d in json.loads(done.stdout)["lists"]} == dict.fromkeys(LISTS.split(","), "ok")
        yield server, tmp


def publish_change(url: str, marker: str) -> str:
    """Publish the UN list plus one made-up person, as the worker would; returns the new entity's id."""
    store = RedisStore(url)
    try:
        base = store.load_snapshot("un_sc_sanctions")
        status = store.get_status("un_sc_sanctions")
        assert base is not None and status is not None
        entity = Entity(
            id=f"un_sc_sanctions:TEST.{marker}",
            list_id="un_sc_sanctions",
            kind=EntityKind.PERSON,
            name=Name(f"Quillfeather {marker} Zorbanex"),
        )
        version = f"{base.version}+{marker}"
        snap = replace(base, version=version, entities=(*base.entities, entity))
        store.publish(
            snap, {}, replace(status, version=version, entities=len(snap.entities), status=SyncState.OK), None
        )
        return entity.id
    finally:
        store.close()


def test_redis_replica_starts_from_redis_without_downloading(synced: tuple[RedisServer, Path]) -> None:
    server, tmp = synced
    mirror = RecordingMirror()
    replica = Replica(base_env(server.url, tmp, mirror.url), tmp, "fresh")
    try:
        replica.wait_ready(60)
        ready = replica.ready()
        assert ready is not None
        store = RedisStore(server.url)
        expected = {i: s.version for i, s in store.all_statuses().items()}
        store.close()
        wait_for(lambda: (replica.ready() or {}).get("lists") == expected, 10, "all three lists loaded")
        code, body = replica.screen(UN_PERSON[0])
        assert code == 200 and UN_PERSON[1] in hit_ids(body)
        assert mirror.requests == []  # everything came from Redis
    finally:
        replica.stop()
        mirror.close()


def test_redis_replicas_swap_in_a_published_change_within_seconds(synced: tuple[RedisServer, Path]) -> None:
    server, tmp = synced
    env = base_env(server.url, tmp, "http://127.0.0.1:9/unreachable")
    replicas = [Replica(env, tmp, f"swap{i}") for i in range(2)]
    try:
        for r in replicas:
            r.wait_ready(90)
        started = time.monotonic()
        new_id = publish_change(server.url, "SWAP")
        for r in replicas:
            wait_for(lambda r=r: new_id in hit_ids(r.screen("Quillfeather SWAP Zorbanex")[1]), 15, "change served")
        elapsed = time.monotonic() - started
        assert elapsed < 15
        print(f"published change served by both replicas after {elapsed:.2f} s")
    finally:
        for r in replicas:
            r.stop()


def test_redis_replica_keeps_serving_while_redis_is_gone_and_reconnects(synced: tuple[RedisServer, Path]) -> None:
    server, tmp = synced
    replica = Replica(base_env(server.url, tmp, "http://127.0.0.1:9/unreachable"), tmp, "outage")
    try:
        replica.wait_ready(90)
        assert (replica.ready() or {}).get("store") == "ok"
        server.stop()  # SIGKILL: Redis disappears without a goodbye
        wait_for(lambda: (replica.ready() or {}).get("store") == "degraded", 15, "/readyz reports the degraded store")
        # Still ready (200): the matcher in memory answers correctly; a load balancer keeps routing to it.
        code, body = replica.screen(UN_PERSON[0])
        assert code == 200 and UN_PERSON[1] in hit_ids(body), body
        during = body["screening_id"]
        code, _ = http("GET", f"{replica.url}/healthz")
        assert code == 200

        server.start()  # same port, same AOF: the data is back
        wait_for(lambda: (replica.ready() or {}).get("store") == "ok", 20, "/readyz reports the store back")
        replica.screen("Somebody Else")  # Redis is back: the spool of the outage is replayed (poller or this write)
        store = RedisStore(server.url)
        try:
            wait_for(lambda: store.read_audit(during) is not None, 10, "audit record of the outage in Redis")
        finally:
            store.close()
        new_id = publish_change(server.url, "BACK")  # and it follows publishes again
        wait_for(lambda: new_id in hit_ids(replica.screen("Quillfeather BACK Zorbanex")[1]), 15, "change served")
    finally:
        if server.proc is None:
            server.start()
        replica.stop()


def test_redis_two_workers_started_together_sync_once(fixture_mirror: Path, tmp_path: Path) -> None:
    with RedisServer() as server:
        env = base_env(server.url, tmp_path, str(fixture_mirror))
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "service", "sync", "--json"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outcomes = []
        for p in procs:
            out, err = p.communicate(timeout=180)
            assert p.returncode == 0, err[-2000:]
            outcomes.append(sorted({d["status"] for d in json.loads(out)["lists"]}))
        # One published every list; the other waited for the lock, then found nothing new to publish.
        assert sorted(outcomes) == [["ok"], ["unchanged"]]
        store = RedisStore(server.url)
        try:
            assert store.generation().endswith(".3")  # three lists, each published exactly once
        finally:
            store.close()


def test_redis_sync_loop_worker_publishes_then_stops_on_sigterm(fixture_mirror: Path, tmp_path: Path) -> None:
    with RedisServer() as server:
        env = {**base_env(server.url, tmp_path, str(fixture_mirror)), "SANCTIONS_SYNC_INTERVAL_S": "1"}
        worker = subprocess.Popen(
            [sys.executable, "-m", "service", "sync", "--loop"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        store = RedisStore(server.url)
        try:

            def states() -> dict[str, str]:
                return {i: s.status.value for i, s in store.all_statuses().items()}

            wait_for(lambda: states() == dict.fromkeys(LISTS.split(","), "ok"), 60, "first cycle published")
            gen = store.generation()
            # Later cycles find the mirror unchanged: statuses say so and nothing is published again.
            wait_for(lambda: set(states().values()) == {"unchanged"}, 30, "second cycle", step_s=0.2)
            assert store.generation() == gen
            worker.terminate()
            _, err = worker.communicate(timeout=30)
            assert worker.returncode == 0, err[-2000:]
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            store.close()


def test_redis_replica_audit_records_survive_an_outage_and_a_kill(synced: tuple[RedisServer, Path]) -> None:
    """Issue 15's test: stop Redis, screen 200 times (all answered), kill -9 the replica, start Redis, start the
    replica again: every one of the 200 screening ids is readable, from Redis, stored once."""
    server, tmp = synced
    data_dir = tmp / "spooling"
    env = {**base_env(server.url, tmp, "http://127.0.0.1:9/unreachable"), "SANCTIONS_DATA_DIR": str(data_dir)}
    replica = Replica(env, tmp, "spool1")
    second: Replica | None = None
    try:
        replica.wait_ready(90)
        server.stop()  # SIGKILL: Redis disappears without a goodbye
        ids = []
        for i in range(200):
            code, body = replica.screen(f"Outage Person {i}")
            assert code == 200, body
            ids.append(body["screening_id"])
        assert len(set(ids)) == 200
        code, during = http("GET", f"{replica.url}/v1/screenings/{ids[17]}")
        assert code == 200 and during["screening_id"] == ids[17]  # readable from the spool during the outage
        metrics = urllib.request.urlopen(f"{replica.url}/metrics", timeout=10).read().decode()
        assert "sanctions_audit_spool_records 200.0" in metrics
        replica.proc.kill()  # kill -9: nothing in its memory survives
        replica.proc.wait(10)
        assert replica.proc.returncode == -9

        server.start()  # same port, same AOF
        second = Replica(env, tmp, "spool2")
        second.wait_ready(90)
        for sid in ids:
            code, record = http("GET", f"{second.url}/v1/screenings/{sid}")
            assert code == 200 and record["screening_id"] == sid, (sid, code, record)
        # And they are in Redis itself, once each (the new replica replays the spool in the background).
        direct = RedisStore(server.url)  # no spool: reads Redis only
        try:
            wait_for(lambda: all(direct.read_audit(sid) is not None for sid in ids), 30, "the spool replayed")
            stored = [e.record["screening_id"] for e in direct.export_audit()]
        finally:
            direct.close()
        assert sorted(s for s in stored if s in set(ids)) == sorted(ids)
        assert [s for s in stored if s in set(ids)] == ids  # in the order they were screened
        assert AuditSpool(data_dir / "audit-spool.sqlite3").depth() == 0
    finally:
        if server.proc is None:
            server.start()
        replica.stop()
        if second is not None:
            second.stop()


def test_redis_replica_answers_503_with_the_reason_when_its_spool_is_full(synced: tuple[RedisServer, Path]) -> None:
    server, tmp = synced
    env = {
        **base_env(server.url, tmp, "http://127.0.0.1:9/unreachable"),
        "SANCTIONS_DATA_DIR": str(tmp / "full-spool"),
        "SANCTIONS_AUDIT_SPOOL_MAX": "5",
    }
    replica = Replica(env, tmp, "fullspool")
    try:
        replica.wait_ready(90)
        server.stop()
        answered = [replica.screen(f"Spooled Person {i}") for i in range(5)]
        assert [code for code, _ in answered] == [200] * 5
        code, body = replica.screen("One Too Many")
        assert code == 503, body
        assert "spool is full" in body["detail"] and "SANCTIONS_AUDIT_SPOOL_MAX" in body["detail"]
        assert "Redis is unreachable" in body["detail"]
        code, _ = http("GET", f"{replica.url}/healthz")
        assert code == 200  # the process lives on; screenings answer again once Redis is back
        server.start()
        wait_for(lambda: replica.screen("Back Again")[0] == 200, 30, "screening after Redis came back")
    finally:
        if server.proc is None:
            server.start()
        replica.stop()
