"""The audit spool: where a replica keeps audit records while the shared (Redis) store is unreachable.

A SQLite file in the data folder (WAL, synchronous=FULL): a record is in the spool once `append` returns, and
survives the replica being killed. Records leave it in the order they came, once the store has them; a record
replayed twice is harmless because the store ignores a screening id it holds already.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from service.errors import StoreError
from service.store.sqlitedb import file_bytes, open_durable

# About 1 KB per record (README, "Growing past one machine"): 250,000 records are about 250 MB of disk, and at 50
# screenings/s they cover an outage of about 80 minutes. Past it, screenings answer 503 instead of going unrecorded.
DEFAULT_SPOOL_MAX = 250_000


class SpoolFullError(StoreError):
    """The spool holds its maximum: the record cannot be kept, so the screening must not be answered."""


class AuditSpool:
    """Append-only queue of (screening id, encoded record) in a local SQLite file, shared by the processes that use
    the same data folder. The file is created on the first append: a replica that never saw an outage has none."""

    def __init__(self, path: Path, max_records: int = DEFAULT_SPOOL_MAX, *, fsync: bool = True) -> None:
        if max_records <= 0:
            raise ValueError("max_records must be positive")
        self.path = Path(path)
        self.fsync = fsync
        self.max_records = max_records
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, used from the audit writer, the replay and lookups

    def _conn(self, create: bool) -> sqlite3.Connection | None:
        if self._db is None:
            if not create and not self.path.exists():
                return None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = open_durable(self.path, fsync=self.fsync)
                db.isolation_level = None  # explicit BEGIN IMMEDIATE: the cap check and the insert are one step
                db.execute(
                    "CREATE TABLE IF NOT EXISTS spool ("
                    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                    " screening_id TEXT NOT NULL UNIQUE,"
                    " record BLOB NOT NULL)"
                )
            except (sqlite3.Error, OSError) as exc:
                raise StoreError(f"cannot open the audit spool: {exc}") from exc
            self._db = db
        return self._db

    @staticmethod
    def _depth(db: sqlite3.Connection) -> int:
        # Records leave from the head and arrive at the tail, so the seq range is exact and costs two index probes
        # (COUNT(*) would read every row of a spool that may hold hundreds of thousands).
        lo, hi = db.execute("SELECT MIN(seq), MAX(seq) FROM spool").fetchone()
        return 0 if lo is None else int(hi) - int(lo) + 1

    def append(self, items: Sequence[tuple[str, bytes]]) -> int:
        """Keep `items` durably, after every record already spooled; returns the depth. SpoolFullError when they
        do not fit under `max_records`, StoreError when the file cannot be written: nothing is kept then."""
        with self._lock:
            db = self._conn(create=True)
            assert db is not None
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    depth = self._depth(db)
                    if depth + len(items) > self.max_records:
                        raise SpoolFullError(
                            f"the local audit spool is full ({depth} records waiting for the store; "
                            f"SANCTIONS_AUDIT_SPOOL_MAX is {self.max_records})"
                        )
                    db.executemany("INSERT OR IGNORE INTO spool (screening_id, record) VALUES (?, ?)", items)
                    depth = self._depth(db)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write the local audit spool: {exc}") from exc
        return depth

    def head(self, n: int) -> list[tuple[int, str, bytes]]:
        """The oldest `n` records: (seq, screening id, record)."""
        with self._lock:
            db = self._conn(create=False)
            if db is None:
                return []
            try:
                rows = db.execute("SELECT seq, screening_id, record FROM spool ORDER BY seq LIMIT ?", (n,)).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the local audit spool: {exc}") from exc
        return [(int(seq), str(sid), bytes(rec)) for seq, sid, rec in rows]

    def remove_through(self, seq: int) -> None:
        """Forget the records up to `seq`: the store has them."""
        with self._lock:
            db = self._conn(create=False)
            if db is None:
                return
            try:
                db.execute("DELETE FROM spool WHERE seq <= ?", (seq,))
            except sqlite3.Error as exc:
                raise StoreError(f"cannot update the local audit spool: {exc}") from exc

    def get(self, screening_id: str) -> bytes | None:
        with self._lock:
            db = self._conn(create=False)
            if db is None:
                return None
            try:
                row = db.execute("SELECT record FROM spool WHERE screening_id = ?", (screening_id,)).fetchone()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the local audit spool: {exc}") from exc
        return bytes(row[0]) if row else None

    def depth(self) -> int:
        with self._lock:
            db = self._conn(create=False)
            if db is None:
                return 0
            try:
                return self._depth(db)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the local audit spool: {exc}") from exc

    def size_bytes(self) -> int:
        return file_bytes(self.path)

    @contextmanager
    def replaying(self) -> Iterator[bool]:
        """True while this process is the one replaying (a flock beside the file): two processes on one data
        folder never replay at once, so the store receives the records in spool order."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".replay.lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
