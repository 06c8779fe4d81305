"""`sanctions serve` as a user runs it: a real process on a free port, screened over real HTTP, then stopped."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import KEYS, UN_RECORDS

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server exited early with {proc.returncode}"
        try:
            r = httpx.get(f"{base}/readyz", timeout=2.0)
            if r.status_code == 200:
                return r.json()
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server not ready in time")


def test_serve_process_screens_real_name_and_stops(tmp_path: Path, synced_dir: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(synced_dir, data_dir, ignore=shutil.ignore_patterns("audit.sqlite3*"))
    port = _free_port()
    env = {
        **os.environ,
        "SANCTIONS_DATA_DIR": str(data_dir),
        "SANCTIONS_LISTS": "un_sc_sanctions",
        "SANCTIONS_API_KEYS": ",".join(KEYS),
        "SANCTIONS_SYNC_ON_START": "false",
        "SANCTIONS_LOG_JSON": "true",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        ready = _wait_ready(base, proc)
        assert list(ready["lists"]) == ["un_sc_sanctions"] and ready["entities"] == UN_RECORDS
        r = httpx.post(
            f"{base}/v1/screen",
            json={"name": "Ayman al-Zawahiri", "birth_date": "1951-06-19"},
            headers={"Authorization": f"Bearer {KEYS[0]}", "X-Request-ID": "support-ticket-4711"},
            timeout=10.0,
        )
        assert r.status_code == 200, r.text
        assert r.headers["x-request-id"] == "support-ticket-4711"
        generated = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "bad id\twith spaces"}, timeout=5.0)
        assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
        body = r.json()
        top = body["hits"][0]
        assert top["entity_id"] == "un_sc_sanctions:QDi.006" and top["match"] is True
        assert {e["field"] for e in top["evidence"]} >= {"name", "birth_date"}
        assert body["lists"][0]["version"] == ready["lists"]["un_sc_sanctions"] == top["list_version"]
        assert httpx.post(f"{base}/v1/screen", json={"name": "x"}, timeout=5.0).status_code == 401
        audit = httpx.get(f"{base}/v1/screenings/{body['screening_id']}", headers={"X-API-Key": KEYS[1]}, timeout=5.0)
        assert audit.status_code == 200 and audit.json()["items"][0]["hits"][0]["entity_id"] == top["entity_id"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    log = stderr.decode("utf-8", errors="replace")
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells how it ended.
    assert proc.returncode in (0, -signal.SIGTERM), log[-2000:]
    assert '"event":"server.stopped"' in log
    assert '"event":"http.request"' in log and '"route":"/v1/screen"' in log
    # A support question can be traced from the response's X-Request-ID to the log line of its request.
    traced = [line for line in log.splitlines() if '"request_id":"support-ticket-4711"' in line]
    assert traced and all('"route":"/v1/screen"' in line for line in traced if '"http.request"' in line)
    assert generated.headers["x-request-id"] in log
    # The request log carries route, status and latency; never the screened name or a key.
    assert "Zawahiri" not in log and KEYS[0] not in log and KEYS[1] not in log


def _events(log: str) -> list[dict[str, Any]]:
    out = []
    for line in log.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def _served_by_both(log: str, lists: set[str]) -> bool:
    """Both workers serve `lists`: the supervisor loaded them before it forked any worker, or it replaced both
    workers after loading them. A sync publishes list by list, so a load may come between two publishes (one list),
    and the next change brings the rest. Two `worker_ready` lines after the load are not enough: a worker forked
    before it may report ready after the load was logged."""
    events = _events(log)
    if any(e["event"] == "server.workers_replaced" and set(e["lists"]) == lists for e in events):
        return True
    names = [e["event"] for e in events]
    loads = [i for i, e in enumerate(events) if e["event"] == "matcher.loaded"]
    if not loads or set(events[loads[0]]["lists"]) != lists:
        return False
    return "server.worker_ready" not in names[: loads[0]] and names[loads[0] :].count("server.worker_ready") >= 2


def test_serve_with_two_workers_syncs_once_and_sums_metrics(tmp_path: Path, fixture_mirror: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SANCTIONS_DATA_DIR": str(tmp_path / "data"),
        "SANCTIONS_LISTS": "eu_fsf,gb_fcdo_sanctions",
        "SANCTIONS_MIRROR": str(fixture_mirror),
        "SANCTIONS_SYNC_ON_START": "true",
        "SANCTIONS_LOG_JSON": "true",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    base = f"http://127.0.0.1:{port}"
    lists = {"eu_fsf", "gb_fcdo_sanctions"}
    try:
        _wait_ready(base, proc)
        # Ready once both workers serve the synced lists: forked after the supervisor loaded both (they may be the
        # first two, when the sync process was done before that load, or their replacements). One worker answering
        # /readyz says nothing of the other.
        deadline = time.monotonic() + 60
        while not _served_by_both(log_path.read_text(errors="replace"), lists):
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.05)
        for _ in range(4):  # a connection each: either worker may answer
            assert set(httpx.get(f"{base}/readyz", timeout=10.0).json()["lists"]) == lists
        for _ in range(6):  # a connection each: the kernel spreads them over both workers
            r = httpx.post(f"{base}/v1/screen", json={"identifiers": ["IMO9562233"]}, timeout=10.0)
            assert r.status_code == 200, r.text
        metrics = httpx.get(f"{base}/metrics", timeout=10.0).text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    log = log_path.read_text(errors="replace")
    # The parent process syncs once for both workers: one outcome per list, not one per worker.
    assert log.count('"event":"sync.finished"') == 1, log[-3000:]
    assert 'sanctions_sync_outcomes_total{list="eu_fsf",status="ok"} 1.0' in metrics
    # /metrics adds up both workers' counters, whichever worker answers the scrape.
    assert 'sanctions_screenings_total{kind="screen"} 6.0' in metrics
    # The supervisor loaded the synced lists (once, or once more when its first load came between the sync's two
    # publishes); the workers loaded nothing themselves.
    loads = [set(e["lists"]) for e in _events(log) if e["event"] == "matcher.loaded"]
    assert 1 <= len(loads) <= 2 and loads[-1] == lists and all(loaded <= lists for loaded in loads), log[-3000:]
    replaced = log.count('"event":"server.workers_replaced"')
    assert log.count('"event":"server.started"') == 2 + 2 * replaced
