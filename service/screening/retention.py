"""Audit retention made explicit: export the records as JSON Lines, then remove only what an export has covered.

An export streams the store's records in the order the store received them and says where it stopped (the last
record's cursor and screening id), so the next one continues there. Once the output is safely written, the store's
export watermark moves to the last record, provided the export left no gap after the previous watermark.
`prune_expired` then removes records older than the retention that are at or before the watermark, and refuses,
loudly, to remove any that no export has covered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO

import orjson
import structlog

from service.errors import QueryError
from service.store.base import PruneResult, Store

log = structlog.get_logger("service.screening")


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote: how many records, the cursors of its first and last, and the last screening id."""

    records: int = 0
    first: str | None = None
    last: str | None = None
    last_screening_id: str | None = None
    last_stored_at: str | None = None


def resolve_after(store: Store, ref: str) -> str:
    """The cursor to continue after: `ref` is a screening id or a cursor an earlier export printed."""
    cursor = store.audit_cursor(ref)
    if cursor is None:
        raise QueryError(f"no audit record with screening id {ref!r}, and not a cursor of this store")
    return cursor


def export_records(
    store: Store,
    out: IO[bytes],
    *,
    after: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Callable[[ExportResult], None] | None = None,
) -> ExportResult:
    """Write every record after cursor `after`, received in [since, until), to `out` as JSON Lines (each line the
    record exactly as `GET /v1/screenings/{id}` returns it), in store order. `progress` sees the running result
    after each record, so an interrupted export can still say where it stopped. The watermark is not moved here:
    the caller does that (`store.mark_exported`) once the output is durable."""
    result = ExportResult()
    for entry in store.export_audit(after=after, since=since, until=until):
        out.write(orjson.dumps(entry.record) + b"\n")
        sid = entry.record.get("screening_id")
        result = ExportResult(
            records=result.records + 1,
            first=result.first or entry.cursor,
            last=entry.cursor,
            last_screening_id=sid if isinstance(sid, str) else None,
            last_stored_at=entry.stored_at,
        )
        if progress is not None:
            progress(result)
    return result


def prune_expired(store: Store, retention_days: float, *, now: datetime | None = None) -> PruneResult:
    """Remove records older than `retention_days` that an export has covered; log (never silently skip) the ones
    that are old enough but not exported yet."""
    if retention_days <= 0:
        raise QueryError("the audit retention must be a positive number of days")
    before = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    result = store.prune_audit(before)
    if result.removed:
        log.info("audit.pruned", removed=result.removed, before=before.isoformat(timespec="seconds"))
    if result.held_back_since is not None:
        log.warning(
            "audit.retention_refused",
            reason="records older than the retention have not been exported; run `sanctions audit export`",
            oldest_unexported=result.held_back_since,
            retention_days=retention_days,
        )
    return result
