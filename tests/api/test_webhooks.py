"""Webhooks through the real app (TestClient with its lifespan, so the delivery worker runs) and a real `sanctions
serve` process: the routes, the README's receiver run as written against real deliveries, dead letters and
replays, a restart between queueing and delivery, and two replicas on one Redis."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import HTTPServer
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.schemas import EventTypeStr
from service.model import EventType
from service.store.embedded import EmbeddedStore
from service.store.redis_ import RedisStore
from tests.api.conftest import AUTH, KEYS, make_settings
from tests.notify.support import Receiver, append_events, signed_ok, wait_for
from tests.store.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
# Quick retries for tests: the schedule's shape is the worker's (tests/notify), only the scale is shortened.
FAST = {"webhook_poll_s": 0.05, "webhook_backoff_s": 0.05, "webhook_backoff_cap_s": 0.2, "webhook_timeout_s": 2.0}


def app_settings(data_dir: Path, **overrides: Any) -> Any:
    return make_settings(data_dir, lists=["un_sc_sanctions"], **{**FAST, **overrides})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The app on an empty data folder: webhooks need no list loaded."""
    with TestClient(create_app(app_settings(tmp_path / "data"))) as c:
        yield c


def deliveries(client: TestClient, webhook_id: str, state: str | None = None) -> list[dict[str, Any]]:
    r = client.get(f"/v1/webhooks/{webhook_id}/deliveries", params={"state": state} if state else {}, headers=AUTH)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["deliveries"]
    return found


def metric(client: TestClient, name: str) -> float:
    text = client.get("/metrics").text
    m = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(m.group(1)) if m else 0.0


def test_webhook_routes_create_list_delete_and_validate(client: TestClient) -> None:
    r = client.post("/v1/webhooks", json={"url": "https://hooks.example.com/s?x=1", "events": ["monitor.hit.new"]})
    assert r.status_code == 401
    r = client.post(
        "/v1/webhooks",
        json={"url": "https://user:pw@hooks.example.com:8443/s?x=1", "events": ["monitor.hit.new", "monitor.hit.new"]},
        headers=AUTH,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) == {"id", "url", "events", "secret", "created_at"}
    assert created["events"] == ["monitor.hit.new"] and re.fullmatch(r"[0-9a-f]{64}", created["secret"])
    listed = client.get("/v1/webhooks", headers=AUTH).json()["webhooks"]
    assert listed == [
        {
            "id": created["id"],
            "url": "https://user:***@hooks.example.com:8443/s?…",  # no secrets in the list: not even the URL's
            "events": ["monitor.hit.new"],
            "created_at": created["created_at"],
            "deliveries": {"pending": 0, "delivered": 0, "dead": 0},
        }
    ]
    assert created["secret"] not in client.get("/v1/webhooks", headers=AUTH).text
    for bad in (
        {"url": "ftp://hooks.example.com/", "events": ["monitor.hit.new"]},
        {"url": "https://", "events": ["monitor.hit.new"]},
        {"url": "hooks.example.com/s", "events": ["monitor.hit.new"]},
        {"url": "https://hooks.example.com/a b", "events": ["monitor.hit.new"]},
        {"url": "https://hooks.example.com:99999/", "events": ["monitor.hit.new"]},
        {"url": "https://hooks.example.com/", "events": []},
        {"url": "https://hooks.example.com/", "events": ["monitor.hit.bogus"]},
        {"url": "https://hooks.example.com/", "events": ["monitor.hit.new"], "secret": "mine"},
        {"events": ["monitor.hit.new"]},
    ):
        assert client.post("/v1/webhooks", json=bad, headers=AUTH).status_code == 422, bad
    assert client.get(f"/v1/webhooks/{created['id']}/deliveries?state=lost", headers=AUTH).status_code == 422
    assert deliveries(client, created["id"]) == []
    assert client.delete(f"/v1/webhooks/{created['id']}", headers=AUTH).status_code == 204
    assert client.delete(f"/v1/webhooks/{created['id']}", headers=AUTH).status_code == 404
    assert client.post(f"/v1/webhooks/{created['id']}/replay", headers=AUTH).status_code == 404
    assert client.get(f"/v1/webhooks/{created['id']}/deliveries", headers=AUTH).status_code == 404
    assert client.get("/v1/webhooks", headers=AUTH).json() == {"webhooks": []}


def test_the_schema_names_every_event_type_the_model_has() -> None:
    assert get_args(EventTypeStr) == tuple(e.value for e in EventType)


def readme_receiver() -> str:
    """The receiver snippet of README.md, exactly as a reader copies it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Webhooks", 1)[1]
    [snippet] = [s for s in re.findall(r"```python\n(.*?)```", section, re.DOTALL) if "Sanctions-Signature" in s]
    return snippet


def test_the_readme_receiver_accepts_real_deliveries_once_and_refuses_forgeries(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    hook = client.post(
        "/v1/webhooks", json={"url": f"http://127.0.0.1:{port}/sanctions", "events": ["monitor.hit.new"]}, headers=AUTH
    ).json()
    monkeypatch.setenv("WEBHOOK_SECRET", hook["secret"])
    namespace: dict[str, Any] = {"__name__": "readme_receiver"}  # not __main__: the test serves it itself
    exec(compile(readme_receiver(), "README.md", "exec"), namespace)
    handled: list[dict[str, Any]] = []
    namespace["handle"] = handled.append  # the reader's part of the snippet
    server = HTTPServer(("127.0.0.1", port), namespace["Receiver"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    store = EmbeddedStore(tmp_path / "data")  # a second handle on the app's data: as the monitoring worker writes
    try:
        [event] = append_events(store, "customer-4711")
        wait_for(lambda: handled, what="the README receiver handling the event")
        wait_for(lambda: deliveries(client, hook["id"], "delivered"), what="the delivery recorded")
        assert handled == [event.body]
        # Sent again on purpose (a replay): accepted, and not handled twice.
        r = client.post(f"/v1/webhooks/{hook['id']}/replay", json={"event_ids": [event.id]}, headers=AUTH)
        assert r.json() == {"queued": 1}
        delivered = "sanctions_webhook_deliveries_total" + '{outcome="delivered"}'
        wait_for(lambda: metric(client, delivered) == 2, what="the replay delivered")
        assert handled == [event.body]
        # Forgeries: the signature with another secret, an old (captured) delivery, no signature at all.
        body = json.dumps({**event.body, "id": "ev_forged"}).encode()
        url = f"http://127.0.0.1:{port}/sanctions"

        def post(signature: str | None) -> int:
            headers = {"Content-Type": "application/json"} | ({"Sanctions-Signature": signature} if signature else {})
            return httpx.post(url, content=body, headers=headers, timeout=5).status_code

        def sign(secret: str, t: int) -> str:
            return f"t={t},v1=" + hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()

        now = int(time.time())
        assert post(sign("not-the-secret", now)) == 401
        assert post(sign(hook["secret"], now - 360)) == 401  # six minutes old
        assert post(sign(hook["secret"], now + 360)) == 401
        assert post(None) == 401 and post("t=abc,v1=00") == 401
        assert handled == [event.body]
        assert post(sign(hook["secret"], now)) == 204  # the control: this verifier can say yes
        assert [e["id"] for e in handled] == [event.id, "ev_forged"]
    finally:
        server.shutdown()
        server.server_close()
        store.close()


def test_a_failing_receiver_is_retried_then_dead_lettered_then_replayed(tmp_path: Path) -> None:
    answers = {"status": 500}
    settings = app_settings(tmp_path / "data", webhook_retry_hours=0.5 / 3600)  # a half-second window
    with Receiver(answer=lambda _: answers["status"]) as receiver, TestClient(create_app(settings)) as client:
        hook = client.post("/v1/webhooks", json={"url": receiver.url, "events": ["monitor.hit.new"]}, headers=AUTH)
        hook_id = hook.json()["id"]
        store = client.app.state.ctx.runtime.store  # type: ignore[attr-defined]
        [event] = append_events(store, "c1")
        [dead] = wait_for(lambda: deliveries(client, hook_id, "dead"), what="a dead letter")
        assert dead["event_id"] == event.id and dead["last_error"] == "HTTP 500" and dead["attempts"] >= 3
        assert dead["next_attempt_at"] is None and dead["delivered_at"] is None
        assert len(receiver.received) == dead["attempts"]
        wait_for(lambda: metric(client, "sanctions_webhook_dead_deliveries") == 1, what="the dead gauge")
        assert metric(client, "sanctions_webhook_deliveries_total" + '{outcome="retry"}') == dead["attempts"] - 1
        answers["status"] = 202
        assert client.post(f"/v1/webhooks/{hook_id}/replay", headers=AUTH).json() == {"queued": 1}
        [done] = wait_for(lambda: deliveries(client, hook_id, "delivered"), what="delivered after the replay")
        assert done["attempts"] == 1 and done["last_error"] is None
        [listed] = client.get("/v1/webhooks", headers=AUTH).json()["webhooks"]
        assert listed["deliveries"] == {"pending": 0, "delivered": 1, "dead": 0}
        wait_for(lambda: metric(client, "sanctions_webhook_dead_deliveries") == 0, what="the dead gauge cleared")
        assert receiver.event_ids() == [event.id] * (dead["attempts"] + 1)


def test_a_pending_delivery_survives_a_restart_of_the_server(tmp_path: Path) -> None:
    receiver = Receiver()  # down while the first server runs
    settings = app_settings(tmp_path / "data")
    with TestClient(create_app(settings)) as first:
        hook_id = first.post(
            "/v1/webhooks", json={"url": receiver.url, "events": ["monitor.hit.new"]}, headers=AUTH
        ).json()["id"]
        [event] = append_events(first.app.state.ctx.runtime.store, "c1")  # type: ignore[attr-defined]
        [pending] = wait_for(lambda: deliveries(first, hook_id, "pending"), what="a queued delivery")
        wait_for(lambda: deliveries(first, hook_id, "pending")[0]["attempts"] >= 1, what="a failed attempt")
        assert pending["event_id"] == event.id
    with receiver, TestClient(create_app(settings)) as second:
        wait_for(lambda: deliveries(second, hook_id, "delivered"), what="delivered after the restart")
        assert receiver.event_ids() == [event.id]


@pytest.mark.slow
def test_two_replicas_on_one_redis_deliver_each_event_once(tmp_path: Path) -> None:
    with RedisServer() as redis_server, Receiver() as receiver:
        settings = [app_settings(tmp_path / f"data{i}", redis_url=redis_server.url) for i in (1, 2)]
        with TestClient(create_app(settings[0])) as one, TestClient(create_app(settings[1])) as two:
            hook_id = one.post(
                "/v1/webhooks", json={"url": receiver.url, "events": ["monitor.hit.new"]}, headers=AUTH
            ).json()["id"]
            assert [w["id"] for w in two.get("/v1/webhooks", headers=AUTH).json()["webhooks"]] == [hook_id]
            writer = RedisStore(redis_server.url)
            try:
                events = append_events(writer, "c1", count=25)
            finally:
                writer.close()
            wait_for(
                lambda: two.get("/v1/webhooks", headers=AUTH).json()["webhooks"][0]["deliveries"]["delivered"] == 25,
                timeout_s=60,
                what="25 deliveries",
            )
            done = [metric(c, "sanctions_webhook_deliveries_total" + '{outcome="delivered"}') for c in (one, two)]
        assert sorted(receiver.event_ids()) == sorted(e.id for e in events)  # each once, across both
        assert sum(done) == 25


@pytest.mark.slow
def test_serve_process_delivers_signed_events_and_keeps_names_out_of_its_log(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_")}
    env |= {
        "SANCTIONS_DATA_DIR": str(data_dir),
        "SANCTIONS_LISTS": "un_sc_sanctions",
        "SANCTIONS_API_KEYS": ",".join(KEYS),
        "SANCTIONS_SYNC_ON_START": "false",
        "SANCTIONS_LOG_JSON": "true",
        "SANCTIONS_LOG_LEVEL": "INFO",
        "SANCTIONS_WEBHOOK_POLL_S": "0.1",
        "SANCTIONS_WEBHOOK_BACKOFF_S": "0.1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    failing_first = {"n": 0}

    def answer(_: object) -> int:
        failing_first["n"] += 1
        return 503 if failing_first["n"] == 1 else 200  # one retry, so the log shows its error

    try:
        with Receiver(answer=answer) as receiver:

            def create() -> dict[str, Any] | None:
                try:
                    r = httpx.post(
                        f"{base}/v1/webhooks",
                        json={"url": receiver.url + "?token=s3cr3t", "events": ["monitor.hit.new"]},
                        headers=AUTH,
                        timeout=5,
                    )
                except httpx.TransportError:
                    assert proc.poll() is None, "the server exited"
                    return None
                assert r.status_code == 201, r.text
                created: dict[str, Any] = r.json()
                return created

            hook = wait_for(create, timeout_s=60, what="the server answering")
            store = EmbeddedStore(data_dir)
            try:
                [event] = append_events(store, "customer-4711")
            finally:
                store.close()
            wait_for(lambda: len(receiver.received) == 2, what="a retry, then the delivery")
            assert all(signed_ok(hook["secret"], r) for r in receiver.received)
            assert receiver.event_ids() == [event.id, event.id]

            def recorded() -> dict[str, Any] | None:
                r = httpx.get(f"{base}/v1/webhooks/{hook['id']}/deliveries", headers=AUTH, timeout=5).json()
                return r if r["deliveries"][0]["state"] == "delivered" else None

            body = wait_for(recorded, what="recorded as delivered")
            assert body["webhook_id"] == hook["id"] and body["deliveries"][0]["attempts"] == 2
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    log = err.decode()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    events = {line.get("event") for line in lines}
    assert {"webhooks.worker_started", "webhook.retry", "webhook.delivered"} <= events
    retry = next(line for line in lines if line.get("event") == "webhook.retry")
    assert retry["error"] == "HTTP 503" and retry["event_id"] == event.id and retry["webhook_id"] == hook["id"]
    for private in ("Zawahiri", "customer-4711", "s3cr3t", receiver.url, hook["secret"]):
        assert private not in log
    assert proc.returncode == 0
