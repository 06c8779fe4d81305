"""Monitoring use cases and the worker on a real embedded store: baselines, diff-driven re-screening, events,
decisions that silence a false positive until its evidence changes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from service.errors import NotFoundError, QueryError
from service.model import (
    AlertState,
    DecisionKind,
    Entity,
    EntityKind,
    EventType,
    Identifier,
    IdentifierType,
    ListStatus,
    Name,
    Query,
    Snapshot,
    SyncState,
)
from service.screening import usecases
from service.screening.monitoring import Monitoring, MonitorSpec, MonitorWorker
from service.screening.runtime import Runtime
from service.screening.usecases import Screener
from service.settings import Settings
from service.sources.manifest import load_manifests
from service.store.embedded import EmbeddedStore
from service.sync.worker import diff_entities
from tests.conftest import counted_forks
from tests.screening.conftest import sample_snapshots

NEW_PERSON = Entity(
    id="us_ofac_sdn:990001",
    list_id="us_ofac_sdn",
    kind=EntityKind.PERSON,
    name=Name("KOVALENKO, Bohdan Serhiyovych"),
    programs=("RUSSIA-EO14024",),
)


class World:
    """An embedded store, the server's runtime over it, the use cases and the worker, and a way to publish."""

    def __init__(self, data_dir: Path) -> None:
        self.store = EmbeddedStore(data_dir)
        self.snapshots = {s.list_id: s for s in sample_snapshots()}
        self.n = 0
        for snap in self.snapshots.values():
            self.publish(snap.list_id, snap.entities)
        manifests = load_manifests(Settings().lists_dir, ["us_ofac_sdn", "un_sc_sanctions"])
        self.runtime = Runtime(self.store, manifests)
        self.runtime.reload()
        self.screener = Screener(
            self.runtime, threshold=0.8, decisions=lambda ref: self.store.monitoring.decisions(ref=ref)
        )
        self.monitoring = Monitoring(self.store, self.screener)
        self.worker = MonitorWorker(self.store, self.runtime, self.monitoring)

    def publish(self, list_id: str, entities: tuple[Entity, ...]) -> None:
        self.n += 1
        old = self.store.load_snapshot(list_id)
        version = f"{list_id}-v{self.n}"
        snap = Snapshot(list_id, version, entities, fetched_at="2026-12-01T00:00:00Z")
        status = ListStatus(list_id, version, fetched_at="2026-12-01T00:00:00Z", status=SyncState.OK)
        diff = diff_entities(list_id, old, version, entities) if old is not None else None
        self.store.publish(snap, {}, status, diff)
        self.snapshots[list_id] = snap

    def publish_and_process(self, list_id: str, entities: tuple[Entity, ...]):  # type: ignore[no-untyped-def]
        self.publish(list_id, entities)
        assert self.runtime.reload()
        return self.worker.run_once()

    def watch(self, ref: str, name: str, **kw: object) -> None:
        self.monitoring.put([(ref, MonitorSpec(Query(name=name, **kw)))], actor="test")  # type: ignore[arg-type]

    def events(self) -> list:  # type: ignore[type-arg]
        return self.store.monitoring.events_since(0, limit=1000)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.store.close()


def test_creating_a_monitor_screens_it_and_opens_alerts_without_events(world: World) -> None:
    world.watch("c-putin", "Vladimir Putin", kind=EntityKind.PERSON)
    m = world.monitoring.get("c-putin")
    assert [h.entity_id for h in m.hits] == ["us_ofac_sdn:35096"]
    assert m.hits[0].alert is AlertState.OPEN and m.versions["us_ofac_sdn"] == "us_ofac_sdn-v1"
    assert world.store.monitoring.alerts()[0][1:] == ("c-putin", "us_ofac_sdn:35096")
    assert world.events() == []
    first = world.worker.run_once()
    assert first is not None and first.full  # no cursor yet: every monitor once
    assert world.events() == []  # ... which changes nothing


def test_a_new_listing_raises_one_event_for_the_monitor_it_matches_and_no_other(world: World) -> None:
    world.watch("c-1", "Bohdan Kovalenko")
    world.watch("c-2", "Maria Fernanda Rojas")
    world.worker.run_once()
    sdn = world.snapshots["us_ofac_sdn"]
    report = world.publish_and_process("us_ofac_sdn", (*sdn.entities, NEW_PERSON))
    assert report is not None and not report.full and report.changed_entities == 1
    assert report.rescreened == 1  # only the monitor sharing a token with the new entity
    (event,) = world.events()
    assert event.type is EventType.HIT_NEW and event.ref == "c-1" and event.entity_id == NEW_PERSON.id
    body = event.body
    assert body["id"] == event.id and body["monitor"] == {"ref": "c-1"} and body["hit"]["match"] is True
    assert {"id": "us_ofac_sdn", "version": "us_ofac_sdn-v3"} in body["lists"]
    # A sync that changes nothing raises nothing.
    again = world.publish_and_process("us_ofac_sdn", world.snapshots["us_ofac_sdn"].entities)
    assert again is not None and again.changed_entities == 0 and len(world.events()) == 1


def test_a_typo_in_the_monitored_name_still_finds_the_new_listing(world: World) -> None:
    world.watch("c-typo", "Bohdan Kovalenco")  # one letter off: reached through a one-edit neighbour
    world.worker.run_once()
    world.publish_and_process("us_ofac_sdn", (*world.snapshots["us_ofac_sdn"].entities, NEW_PERSON))
    assert [(e.ref, e.type) for e in world.events()] == [("c-typo", EventType.HIT_NEW)]


def test_delisting_raises_removed_and_an_identifier_listing_is_found_by_identifier(world: World) -> None:
    world.watch("c-putin", "Vladimir Putin")
    world.monitoring.put([("ship-1", MonitorSpec(Query(name="Blue Star", identifiers=("IMO 9339325",))))], actor="test")
    world.worker.run_once()
    ship = Entity(
        id="us_ofac_sdn:990002",
        list_id="us_ofac_sdn",
        kind=EntityKind.VESSEL,
        name=Name("LIBERTY"),
        identifiers=(Identifier(IdentifierType.IMO, "9339325"),),
    )
    without_putin = tuple(e for e in world.snapshots["us_ofac_sdn"].entities if e.id != "us_ofac_sdn:35096")
    world.publish_and_process("us_ofac_sdn", (*without_putin, ship))
    by_ref = {e.ref: e for e in world.events()}
    assert by_ref["c-putin"].type is EventType.HIT_REMOVED and by_ref["c-putin"].body["reason"] == "delisted"
    assert by_ref["ship-1"].type is EventType.HIT_NEW and by_ref["ship-1"].entity_id == ship.id
    assert world.monitoring.get("c-putin").hits == ()


def test_a_false_positive_stays_silent_until_its_evidence_changes(world: World) -> None:
    world.watch("c-1", "Bohdan Kovalenko")
    world.worker.run_once()
    world.publish_and_process("us_ofac_sdn", (*world.snapshots["us_ofac_sdn"].entities, NEW_PERSON))
    decision = world.monitoring.decide(
        "c-1", NEW_PERSON.id, DecisionKind.FALSE_POSITIVE, "different date of birth", "ana", actor="k"
    )
    assert decision.fingerprint and world.monitoring.get("c-1").hits[0].alert is None
    assert world.store.monitoring.alerts() == []
    # Unrelated change to the same list: the cleared hit stays silent.
    other = replace(NEW_PERSON, id="us_ofac_sdn:990003", name=Name("SOME OTHER, Person"))
    entities = (*world.snapshots["us_ofac_sdn"].entities, other)
    world.publish_and_process("us_ofac_sdn", entities)
    assert len(world.events()) == 1
    # The listed entity gains a programme: its evidence changed, so the cleared hit alerts again, saying what.
    changed = replace(NEW_PERSON, programs=(*NEW_PERSON.programs, "CYBER2"))
    world.publish_and_process("us_ofac_sdn", tuple(changed if e.id == NEW_PERSON.id else e for e in entities))
    last = world.events()[-1]
    assert last.type is EventType.HIT_CHANGED and last.ref == "c-1"
    assert "new program: CYBER2" in last.body["changes"]
    assert last.body["hit"]["decision"]["evidence_changed"] is True and last.body["hit"]["suppressed"] is False
    hit = world.monitoring.get("c-1").hits[0]
    assert hit.alert is AlertState.OPEN and world.store.monitoring.alerts()[0][1] == "c-1"


def test_screen_with_a_ref_carries_the_decision_and_suppression(world: World) -> None:
    world.watch("c-putin", "Vladimir Putin")
    world.monitoring.decide("c-putin", "us_ofac_sdn:35096", DecisionKind.FALSE_POSITIVE, "a namesake", "ana", actor="k")
    from service.screening.usecases import Options

    outcome = world.screener.screen(Query(name="Vladimir Putin"), Options(), actor="k", ref="c-putin")
    applied = outcome.results[0].decisions["us_ofac_sdn:35096"]
    assert applied.suppressed and applied.decision.reviewer == "ana"
    plain = world.screener.screen(Query(name="Vladimir Putin"), Options(), actor="k")
    assert plain.results[0].decisions == {}


def test_decisions_without_monitor_use_the_entity_and_refuse_unknown_entities(world: World) -> None:
    d = world.monitoring.decide("walk-in-7", "us_ofac_sdn:22790", DecisionKind.TRUE_MATCH, "confirmed", "bo", actor="k")
    assert d.entity_fingerprint and not d.fingerprint
    assert [x.id for x in world.monitoring.decisions("walk-in-7")] == [d.id]
    with pytest.raises(NotFoundError):
        world.monitoring.decide("walk-in-7", "us_ofac_sdn:0", DecisionKind.TRUE_MATCH, "x", "bo", actor="k")
    with pytest.raises(QueryError):
        world.monitoring.decide("walk-in-7", "us_ofac_sdn:22790", DecisionKind.TRUE_MATCH, " ", "bo", actor="k")


def test_escalation_moves_the_alert_to_the_escalated_queue(world: World) -> None:
    world.watch("c-putin", "Vladimir Putin")
    world.monitoring.decide("c-putin", "us_ofac_sdn:35096", DecisionKind.ESCALATED, "senior review", "ana", actor="k")
    assert world.store.monitoring.alerts() == []
    assert [a[1] for a in world.store.monitoring.alerts(state="escalated")] == ["c-putin"]


def test_a_monitor_written_from_older_lists_is_screened_again(world: World) -> None:
    world.worker.run_once()
    # Another process publishes; this runtime has not reloaded yet, so its PUT screens against the old lists.
    world.publish("us_ofac_sdn", (*world.snapshots["us_ofac_sdn"].entities, NEW_PERSON))
    world.watch("late", "Bohdan Kovalenko")
    assert world.store.monitoring.dirty_monitors() == ["late"]
    assert world.monitoring.get("late").hits == ()
    assert world.worker.run_once() is None  # this process serves older lists than the store's: not its work
    assert world.runtime.reload()
    world.worker.run_once()
    assert [(e.ref, e.type) for e in world.events()] == [("late", EventType.HIT_NEW)]
    assert world.store.monitoring.dirty_monitors() == []


def test_a_monitor_import_is_not_held_to_the_screening_batch_cap(world: World) -> None:
    small = Screener(world.runtime, threshold=0.8, max_batch=2)
    items = [(f"r{i}", MonitorSpec(Query(name=name))) for i, name in enumerate(["A B", "C D", "E F", "Vladimir Putin"])]
    stored, record = Monitoring(world.store, small).put(items, actor="t")
    assert [s.monitor.ref for s in stored] == ["r0", "r1", "r2", "r3"] and len(record.items) == 4
    assert world.store.monitoring.count_monitors() == 4


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_a_monitor_import_screens_on_every_core_and_a_rescreen_in_this_process(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client waits on an import, nobody on the worker's re-screen: only the import forks (usecases.batch)."""
    forks = counted_forks(monkeypatch)
    monkeypatch.setattr(usecases, "BATCH_CHILD_MIN_PARTIES", 1)
    monkeypatch.setattr(usecases, "processes_available", lambda: 2)
    world.monitoring.put(
        [("c-1", MonitorSpec(Query(name="Vladimir Putin"))), ("c-2", MonitorSpec(Query(name="Maria Rojas")))],
        actor="test",
    )
    assert len(forks) == 1
    assert [h.entity_id for h in world.monitoring.get("c-1").hits] == ["us_ofac_sdn:35096"]
    report = world.worker.run_once()
    assert report is not None and report.full and report.rescreened == 2
    assert len(forks) == 1
