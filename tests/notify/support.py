"""Real parts for the webhook tests: a receiving HTTP server on loopback that records what it gets, and events
appended to a store's monitoring event log the way the re-screening does (`save_rescreen`)."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from service.model import Event, EventType, Monitor
from service.store.base import Store
from tests.store.redis_server import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[Received], int]


class Receiver:
    """A webhook receiver on 127.0.0.1: records every POST and answers with `answer(request)` (200 by default).
    It can be stopped and started again on the same port (a receiver that is down for a while)."""

    def __init__(self, answer: Answer | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.answer: Answer = answer or (lambda _: 200)
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/sanctions"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                req = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    receiver.received.append(req)
                status = receiver.answer(req)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def event_ids(self) -> list[str]:
        with self._lock:
            return [r.headers["sanctions-event-id"] for r in self.received]

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for(predicate: Callable[[], Any], timeout_s: float = 30.0, what: str = "condition") -> Any:
    """Poll until `predicate()` is truthy (returning it); fail after `timeout_s`. Never a timed assertion: the
    deadline only bounds a hang."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        time.sleep(0.02)


def event_body(event_id: str, kind: EventType, ref: str, entity_id: str) -> dict[str, Any]:
    """An event body in the shape the contract gives (service.model.Event.body), with a screened name in it."""
    return {
        "id": event_id,
        "type": kind.value,
        "created_at": "2026-12-02T06:00:03.120Z",
        "monitor": {"ref": ref},
        "hit": {
            "entity_id": entity_id,
            "list": entity_id.split(":", 1)[0],
            "name": "Łukasz Ğüneş-Zawahiri",
            "score": 0.93,
            "match": True,
            "evidence": [],
        },
        "lists": [{"id": entity_id.split(":", 1)[0], "version": "2026-12-02"}],
    }


def append_events(
    store: Store, ref: str, count: int = 1, kind: EventType = EventType.HIT_NEW, entity: str = "un_sc_sanctions:QDi"
) -> list[Event]:
    """Append `count` events for monitor `ref` (created when missing) as a re-screening does; returns them."""
    mon = store.monitoring
    current = mon.get_monitor(ref)
    if current is None:
        at = "2026-12-01T00:00:00Z"
        [(current, _)] = mon.put_monitors([Monitor(ref, {"name": "Party", "type": "any"}, at, at, at, {})])
    events = []
    for i in range(count):
        event_id = f"ev_{uuid.uuid4().hex}"
        entity_id = f"{entity}.{i:03d}"
        body = event_body(event_id, kind, ref, entity_id)
        events.append(Event(event_id, kind, body["created_at"], ref, entity_id, body))
    skipped = mon.save_rescreen([current], events, expected_seq={ref: current.seq})
    assert skipped == [], "the monitor changed under the test"
    return events


def signed_ok(secret: str, req: Received, tolerance_s: float = 300.0) -> bool:
    """The check a receiver makes (written here independently of service.notify.signing)."""
    parts = dict(kv.split("=", 1) for kv in req.headers["sanctions-signature"].split(","))
    mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + req.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts["v1"]) and abs(time.time() - int(parts["t"])) <= tolerance_s
