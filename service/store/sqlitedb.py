"""SQLite as the stores use it for audit records: WAL, synchronous=FULL, one helper for times and ISO bounds.

The embedded store's audit trail and the Redis store's outage spool are both SQLite files in the data folder:
the standard library's sqlite3 gives durable, crash-safe appends with no server and no extra dependency.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

# Several processes (serve workers, a CLI export) share one file; a writer waits this long for another's
# transaction before giving up (a group commit takes milliseconds, a pruning batch well under a second).
BUSY_TIMEOUT_S = 10.0


def open_durable(path: Path, *, fsync: bool = True) -> sqlite3.Connection:
    """A connection in WAL mode, readers (exports, lookups) never blocking the writer. With `fsync` (the default),
    synchronous=FULL: a committed transaction survives a crash and a power cut. Without (SANCTIONS_AUDIT_FSYNC=
    false), synchronous=NORMAL: it survives the process crashing or being killed, but the last commits before an
    operating-system crash or a power cut may be lost; in exchange a commit does not wait for the disk."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        # FULL: an audit record the API reported as written must survive a power cut, not just a crash.
        db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
    except sqlite3.Error:
        db.close()
        raise
    return db


def utc_iso(when: datetime | None = None) -> str:
    """A UTC time as the audit tables store it: fixed width (microseconds always present), so that text order is
    time order and an ISO bound compares correctly in SQL."""
    when = when or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def file_bytes(path: Path) -> int:
    """Bytes a SQLite database takes on disk: the main file and its write-ahead log."""
    total = 0
    for p in (path, path.with_name(path.name + "-wal")):
        with suppress(FileNotFoundError):
            total += p.stat().st_size
    return total
