"""The WebhookStore contract (store.webhooks), one module for every backend of tests/store/test_store.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.model import Delivery, DeliveryState, EventType, Webhook
from service.store.base import Store
from tests.store.test_store import BACKENDS, open_backend
from tests.store.test_store_monitoring import event, monitor

T0 = 1_800_000_000.0  # a fixed "now" (2027-01-15): the store takes time as an argument
LEASE_S = 60.0
PENDING, DELIVERED, DEAD = DeliveryState.PENDING, DeliveryState.DELIVERED, DeliveryState.DEAD


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    s = open_backend(backend, tmp_path)
    yield s
    s.close()


def webhook(wid: str = "wh1", *events: EventType, at: str = "2027-01-15T00:00:00.000Z") -> Webhook:
    return Webhook(wid, f"https://example.org/hooks/{wid}", events or (EventType.HIT_NEW,), f"secret-{wid}", at)


def delivery(wid: str, n: int, *, at: float = T0, body: bytes | None = None) -> Delivery:
    return Delivery(
        webhook_id=wid,
        event_id=f"ev-{n}",
        event_type=EventType.HIT_NEW,
        seq=n,
        body=body if body is not None else b'{"id":"ev-%d"}' % n,
        queued_at=at,
        next_attempt_at=at,
    )


def claimed(store: Store, owner: str, now: float = T0, limit: int = 100) -> list[str]:
    return [
        f"{d.webhook_id}/{d.event_id}" for d in store.webhooks.claim(owner=owner, now=now, lease_s=LEASE_S, limit=limit)
    ]


def test_webhooks_are_added_listed_and_deleted_with_their_deliveries(store: Store) -> None:
    hooks = store.webhooks
    assert hooks.list_webhooks() == [] and hooks.cursors() == {} and hooks.get_webhook("wh1") is None
    first = webhook("wh1", EventType.HIT_NEW, EventType.HIT_REMOVED, at="2027-01-15T00:00:00.000Z")
    second = webhook("wh2", at="2027-01-15T00:00:01.000Z")
    hooks.add_webhook(first, cursor=7)
    hooks.add_webhook(second, cursor=0)
    assert hooks.get_webhook("wh1") == first and hooks.list_webhooks() == [first, second]
    assert hooks.cursors() == {"wh1": 7, "wh2": 0}
    assert hooks.enqueue("wh1", [delivery("wh1", 8), delivery("wh1", 9)], cursor=9)
    assert hooks.enqueue("wh2", [delivery("wh2", 8)], cursor=8)
    assert hooks.delete_webhook("wh1") and not hooks.delete_webhook("wh1")
    assert hooks.list_webhooks() == [second] and hooks.cursors() == {"wh2": 8}
    assert hooks.deliveries("wh1") == [] and hooks.counts("wh1")[PENDING] == 0
    assert claimed(store, "a") == ["wh2/ev-8"]  # nothing of the deleted webhook is sent
    assert hooks.counts() == {PENDING: 1, DELIVERED: 0, DEAD: 0}


def test_enqueue_is_idempotent_per_event_and_the_cursor_never_goes_back(store: Store) -> None:
    hooks = store.webhooks
    hooks.add_webhook(webhook("wh1"), cursor=0)
    body = '{"id":"ev-1","name":"Łukasz Ğüneş 李"}'.encode()
    assert hooks.enqueue("wh1", [delivery("wh1", 1, body=body), delivery("wh1", 2)], cursor=2)
    [d] = store.webhooks.claim(owner="a", now=T0, lease_s=LEASE_S, limit=1)
    assert d.body == body and d.seq == 1 and d.event_type is EventType.HIT_NEW and d.queued_at == T0
    assert hooks.record_attempt("wh1", "ev-1", owner="a", state=DELIVERED, at=T0 + 1)
    # A second fan-out of the same events (another replica, or a restart before the cursor moved) changes nothing.
    assert hooks.enqueue("wh1", [delivery("wh1", 1, at=T0 + 5), delivery("wh1", 2, at=T0 + 5)], cursor=1)
    assert hooks.cursors() == {"wh1": 2}
    assert hooks.counts("wh1") == {PENDING: 1, DELIVERED: 1, DEAD: 0}
    assert [(d.event_id, d.state, d.queued_at) for d in hooks.deliveries("wh1")] == [
        ("ev-2", PENDING, T0),
        ("ev-1", DELIVERED, T0),
    ]
    # A webhook deleted meanwhile: nothing is written.
    assert not hooks.enqueue("gone", [delivery("gone", 3)], cursor=3)
    assert hooks.cursors() == {"wh1": 2} and hooks.deliveries("gone") == []


def test_a_lease_keeps_a_delivery_to_one_owner_until_it_expires(store: Store) -> None:
    hooks = store.webhooks
    hooks.add_webhook(webhook("wh1"), cursor=0)
    hooks.enqueue("wh1", [delivery("wh1", 1), delivery("wh1", 2, at=T0 + 10)], cursor=2)
    assert claimed(store, "a") == ["wh1/ev-1"]  # ev-2 is not due yet
    assert claimed(store, "b") == []  # leased to a
    assert claimed(store, "b", now=T0 + 10) == ["wh1/ev-2"]
    # a died holding ev-1: its lease expires and b takes it over; a's late outcome is refused.
    assert claimed(store, "b", now=T0 + LEASE_S + 1) == ["wh1/ev-1"]
    assert not hooks.record_attempt("wh1", "ev-1", owner="a", state=DELIVERED, at=T0 + LEASE_S + 2)
    assert hooks.record_attempt("wh1", "ev-1", owner="b", state=DELIVERED, at=T0 + LEASE_S + 2)
    assert not hooks.record_attempt("wh1", "ev-1", owner="b", state=DELIVERED, at=T0 + LEASE_S + 3)  # released
    [d] = hooks.deliveries("wh1", state=DELIVERED)
    assert d.attempts == 1 and d.delivered_at == T0 + LEASE_S + 2 and d.last_attempt_at == T0 + LEASE_S + 2
    assert claimed(store, "c", now=T0 + LEASE_S + 5) == []  # delivered: not sent again; ev-2 still leased to b
    assert claimed(store, "c", now=T0 + 10_000) == ["wh1/ev-2"]  # b died too


def test_a_failed_attempt_is_retried_at_its_time_then_dead_lettered(store: Store) -> None:
    hooks = store.webhooks
    hooks.add_webhook(webhook("wh1"), cursor=0)
    hooks.enqueue("wh1", [delivery("wh1", 1)], cursor=1)
    assert claimed(store, "a") == ["wh1/ev-1"]
    assert hooks.record_attempt(
        "wh1", "ev-1", owner="a", state=PENDING, at=T0, next_attempt_at=T0 + 30, error="HTTP 503"
    )
    assert claimed(store, "a", now=T0 + 29) == []
    [d] = hooks.deliveries("wh1", state=PENDING)
    assert (d.attempts, d.last_error, d.next_attempt_at, d.last_attempt_at) == (1, "HTTP 503", T0 + 30, T0)
    assert claimed(store, "b", now=T0 + 30) == ["wh1/ev-1"]
    assert hooks.record_attempt("wh1", "ev-1", owner="b", state=DEAD, at=T0 + 31, error="ConnectError")
    assert claimed(store, "c", now=T0 + 100_000) == []
    [dead] = hooks.deliveries("wh1", state=DEAD)
    assert (dead.state, dead.attempts, dead.last_error, dead.delivered_at) == (DEAD, 2, "ConnectError", None)
    assert hooks.counts("wh1") == {PENDING: 0, DELIVERED: 0, DEAD: 1} == hooks.counts()


def test_requeue_replays_dead_deliveries_or_chosen_events(store: Store) -> None:
    hooks = store.webhooks
    hooks.add_webhook(webhook("wh1"), cursor=0)
    hooks.add_webhook(webhook("wh2"), cursor=0)
    hooks.enqueue("wh1", [delivery("wh1", n) for n in (1, 2, 3, 4)], cursor=4)
    hooks.enqueue("wh2", [delivery("wh2", 1)], cursor=1)
    assert len(claimed(store, "a")) == 5
    for event_id, state in [("ev-1", DEAD), ("ev-2", DEAD), ("ev-3", DELIVERED)]:
        assert hooks.record_attempt("wh1", event_id, owner="a", state=state, at=T0 + 1, error="HTTP 500")
    assert hooks.record_attempt("wh2", "ev-1", owner="a", state=DEAD, at=T0 + 1)
    assert hooks.requeue("wh1", now=T0 + 50) == 2  # its dead ones only; wh2's stays dead
    assert hooks.counts("wh2")[DEAD] == 1
    replayed = {d.event_id: d for d in hooks.deliveries("wh1", state=PENDING)}
    assert set(replayed) == {"ev-1", "ev-2", "ev-4"}
    assert (replayed["ev-1"].attempts, replayed["ev-1"].queued_at, replayed["ev-1"].last_error) == (0, T0 + 50, "")
    assert sorted(claimed(store, "b", now=T0 + 50)) == ["wh1/ev-1", "wh1/ev-2"]  # ev-4 is still leased to a
    # chosen events, whatever their state (ev-3 was delivered); an unknown id is not counted
    assert hooks.requeue("wh1", ["ev-3", "ev-3", "nope"], now=T0 + 55) == 1
    [again] = [d for d in hooks.deliveries("wh1") if d.event_id == "ev-3"]
    assert again.state is PENDING and again.delivered_at is None
    assert claimed(store, "b", now=T0 + 55) == ["wh1/ev-3"]
    assert hooks.requeue("wh1", [], now=T0 + 56) == 0


def test_requeue_of_a_delivery_in_flight_waits_for_its_lease(store: Store) -> None:
    hooks = store.webhooks
    hooks.add_webhook(webhook("wh1"), cursor=0)
    hooks.enqueue("wh1", [delivery("wh1", 1)], cursor=1)
    assert claimed(store, "a") == ["wh1/ev-1"]
    assert hooks.requeue("wh1", ["ev-1"], now=T0 + 1) == 1
    assert claimed(store, "b", now=T0 + 2) == []  # a is still sending it: no second sender at the same time
    # a's outcome belonged to the old queueing; the replay is sent once a's lease is over
    assert not hooks.record_attempt("wh1", "ev-1", owner="a", state=DELIVERED, at=T0 + 3)
    assert claimed(store, "b", now=T0 + LEASE_S) == ["wh1/ev-1"]


def test_deliveries_page_newest_first_by_state(store: Store) -> None:
    hooks = store.webhooks
    hooks.add_webhook(webhook("wh1"), cursor=0)
    hooks.enqueue("wh1", [delivery("wh1", n) for n in range(1, 8)], cursor=7)
    claimed(store, "a", limit=3)  # ev-1..3, oldest first
    for n in (1, 2, 3):
        hooks.record_attempt("wh1", f"ev-{n}", owner="a", state=DEAD if n == 2 else DELIVERED, at=T0)
    assert [d.event_id for d in hooks.deliveries("wh1", limit=3)] == ["ev-7", "ev-6", "ev-5"]
    assert [d.event_id for d in hooks.deliveries("wh1", state=DELIVERED)] == ["ev-3", "ev-1"]
    assert [d.event_id for d in hooks.deliveries("wh1", state=PENDING, limit=2)] == ["ev-7", "ev-6"]
    assert [d.event_id for d in hooks.deliveries("wh1", state=DEAD)] == ["ev-2"]
    assert len(hooks.deliveries("wh1")) == 7


def test_prune_forgets_only_old_delivered_ones(store: Store) -> None:
    hooks = store.webhooks
    hooks.add_webhook(webhook("wh1"), cursor=0)
    hooks.enqueue("wh1", [delivery("wh1", n) for n in (1, 2, 3, 4)], cursor=4)
    claimed(store, "a")
    hooks.record_attempt("wh1", "ev-1", owner="a", state=DELIVERED, at=T0 + 1)
    hooks.record_attempt("wh1", "ev-2", owner="a", state=DELIVERED, at=T0 + 100)
    hooks.record_attempt("wh1", "ev-3", owner="a", state=DEAD, at=T0 + 1)
    assert hooks.prune_delivered(T0 + 50) == 1
    assert hooks.prune_delivered(T0 + 50) == 0
    assert sorted(d.event_id for d in hooks.deliveries("wh1")) == ["ev-2", "ev-3", "ev-4"]
    assert hooks.counts("wh1") == {PENDING: 1, DELIVERED: 1, DEAD: 1}


def test_pending_deliveries_survive_reopening_the_store(backend: str, tmp_path: Path) -> None:
    first = open_backend(backend, tmp_path)
    first.webhooks.add_webhook(webhook("wh1"), cursor=0)
    first.webhooks.enqueue("wh1", [delivery("wh1", 1)], cursor=1)
    first.close()
    again = open_backend(backend, tmp_path)
    try:
        assert again.webhooks.cursors() == {"wh1": 1}
        assert [d.event_id for d in again.webhooks.claim(owner="z", now=T0, lease_s=LEASE_S, limit=5)] == ["ev-1"]
    finally:
        again.close()


def test_concurrent_claims_from_several_stores_lease_each_delivery_once(backend: str, tmp_path: Path) -> None:
    """Several processes or replicas: one store object each, on the same data, claiming at once."""
    setup = open_backend(backend, tmp_path)
    setup.webhooks.add_webhook(webhook("wh1"), cursor=0)
    setup.webhooks.enqueue("wh1", [delivery("wh1", n) for n in range(200)], cursor=200)
    replicas = [open_backend(backend, tmp_path) for _ in range(4)]
    got: list[list[str]] = [[] for _ in replicas]
    start = threading.Barrier(len(replicas))

    def work(i: int) -> None:
        start.wait()
        for _ in range(100):  # bounded: a store that leased a delivery twice would never run dry
            batch = replicas[i].webhooks.claim(owner=f"r{i}", now=T0, lease_s=LEASE_S, limit=7)
            if not batch:
                break
            got[i] += [d.event_id for d in batch]
            time.sleep(0.002)  # "sending" them: the others get their turn

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(replicas))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in [setup, *replicas]:
        s.close()
    everything = [e for part in got for e in part]
    assert sorted(everything) == sorted(f"ev-{n}" for n in range(200))  # each once, none lost
    assert sum(1 for part in got if part) >= 2  # they did race


def test_a_claim_that_loses_a_race_for_what_it_read_claims_the_next_due(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replicas claiming at once read the same first due deliveries; the one whose lease comes second gets the
    next ones, not an empty claim (which a delivery worker takes for 'nothing due' and sleeps on). The race is
    forced: the other replica claims right after this one read the due set (or, in SQLite, before it claims)."""
    setup = open_backend(backend, tmp_path)
    setup.webhooks.add_webhook(webhook("wh1"), cursor=0)
    setup.webhooks.enqueue("wh1", [delivery("wh1", n) for n in range(20)], cursor=20)
    first, second = open_backend(backend, tmp_path), open_backend(backend, tmp_path)
    raced: list[str] = []

    def other_replica_claims() -> None:
        if not raced:
            raced.extend(d.event_id for d in first.webhooks.claim(owner="a", now=T0, lease_s=LEASE_S, limit=7))

    if backend == "redis":
        client = second.webhooks._r  # type: ignore[attr-defined]
        read = client.zrangebyscore

        def read_then_lose(*args: Any, **kwargs: Any) -> Any:
            out = read(*args, **kwargs)
            other_replica_claims()
            return out

        monkeypatch.setattr(client, "zrangebyscore", read_then_lose)
    else:
        other_replica_claims()  # one transaction reads and leases: there is no gap to lose a race in
    got = [d.event_id for d in second.webhooks.claim(owner="b", now=T0, lease_s=LEASE_S, limit=7)]
    assert len(raced) == 7 and len(got) == 7 and not set(raced) & set(got)
    for s in (setup, first, second):
        s.close()


def test_the_event_log_says_where_it_ends(store: Store) -> None:
    mon = store.monitoring
    assert mon.last_event_seq() == 0
    [(m, _)] = mon.put_monitors([monitor("a")])
    mon.save_rescreen([m], [event("a", "x:1"), event("a", "x:2")], expected_seq={"a": m.seq})
    log = mon.events_since(0)
    assert len(log) == 2 and mon.last_event_seq() == log[-1].seq
