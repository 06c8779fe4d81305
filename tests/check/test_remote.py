"""Remote mode against a real `sanctions serve` process on a free port, and against a loopback server serving faults."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from service.check.local import LocalScreener
from service.check.remote import RemoteError, RemoteScreener
from service.check.run import CheckOptions, run_check
from service.screening.records import read_file
from tests.check.conftest import CHECK_FIXTURES, CHECK_LISTS, run_cli
from tests.conftest import ROOT

API_KEY = "ci-check-key"
FILES = ("tests/fixtures/check/counterparties.csv", "tests/fixtures/check/counterparties.yaml")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def service_url(check_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`sanctions serve` on a copy of the synced folder, keyed, with no background sync (no network here)."""
    data_dir = tmp_path_factory.mktemp("serve") / "data"
    shutil.copytree(check_data_dir, data_dir, ignore=shutil.ignore_patterns("*.lock", "audit.sqlite3*"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_")}
    env.update(
        {
            "SANCTIONS_DATA_DIR": str(data_dir),
            "SANCTIONS_LISTS": ",".join(CHECK_LISTS),
            "SANCTIONS_SYNC_ON_START": "false",
            "SANCTIONS_API_KEYS": API_KEY,
            "SANCTIONS_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    log = (tmp_path_factory.mktemp("serve-log") / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"sanctions serve did not become ready: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _hits_by_location(doc: dict[str, object]) -> dict[tuple[str, int], list[str]]:
    results = doc["results"]
    assert isinstance(results, list)
    return {(r["file"], r["line"]): [h["entity_id"] for h in r["hits"]] for r in results}


def test_remote_cli_matches_local_screening(service_url: str, screener: LocalScreener) -> None:
    proc = run_cli(*FILES, "--url", service_url, "--api-key", API_KEY, "--format", "json", "--min-score", "0.8")
    assert proc.returncode == 1, proc.stderr
    remote = json.loads(proc.stdout)
    assert remote["mode"] == "remote" and remote["source"] == service_url
    assert {li["id"] for li in remote["lists"]} == set(CHECK_LISTS)
    assert all(li.get("title") for li in remote["lists"])

    out = io.StringIO()
    options = CheckOptions(files=FILES, min_score=0.8, format="json")
    assert run_check(options, lambda: screener, stdout=out, stderr=io.StringIO(), cwd=ROOT) == 1
    local = json.loads(out.getvalue())
    assert _hits_by_location(remote) == _hits_by_location(local)
    assert remote["summary"]["matching"] == local["summary"]["matching"] == 7


def test_remote_default_min_score_is_the_servers_threshold(service_url: str) -> None:
    proc = run_cli(
        "tests/fixtures/check/clean.csv", "--url", service_url, "--format", "json", env={"SANCTIONS_API_KEY": API_KEY}
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (
        doc["min_score"]
        == httpx.post(f"{service_url}/v1/screen", json={"name": "x"}, headers={"X-API-Key": API_KEY}).json()[
            "threshold"
        ]
    )


def test_remote_wrong_api_key_exits_2(service_url: str) -> None:
    proc = run_cli("tests/fixtures/check/clean.csv", "--url", service_url, "--api-key", "not-the-key")
    assert proc.returncode == 2
    assert "refused the API key (HTTP 401)" in proc.stderr
    assert "not-the-key" not in proc.stderr


def test_remote_batches_in_chunks(service_url: str) -> None:
    records = [r for f in FILES for r in read_file(str(ROOT / f)).records]
    queries = [r.query for r in records]
    requests: list[str] = []
    small = RemoteScreener(service_url, API_KEY, batch_size=3)
    small._client.event_hooks["request"].append(lambda req: requests.append(req.url.path))
    whole = RemoteScreener(service_url, API_KEY)
    try:
        chunked = small.screen(queries, threshold=0.8, limit=10)
        single = whole.screen(queries, threshold=0.8, limit=10)
    finally:
        small.close()
        whole.close()
    assert requests == ["/v1/screen/batch"] * 4  # 11 records in chunks of 3
    assert [[h.entity_id for h in hits] for hits in chunked] == [[h.entity_id for h in hits] for hits in single]
    assert small.threshold == 0.8  # the threshold the batch asked for, echoed


def test_remote_allowlist_unknown_entity_found_by_404(service_url: str, tmp_path: Path) -> None:
    until = (date.today() + timedelta(days=30)).isoformat()
    allow = tmp_path / "allow.yaml"
    allow.write_text(
        f"""- entity_id: us_ofac_sdn:12927
  record: C-002
  reason: reviewed
  reviewer: qa
  expires: {until}
- entity_id: us_ofac_sdn:99999999
  record: C-002
  reason: typo in the id
  reviewer: qa
  expires: {until}
""",
        encoding="utf-8",
    )
    proc = run_cli(
        "tests/fixtures/check/counterparties.csv",
        "--url",
        service_url,
        "--api-key",
        API_KEY,
        "--allowlist",
        str(allow),
        "--format",
        "json",
    )
    assert proc.returncode == 1, proc.stderr  # the other listed parties still match
    doc = json.loads(proc.stdout)
    mahan = next(r for r in doc["results"] if r["record"].get("key") == "C-002")
    assert mahan["status"] == "suppressed"
    assert "us_ofac_sdn:99999999" in proc.stderr and "unknown to the loaded lists" in proc.stderr
    assert "us_ofac_sdn:12927 for" not in proc.stderr


# --- faults from a real loopback server ------------------------------------------------------------------------------


class _FaultHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        return

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.server.sizes.append(len(request["queries"]))  # type: ignore[attr-defined]
        if self.server.mode == "slow":  # type: ignore[attr-defined]
            time.sleep(2.0)
        if self.server.mode == "cap2":  # type: ignore[attr-defined]
            # A server whose SANCTIONS_MAX_BATCH is 2: larger batches are refused with 413, as the API does.
            results = [{"ref": q["ref"], "hits": []} for q in request["queries"]]
            ok = {"threshold": 0.8, "lists": [{"id": "un_sc_sanctions", "version": "v1"}], "results": results}
            if len(results) > 2:
                ok = {"detail": f"batch of {len(results)} queries over the cap of 2"}
            body = json.dumps(ok).encode()
            self._send(413 if len(results) > 2 else 200, body)
            return
        status, body = {
            "slow": (200, b'{"results": []}'),
            "error": (500, b'{"detail": "boom"}'),
            "garbage": (200, b"<html>not json</html>"),
            "too_large": (413, b'{"detail": "request body too large"}'),
        }[self.server.mode]  # type: ignore[attr-defined]
        self._send(status, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def fault_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FaultHandler)
    server.daemon_threads = True
    server.sizes = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("slow", "no answer within 0.5s"),
        ("error", "HTTP 500: boom"),
        ("garbage", "unreadable response"),
        ("too_large", "HTTP 413: request body too large"),
    ],
)
def test_remote_faults_are_errors(fault_server: ThreadingHTTPServer, mode: str, message: str) -> None:
    fault_server.mode = mode  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{fault_server.server_address[1]}"
    screener = RemoteScreener(url, timeout_s=0.5, retries=0)
    queries = [r.query for r in read_file(str(CHECK_FIXTURES / "clean.csv")).records]
    try:
        with pytest.raises(RemoteError, match=message):
            screener.screen(queries, threshold=0.8, limit=10)
    finally:
        screener.close()


def test_remote_cli_exit_2_on_timeout_and_refused_connection(fault_server: ThreadingHTTPServer) -> None:
    fault_server.mode = "slow"  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{fault_server.server_address[1]}"
    proc = run_cli("tests/fixtures/check/clean.csv", "--url", url, "--timeout", "0.5")
    assert proc.returncode == 2
    assert "no answer within 0.5s" in proc.stderr
    proc = run_cli("tests/fixtures/check/clean.csv", "--url", f"http://127.0.0.1:{free_port()}")
    assert proc.returncode == 2
    assert "ConnectError" in proc.stderr


def test_remote_splits_batches_the_server_refuses_as_too_large(fault_server: ThreadingHTTPServer) -> None:
    fault_server.mode = "cap2"  # type: ignore[attr-defined]
    screener = RemoteScreener(f"http://127.0.0.1:{fault_server.server_address[1]}", retries=0)
    queries = [r.query for f in FILES for r in read_file(str(ROOT / f)).records]
    try:
        assert screener.screen(queries, threshold=0.8, limit=10) == [[]] * 11
    finally:
        screener.close()
    sizes = fault_server.sizes  # type: ignore[attr-defined]
    assert sizes[0] == 11 and max(sizes[1:]) <= 11 // 2 + 1
    assert sum(n for n in sizes if n <= 2) == 11  # every query answered once, in batches the server accepts
