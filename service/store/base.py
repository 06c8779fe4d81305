"""The Store protocol: where list snapshots, sync state, diffs and audit records live.

Two backends implement it (embedded files in SANCTIONS_DATA_DIR; Redis for several replicas) and pass one
shared, parametrized test module. Publishing is atomic: a reader sees the old snapshot or the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from service.model import ListStatus, Snapshot, SnapshotDiff


class Subscription(Protocol):
    """A running change listener (see `Store.subscribe_changes`)."""

    def stop(self, timeout_s: float = 5.0) -> None: ...


class Store(Protocol):
    # --- sync state -------------------------------------------------------------------------------------
    def get_status(self, list_id: str) -> ListStatus | None: ...

    def all_statuses(self) -> dict[str, ListStatus]: ...

    def put_status(self, status: ListStatus) -> None:
        """Record an attempt's outcome without touching the published snapshot."""

    # --- snapshots --------------------------------------------------------------------------------------
    def publish(
        self,
        snapshot: Snapshot,
        raw_files: Mapping[str, bytes],
        status: ListStatus,
        diff: SnapshotDiff | None,
    ) -> None:
        """Atomically make `snapshot` (with its raw files, status and diff) the list's current version."""

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

    def put_validators(self, list_id: str, validators: Mapping[str, Mapping[str, str]]) -> None: ...

    # --- diffs between consecutive snapshots, newest first -----------------------------------------------
    def diffs(self, list_id: str, limit: int = 20) -> list[SnapshotDiff]: ...

    # --- audit records of screenings ----------------------------------------------------------------------
    def write_audit(self, record: Mapping[str, Any]) -> None: ...

    def write_audits(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Several records at once (one transaction or one round trip): the API's group commit."""

    def read_audit(self, screening_id: str) -> dict[str, Any] | None: ...

    # --- one sync at a time --------------------------------------------------------------------------------
    def sync_lock(self, ttl_s: float = 900.0, wait_s: float = 0.0) -> AbstractContextManager[bool]:
        """Context manager yielding True when this caller holds the lock, False when another does."""

    def close(self) -> None: ...


def iter_snapshots(store: Store, list_ids: list[str]) -> Iterator[Snapshot]:
    for list_id in list_ids:
        snap = store.load_snapshot(list_id)
        if snap is not None:
            yield snap
