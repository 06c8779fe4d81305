"""Screen against the lists synced into the local store (SANCTIONS_DATA_DIR, or Redis when configured)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.check.report import ListInfo
from service.errors import ServiceError
from service.match.matcher import Matcher
from service.model import Hit, ListStatus, Query, SyncState
from service.store import open_store
from service.store.base import iter_snapshots

# Publishers amend their lists several times a week (OFAC often daily): a copy not confirmed current for a week
# is probably screening against superseded data, so the check says so.
STALE_AFTER = timedelta(days=7)


class NoListsError(ServiceError):
    """Nothing to screen against: a check must never pass silently because the lists are missing."""


class LocalScreener:
    mode = "local"
    threshold: float | None = None  # the caller passes the configured threshold (SANCTIONS_THRESHOLD)

    def __init__(
        self,
        data_dir: Path,
        redis_url: str | None = None,
        list_ids: Sequence[str] = (),
        *,
        now: datetime | None = None,
    ) -> None:
        """Load the last good snapshot of each list. `list_ids` empty = every list the store holds."""
        self.source = "redis" if redis_url else str(data_dir)
        self.warnings: list[str] = []
        store = open_store(data_dir, redis_url)
        try:
            statuses = store.all_statuses()
            # A list counts once a sync succeeded (it has a version); check that before loading anything.
            synced = sorted(i for i, s in statuses.items() if s.version)
            wanted = list(list_ids) or synced
            missing = [i for i in wanted if i not in synced]
            if list_ids and missing:
                # An explicitly configured list that was never synced makes the screening incomplete: refuse.
                raise NoListsError(
                    f"list(s) {', '.join(missing)} configured (SANCTIONS_LISTS) but never synced: run `sanctions sync`"
                )
            snapshots = list(iter_snapshots(store, [i for i in wanted if i in synced]))
        finally:
            store.close()
        if not snapshots:
            where = f"Redis at {redis_url}" if redis_url else f"data dir {data_dir}"
            raise NoListsError(f"no lists available in the {where}: run `sanctions sync` first")
        held = {s.list_id for s in snapshots}
        never = [i for i in statuses if i not in synced] if not list_ids else []
        for list_id in sorted({*never, *(i for i in wanted if i not in held)}):
            self.warnings.append(f"list {list_id} has no good snapshot (its sync never succeeded); not screened")
        self._lists = []
        for snap in snapshots:
            status = statuses.get(snap.list_id)
            state = status.status.value if status else None
            if state in ("failed", "stale"):
                self.warnings.append(
                    f"list {snap.list_id}: last sync {state}; screening against version {snap.version}"
                    + (f" ({status.error})" if status and status.error else "")
                )
            confirmed = _last_confirmed(status)
            if confirmed is not None and (now or datetime.now(UTC)) - confirmed > STALE_AFTER:
                self.warnings.append(
                    f"list {snap.list_id} was last confirmed current on {confirmed:%Y-%m-%d} "
                    f"({((now or datetime.now(UTC)) - confirmed).days} days ago): run `sanctions sync`"
                )
            self._lists.append(
                ListInfo(
                    id=snap.list_id,
                    version=snap.version,
                    entities=len(snap.entities),
                    published_at=snap.published_at,
                    status=state,
                    title=status.title if status else None,
                )
            )
        self._matcher = Matcher.build(snapshots)

    def lists(self) -> list[ListInfo]:
        return list(self._lists)

    def screen(self, queries: Sequence[Query], *, threshold: float | None, limit: int) -> list[list[Hit]]:
        if threshold is None:
            raise NoListsError("local screening needs a threshold (SANCTIONS_THRESHOLD or --min-score)")
        return [self._matcher.screen(q, threshold=threshold, limit=limit) for q in queries]

    def unknown_entities(self, entity_ids: Sequence[str]) -> list[str]:
        return [i for i in entity_ids if self._matcher.get(i) is None]

    def close(self) -> None:
        return None


def _last_confirmed(status: ListStatus | None) -> datetime | None:
    """When a sync last found this list current: its last check if that succeeded, else its last download."""
    if status is None:
        return None
    stamp = status.checked_at if status.status in (SyncState.OK, SyncState.UNCHANGED) else status.fetched_at
    if not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
