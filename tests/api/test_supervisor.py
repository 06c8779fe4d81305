"""`sanctions serve --workers 2` under its supervisor, as real processes: the workers it forks serve, a published
list change replaces them while clients keep sending on keep-alive connections (not one request fails), a worker that
dies is replaced, and stopping the server stops every process it started."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.model import Entity, EntityKind, Name, SyncState
from service.store.embedded import EmbeddedStore
from tests.api.test_server import _free_port

pytestmark = pytest.mark.slow

LIST = "un_sc_sanctions"


class Served:
    """A `serve --workers 2` process on a copy of the synced data folder, its JSON log in a file."""

    def __init__(self, data_dir: Path, log_path: Path) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "SANCTIONS_DATA_DIR": str(data_dir),
            "SANCTIONS_LISTS": LIST,
            "SANCTIONS_SYNC_ON_START": "false",
            "SANCTIONS_LOG_JSON": "true",
        }
        env.pop("SANCTIONS_API_KEYS", None)
        env.pop("SANCTIONS_REDIS_URL", None)
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(self.port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def events(self, name: str) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if f'"event":"{name}"' in line:
                out.append(json.loads(line))
        return out

    def wait_for(self, what: str, check: Callable[[], bool], timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            assert self.proc.poll() is None, f"serve exited with {self.proc.returncode}: {self.tail()}"
            assert time.monotonic() < deadline, f"{what} not seen in {timeout_s} s: {self.tail()}"
            time.sleep(0.05)

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


@pytest.fixture()
def served(tmp_path: Path, synced_dir: Path) -> Iterator[Served]:
    data_dir = tmp_path / "data"
    shutil.copytree(synced_dir, data_dir, ignore=shutil.ignore_patterns("audit.sqlite3*", "matcher-cache"))
    server = Served(data_dir, tmp_path / "serve.log")
    try:
        server.wait_for("two workers serving", lambda: len(server.events("server.worker_ready")) == 2)
        yield server
    finally:
        server.stop()


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _publish_added_entity(data_dir: Path) -> tuple[str, str]:
    """A new version of the UN list with one more (invented) person; returns (version, the person's name)."""
    store = EmbeddedStore(data_dir)
    try:
        base = store.load_snapshot(LIST)
        status = store.get_status(LIST)
        assert base is not None and status is not None
        token = "".join(secrets.choice("BDFGKLMNPRSTVZ") for _ in range(6))
        name = f"Zorbanex {token.title()} Quillfeather"
        entity = Entity(id=f"{LIST}:TEST.{token}", list_id=LIST, kind=EntityKind.PERSON, name=Name(name))
        version = f"{base.version}+test.{token}"
        snap = replace(base, version=version, entities=(*base.entities, entity))
        store.publish(
            snap, {}, replace(status, version=version, entities=len(snap.entities), status=SyncState.OK), None
        )
    finally:
        store.close()
    return version, name


def test_list_change_replaces_the_workers_while_keep_alive_clients_send(served: Served) -> None:
    first = {e["pid"] for e in served.events("server.worker_ready")}
    assert len(first) == 2
    outcomes: list[str] = []
    stop = threading.Event()

    def client() -> None:
        # One keep-alive connection per client, as a batch job or a gateway keeps one.
        with httpx.Client(base_url=served.base, timeout=30.0) as c:
            while not stop.is_set():
                try:
                    r = c.post("/v1/screen", json={"name": "Abu Bakr al-Baghdadi"})
                    outcomes.append(str(r.status_code))
                except httpx.TransportError as exc:
                    outcomes.append(f"{type(exc).__name__}: {exc}")

    clients = [threading.Thread(target=client) for _ in range(3)]
    for t in clients:
        t.start()
    try:
        time.sleep(1.0)
        version, name = _publish_added_entity(served.data_dir)
        served.wait_for(
            "the workers replaced",
            lambda: any(
                e["lists"].get(LIST) == version and e["workers"] == 2 for e in served.events("server.workers_replaced")
            ),
        )
        time.sleep(1.0)
    finally:
        stop.set()
        for t in clients:
            t.join(30)
    assert len(outcomes) > 20, outcomes
    failed = [o for o in outcomes if o != "200"]
    assert not failed, failed[:5]
    # Both workers are new ones, and the replaced ones have finished and been reaped.
    ready = [e["pid"] for e in served.events("server.worker_ready")]
    assert len(ready) == 4 and not first & set(ready[2:])
    served.wait_for("the replaced workers gone", lambda: not any(_alive(pid) for pid in first), timeout_s=30)
    # Whichever worker answers, it screens against the new version: the added person is found.
    with httpx.Client(base_url=served.base, timeout=10.0) as c:
        for _ in range(6):
            body = httpx.post(f"{served.base}/v1/screen", json={"name": name}, timeout=10.0).json()
            assert any(h["name"] == name and h["list_version"] == version and h["match"] for h in body["hits"]), body
        assert c.get("/readyz").json()["lists"][LIST] == version
    # One load for the change, in the supervisor; the workers load nothing themselves. Each state (the first and the
    # change) was built by a child of the supervisor, which wrote it to the matcher cache for the supervisor to load.
    assert len(served.events("matcher.loaded")) == 2
    assert len(served.events("matcher.built_in_child")) == 2 and not served.events("matcher.child_build_failed")
    assert len(list((served.data_dir / "matcher-cache").glob("*.matcher"))) == 2


def test_a_worker_that_dies_is_replaced(served: Served) -> None:
    victim = served.events("server.worker_ready")[0]["pid"]
    os.kill(victim, signal.SIGKILL)
    served.wait_for("a new worker", lambda: len(served.events("server.worker_ready")) == 3)
    exited = served.events("server.worker_exited")
    assert [e["pid"] for e in exited] == [victim]
    with httpx.Client(base_url=served.base, timeout=10.0) as c:
        for _ in range(8):  # spread over both sockets' workers
            with httpx.Client(base_url=served.base, timeout=10.0) as fresh:
                assert fresh.get("/readyz").status_code == 200
        assert c.post("/v1/screen", json={"name": "Abu Bakr al-Baghdadi"}).status_code == 200


def test_stopping_the_server_stops_every_process(served: Served) -> None:
    workers = [e["pid"] for e in served.events("server.worker_ready")]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    assert served.stop() == 0
    assert not any(_alive(pid) for pid in workers)
    assert served.events("server.supervisor_stopped")


def _request(sock: socket.socket, body: bytes) -> tuple[int, dict[str, str]]:
    """One POST /v1/screen on an open connection; (status, headers), or (0, {}) when the server had closed it."""
    head = (
        "POST /v1/screen HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return 0, {}
            data += chunk
    except OSError:
        return 0, {}
    header_block, _, rest = data.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return 0, {}
        rest += chunk
    return int(lines[0].split()[1]), headers


def test_a_replaced_worker_answers_its_open_connections_before_it_closes_them(served: Served) -> None:
    """A client that pauses between requests on a keep-alive connection: the worker it is connected to is replaced
    during a pause. The old worker answers the next request (saying `Connection: close`) instead of closing the
    connection under it; the client then connects again and reaches a new worker."""
    body = json.dumps({"name": "Abu Bakr al-Baghdadi"}).encode()
    socks = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(4)]  # some on each worker
    statuses: list[int] = []
    closed_by_server = 0
    try:
        for sock in socks:
            statuses.append(_request(sock, body)[0])
        version, _ = _publish_added_entity(served.data_dir)
        deadline = time.monotonic() + 120
        rounds_after = 0  # rounds of requests since the replacement was logged: two, so reconnected clients send too
        while rounds_after < 2:
            assert time.monotonic() < deadline, served.tail()
            time.sleep(0.4)  # idle, as a client between two screenings
            if any(e["lists"].get(LIST) == version for e in served.events("server.workers_replaced")):
                rounds_after += 1
            for i, sock in enumerate(socks):
                status, headers = _request(sock, body)
                statuses.append(status)
                if headers.get("connection") == "close":
                    closed_by_server += 1
                    sock.close()
                    socks[i] = socket.create_connection(("127.0.0.1", served.port))
    finally:
        for sock in socks:
            sock.close()
    assert len(statuses) >= 12 and set(statuses) == {200}, statuses
    assert closed_by_server >= 1  # at least one connection was on a replaced worker and was closed politely


def test_a_second_server_on_the_same_port_is_refused_not_joined(served: Served, tmp_path: Path) -> None:
    """SO_REUSEPORT would let a second `serve --workers` of the same user share the port and take half the
    connections with its own settings: it must fail to start instead."""
    env = {
        **os.environ,
        "SANCTIONS_DATA_DIR": str(served.data_dir),
        "SANCTIONS_LISTS": LIST,
        "SANCTIONS_LOG_JSON": "true",
    }
    env["SANCTIONS_SYNC_ON_START"] = "false"
    second = subprocess.run(
        [sys.executable, "-m", "service", "serve", "--port", str(served.port), "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1, second.stderr[-2000:]
    assert '"event":"server.cannot_listen"' in second.stderr and "in use" in second.stderr
    with httpx.Client(base_url=served.base, timeout=10.0) as c:
        assert c.get("/readyz").status_code == 200
    assert len(served.events("server.worker_ready")) == 2  # the first server's workers, undisturbed


def test_the_workers_stop_when_the_supervisor_is_killed(served: Served) -> None:
    """A supervisor killed outright (SIGKILL, the out-of-memory killer) must not leave workers serving, or holding
    the port, without it."""
    workers = [e["pid"] for e in served.events("server.worker_ready")]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    served.proc.kill()
    served.proc.wait(10)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, [pid for pid in workers if _alive(pid)]
        time.sleep(0.1)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{served.base}/healthz", timeout=2.0)


def _supervisor(data_dir: Path) -> Any:
    """A Supervisor with its store, cache and lists as `run()` sets them up, workers not started: for its `_load`."""
    from service.api.supervisor import Supervisor
    from service.screening.runtime import Preloaded
    from service.wiring import matcher_cache_from, store_from
    from tests.api.conftest import make_settings

    settings = make_settings(data_dir, lists=[LIST])
    sup = Supervisor(settings, host="127.0.0.1", port=0, workers=2, uvicorn_options={}, metrics_dir=str(data_dir))
    sup.list_ids = [LIST]
    sup.store = store_from(settings)
    sup.cache = matcher_cache_from(settings)
    sup.preloaded = Preloaded(None, "the lists are being loaded")
    return sup


def test_a_change_built_by_a_child_replaces_the_state_and_a_failed_load_keeps_the_old_one(
    tmp_path: Path, synced_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a change the supervisor frees its state before loading the one the child built (a smaller collection);
    should that load fail, it loads the old state again from its own cache entry, so that a worker that dies is
    still replaced by one serving the lists."""
    import service.screening.runtime as runtime
    from service.model import Query
    from service.screening import handoff

    data_dir = tmp_path / "data"
    shutil.copytree(synced_dir, data_dir, ignore=shutil.ignore_patterns("audit.sqlite3*", "matcher-cache"))
    sup = _supervisor(data_dir)
    try:
        assert sup._load()
        first = sup.preloaded.state
        assert first is not None
        old_version = first.lists[LIST].version

        version, name = _publish_added_entity(data_dir)
        assert sup._load()  # built by a child, loaded after the old state was dropped
        second = sup.preloaded.state
        assert second is not None and second.lists[LIST].version == version
        assert [h.name for h in second.matcher.screen(Query(name=name))][:1] == [name]
        del first, second

        version_3, _ = _publish_added_entity(data_dir)

        real, here = runtime.load_state, os.getpid()

        def fails(*args: Any, **kwargs: Any) -> Any:  # in the supervisor only: its builder child builds the entry
            if os.getpid() == here:
                raise OSError("injected: the new entry cannot be read")
            return real(*args, **kwargs)

        monkeypatch.setattr(runtime, "load_state", fails)
        monkeypatch.setattr(handoff, "read", lambda *args: None)  # and the child's handoff unreadable
        assert not sup._load()
        assert not sup._generation_changed()  # the version that failed is not tried at the next poll
        sup._failed.retry_s = 0.0
        assert sup._generation_changed()  # but once the wait is over
        assert (data_dir / "matcher-cache").is_dir()
        kept = sup.preloaded.state
        assert kept is not None, sup.preloaded.error
        assert kept.lists[LIST].version == version != version_3 != old_version
        assert [h.name for h in kept.matcher.screen(Query(name=name))][:1] == [name]
    finally:
        sup.store.close()


def test_the_supervisor_looks_at_the_store_at_every_poll_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its loop waits for workers in steps that end at the next poll's time, not past it (half a poll interval, on
    average, is part of every list change)."""
    from service.api.supervisor import POLL_S, Supervisor
    from service.settings import Settings

    supervisor = Supervisor(
        Settings(data_dir=tmp_path), host="127.0.0.1", port=0, workers=1, uvicorn_options={}, metrics_dir=str(tmp_path)
    )
    waits: list[float] = []
    polls: list[float] = []

    def collect_ready(timeout_s: float) -> None:
        waits.append(timeout_s)
        time.sleep(timeout_s)

    def generation_changed() -> bool:
        polls.append(time.monotonic())
        supervisor.stopping = len(polls) == 4
        return False

    monkeypatch.setattr(supervisor, "_reap", lambda: False)
    monkeypatch.setattr(supervisor, "_collect_ready", collect_ready)
    monkeypatch.setattr(supervisor, "_generation_changed", generation_changed)
    supervisor._loop()
    assert len(polls) == 4 and waits
    assert max(waits) <= POLL_S + 1e-9 <= 0.1 + 1e-9
