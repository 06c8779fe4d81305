"""Monitoring in the embedded store: one SQLite database (WAL, synchronous=FULL) in the data folder.

Tables: monitors (ref -> JSON, its seq and a dirty mark), deleted_monitors (tombstones for the change feed),
events (the append-only event log; seq is its position), decisions (append-only), alerts (the review queue,
kept in step with the monitors' hits in the same transaction), cursor (the monitoring worker's progress) and
counter (the store-wide seq). Several processes on one host may share it (SQLite locking; a file lock for the
monitoring worker).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from service.model import Decision, Event, Monitor
from service.model.codec import (
    decision_from_dict,
    decision_to_dict,
    event_from_dict,
    event_to_dict,
    monitor_from_dict,
    monitor_to_dict,
)
from service.store.encoding import dumps, loads
from service.store.sqlite import SqliteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS monitors (
    ref TEXT PRIMARY KEY, seq INTEGER NOT NULL, fseq INTEGER NOT NULL, dirty INTEGER NOT NULL DEFAULT 0,
    body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS monitors_by_fseq ON monitors (fseq);
CREATE INDEX IF NOT EXISTS monitors_dirty ON monitors (dirty) WHERE dirty = 1;
CREATE TABLE IF NOT EXISTS deleted_monitors (ref TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS deleted_by_seq ON deleted_monitors (seq);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, ref TEXT NOT NULL, body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_by_ref ON decisions (ref, n);
CREATE TABLE IF NOT EXISTS alerts (
    ref TEXT NOT NULL, entity_id TEXT NOT NULL, since TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (ref, entity_id));
CREATE INDEX IF NOT EXISTS alerts_queue ON alerts (state, since, ref, entity_id);
CREATE TABLE IF NOT EXISTS cursor (list_id TEXT PRIMARY KEY, version TEXT NOT NULL);
"""


class SqliteMonitoring:
    """The MonitoringStore protocol (service.store.base) on SQLite."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = SqliteDatabase(self.path, _SCHEMA, "monitoring")
        self._tx = self._db.tx
        self._read = self._db.read

    @staticmethod
    def _next_seq(db: sqlite3.Connection, n: int = 1) -> int:
        """Reserve n seqs; returns the first."""
        row = db.execute("SELECT value FROM counter WHERE name = 'seq'").fetchone()
        first = (row[0] if row else 0) + 1
        db.execute("INSERT OR REPLACE INTO counter (name, value) VALUES ('seq', ?)", (first + n - 1,))
        return int(first)

    @staticmethod
    def _write_monitor(db: sqlite3.Connection, m: Monitor, dirty: bool, *, feed: bool = True) -> None:
        """Write `m` at its seq; `feed`: move it to the end of the change feed too (else it keeps its place)."""
        row = None if feed else db.execute("SELECT fseq FROM monitors WHERE ref = ?", (m.ref,)).fetchone()
        db.execute(
            "INSERT OR REPLACE INTO monitors (ref, seq, fseq, dirty, body) VALUES (?, ?, ?, ?, ?)",
            (m.ref, m.seq, row[0] if row else m.seq, 1 if dirty else 0, dumps(monitor_to_dict(m))),
        )
        db.execute("DELETE FROM deleted_monitors WHERE ref = ?", (m.ref,))
        db.execute("DELETE FROM alerts WHERE ref = ?", (m.ref,))
        db.executemany(
            "INSERT INTO alerts (ref, entity_id, since, state) VALUES (?, ?, ?, ?)",
            [(m.ref, h.entity_id, h.since, h.alert.value) for h in m.hits if h.alert is not None],
        )

    @staticmethod
    def _current_seq(db: sqlite3.Connection, ref: str) -> int | None:
        row = db.execute("SELECT seq FROM monitors WHERE ref = ?", (ref,)).fetchone()
        return int(row[0]) if row else None

    # --- monitors ----------------------------------------------------------------------------------------------
    def put_monitors(self, monitors: Sequence[Monitor], *, dirty: bool = False) -> list[tuple[Monitor, bool]]:
        out: list[tuple[Monitor, bool]] = []
        if not monitors:
            return out
        with self._tx() as db:
            seq = self._next_seq(db, len(monitors))
            for m in monitors:
                row = db.execute("SELECT body FROM monitors WHERE ref = ?", (m.ref,)).fetchone()
                created_at = loads(row[0])["created_at"] if row else m.created_at
                stored = Monitor(
                    ref=m.ref,
                    query=m.query,
                    created_at=created_at,
                    updated_at=m.updated_at,
                    screened_at=m.screened_at,
                    versions=m.versions,
                    hits=m.hits,
                    seq=seq,
                )
                seq += 1
                self._write_monitor(db, stored, dirty)
                out.append((stored, row is None))
        return out

    def get_monitor(self, ref: str) -> Monitor | None:
        return self.get_monitors([ref]).get(ref)

    def get_monitors(self, refs: Iterable[str]) -> dict[str, Monitor]:
        wanted = list(dict.fromkeys(refs))
        out: dict[str, Monitor] = {}
        for i in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for (body,) in self._read(f"SELECT body FROM monitors WHERE ref IN ({marks})", chunk):  # noqa: S608
                m = monitor_from_dict(loads(body))
                out[m.ref] = m
        return out

    def delete_monitor(self, ref: str) -> bool:
        with self._tx() as db:
            if self._current_seq(db, ref) is None:
                return False
            seq = self._next_seq(db)
            db.execute("DELETE FROM monitors WHERE ref = ?", (ref,))
            db.execute("DELETE FROM alerts WHERE ref = ?", (ref,))
            db.execute("INSERT OR REPLACE INTO deleted_monitors (ref, seq) VALUES (?, ?)", (ref, seq))
        return True

    def list_monitors(self, *, after: str | None = None, limit: int = 100) -> list[Monitor]:
        rows = self._read(
            "SELECT body FROM monitors WHERE ref > ? ORDER BY ref LIMIT ?", (after if after is not None else "", limit)
        )
        return [monitor_from_dict(loads(body)) for (body,) in rows]

    def count_monitors(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM monitors")[0][0])

    def monitors_since(self, seq: int, limit: int = 1000) -> tuple[list[Monitor], list[str], int]:
        rows = self._read("SELECT fseq, body FROM monitors WHERE fseq > ? ORDER BY fseq LIMIT ?", (seq, limit))
        changed = [monitor_from_dict(loads(body)) for _, body in rows]
        top = rows[-1][0] if len(rows) == limit else None
        # Deletions up to the same point, so that a page never reports a monitor as deleted after its re-creation.
        deleted_rows = self._read(
            "SELECT ref, seq FROM deleted_monitors WHERE seq > ? AND seq <= ? ORDER BY seq",
            (seq, top if top is not None else 1 << 62),
        )
        highest = max([seq, *(r[0] for r in rows), *(r[1] for r in deleted_rows)])
        return changed, [r[0] for r in deleted_rows], int(highest)

    def dirty_monitors(self, limit: int = 1000) -> list[str]:
        return [r[0] for r in self._read("SELECT ref FROM monitors WHERE dirty = 1 ORDER BY seq LIMIT ?", (limit,))]

    def save_rescreen(
        self,
        monitors: Sequence[Monitor],
        events: Sequence[Event],
        *,
        expected_seq: Mapping[str, int],
        feed: Collection[str] = (),
    ) -> list[str]:
        skipped: list[str] = []
        by_ref: dict[str, list[Event]] = {}
        for e in events:
            by_ref.setdefault(e.ref, []).append(e)
        with self._tx() as db:
            seq = self._next_seq(db, max(1, len(monitors)))
            for m in monitors:
                if self._current_seq(db, m.ref) != expected_seq.get(m.ref):
                    skipped.append(m.ref)
                    continue
                stored = Monitor(m.ref, m.query, m.created_at, m.updated_at, m.screened_at, m.versions, m.hits, seq)
                seq += 1
                self._write_monitor(db, stored, dirty=False, feed=m.ref in feed)
                db.executemany(
                    "INSERT OR IGNORE INTO events (id, created_at, body) VALUES (?, ?, ?)",
                    [(e.id, e.created_at, dumps(event_to_dict(e))) for e in by_ref.get(m.ref, ())],
                )
        return skipped

    def events_since(self, seq: int, limit: int = 100) -> list[Event]:
        rows = self._read("SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        return [event_from_dict(loads(body), seq=int(n)) for n, body in rows]

    def last_event_seq(self) -> int:
        return int(self._read("SELECT COALESCE(MAX(seq), 0) FROM events")[0][0])

    # --- decisions and alerts ------------------------------------------------------------------------------------
    def add_decision(self, decision: Decision, monitor: Monitor | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO decisions (id, ref, body) VALUES (?, ?, ?)",
                (decision.id, decision.ref, dumps(decision_to_dict(decision))),
            )
            if monitor is not None and self._current_seq(db, monitor.ref) == monitor.seq:
                stored = Monitor(
                    monitor.ref,
                    monitor.query,
                    monitor.created_at,
                    monitor.updated_at,
                    monitor.screened_at,
                    monitor.versions,
                    monitor.hits,
                    self._next_seq(db),
                )
                dirty = db.execute("SELECT dirty FROM monitors WHERE ref = ?", (monitor.ref,)).fetchone()[0]
                self._write_monitor(db, stored, dirty=bool(dirty), feed=False)

    def decisions(self, *, ref: str | None = None, limit: int = 1000, after: int = 0) -> list[Decision]:
        if ref is None:
            rows = self._read("SELECT body FROM decisions ORDER BY n LIMIT ? OFFSET ?", (limit, after))
        else:
            rows = self._read(
                "SELECT body FROM decisions WHERE ref = ? ORDER BY n LIMIT ? OFFSET ?", (ref, limit, after)
            )
        return [decision_from_dict(loads(body)) for (body,) in rows]

    def alerts(self, *, state: str = "open", after: str | None = None, limit: int = 100) -> list[tuple[str, str, str]]:
        since, ref, entity_id = [*after.split("|", 2), "", ""][:3] if after else ["", "", ""]
        rows = self._read(
            "SELECT since, ref, entity_id FROM alerts WHERE state = ? AND (since, ref, entity_id) > (?, ?, ?)"
            " ORDER BY since, ref, entity_id LIMIT ?",
            (state, since, ref, entity_id, limit),
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    # --- the monitoring worker's progress -------------------------------------------------------------------------
    def monitor_cursor(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._read("SELECT list_id, version FROM cursor")}

    def set_monitor_cursor(self, versions: Mapping[str, str]) -> None:
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO cursor (list_id, version) VALUES (?, ?)", list(versions.items()))

    @contextmanager
    def monitor_lock(self, ttl_s: float = 300.0) -> Iterator[bool]:
        """An exclusive flock beside the database; the kernel releases it when its holder dies (no TTL needed)."""
        fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        held = False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
            except BlockingIOError:
                held = False
            yield held
        finally:
            if held:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def close(self) -> None:
        self._db.close()
