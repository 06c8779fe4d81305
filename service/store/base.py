"""The Store protocol: where list snapshots, sync state, diffs and audit records live.

Two backends implement it (embedded files in SANCTIONS_DATA_DIR; Redis for several replicas) and pass one
shared, parametrized test module. Publishing is atomic: a reader sees the old snapshot or the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from service.model import ListStatus, Snapshot, SnapshotDiff


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
