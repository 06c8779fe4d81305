"""The Store protocol: where list snapshots, sync state, diffs and audit records live.

Two backends implement it (embedded files in SANCTIONS_DATA_DIR; Redis for several replicas) and pass one
shared, parametrized test module. Publishing is atomic: a reader sees the old snapshot or the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from service.model import Decision, Event, ListStatus, Monitor, Snapshot, SnapshotDiff
from service.model.webhooks import Delivery, DeliveryState, Webhook


@dataclass(frozen=True, slots=True)
class Lease:
    """What `Store.sync_lock` yields: truthy when this caller got the lock. Its token fences the caller's writes:
    `publish(..., fence=lease)` (and `put_status`, `put_validators`) raise LockLostError once the store no
    longer honours the lease (it expired while the worker stalled and another worker took the lock, or the
    `with` block ended), so a worker that lost its lock cannot overwrite what the new holder published."""

    token: str | None  # None: the lock is held by another worker

    def __bool__(self) -> bool:
        return self.token is not None


NOT_HELD = Lease(None)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One stored audit record as an export reads it: its position in the store's order (an opaque `cursor` that
    only grows), when the store received it (ISO 8601 UTC) and the record itself."""

    cursor: str
    stored_at: str
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What `prune_audit` did: records removed, and the stored time of the oldest record that was old enough to go
    but no export has covered yet (None when nothing was held back)."""

    removed: int
    held_back_since: str | None = None


@dataclass(frozen=True, slots=True)
class AuditStats:
    """Gauges of the audit trail, cheap enough for every metrics scrape."""

    records: int | None  # records in the store, not counting the spool (None: the store cannot be read now)
    bytes: int | None  # storage the audit trail takes, where the backend can tell cheaply
    spooled: int  # records in the local spool waiting for the store (Redis outage); 0 for the embedded store
    watermark: str | None  # cursor of the last record an export covered (None: never exported, or unknown now)
    watermark_stored_at: str | None  # when the store received that record


class Subscription(Protocol):
    """A running change listener (see `Store.subscribe_changes`)."""

    def stop(self, timeout_s: float = 5.0) -> None: ...


class MonitoringStore(Protocol):
    """Monitors, the event log their re-screenings write, reviewers' decisions and the alert queue.

    Every write is atomic per call. A monitor's `seq` is the store-wide change counter at its last write: a writer
    that re-screened a monitor passes the seq it read (`expected_seq`) and loses to any write in between.
    """

    # --- monitors ---------------------------------------------------------------------------------------
    def put_monitors(self, monitors: Sequence[Monitor], *, dirty: bool = False) -> list[tuple[Monitor, bool]]:
        """Create or replace monitors (a replaced monitor keeps its `created_at`); each comes back with its new
        seq and whether it was created. `dirty`: screened against lists older than the store's (a lagging
        replica), so the monitoring worker screens them again."""

    def get_monitor(self, ref: str) -> Monitor | None: ...

    def get_monitors(self, refs: Iterable[str]) -> dict[str, Monitor]: ...

    def delete_monitor(self, ref: str) -> bool:
        """False when there was none. The monitor's decisions and events stay (audit data)."""

    def list_monitors(self, *, after: str | None = None, limit: int = 100) -> list[Monitor]:
        """Monitors in ref order, starting after `after` (the previous page's last ref)."""

    def count_monitors(self) -> int: ...

    def monitors_since(self, seq: int, limit: int = 1000) -> tuple[list[Monitor], list[str], int]:
        """The change feed: monitors created, replaced, or re-screened with other matched entities after `seq`
        (oldest first; a decision or a re-screening that kept the same entities does not count), refs deleted
        after it, and the highest feed position returned (pass it back for the next page; equal to `seq` when
        nothing changed)."""

    def dirty_monitors(self, limit: int = 1000) -> list[str]: ...

    def save_rescreen(
        self,
        monitors: Sequence[Monitor],
        events: Sequence[Event],
        *,
        expected_seq: Mapping[str, int],
        feed: Collection[str] = (),
    ) -> list[str]:
        """Store re-screened monitors (clearing their dirty mark) with the events they raised, each monitor and its
        events together; a monitor whose seq is no longer `expected_seq[ref]` (written or deleted meanwhile) is
        skipped with its events. Events are idempotent on their id. Only the refs in `feed` (those whose matched
        entities changed) move to the end of the change feed: a re-screening of every monitor that changed
        little must not make the worker's index read them all again. Returns the refs skipped."""

    def events_since(self, seq: int, limit: int = 100) -> list[Event]:
        """The event log after `seq`, oldest first (each event carries its seq)."""

    def last_event_seq(self) -> int:
        """The seq of the newest event in the log (0 when empty): where a new webhook's fan-out starts."""

    # --- decisions and alerts -------------------------------------------------------------------------------
    def add_decision(self, decision: Decision, monitor: Monitor | None = None) -> None:
        """Append a decision (never updated or deleted), and with it the monitor whose alert it settles, if any
        (written only while its seq is still `monitor.seq`)."""

    def decisions(self, *, ref: str | None = None, limit: int = 1000, after: int = 0) -> list[Decision]:
        """Decisions oldest first (all, or one party's), after the `after`-th (for paging an export)."""

    def alerts(self, *, state: str = "open", after: str | None = None, limit: int = 100) -> list[tuple[str, str, str]]:
        """Monitor hits waiting for review, oldest first: (since, ref, entity id); `after` is the previous page's
        last item as "since|ref|entity id"."""

    # --- the monitoring worker's progress ---------------------------------------------------------------------
    def monitor_cursor(self) -> dict[str, str]:
        """list id -> the version whose changes every monitor has been screened for."""

    def set_monitor_cursor(self, versions: Mapping[str, str]) -> None: ...

    def monitor_lock(self, ttl_s: float = 300.0) -> AbstractContextManager[bool]:
        """One monitoring worker at a time across processes and replicas: True when this caller holds it."""


class WebhookStore(Protocol):
    """Webhooks, their fan-out cursors over the monitoring event log, and their deliveries.

    A delivery is keyed by (webhook id, event id): queueing an event twice for one webhook stores it once. A
    delivery is attempted only under a lease (`claim`), and only the lease holder records the outcome, so that
    several processes or replicas never attempt the same delivery at the same time.
    """

    def add_webhook(self, webhook: Webhook, *, cursor: int) -> None:
        """Store a new webhook whose fan-out starts after event-log position `cursor` (no history)."""

    def get_webhook(self, webhook_id: str) -> Webhook | None: ...

    def list_webhooks(self) -> list[Webhook]:
        """Oldest first."""

    def delete_webhook(self, webhook_id: str) -> bool:
        """Remove it with its cursor and its deliveries; False when there was none."""

    def cursors(self) -> dict[str, int]:
        """webhook id -> the event-log position its fan-out has reached."""

    def enqueue(self, webhook_id: str, deliveries: Sequence[Delivery], *, cursor: int) -> bool:
        """In one write: add `deliveries` (one already stored for the same event is left as it is) and move the
        webhook's cursor up to `cursor` (never back). False, writing nothing, when the webhook is gone."""

    def claim(self, *, owner: str, now: float, lease_s: float, limit: int) -> list[Delivery]:
        """Lease up to `limit` pending deliveries due at `now` (oldest first) to `owner` until `now + lease_s`.
        A delivery leased to anyone is not due again before its lease expires."""

    def record_attempt(
        self,
        webhook_id: str,
        event_id: str,
        *,
        owner: str,
        state: DeliveryState,
        at: float,
        next_attempt_at: float = 0.0,
        error: str = "",
    ) -> bool:
        """The lease holder's outcome of one attempt made at `at`: one more attempt, the new state (pending: try
        again at `next_attempt_at`), the error; releases the lease. False, writing nothing, when `owner` no longer
        holds the lease (it expired and another took it, or a replay or delete came in between)."""

    def requeue(self, webhook_id: str, event_ids: Sequence[str] | None = None, *, now: float) -> int:
        """Make deliveries pending and due at `now` with a fresh retry window and no attempts: every dead one
        (`event_ids` None), or those of these events whatever their state. Returns how many."""

    def deliveries(self, webhook_id: str, *, state: DeliveryState | None = None, limit: int = 100) -> list[Delivery]:
        """One webhook's deliveries, newest event first."""

    def counts(self, webhook_id: str | None = None) -> dict[DeliveryState, int]:
        """Deliveries by state (every state present, 0 when none), of one webhook or of all."""

    def prune_delivered(self, before: float, limit: int = 1000) -> int:
        """Forget up to `limit` deliveries delivered before `before` (their bodies hold personal data)."""

    def close(self) -> None: ...


class Store(Protocol):
    # --- sync state -------------------------------------------------------------------------------------
    def get_status(self, list_id: str) -> ListStatus | None: ...

    def all_statuses(self) -> dict[str, ListStatus]: ...

    def put_status(self, status: ListStatus, *, fence: Lease | None = None) -> None:
        """Record an attempt's outcome without touching the published snapshot (LockLostError when `fence` is given
        and no longer honoured)."""

    # --- snapshots --------------------------------------------------------------------------------------
    def publish(
        self,
        snapshot: Snapshot,
        raw_files: Mapping[str, bytes],
        status: ListStatus,
        diff: SnapshotDiff | None,
        *,
        fence: Lease | None = None,
    ) -> None:
        """Atomically make `snapshot` (with its raw files, status and diff) the list's current version; with a
        `fence`, only while the caller still holds that sync lock lease (else LockLostError, nothing changes)."""

    def load_snapshot(self, list_id: str) -> Snapshot | None: ...

    def load_raw(self, list_id: str) -> dict[str, bytes]:
        """The raw files of the last good version ({} when none)."""

    def seed_snapshots(self, generation: str, snapshots: Iterable[Snapshot]) -> None:
        """Keep `snapshots` as what `load_snapshot` returns for their lists while the store is still at `generation`
        (the snapshots a serving state loaded from the matcher cache was built from), instead of decoding their
        files again; nothing is kept when the store has moved on. A process that never decoded the snapshots (it
        loaded the matcher cache) then decodes only the lists a publish changes."""

    def generation(self) -> str:
        """A token that changes whenever any list is published; cheap, for replicas to poll."""

    def subscribe_changes(self, callback: Callable[[str], None]) -> Subscription | None:
        """Call `callback(generation)` from a background thread on every publish by any process; None when this
        backend has no push notifications (callers then poll `generation()`)."""

    # --- conditional GET validators (ETag / Last-Modified) per resource ---------------------------------
    def get_validators(self, list_id: str) -> dict[str, dict[str, str]]: ...

    def put_validators(
        self, list_id: str, validators: Mapping[str, Mapping[str, str]], *, fence: Lease | None = None
    ) -> None: ...

    # --- diffs between consecutive snapshots, newest first -----------------------------------------------
    def diffs(self, list_id: str, limit: int = 20) -> list[SnapshotDiff]: ...

    # --- audit records of screenings ----------------------------------------------------------------------
    def write_audit(self, record: Mapping[str, Any]) -> None:
        """Store one record; returns only once it is durable. A record whose screening id is stored already is
        left as it was (writes are idempotent: a replayed record is never stored twice)."""

    def write_audits(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Several records at once (one transaction or one round trip): the API's group commit."""

    def read_audit(self, screening_id: str) -> dict[str, Any] | None: ...

    # --- monitoring -----------------------------------------------------------------------------------------
    @property
    def monitoring(self) -> MonitoringStore:
        """Monitors, events, decisions and alerts (opened on first use)."""

    @property
    def webhooks(self) -> WebhookStore:
        """Webhooks and their deliveries of the monitoring events (opened on first use)."""

    def export_audit(
        self, *, after: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[AuditEntry]:
        """Records in the order the store received them, after cursor `after`, received in [since, until);
        streamed in batches, so an export of millions of records holds only one batch in memory."""

    def audit_cursor(self, ref: str) -> str | None:
        """The cursor of the record with screening id `ref`, or `ref` itself when it is a cursor of this store;
        None when it is neither."""

    def mark_exported(self, first: str, last: str) -> bool:
        """An export wrote every record from cursor `first` to `last`: advance the export watermark to `last`
        when `first` is the first record after the current watermark (no gap); False when it left a gap."""

    def prune_audit(self, before: datetime) -> PruneResult:
        """Remove records received before `before` that an export has covered (at or before the watermark);
        never one that no export has covered."""

    def audit_stats(self) -> AuditStats: ...

    # --- one sync at a time --------------------------------------------------------------------------------
    def sync_lock(self, ttl_s: float = 900.0, wait_s: float = 0.0) -> AbstractContextManager[Lease]:
        """Context manager yielding a Lease: truthy when this caller holds the lock, falsy when another does."""

    def close(self) -> None: ...


def iter_snapshots(store: Store, list_ids: list[str]) -> Iterator[Snapshot]:
    for list_id in list_ids:
        snap = store.load_snapshot(list_id)
        if snap is not None:
            yield snap
