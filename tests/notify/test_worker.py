"""The delivery worker against real stores (embedded and Redis) and a real receiver on loopback: signed bodies,
subscriptions, retries, dead letters and replays, receivers that are down, slow or redirect, Redis outages, and
two replicas on one Redis delivering each event once."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from service.model import DeliveryState, EventType
from service.notify import webhooks as uc
from service.notify.worker import DeliveryWorker, RetryPolicy
from service.store.base import Store
from service.store.redis_ import RedisStore
from tests.notify.support import Received, Receiver, append_events, signed_ok, wait_for
from tests.store.redis_server import RedisServer, drop_prefix, shared_url, unique_prefix
from tests.store.test_store import BACKENDS, open_backend

FAST = RetryPolicy(window_s=3600.0, base_s=0.05, cap_s=0.2)  # retries within a fraction of a second


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = open_backend(str(request.param), tmp_path)
    yield s
    s.close()


def worker(store: Store, policy: RetryPolicy = FAST, timeout_s: float = 2.0, **kw: object) -> DeliveryWorker:
    outcomes: list[str] = []
    w = DeliveryWorker(store, policy=policy, timeout_s=timeout_s, poll_s=0.02, on_outcome=outcomes.append, **kw)  # type: ignore[arg-type]
    w.outcomes = outcomes  # type: ignore[attr-defined]
    return w


def state_of(store: Store, webhook_id: str, event_id: str) -> DeliveryState | None:
    found = [d for d in store.webhooks.deliveries(webhook_id, limit=1000) if d.event_id == event_id]
    return found[0].state if found else None


def errors(store: Store, webhook_id: str) -> set[str]:
    return {d.last_error for d in store.webhooks.deliveries(webhook_id)}


def test_retry_policy_draws_full_jitter_under_a_doubling_capped_ceiling() -> None:
    policy = RetryPolicy(window_s=86400.0, base_s=5.0, cap_s=3600.0)
    rng = random.Random(7)
    for failures, ceiling in [(1, 5.0), (2, 10.0), (3, 20.0), (10, 2560.0), (11, 3600.0), (500, 3600.0)]:
        delays = [policy.delay_s(failures, rng) for _ in range(300)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.8 * ceiling and min(delays) < 0.2 * ceiling  # spread over the whole range
    assert not policy.gives_up(queued_at=1000.0, now=1000.0 + 86399.0, attempts=40)
    assert policy.gives_up(queued_at=1000.0, now=1000.0 + 86400.0, attempts=40)
    assert not policy.gives_up(queued_at=1000.0, now=1000.0 + 5 * 86400.0, attempts=2)  # we were down, not them
    assert policy.gives_up(queued_at=1000.0, now=1000.0 + 5 * 86400.0, attempts=3)


def test_an_event_is_delivered_once_signed_with_its_exact_body(store: Store) -> None:
    with Receiver() as receiver:
        hook = uc.create_webhook(store, receiver.url, ["monitor.hit.new"])
        [event] = append_events(store, "customer-4711")
        w = worker(store)
        w.start()
        try:
            [req] = wait_for(lambda: receiver.received, what="delivery")
            wait_for(lambda: state_of(store, hook.id, event.id) is DeliveryState.DELIVERED, what="recorded")
        finally:
            w.stop()
        for _ in range(3):  # later rounds find nothing to send again
            w2 = worker(store)
            w2.step()
            w2.stop()
            assert w2._client is None  # nor make an HTTP client (CA certificates: 20-40 ms of a worker's start)
        assert receiver.event_ids() == [event.id]
        assert w._client is not None and w._client.is_closed  # the one that delivered, closed by stop()
    assert req.path == "/hooks/sanctions"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["sanctions-event-id"] == event.id
    assert req.headers["sanctions-event-type"] == "monitor.hit.new"
    assert req.headers["sanctions-delivery-attempt"] == "1"
    assert signed_ok(hook.secret, req)
    assert not signed_ok("another-secret", req)
    assert json.loads(req.body) == event.body and req.body == orjson.dumps(event.body)
    assert w.outcomes == ["delivered"]  # type: ignore[attr-defined]
    [d] = store.webhooks.deliveries(hook.id)
    assert d.attempts == 1 and d.delivered_at is not None and d.last_error == ""


def test_webhooks_get_only_their_event_types_and_nothing_from_before_they_existed(store: Store) -> None:
    with Receiver() as everything, Receiver() as removals:
        early = append_events(store, "c1")  # before any webhook: history, not sent
        all_hook = uc.create_webhook(store, everything.url, [e.value for e in EventType])
        removal_hook = uc.create_webhook(store, removals.url, ["monitor.hit.removed"])
        new = append_events(store, "c1", count=3)
        removed = append_events(store, "c2", kind=EventType.HIT_REMOVED)
        w = worker(store)
        w.start()
        try:
            wait_for(lambda: len(everything.received) >= 4 and removals.received, what="deliveries")
            wait_for(lambda: store.webhooks.counts()[DeliveryState.DELIVERED] == 5, what="recorded")
        finally:
            w.stop()
        assert sorted(everything.event_ids()) == sorted(e.id for e in new + removed)
        assert removals.event_ids() == [removed[0].id]
        assert early[0].id not in everything.event_ids()
        end = store.monitoring.last_event_seq()
        assert store.webhooks.cursors() == {all_hook.id: end, removal_hook.id: end}


def test_a_receiver_down_for_a_while_gets_the_event_once_it_is_back(store: Store) -> None:
    receiver = Receiver()  # its port is chosen, nothing listens yet: connections are refused
    hook = uc.create_webhook(store, receiver.url, ["monitor.hit.new"])
    [event] = append_events(store, "c1")
    w = worker(store)
    w.start()
    try:
        down = wait_for(
            lambda: [d for d in store.webhooks.deliveries(hook.id) if d.attempts >= 2],
            what="failed attempts while the receiver is down",
        )
        assert down[0].state is DeliveryState.PENDING and down[0].last_error == "ConnectError"
        with receiver:
            wait_for(lambda: state_of(store, hook.id, event.id) is DeliveryState.DELIVERED, what="delivered")
            assert receiver.event_ids() == [event.id]
    finally:
        w.stop()
    assert "retry" in w.outcomes and w.outcomes[-1] == "delivered"  # type: ignore[attr-defined]


def test_failures_are_retried_then_dead_lettered_then_replayed(store: Store) -> None:
    answers = {"status": 500}
    with Receiver(answer=lambda _: answers["status"]) as receiver:
        hook = uc.create_webhook(store, receiver.url, ["monitor.hit.new"])
        [event] = append_events(store, "c1")
        w = worker(store, policy=RetryPolicy(window_s=0.5, base_s=0.05, cap_s=0.1))
        w.start()
        try:
            [dead] = wait_for(lambda: store.webhooks.deliveries(hook.id, state=DeliveryState.DEAD), what="dead letter")
            assert dead.event_id == event.id and dead.last_error == "HTTP 500" and dead.attempts >= 3
            assert len(receiver.received) == dead.attempts
            attempts = [int(r.headers["sanctions-delivery-attempt"]) for r in receiver.received]
            assert attempts == list(range(1, dead.attempts + 1))
            assert all(signed_ok(hook.secret, r) for r in receiver.received)  # each attempt signed afresh
            answers["status"] = 204
            assert uc.replay(store, hook.id) == 1
            wait_for(lambda: state_of(store, hook.id, event.id) is DeliveryState.DELIVERED, what="replayed")
        finally:
            w.stop()
        assert receiver.received[-1].headers["sanctions-delivery-attempt"] == "1"  # a fresh start
    assert w.outcomes.count("dead") == 1 and w.outcomes[-1] == "delivered"  # type: ignore[attr-defined]
    assert uc.replay(store, hook.id) == 0  # nothing dead any more


def test_redirects_are_not_followed_and_slow_receivers_time_out(store: Store) -> None:
    release = threading.Event()

    def slow(_: Received) -> int:
        release.wait(10)
        return 200

    with Receiver(answer=lambda _: 302) as redirecting, Receiver(answer=slow) as sleepy:
        moved = uc.create_webhook(store, redirecting.url, ["monitor.hit.new"])
        stuck = uc.create_webhook(store, sleepy.url, ["monitor.hit.new"])
        append_events(store, "c1")
        w = worker(store, timeout_s=0.3)
        w.start()
        try:
            wait_for(lambda: errors(store, moved.id) == {"HTTP 302"}, what="redirect refused")
            wait_for(lambda: errors(store, stuck.id) == {"ReadTimeout"}, what="timed out")
        finally:
            release.set()
            w.stop()
        assert {r.path for r in redirecting.received} == {"/hooks/sanctions"}  # never /elsewhere


def test_a_deleted_webhook_gets_nothing_more(store: Store) -> None:
    with Receiver(answer=lambda _: 503) as receiver:
        hook = uc.create_webhook(store, receiver.url, ["monitor.hit.new"])
        append_events(store, "c1")
        w = worker(store)
        w.start()
        try:
            wait_for(lambda: receiver.received, what="a first attempt")
            uc.delete_webhook(store, hook.id)
            seen = len(receiver.received)
            append_events(store, "c1")
            # a full round of the worker after the deletion (it started after the delete returned)
            mark = len(w.outcomes)  # type: ignore[attr-defined]
            w2 = worker(store)
            w2.step()
            w2.stop()
        finally:
            w.stop()
        assert len(receiver.received) <= seen + 1  # at most the attempt that was in flight
        assert mark <= len(w.outcomes) <= mark + 1  # type: ignore[attr-defined]
        assert store.webhooks.counts() == dict.fromkeys(DeliveryState, 0)
        with pytest.raises(Exception, match="no webhook"):
            uc.replay(store, hook.id)


def test_the_worker_waits_out_a_redis_outage_and_loses_nothing(tmp_path: Path) -> None:
    server = RedisServer(persist=True).start()
    store = RedisStore(server.url, prefix="outage:", connect_timeout_s=0.5, timeout_s=2.0)
    w = worker(store)
    try:
        with Receiver() as receiver:
            hook = uc.create_webhook(store, receiver.url, ["monitor.hit.new"])
            [first] = append_events(store, "c1")
            w.start()
            wait_for(lambda: receiver.event_ids() == [first.id], what="first delivery")
            server.stop()
            wait_for(lambda: w.store_error is not None, what="the worker noticing the outage")
            server.start()
            [second] = append_events(store, "c1")
            wait_for(lambda: w.store_error is None, what="the worker noticing Redis is back")
            wait_for(lambda: state_of(store, hook.id, second.id) is DeliveryState.DELIVERED, what="second delivery")
            assert receiver.event_ids() == [first.id, second.id]
    finally:
        w.stop()
        store.close()
        server.__exit__()


def test_two_replicas_on_one_redis_deliver_each_event_once() -> None:
    prefix = unique_prefix("webhook-replicas")
    replicas = [RedisStore(shared_url(), prefix=prefix) for _ in range(2)]
    slow_enough = threading.Event()  # each answer takes a little while: the replicas' attempts overlap

    def answer(_: Received) -> int:
        slow_enough.wait(0.02)
        return 200

    workers = [worker(s) for s in replicas]
    try:
        with Receiver(answer=answer) as receiver:
            hook = uc.create_webhook(replicas[0], receiver.url, ["monitor.hit.new", "monitor.hit.changed"])
            for w in workers:
                w.start()
            events = append_events(replicas[1], "c1", count=20)
            events += append_events(replicas[0], "c2", count=20, kind=EventType.HIT_CHANGED)
            wait_for(
                lambda: replicas[0].webhooks.counts(hook.id)[DeliveryState.DELIVERED] == 40,
                timeout_s=60,
                what="40 deliveries",
            )
            for w in workers:
                w.stop()
            assert sorted(receiver.event_ids()) == sorted(e.id for e in events)  # each once
        outcomes = [w.outcomes for w in workers]  # type: ignore[attr-defined]
        assert all(o for o in outcomes), "both replicas delivered some"
    finally:
        for w in workers:
            w.stop()
        for s in replicas:
            s.close()
        drop_prefix(shared_url(), prefix)
