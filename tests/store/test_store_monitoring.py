"""The MonitoringStore contract (store.monitoring), one module for every backend of tests/store/test_store.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from service.model import AlertState, Decision, DecisionKind, Event, EventType, Monitor, MonitorHit
from service.store.base import Store
from tests.store.test_store import BACKENDS, open_backend


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = open_backend(str(request.param), tmp_path)
    yield s
    s.close()


def hit(entity_id: str, since: str = "2026-12-01T00:00:00Z", alert: AlertState | None = AlertState.OPEN) -> MonitorHit:
    return MonitorHit(
        entity_id, entity_id.split(":", maxsplit=1)[0], 0.91, f"fp-{entity_id}", {"entity_id": entity_id}, since, alert
    )


def monitor(ref: str, *hits: MonitorHit, at: str = "2026-12-01T00:00:00Z") -> Monitor:
    return Monitor(ref, {"name": f"Party {ref}", "type": "any"}, at, at, at, {"us_ofac_sdn": "v1"}, hits)


def event(ref: str, entity_id: str, n: int = 1) -> Event:
    return Event(f"ev-{ref}-{entity_id}-{n}", EventType.HIT_NEW, "2026-12-02T00:00:00Z", ref, entity_id, {"n": n})


def test_monitors_are_created_then_replaced_keeping_created_at(store: Store) -> None:
    mon = store.monitoring
    [(first, created)] = mon.put_monitors([monitor("c1", hit("us_ofac_sdn:1"))])
    assert created and first.seq > 0
    later = replace(monitor("c1", at="2026-12-05T00:00:00Z"), query={"name": "Renamed", "type": "person"})
    [(second, created_again)] = mon.put_monitors([later])
    assert not created_again and second.seq > first.seq
    got = mon.get_monitor("c1")
    assert got is not None and got.created_at == "2026-12-01T00:00:00Z" and got.updated_at == "2026-12-05T00:00:00Z"
    assert got.query["name"] == "Renamed" and got.hits == () and got.seq == second.seq
    assert mon.get_monitor("nobody") is None and mon.count_monitors() == 1


def test_monitor_pages_come_in_ref_order(store: Store) -> None:
    mon = store.monitoring
    mon.put_monitors([monitor(ref) for ref in ["b", "a", "d", "c", "e"]])
    first = mon.list_monitors(limit=2)
    second = mon.list_monitors(after=first[-1].ref, limit=2)
    third = mon.list_monitors(after=second[-1].ref, limit=2)
    assert [m.ref for m in first + second + third] == ["a", "b", "c", "d", "e"]
    assert mon.list_monitors(after="e") == []


def test_change_feed_reports_writes_and_deletions_once(store: Store) -> None:
    mon = store.monitoring
    mon.put_monitors([monitor("a"), monitor("b")])
    changed, deleted, top = mon.monitors_since(0)
    assert sorted(m.ref for m in changed) == ["a", "b"] and deleted == []
    assert mon.delete_monitor("a") and not mon.delete_monitor("a")
    mon.put_monitors([monitor("c")])
    changed, deleted, top2 = mon.monitors_since(top)
    assert [m.ref for m in changed] == ["c"] and deleted == ["a"] and top2 > top
    assert mon.monitors_since(top2) == ([], [], top2)
    assert mon.get_monitor("a") is None and mon.count_monitors() == 2


def test_rescreen_is_skipped_when_the_monitor_changed_meanwhile(store: Store) -> None:
    mon = store.monitoring
    [(m, _)] = mon.put_monitors([monitor("a")], dirty=True)
    assert mon.dirty_monitors() == ["a"]
    rescreened = replace(m, hits=(hit("us_ofac_sdn:7"),))
    assert mon.save_rescreen([rescreened], [event("a", "us_ofac_sdn:7")], expected_seq={"a": m.seq}) == []
    assert mon.dirty_monitors() == []
    stored = mon.get_monitor("a")
    assert stored is not None and [h.entity_id for h in stored.hits] == ["us_ofac_sdn:7"]
    # a write based on the seq read before the last one loses, with its events
    stale = replace(m, hits=())
    assert mon.save_rescreen([stale], [event("a", "us_ofac_sdn:8")], expected_seq={"a": m.seq}) == ["a"]
    assert [e.entity_id for e in mon.events_since(0)] == ["us_ofac_sdn:7"]


def test_event_log_is_ordered_and_idempotent_on_event_ids(store: Store) -> None:
    mon = store.monitoring
    [(m, _)] = mon.put_monitors([monitor("a")])
    events = [event("a", f"us_ofac_sdn:{i}") for i in range(5)]
    mon.save_rescreen([m], events, expected_seq={"a": m.seq})
    again = mon.get_monitor("a")
    assert again is not None
    mon.save_rescreen([again], events[:2], expected_seq={"a": again.seq})  # the same ids again: not logged twice
    log = mon.events_since(0)
    assert [e.id for e in log] == [e.id for e in events]
    assert [e.seq for e in log] == sorted(e.seq for e in log) and len({e.seq for e in log}) == 5
    assert [e.id for e in mon.events_since(log[2].seq, limit=1)] == [events[3].id]
    assert log[0].body == {"n": 1} and log[0].type is EventType.HIT_NEW


def test_alert_queue_follows_the_hits_oldest_first(store: Store) -> None:
    mon = store.monitoring
    mon.put_monitors(
        [
            monitor("a", hit("x:1", since="2026-12-03T00:00:00Z"), hit("x:2", alert=None)),
            monitor("b", hit("x:3", since="2026-12-01T00:00:00Z"), hit("x:4", alert=AlertState.ESCALATED)),
        ]
    )
    assert mon.alerts() == [("2026-12-01T00:00:00Z", "b", "x:3"), ("2026-12-03T00:00:00Z", "a", "x:1")]
    assert mon.alerts(after="2026-12-01T00:00:00Z|b|x:3") == [("2026-12-03T00:00:00Z", "a", "x:1")]
    assert [a[1:] for a in mon.alerts(state="escalated")] == [("b", "x:4")]
    mon.put_monitors([monitor("b")])  # rewritten without hits: its alerts go
    assert [a[1] for a in mon.alerts()] == ["a"]
    mon.delete_monitor("a")
    assert mon.alerts() == []


def test_decisions_are_appended_and_settle_the_monitor_alert_together(store: Store) -> None:
    mon = store.monitoring
    [(m, _)] = mon.put_monitors([monitor("a", hit("x:1"))])
    first = Decision("d1", "a", "x:1", DecisionKind.ESCALATED, "needs a second look", "ana", "2026-12-02T00:00:00Z")
    mon.add_decision(first, replace(m, hits=(hit("x:1", alert=AlertState.ESCALATED),)))
    assert mon.alerts() == [] and [a[2] for a in mon.alerts(state="escalated")] == ["x:1"]
    settled = mon.get_monitor("a")
    assert settled is not None
    second = Decision("d2", "a", "x:1", DecisionKind.FALSE_POSITIVE, "other person", "bo", "2026-12-03T00:00:00Z")
    mon.add_decision(second, replace(settled, hits=(hit("x:1", alert=None),)))
    mon.add_decision(Decision("d3", "z", "x:9", DecisionKind.TRUE_MATCH, "ok", "bo", "2026-12-03T00:00:01Z"))
    assert [d.id for d in mon.decisions(ref="a")] == ["d1", "d2"]
    assert [d.id for d in mon.decisions()] == ["d1", "d2", "d3"]
    assert [d.id for d in mon.decisions(after=1, limit=1)] == ["d2"]
    assert mon.decisions(ref="a")[1].decision is DecisionKind.FALSE_POSITIVE
    assert mon.alerts(state="escalated") == [] and mon.alerts() == []
    # A decision based on a monitor read before a newer write is kept, but does not overwrite that write.
    mon.put_monitors([monitor("a", hit("x:5"))])
    mon.add_decision(Decision("d4", "a", "x:1", DecisionKind.TRUE_MATCH, "late", "cy", "2026-12-04T00:00:00Z"), settled)
    now = mon.get_monitor("a")
    assert now is not None and [h.entity_id for h in now.hits] == ["x:5"]
    assert [d.id for d in mon.decisions(ref="a")] == ["d1", "d2", "d4"]


def test_monitor_cursor_and_lock(store: Store) -> None:
    mon = store.monitoring
    assert mon.monitor_cursor() == {}
    mon.set_monitor_cursor({"us_ofac_sdn": "v1", "un_sc_sanctions": "u1"})
    mon.set_monitor_cursor({"us_ofac_sdn": "v2"})
    assert mon.monitor_cursor() == {"us_ofac_sdn": "v2", "un_sc_sanctions": "u1"}
    with mon.monitor_lock() as held:
        assert held
        seen: list[bool] = []

        def other() -> None:
            # another process or replica: a second store object on the same data
            with store.monitoring.monitor_lock() as also:
                seen.append(also)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert seen == [False]
    with mon.monitor_lock() as again:
        assert again


def test_the_change_feed_moves_only_monitors_whose_matched_entities_changed(store: Store) -> None:
    mon = store.monitoring
    [(a, _), (b, _)] = mon.put_monitors([monitor("a"), monitor("b")])
    _, _, top = mon.monitors_since(0)
    # Both re-screened; only b's matched entities changed: only b comes up in the feed again.
    assert (
        mon.save_rescreen([a, replace(b, hits=(hit("x:1"),))], [], expected_seq={"a": a.seq, "b": b.seq}, feed={"b"})
        == []
    )
    changed, deleted, top2 = mon.monitors_since(top)
    assert [m.ref for m in changed] == ["b"] and deleted == [] and top2 > top
    # ... while both were written: their seqs moved, so a writer holding the old ones loses.
    assert mon.save_rescreen([a], [], expected_seq={"a": a.seq}) == ["a"]
    # A decision's write keeps the monitor's place in the feed too.
    b_now = mon.get_monitor("b")
    assert b_now is not None
    mon.add_decision(
        Decision("d", "b", "x:1", DecisionKind.TRUE_MATCH, "ok", "ana", "2026-12-03T00:00:00Z"),
        replace(b_now, hits=(hit("x:1", alert=None),)),
    )
    assert mon.monitors_since(top2) == ([], [], top2)
