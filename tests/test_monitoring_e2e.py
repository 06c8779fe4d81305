"""Monitoring as a user runs it: a real `sanctions serve` process syncing a mirror folder, monitors and a webhook
created over HTTP, a real receiving server, and new list versions that list, clear and change a monitored party."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.notify.support import Receiver

pytestmark = pytest.mark.slow

KEY = "e2e-monitor-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
NEW_ID = "us_ofac_sdn:990001"
PUTIN = "us_ofac_sdn:35096"
NEW_ROW = '990001,"KOVALENKO, Bohdan Serhiyovych","individual","{programs}",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Mirror:
    """A copy of the committed OFAC SDN excerpt as a mirror folder whose sdn.csv the test edits."""

    def __init__(self, root: Path, source: Path) -> None:
        self.folder = root / "us_ofac_sdn"
        shutil.copytree(source / "us_ofac_sdn", self.folder)
        self.original = (self.folder / "sdn.csv").read_bytes()

    def write(self, *, extra_rows: list[str] = (), drop_ids: tuple[str, ...] = ()) -> None:  # type: ignore[assignment]
        body = self.original.rstrip(b"\x1a")
        lines = [ln for ln in body.split(b"\r\n") if ln and not any(ln.startswith(f"{i},".encode()) for i in drop_ids)]
        lines += [r.encode() for r in extra_rows]
        (self.folder / "sdn.csv").write_bytes(b"\r\n".join(lines) + b"\r\n\x1a")


def _wait(what: str, check: Callable[[], Any], timeout_s: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server(tmp_path: Path, fixture_mirror: Path) -> Iterator[tuple[str, Mirror, Path]]:
    mirror = Mirror(tmp_path / "mirror", fixture_mirror)
    port = _free_port()
    env = {
        **os.environ,
        "SANCTIONS_DATA_DIR": str(tmp_path / "data"),
        "SANCTIONS_LISTS": "us_ofac_sdn",
        "SANCTIONS_MIRROR": str(tmp_path / "mirror"),
        "SANCTIONS_API_KEYS": KEY,
        "SANCTIONS_SYNC_INTERVAL_S": "3600",  # syncs only when the test asks (POST /v1/sync)
        "SANCTIONS_MONITOR_INTERVAL_S": "1",
        "SANCTIONS_WEBHOOK_POLL_S": "0.2",
        "SANCTIONS_LOG_JSON": "true",
    }
    log_path = tmp_path / "server.log"
    # A file, not a pipe: the test polls the server many times a second, and a pipe nobody reads fills up and
    # blocks the server's log writes.
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait("the server to be ready", lambda: _ready(base, proc))
        yield base, mirror, log_path
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


def _ready(base: str, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, "the server exited"
    try:
        return httpx.get(f"{base}/readyz", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


def _syncs(client: httpx.Client) -> float:
    """How many syncs of the list this server has finished (its /metrics)."""
    total = 0.0
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('sanctions_sync_outcomes_total{list="us_ofac_sdn"'):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _sync(client: httpx.Client, expect_version_change: bool = True) -> None:
    """POST /v1/sync and wait until it is over, and a new version is served when one is expected."""
    before, version = _syncs(client), client.get("/v1/lists").json()["lists"][0]["serving_version"]
    assert client.post("/v1/sync", json={}).status_code == 202

    def done() -> bool:
        served = client.get("/v1/lists").json()["lists"][0]["serving_version"]
        return _syncs(client) > before and (not expect_version_change or served != version)

    _wait("the sync", done)


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    parts = dict(kv.split("=", 1) for kv in headers["sanctions-signature"].split(","))
    mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def test_a_list_change_reaches_the_webhook_and_a_cleared_hit_stays_silent_until_its_evidence_changes(
    server: tuple[str, Mirror, Path],
) -> None:
    base, mirror, log_path = server
    receiver = Receiver().start()
    try:
        with httpx.Client(base_url=base, headers=AUTH, timeout=30.0) as client:
            hook = client.post(
                "/v1/webhooks",
                json={"url": receiver.url, "events": ["monitor.hit.new", "monitor.hit.changed", "monitor.hit.removed"]},
            )
            assert hook.status_code == 201, hook.text
            secret = hook.json()["secret"]
            assert (
                client.put("/v1/monitors/cust-new", json={"name": "Bohdan Kovalenko", "type": "person"}).json()["hits"]
                == []
            )
            putin = client.put("/v1/monitors/cust-putin", json={"name": "Vladimir Putin", "type": "person"}).json()
            assert PUTIN in {h["entity_id"] for h in putin["hits"]}

            # 1. The next version lists the monitored party: one signed monitor.hit.new, for that monitor only.
            mirror.write(extra_rows=[NEW_ROW.format(programs="RUSSIA-EO14024")])
            _sync(client)
            [first] = _wait("the first event", lambda: receiver.received[:1] or None)
            event = json.loads(first.body)
            assert (event["type"], event["monitor"]["ref"], event["hit"]["entity_id"]) == (
                "monitor.hit.new",
                "cust-new",
                NEW_ID,
            )
            assert first.headers["sanctions-event-id"] == event["id"] and _verify(secret, first.headers, first.body)
            assert not _verify("another secret", first.headers, first.body)

            # 2. A reviewer clears it; a sync that changes nothing raises nothing; a change elsewhere on the list
            #    (Putin delisted) raises only its own event.
            decided = client.post(
                "/v1/decisions",
                json={
                    "ref": "cust-new",
                    "entity_id": NEW_ID,
                    "decision": "false_positive",
                    "reason": "other person: DOB differs",
                    "reviewer": "ana",
                },
            )
            assert decided.status_code == 201, decided.text
            _sync(client, expect_version_change=False)
            mirror.write(extra_rows=[NEW_ROW.format(programs="RUSSIA-EO14024")], drop_ids=("35096",))
            _sync(client)
            removed = _wait("the delisting event", lambda: [json.loads(r.body) for r in receiver.received[1:]] or None)
            assert [(e["type"], e["monitor"]["ref"]) for e in removed] == [("monitor.hit.removed", "cust-putin")]
            assert removed[0]["reason"] == "delisted"

            # 3. The cleared entity gains a programme: its evidence changed, so it alerts again, saying what changed.
            mirror.write(extra_rows=[NEW_ROW.format(programs="RUSSIA-EO14024] [CYBER2")], drop_ids=("35096",))
            _sync(client)
            [changed] = _wait(
                "the evidence change", lambda: [json.loads(r.body) for r in receiver.received[2:]] or None
            )
            assert (changed["type"], changed["monitor"]["ref"]) == ("monitor.hit.changed", "cust-new")
            assert any("CYBER2" in c for c in changed["changes"]) and changed["hit"]["decision"]["evidence_changed"]
            alerts = client.get("/v1/alerts").json()["alerts"]
            assert ("cust-new", NEW_ID) in {(a["ref"], a["entity_id"]) for a in alerts}
        ids = receiver.event_ids()
        assert len(ids) == len(set(ids)) == 3  # each event once
    finally:
        receiver.stop()
    # Screened names reach the webhook only: never the log.
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert '"event":"monitor.cycle"' in log and '"event":"webhook.delivered"' in log
    assert "Kovalenko" not in log and "KOVALENKO" not in log and "Putin" not in log
