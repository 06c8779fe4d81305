"""Ongoing monitoring: watched parties screened at creation and again whenever a list change can affect them,
events for what changed, and reviewers' decisions that settle a hit (and silence a cleared false positive until
its evidence changes).

`Monitoring` holds the use cases (create/replace, read, delete, decide) over the store and the screener;
`MonitorWorker` runs after each publish: it reads the lists' diffs since the versions it last processed, finds
the monitors the changed entities can affect (service.screening.monitor_index), screens only those again and
stores each monitor's new state together with the events it raised. One worker runs at a time across
processes and replicas (the store's monitor lock); it only works from the newest published lists (a lagging
replica leaves the work to one that is current), and monitors written from older lists are marked dirty so
that the worker screens them again.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from service.errors import NotFoundError, QueryError
from service.model import (
    AlertState,
    Decision,
    DecisionKind,
    Entity,
    EntityKind,
    Event,
    EventType,
    ListInfo,
    Monitor,
    MonitorHit,
    Query,
)
from service.screening.audit import AuditRecord, new_screening_id, now_iso
from service.screening.decisions import apply, entity_fingerprint, evidence_changes, evidence_fingerprint, latest
from service.screening.limits import MAX_MONITOR_BATCH
from service.screening.monitor_index import MonitorIndex
from service.screening.runtime import ServingState
from service.screening.usecases import Options, Party, Screened, Screener, StateSource
from service.screening.wire import hit_to_dict, query_from_dict, query_to_dict
from service.store.base import Store

log = structlog.get_logger("service.screening")

MONITOR_HIT_LIMIT = 25  # matches kept per monitor: far more than any real party has
# A match whose score moved by less than this has not changed: scores drift a little whenever a list grows
# (token rarity), which is no news to a reviewer.
SCORE_CHANGE = 0.02
RESCREEN_BATCH = 500  # monitors screened and stored per store round trip (and per audit record)
# Beyond this many changed entities in one cycle, screening every monitor is cheaper than looking each up.
FULL_RESCREEN_ENTITIES = 5000
DIFFS_READ = 50  # diffs read per list to bridge from the processed version to the current one
_EVENT_NAMESPACE = uuid.UUID("6f1d8f3e-4b1a-4f0e-9a57-3c2e5d1b7a90")  # event ids are uuid5 under this


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    """What a monitor screens: the party and its screen options (threshold, lists, kinds, programmes)."""

    query: Query
    threshold: float | None = None
    lists: tuple[str, ...] | None = None
    kinds: tuple[EntityKind, ...] | None = None
    programs: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **query_to_dict(self.query),
            "threshold": self.threshold,
            "lists": list(self.lists) if self.lists is not None else None,
            "kinds": [k.value for k in self.kinds] if self.kinds is not None else None,
            "programs": list(self.programs) if self.programs is not None else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MonitorSpec:
        lists, kinds, programs = d.get("lists"), d.get("kinds"), d.get("programs")
        return cls(
            query=query_from_dict(d),
            threshold=d.get("threshold"),
            lists=tuple(lists) if lists is not None else None,
            kinds=tuple(EntityKind(k) for k in kinds) if kinds is not None else None,
            programs=tuple(programs) if programs is not None else None,
        )

    def party(self, ref: str) -> Party:
        return Party(
            self.query,
            ref=ref,
            threshold=self.threshold,
            limit=MONITOR_HIT_LIMIT,
            lists=self.lists,
            kinds=self.kinds,
            programs=self.programs,
        )


@dataclass(frozen=True, slots=True)
class Stored:
    """A monitor as written by a create/replace, and whether it was created."""

    monitor: Monitor
    created: bool


# --- reconciling a monitor's matches with a new screening -------------------------------------------------------


def _event_id(ref: str, entity_id: str, kind: EventType, fingerprint: str, versions: Mapping[str, str]) -> str:
    """Deterministic: the same change seen twice (a worker that crashed before storing) is one event."""
    lists = ",".join(f"{k}={v}" for k, v in sorted(versions.items()))
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{ref}|{entity_id}|{kind.value}|{fingerprint}|{lists}"))


@dataclass(slots=True)
class Reconciled:
    hits: list[MonitorHit] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Context:
    """What every event of one re-screening shares."""

    ref: str
    lists: Sequence[ListInfo]
    now: str

    def event(self, entity_id: str, kind: EventType, fingerprint: str, extra: Mapping[str, Any]) -> Event:
        versions = {li.id: li.version or "" for li in self.lists}
        event_id = _event_id(self.ref, entity_id, kind, fingerprint, versions)
        body = {
            "id": event_id,
            "type": kind.value,
            "created_at": self.now,
            "monitor": {"ref": self.ref},
            **extra,
            "lists": [{"id": li.id, "version": li.version} for li in self.lists],
        }
        return Event(event_id, kind, self.now, self.ref, entity_id, body)


def reconcile(
    ref: str,
    previous: Sequence[MonitorHit],
    screened: Screened,
    *,
    standing: Mapping[str, Decision],
    entity: Callable[[str], Entity | None],
    lists: Sequence[ListInfo],
    now: str,
) -> Reconciled:
    """The monitor's new matches and the events between `previous` and this screening (see the module docstring
    and EventType). A cleared false positive with unchanged evidence stays silent."""
    out = Reconciled()
    ctx = _Context(ref, lists, now)
    before = {h.entity_id: h for h in previous}
    matched = [h for h in screened.hits if h.match]
    for h in matched:
        hd = hit_to_dict(h)
        fp = evidence_fingerprint(hd)
        prev = before.get(h.entity_id)
        decision = standing.get(h.entity_id)
        applied = apply(decision, hd, entity(h.entity_id)) if decision is not None else None
        if prev is not None and prev.fingerprint == fp and abs(prev.score - h.score) < SCORE_CHANGE:
            out.hits.append(replace(prev, score=h.score, hit=hd))  # unchanged: keeps its time and alert
            continue
        kind = EventType.HIT_NEW if prev is None else EventType.HIT_CHANGED
        if applied is not None and applied.suppressed:
            alert = None
        elif decision is not None and not (applied is not None and applied.evidence_changed):
            # decided on this very evidence: confirmed matches need no new review, escalations stay escalated
            alert = AlertState.ESCALATED if decision.decision is DecisionKind.ESCALATED else None
        else:
            alert = AlertState.OPEN
        out.hits.append(MonitorHit(h.entity_id, h.list_id, h.score, fp, hd, now, alert))
        if applied is not None and applied.suppressed:
            continue
        body: dict[str, Any] = {"hit": hd}
        if applied is not None:
            body["hit"] = {**hd, "decision": applied.to_dict(), "suppressed": applied.suppressed}
        if prev is not None:
            body["previous"] = prev.hit
            body["changes"] = evidence_changes(prev.hit, hd) or ["score"]
        if applied is not None and applied.evidence_changed and decision is not None and decision.hit:
            body["changes_since_decision"] = evidence_changes(decision.hit, hd)
        out.events.append(ctx.event(h.entity_id, kind, fp, body))
    kept = {h.entity_id for h in matched}
    for entity_id, prev in before.items():
        if entity_id in kept:
            continue
        decision = standing.get(entity_id)
        if decision is not None and decision.decision is DecisionKind.FALSE_POSITIVE:
            continue  # a cleared false positive going away is no news
        reason = "delisted" if entity(entity_id) is None else "below_threshold"
        body = {"hit": prev.hit, "previous": prev.hit, "reason": reason}
        out.events.append(ctx.event(entity_id, EventType.HIT_REMOVED, prev.fingerprint, body))
    return out


# --- the use cases --------------------------------------------------------------------------------------------


class Monitoring:
    """Create, replace, read and delete monitors; record decisions."""

    def __init__(self, store: Store, screener: Screener, *, clock: Callable[[], str] = now_iso) -> None:
        self.store = store
        self.screener = screener
        self.clock = clock

    def _standing(self, ref: str) -> dict[str, Decision]:
        return latest(self.store.monitoring.decisions(ref=ref))

    def put(self, items: Sequence[tuple[str, MonitorSpec]], *, actor: str) -> tuple[list[Stored], AuditRecord]:
        """Create or replace monitors: each is screened at once and its matches become its baseline (no events;
        new matches open alerts unless a standing decision settles them). One audit record covers them. A ref given
        twice is written once, as its last record says (an upsert, as two PUTs in a row would)."""
        items = list({ref: (ref, spec) for ref, spec in items}.values())
        refs = [ref for ref, _ in items]
        outcome = self.screener.batch(
            [spec.party(ref) for ref, spec in items],
            Options(limit=MONITOR_HIT_LIMIT),
            actor=actor,
            kind="monitor",
            cap=MAX_MONITOR_BATCH,
        )
        state = outcome.state
        existing = self.store.monitoring.get_monitors(refs)
        now = outcome.screened_at
        monitors = []
        for (ref, spec), result in zip(items, outcome.results, strict=True):
            old = existing.get(ref)
            merged = reconcile(
                ref,
                old.hits if old else (),
                result,
                standing=self._standing(ref),
                entity=state.matcher.get,
                lists=outcome.lists,
                now=now,
            )
            versions = {li.id: li.version or "" for li in outcome.lists}
            created = old.created_at if old else now
            monitors.append(Monitor(ref, spec.to_dict(), created, now, now, versions, tuple(merged.hits)))
        # Screened from lists older than the newest published (this replica has not reloaded yet): the worker
        # screens these again once it works from the newest.
        dirty = state.generation != self.store.generation()
        stored = self.store.monitoring.put_monitors(monitors, dirty=dirty)
        return [Stored(m, created) for m, created in stored], outcome.record

    def get(self, ref: str) -> Monitor:
        found = self.store.monitoring.get_monitor(ref)
        if found is None:
            raise NotFoundError(f"no monitor {ref!r}")
        return found

    def delete(self, ref: str) -> None:
        if not self.store.monitoring.delete_monitor(ref):
            raise NotFoundError(f"no monitor {ref!r}")

    def decide(
        self, ref: str, entity_id: str, kind: DecisionKind, reason: str, reviewer: str, *, actor: str
    ) -> Decision:
        """Record a reviewer's decision on a party's hit (monitored or screened with this ref). A false positive
        or a confirmed match settles the monitor's alert; an escalation moves it to the escalated queue."""
        if not reason.strip() or not reviewer.strip():
            raise QueryError("a decision needs a reason and a reviewer")
        state = self.screener.current()
        monitor = self.store.monitoring.get_monitor(ref)
        held = next((h for h in monitor.hits if h.entity_id == entity_id), None) if monitor else None
        listed = state.matcher.get(entity_id)
        if held is None and listed is None:
            raise NotFoundError(f"no entity {entity_id!r} in the served lists or among the monitor's hits")
        decision = Decision(
            id=new_screening_id(),
            ref=ref,
            entity_id=entity_id,
            decision=kind,
            reason=reason.strip(),
            reviewer=reviewer.strip(),
            decided_at=self.clock(),
            actor=actor,
            fingerprint=held.fingerprint if held else "",
            hit=held.hit if held else {},
            entity_fingerprint=entity_fingerprint(listed) if listed is not None else "",
        )
        updated = None
        if monitor is not None and held is not None:
            alert = AlertState.ESCALATED if kind is DecisionKind.ESCALATED else None
            hits = tuple(replace(h, alert=alert) if h.entity_id == entity_id else h for h in monitor.hits)
            updated = replace(monitor, hits=hits)
        self.store.monitoring.add_decision(decision, updated)
        return decision

    def decisions(self, ref: str | None = None, *, limit: int = 1000, after: int = 0) -> list[Decision]:
        return self.store.monitoring.decisions(ref=ref, limit=limit, after=after)


# --- the worker -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CycleReport:
    lists: dict[str, str]  # list id -> version processed
    changed_entities: int
    rescreened: int
    events: int
    full: bool


class MonitorWorker:
    """Screens monitors again after list changes (see the module docstring); `run_once` does one cycle."""

    def __init__(
        self,
        store: Store,
        source: StateSource,
        monitoring: Monitoring,
        *,
        interval_s: float = 10.0,
        on_cycle: Callable[[CycleReport], None] = lambda _: None,
    ) -> None:
        self.store = store
        self.source = source
        self.monitoring = monitoring
        self.index = MonitorIndex()
        self.interval_s = interval_s
        self._on_cycle = on_cycle
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one cycle ----------------------------------------------------------------------------------------------
    def refresh_index(self) -> None:
        mon = self.store.monitoring
        while True:
            changed, deleted, top = mon.monitors_since(self.index.seq, limit=5000)
            if top == self.index.seq:
                return
            self.index.apply(changed, deleted, top)

    def _changed_entities(self, list_id: str, old: str | None, new: str) -> set[str] | None:
        """Entity ids added, changed or removed between two versions of a list; None when the diffs do not
        bridge them (the worker then screens every monitor)."""
        if old is None:
            return None
        ids: set[str] = set()
        expected = new
        for diff in self.store.diffs(list_id, limit=DIFFS_READ):  # newest first
            if diff.new_version != expected:
                continue
            ids.update(diff.added, diff.changed, diff.removed)
            if diff.old_version == old:
                return ids
            if diff.old_version is None:
                return None
            expected = diff.old_version
        return None

    def run_once(self) -> CycleReport | None:
        """One cycle; None when there was nothing to do here (no lists, another worker holds the lock, or this
        process serves older lists than the store's newest)."""
        state = self.source.state
        if state is None or state.generation != self.store.generation():
            return None
        mon = self.store.monitoring
        with mon.monitor_lock() as held:
            if not held:
                return None
            self.refresh_index()
            cursor = mon.monitor_cursor()
            versions = {i: info.version or "" for i, info in state.lists.items()}
            # Monitors written from older lists; more than a page of them waits for the next cycle.
            refs = set(mon.dirty_monitors(limit=RESCREEN_BATCH * 4))
            changed_entities = 0
            full = False
            for list_id, version in versions.items():
                if cursor.get(list_id) == version:
                    continue
                ids = self._changed_entities(list_id, cursor.get(list_id), version)
                if ids is None or changed_entities + len(ids) > FULL_RESCREEN_ENTITIES:
                    full = True
                    break
                changed_entities += len(ids)
                weight = state.matcher.index.idf
                for entity_id in ids:
                    entity = state.matcher.get(entity_id)
                    refs |= (
                        self.index.candidates(entity, weight) if entity is not None else self.index.holders(entity_id)
                    )
            if full:
                refs = set(self.index.refs())
            events = self._rescreen(state, sorted(refs))
            mon.set_monitor_cursor(versions)
        report = CycleReport(versions, changed_entities, len(refs), events, full)
        if refs or events:
            log.info(
                "monitor.cycle",
                changed_entities=changed_entities,
                rescreened=len(refs),
                events=events,
                full=full,
            )
        self._on_cycle(report)
        return report

    def _rescreen(self, state: ServingState, refs: Sequence[str]) -> int:
        mon = self.store.monitoring
        events = 0
        for i in range(0, len(refs), RESCREEN_BATCH):
            found = mon.get_monitors(refs[i : i + RESCREEN_BATCH])
            batch = [found[r] for r in refs[i : i + RESCREEN_BATCH] if r in found]
            if not batch:
                continue
            specs = [(m, MonitorSpec.from_dict(m.query)) for m in batch]
            # in this process only: nobody waits on a re-screen, and forked children would take a third more CPU
            # from the requests the cores serve meanwhile for a quarter less time (usecases.BATCH_CHILD_MIN_PARTIES)
            outcome = self.monitoring.screener.batch(
                [spec.party(m.ref) for m, spec in specs],
                Options(limit=MONITOR_HIT_LIMIT),
                actor=WORKER,
                kind="monitor",
                on_every_core=False,
            )
            updated: list[Monitor] = []
            raised: list[Event] = []
            moved: set[str] = set()  # monitors whose matched entities changed: the index must see them
            for (m, _), result in zip(specs, outcome.results, strict=True):
                merged = reconcile(
                    m.ref,
                    m.hits,
                    result,
                    standing=latest(mon.decisions(ref=m.ref)),
                    entity=state.matcher.get,
                    lists=outcome.lists,
                    now=outcome.screened_at,
                )
                versions = {li.id: li.version or "" for li in outcome.lists}
                updated.append(replace(m, hits=tuple(merged.hits), screened_at=outcome.screened_at, versions=versions))
                raised.extend(merged.events)
                if {h.entity_id for h in merged.hits} != {h.entity_id for h in m.hits}:
                    moved.add(m.ref)
            # The audit record first: a re-screening that raised events is on record before anyone is told.
            self.store.write_audit(outcome.record.to_dict())
            skipped = set(mon.save_rescreen(updated, raised, expected_seq={m.ref: m.seq for m in batch}, feed=moved))
            events += sum(1 for e in raised if e.ref not in skipped)
        return events

    # --- in the background --------------------------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                # Boundary: a failed cycle (store outage, a bug) must not end monitoring; the cursor did not move,
                # so the next cycle does the same work again.
                log.exception("monitor.cycle_failed")
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="sanctions-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)


WORKER = "monitoring"  # the actor audit records of the worker's re-screenings carry


def specs_from_records(records: Iterable[tuple[str, Query]]) -> list[tuple[str, MonitorSpec]]:
    """Monitors for records read by the CI hook's readers (`sanctions monitor add FILE`): ref and party."""
    return [(ref, MonitorSpec(query)) for ref, query in records]
