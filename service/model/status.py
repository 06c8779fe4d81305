"""Per-list sync state and published snapshots: frozen values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.model.entity import Entity


class SyncState(StrEnum):
    OK = "ok"  # last sync published a new version
    UNCHANGED = "unchanged"  # upstream unchanged since the last good version
    FAILED = "failed"  # last attempt failed; the last good snapshot (if any) stays in service
    STALE = "stale"  # no successful check within the list's refresh interval
    NEVER = "never"  # never synced


@dataclass(frozen=True, slots=True)
class ListStatus:
    id: str
    version: str | None = None  # publisher's date, else "sha256:<12 hex>" of the content
    published_at: str | None = None  # publisher's own date/time (ISO), when the file carries one
    fetched_at: str | None = None  # when the last good version was downloaded (ISO UTC)
    checked_at: str | None = None  # last attempt, successful or not (ISO UTC)
    entities: int = 0
    status: SyncState = SyncState.NEVER
    error: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ListInfo:
    """One list version a screening ran against, as responses and reports name it."""

    id: str
    version: str | None
    published_at: str | None = None
    fetched_at: str | None = None
    entities: int | None = None
    title: str | None = None
    status: str | None = None  # the last sync's outcome (SyncState value), where known


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    list_id: str
    old_version: str | None
    new_version: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A complete, validated list version as published to the store."""

    list_id: str
    version: str
    entities: tuple[Entity, ...]
    published_at: str | None = None
    fetched_at: str | None = None
    files_sha256: tuple[tuple[str, str], ...] = ()  # (file name, sha256) of the raw files it came from
