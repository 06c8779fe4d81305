"""The webhook use cases: what URLs and event types are accepted, where a new webhook starts, the wire format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from service.errors import NotFoundError, QueryError
from service.model import Delivery, DeliveryState, EventType, Webhook
from service.notify import webhooks as uc
from service.store.base import Store
from tests.notify.support import append_events
from tests.store.test_store import BACKENDS, open_backend


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = open_backend(str(request.param), tmp_path)
    yield s
    s.close()


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/sanctions",
        "http://127.0.0.1:8080/",
        "HTTPS://hooks.example.com",
        "https://user:p%40ss@hooks.example.com:65535/a/b?c=d&e=f#g",
        "http://receiver_1.internal:0/x",
    ],
)
def test_http_urls_with_a_host_are_accepted(url: str) -> None:
    assert uc.check_url(url) == url
    parts = urlsplit(url)  # and the standard library reads the same host and port out of them
    assert (parts.scheme.lower() in ("http", "https") and parts.hostname and parts.port is None) or parts.port >= 0


@pytest.mark.parametrize(
    "url",
    [
        "",
        "hooks.example.com/sanctions",
        "ftp://hooks.example.com/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://",
        "https:///path",
        "https://hooks.example.com:65536/",
        "https://hooks.example.com:8080:9090/",
        "https://[::1]/",
        "https://hooks.example.com/a b",
        "https://hooks.example.com/\x00",
        "https://hooks.example.com/\n",
        "https://hooks.exämple.com/",
        "https://a@b@hooks.example.com/",
        "https://hooks.example.com/" + "a" * uc.MAX_URL_CHARS,
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(QueryError):
        uc.check_url(url)


def test_event_types_are_checked_and_deduplicated() -> None:
    assert uc.check_events(["monitor.hit.removed", "monitor.hit.new", "monitor.hit.removed"]) == (
        EventType.HIT_REMOVED,
        EventType.HIT_NEW,
    )
    for bad in ([], ["monitor.hit.bogus"], ["MONITOR.HIT.NEW"]):
        with pytest.raises(QueryError):
            uc.check_events(bad)


def test_a_new_webhook_starts_at_the_end_of_the_event_log(store: Store) -> None:
    append_events(store, "c1", count=3)
    end = store.monitoring.last_event_seq()
    hook = uc.create_webhook(store, "https://hooks.example.com/s", ["monitor.hit.new"], now=1_800_000_000.5)
    assert end > 0 and store.webhooks.cursors() == {hook.id: end}
    assert hook.created_at == "2027-01-15T08:00:00.500Z" and len(hook.secret) == 64 and hook.id.startswith("wh_")
    other = uc.create_webhook(store, "https://hooks.example.com/s", ["monitor.hit.new"])
    assert other.id != hook.id and other.secret != hook.secret
    [(listed, counts)] = [x for x in uc.list_webhooks(store) if x[0].id == hook.id]
    assert listed == hook and counts == dict.fromkeys(DeliveryState, 0)


def test_unknown_webhooks_are_not_found(store: Store) -> None:
    for call in (
        lambda: uc.delete_webhook(store, "wh_nope"),
        lambda: uc.replay(store, "wh_nope"),
        lambda: uc.list_deliveries(store, "wh_nope"),
    ):
        with pytest.raises(NotFoundError):
            call()
    hook = uc.create_webhook(store, "https://hooks.example.com/s", ["monitor.hit.new"])
    with pytest.raises(QueryError):
        uc.replay(store, hook.id, ["ev"] * (uc.MAX_REPLAY_EVENTS + 1))


def test_the_wire_format_keeps_secrets_and_bodies_out_of_lists() -> None:
    hook = Webhook(
        "wh_1", "https://u:pw@h.example.com/p?token=t", (EventType.HIT_NEW,), "s" * 64, "2027-01-15T00:00:00Z"
    )
    assert uc.webhook_to_dict(hook, with_secret=True)["secret"] == "s" * 64
    listed = uc.webhook_to_dict(hook, dict.fromkeys(DeliveryState, 2))
    assert "secret" not in listed and listed["url"] == "https://u:***@h.example.com/p?…"
    assert listed["deliveries"] == {"pending": 2, "delivered": 2, "dead": 2}
    d = Delivery("wh_1", "ev_1", EventType.HIT_NEW, 3, b'{"name":"X"}', 1_800_000_000.0, 1_800_000_005.0)
    wire = uc.delivery_to_dict(d)
    assert wire["next_attempt_at"] == "2027-01-15T08:00:05.000Z" and wire["last_error"] is None
    assert "body" not in wire and "X" not in str(wire)
