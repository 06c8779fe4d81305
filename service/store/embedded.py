"""The default store: files under SANCTIONS_DATA_DIR, published by directory rename and a pointer switch.

Layout: lists/<id>/versions/<key>/{snapshot.json.gz, raw/<file>, meta.json, status.json, diff.json} and
lists/<id>/current (the key in service). A crash at any point leaves the last good snapshot in service.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from service.errors import LockLostError, StoreError
from service.model import ListStatus, Snapshot, SnapshotDiff
from service.model.codec import diff_from_dict, diff_to_dict, status_from_dict, status_to_dict
from service.store.base import NOT_HELD, AuditEntry, AuditStats, Lease, PruneResult
from service.store.embedded_monitoring import SqliteMonitoring
from service.store.embedded_webhooks import SqliteWebhooks
from service.store.encoding import (
    decode_diff,
    decode_snapshot,
    decode_status,
    dumps,
    encode_diff,
    encode_snapshot,
    encode_status,
    loads,
)
from service.store.sqlitedb import file_bytes, open_durable, utc_iso

log = structlog.get_logger(__name__)

KEEP_VERSIONS = 3  # versions kept per list: the one in service and two before it (for rollback and diffs)
KEEP_DIFFS = 50  # diffs kept per list, newest first
# How often a reader retries when the version it was pointed at is pruned under it (three publishes in a row).
_READ_RETRIES = 5
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KEY = re.compile(r"^\d{8}$")
SNAPSHOT_FILE = "snapshot.json.gz"
# Measured on the full OFAC SDN snapshot (19 MB of JSON): level 1 writes 2.7 MB in 0.1 s and reads back in
# 0.06 s; higher levels save little more and cost several times the time.
SNAPSHOT_GZIP_LEVEL = 1
AUDIT_DB = "audit.sqlite3"
_CURSOR = re.compile(r"^\d{1,18}$")  # an audit cursor here is the record's seq
EXPORT_BATCH = 1000  # records per read while exporting: one batch in memory, one short read transaction each
PRUNE_BATCH = 5000  # records deleted per transaction: a few ms of holding up the audit writer, not seconds


def _check_name(name: str, what: str) -> str:
    if not _SAFE_NAME.match(name) or ".." in name:
        raise StoreError(f"unsafe {what} {name!r}")
    return name


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durable(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: readers see the old bytes or the new ones, and a crash leaves one of them."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        _write_durable(tmp, data)
        os.replace(tmp, path)
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(path.parent)


class EmbeddedStore:
    """Store backend on the local file system (one host; several processes may share the folder)."""

    def __init__(self, data_dir: Path, *, keep_versions: int = KEEP_VERSIONS, audit_fsync: bool = True):
        """`audit_fsync`: each audit commit waits for the disk (sqlitedb.open_durable says what turning it off
        risks)."""
        self.data_dir = Path(data_dir)
        self.audit_fsync = audit_fsync
        self.keep_versions = max(1, keep_versions)
        try:
            (self.data_dir / "lists").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data folder {self.data_dir}: {exc.strerror}") from exc
        self._cache: dict[str, tuple[str, Snapshot]] = {}  # list id -> (version key, snapshot): immutable values
        self._audit: sqlite3.Connection | None = None
        self._audit_lock = threading.Lock()
        self._monitoring: SqliteMonitoring | None = None
        self._webhooks: SqliteWebhooks | None = None

    # --- paths -------------------------------------------------------------------------------------------------
    def _list_dir(self, list_id: str) -> Path:
        return self.data_dir / "lists" / _check_name(list_id, "list id")

    def _current_key(self, list_id: str) -> str | None:
        try:
            key = (self._list_dir(list_id) / "current").read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read the current version of {list_id}: {exc.strerror}") from exc
        if not _KEY.match(key):
            raise StoreError(f"corrupt version pointer for {list_id}: {key[:40]!r}")
        return key

    def _version_dir(self, list_id: str, key: str) -> Path:
        return self._list_dir(list_id) / "versions" / key

    def _read_current(self, list_id: str, name: str) -> tuple[str, bytes] | None:
        """(key, bytes of `name` in the current version dir), retrying when a concurrent publish prunes it."""
        for _ in range(_READ_RETRIES):
            key = self._current_key(list_id)
            if key is None:
                return None
            try:
                return key, (self._version_dir(list_id, key) / name).read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StoreError(f"cannot read {name} of {list_id}: {exc.strerror}") from exc
        raise StoreError(f"{list_id}: version {key} has no {name} (store damaged or publishing too fast)")

    # --- sync state ----------------------------------------------------------------------------------------------
    def get_status(self, list_id: str) -> ListStatus | None:
        key = self._current_key(list_id)
        try:
            record = loads((self._list_dir(list_id) / "status.json").read_bytes())
            if record.get("key") == key:
                return status_from_dict(record["status"])
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreError(f"cannot read the status of {list_id}: {exc.strerror}") from exc
        if key is None:
            return None
        # The list-level status predates the version in service (a crash right after the pointer switch):
        # the status written with that version is the truth.
        current = self._read_current(list_id, "status.json")
        return decode_status(current[1]) if current else None

    def all_statuses(self) -> dict[str, ListStatus]:
        out: dict[str, ListStatus] = {}
        for d in sorted((self.data_dir / "lists").iterdir()):
            if d.is_dir() and _SAFE_NAME.match(d.name):
                status = self.get_status(d.name)
                if status is not None:
                    out[d.name] = status
        return out

    def put_status(self, status: ListStatus, *, fence: Lease | None = None) -> None:
        self._check_fence(fence)
        list_dir = self._list_dir(status.id)
        list_dir.mkdir(parents=True, exist_ok=True)
        record = {"key": self._current_key(status.id), "status": status_to_dict(status)}
        write_atomic(list_dir / "status.json", dumps(record))

    # --- snapshots -------------------------------------------------------------------------------------------------
    def publish(
        self,
        snapshot: Snapshot,
        raw_files: Mapping[str, bytes],
        status: ListStatus,
        diff: SnapshotDiff | None,
        *,
        fence: Lease | None = None,
    ) -> None:
        list_id = snapshot.list_id
        if status.id != list_id or (diff is not None and diff.list_id != list_id):
            raise StoreError(f"publish: status/diff list id differs from the snapshot's ({list_id})")
        self._check_fence(fence)
        list_dir = self._list_dir(list_id)
        versions = list_dir / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        diffs_before = self._diff_log(list_id)
        previous_key = self._current_key(list_id)
        self._remove_leftovers(versions)
        key = f"{max((int(k) for k in self._keys(versions)), default=0) + 1:08d}"
        tmp = versions / f".tmp-{key}-{uuid.uuid4().hex}"
        try:
            (tmp / "raw").mkdir(parents=True)
            files_meta = {}
            for name, data in raw_files.items():
                _write_durable(tmp / "raw" / _check_name(name, "raw file name"), data)
                files_meta[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            _fsync_dir(tmp / "raw")
            _write_durable(tmp / SNAPSHOT_FILE, gzip.compress(encode_snapshot(snapshot), SNAPSHOT_GZIP_LEVEL, mtime=0))
            _write_durable(tmp / "status.json", encode_status(status))
            if diff is not None:
                _write_durable(tmp / "diff.json", encode_diff(diff))
            meta = {
                "list_id": list_id,
                "version": snapshot.version,
                "entities": len(snapshot.entities),
                "published_at": snapshot.published_at,
                "fetched_at": snapshot.fetched_at,
                "stored_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "files": files_meta,
            }
            _write_durable(tmp / "meta.json", dumps(meta))
            _fsync_dir(tmp)
            os.rename(tmp, versions / key)
            _fsync_dir(versions)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"cannot write version {snapshot.version} of {list_id}: {exc}") from exc
        # The fence again, just before the switch: the version folder took time to write. Under a flock nobody
        # can take the lock between this check and the switch (see `sync_lock`).
        self._check_fence(fence)
        # The switch: until this replace lands, readers get the previous version; after it, the new one.
        write_atomic(list_dir / "current", f"{key}\n".encode("ascii"))
        self._cache[list_id] = (key, snapshot)
        write_atomic(list_dir / "status.json", dumps({"key": key, "status": status_to_dict(status)}))
        diffs = ([diff_to_dict(diff)] if diff is not None else []) + [diff_to_dict(d) for d in diffs_before]
        write_atomic(list_dir / "diffs.json", dumps({"head": key, "diffs": diffs[:KEEP_DIFFS]}))
        self._prune(versions, key, previous_key)
        log.debug("store.published", list_id=list_id, version=snapshot.version, key=key)

    def _keys(self, versions: Path) -> list[str]:
        try:
            return sorted(d.name for d in versions.iterdir() if _KEY.match(d.name))
        except FileNotFoundError:
            return []

    def _remove_leftovers(self, versions: Path) -> None:
        """Half-written version folders of a publish that crashed before its rename."""
        for d in versions.iterdir():
            if d.name.startswith(".tmp-"):
                shutil.rmtree(d, ignore_errors=True)

    def _prune(self, versions: Path, current: str, previous: str | None) -> None:
        keys = self._keys(versions)
        # Versions written after the previous one in service but never switched to: a publish that crashed
        # before its switch. They were never served, so they are neither history nor rollback targets.
        orphans = {k for k in keys if k != current and (previous is None or k > previous)}
        kept = set(sorted(k for k in keys if k <= current and k not in orphans)[-self.keep_versions :])
        for k in keys:
            if k not in kept:
                shutil.rmtree(versions / k, ignore_errors=True)

    def load_snapshot(self, list_id: str) -> Snapshot | None:
        key = self._current_key(list_id)
        if key is None:
            return None
        cached = self._cache.get(list_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        current = self._read_current(list_id, SNAPSHOT_FILE)
        if current is None:
            return None
        key, data = current
        try:
            snapshot = decode_snapshot(gzip.decompress(data))
        except (OSError, EOFError, zlib.error) as exc:
            raise StoreError(f"corrupt snapshot of {list_id} (version {key}): {exc}") from exc
        self._cache[list_id] = (key, snapshot)
        return snapshot

    def seed_snapshots(self, generation: str, snapshots: Iterable[Snapshot]) -> None:
        snapshots = list(snapshots)
        # keys first, then the generation (which reads them again): keys only grow, so an unchanged generation
        # means these keys are the ones `generation` was made of
        keys = {s.list_id: self._current_key(s.list_id) for s in snapshots}
        if self.generation() != generation:
            return
        for snap in snapshots:
            key = keys[snap.list_id]
            if key is not None:
                self._cache[snap.list_id] = (key, snap)

    def load_raw(self, list_id: str) -> dict[str, bytes]:
        for _ in range(_READ_RETRIES):
            current = self._read_current(list_id, "meta.json")
            if current is None:
                return {}
            key, meta_bytes = current
            files: dict[str, bytes] = {}
            try:
                for name, info in loads(meta_bytes)["files"].items():
                    data = (self._version_dir(list_id, key) / "raw" / _check_name(name, "raw file name")).read_bytes()
                    if hashlib.sha256(data).hexdigest() != info["sha256"]:
                        raise StoreError(f"raw file {name} of {list_id} version {key} fails its sha256 check")
                    files[name] = data
            except FileNotFoundError:
                continue  # pruned while reading: read the new current version
            except OSError as exc:
                raise StoreError(f"cannot read the raw files of {list_id}: {exc.strerror}") from exc
            return files
        raise StoreError(f"cannot read the raw files of {list_id}: versions pruned while reading")

    def generation(self) -> str:
        """Hash of every list's version key: keys only grow, so it changes on each publish (by any process)."""
        h = hashlib.sha256()
        for d in sorted((self.data_dir / "lists").iterdir()):
            if d.is_dir() and _SAFE_NAME.match(d.name):
                h.update(f"{d.name}={self._current_key(d.name)};".encode())
        return h.hexdigest()[:16]

    def subscribe_changes(self, callback: Callable[[str], None]) -> None:
        """No push notifications between processes on one host: readers poll `generation()` (a few stats)."""
        return None

    # --- validators ------------------------------------------------------------------------------------------------
    def get_validators(self, list_id: str) -> dict[str, dict[str, str]]:
        try:
            data = loads((self._list_dir(list_id) / "validators.json").read_bytes())
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"cannot read the validators of {list_id}: {exc.strerror}") from exc
        return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.items()}

    def put_validators(
        self, list_id: str, validators: Mapping[str, Mapping[str, str]], *, fence: Lease | None = None
    ) -> None:
        self._check_fence(fence)
        list_dir = self._list_dir(list_id)
        list_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(list_dir / "validators.json", dumps({k: dict(v) for k, v in validators.items()}))

    # --- diffs -------------------------------------------------------------------------------------------------------
    def _diff_log(self, list_id: str) -> list[SnapshotDiff]:
        key = self._current_key(list_id)
        try:
            record = loads((self._list_dir(list_id) / "diffs.json").read_bytes())
        except FileNotFoundError:
            record = {"head": None, "diffs": []}
        except OSError as exc:
            raise StoreError(f"cannot read the diffs of {list_id}: {exc.strerror}") from exc
        diffs = [diff_from_dict(d) for d in record.get("diffs", [])]
        if key is not None and record.get("head") != key:
            # A crash between the pointer switch and the log update: the version in service carries its diff.
            with suppress(FileNotFoundError):
                own = decode_diff((self._version_dir(list_id, key) / "diff.json").read_bytes())
                if not diffs or diffs[0].new_version != own.new_version:
                    diffs.insert(0, own)
        return diffs

    def diffs(self, list_id: str, limit: int = 20) -> list[SnapshotDiff]:
        return self._diff_log(list_id)[: max(0, limit)]

    # --- audit -------------------------------------------------------------------------------------------------------
    @property
    def audit_path(self) -> Path:
        return self.data_dir / AUDIT_DB

    def _audit_db(self) -> sqlite3.Connection:
        if self._audit is None:
            try:
                db = open_durable(self.audit_path, fsync=self.audit_fsync)
                # Autocommit: a group of records is one INSERT statement, its own transaction (write_audits says
                # why); the other writes open theirs with BEGIN IMMEDIATE.
                db.isolation_level = None
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS audit ("
                        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                        " screening_id TEXT NOT NULL UNIQUE,"
                        " created_at TEXT NOT NULL,"
                        " record BLOB NOT NULL)"
                    )
                    # One row: the record count (kept in step with every insert and delete, so a metrics scrape
                    # never counts a million rows) and the export watermark (the last record an export covered).
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS audit_state ("
                        " id INTEGER PRIMARY KEY CHECK (id = 1),"
                        " records INTEGER NOT NULL,"
                        " watermark INTEGER,"
                        " watermark_stored_at TEXT)"
                    )
                    db.execute("INSERT OR IGNORE INTO audit_state (id, records) SELECT 1, COUNT(*) FROM audit")
                    # The count follows every insert and delete inside the statement that makes it (a database
                    # written by an earlier release, which counted in its own statements, keeps its count).
                    db.execute(
                        "CREATE TRIGGER IF NOT EXISTS audit_counted AFTER INSERT ON audit"
                        " BEGIN UPDATE audit_state SET records = records + 1 WHERE id = 1; END"
                    )
                    db.execute(
                        "CREATE TRIGGER IF NOT EXISTS audit_uncounted AFTER DELETE ON audit"
                        " BEGIN UPDATE audit_state SET records = records - 1 WHERE id = 1; END"
                    )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the audit database in {self.data_dir}: {exc}") from exc
            self._audit = db
        return self._audit

    def write_audit(self, record: Mapping[str, Any]) -> None:
        self.write_audits([record])

    def write_audits(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Several audit records in one transaction: one fsync for a group (the API's group commit). A screening
        id stored already keeps its first record: an audit record is never replaced.

        The group is one multi-row INSERT in autocommit mode, so SQLite takes and releases its write lock inside a
        single call that runs without the GIL. As BEGIN, INSERT, UPDATE and COMMIT (four calls), the audit thread
        held the lock across each return to Python, and there it waited up to the interpreter's switch interval
        (5 ms) for the GIL while its event loop screened. The other workers' writers meanwhile slept in SQLite's
        busy handler (1, 2, 5, 10 ... 100 ms): measured with `--workers 2` at 16 connections, 1 % of audit writes
        took 100-450 ms, which was the API's p99. A group larger than SQLite's variable limit is written in
        several statements, each its own transaction."""
        rows = []
        now = utc_iso()
        for record in records:
            screening_id = record.get("screening_id")
            if not isinstance(screening_id, str) or not screening_id:
                raise StoreError("an audit record needs a 'screening_id'")
            rows.append((screening_id, now, dumps(dict(record))))
        if not rows:
            return
        with self._audit_lock:
            db = self._audit_db()
            per_statement = max(1, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 3)
            try:
                for start in range(0, len(rows), per_statement):
                    chunk = rows[start : start + per_statement]
                    placeholders = ", ".join(["(?, ?, ?)"] * len(chunk))  # only placeholders: values are bound
                    db.execute(
                        f"INSERT OR IGNORE INTO audit (screening_id, created_at, record) VALUES {placeholders}",  # noqa: S608
                        [value for row in chunk for value in row],
                    )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write the audit record: {exc}") from exc

    def read_audit(self, screening_id: str) -> dict[str, Any] | None:
        with self._audit_lock:
            try:
                row = (
                    self._audit_db()
                    .execute("SELECT record FROM audit WHERE screening_id = ?", (screening_id,))
                    .fetchone()
                )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the audit record: {exc}") from exc
        if row is None:
            return None
        record: dict[str, Any] = loads(row[0])
        return record

    def export_audit(
        self, *, after: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[AuditEntry]:
        """Records in `seq` order, read in batches on a connection of their own: WAL readers never block the
        writer, so an export runs beside a serving process. The range is contiguous by construction: it starts at
        the first record after `after` received at or after `since` and stops at the first one received at or
        after `until`, so that an export's first and last cursors say exactly what it covered."""
        self._audit_db()  # creates the tables on a fresh data folder
        start = self._seq(after) if after is not None else 0
        try:
            db = open_durable(self.audit_path, fsync=self.audit_fsync)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the audit database in {self.data_dir}: {exc}") from exc
        try:
            if since is not None:
                row = db.execute(
                    "SELECT MIN(seq) FROM audit WHERE seq > ? AND created_at >= ?", (start, utc_iso(since))
                ).fetchone()
                if row[0] is None:
                    return
                start = int(row[0]) - 1
            bound = utc_iso(until) if until is not None else None
            while True:
                rows = db.execute(
                    "SELECT seq, created_at, record FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
                    (start, EXPORT_BATCH),
                ).fetchall()
                if not rows:
                    return
                for seq, created_at, record in rows:
                    if bound is not None and created_at >= bound:
                        return
                    yield AuditEntry(str(seq), created_at, loads(record))
                    start = seq
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the audit records: {exc}") from exc
        finally:
            db.close()

    @staticmethod
    def _seq(cursor: str) -> int:
        if not _CURSOR.match(cursor):
            raise StoreError(f"not an audit cursor of the embedded store: {cursor[:40]!r} (a record number)")
        return int(cursor)

    def audit_cursor(self, ref: str) -> str | None:
        with self._audit_lock:
            try:
                row = self._audit_db().execute("SELECT seq FROM audit WHERE screening_id = ?", (ref,)).fetchone()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the audit records: {exc}") from exc
        if row is not None:
            return str(row[0])
        return ref if _CURSOR.match(ref) else None

    def mark_exported(self, first: str, last: str) -> bool:
        lo, hi = self._seq(first), self._seq(last)
        with self._audit_lock:
            db = self._audit_db()
            try:
                with db:
                    # IMMEDIATE: read and update in one write transaction (another process may be writing records).
                    db.execute("BEGIN IMMEDIATE")
                    mark = db.execute("SELECT watermark FROM audit_state WHERE id = 1").fetchone()[0] or 0
                    nxt = db.execute("SELECT MIN(seq) FROM audit WHERE seq > ?", (mark,)).fetchone()[0]
                    if hi <= mark or nxt is None or lo > nxt:
                        return False  # nothing new, or records between the watermark and `first` not exported
                    stored = db.execute("SELECT created_at FROM audit WHERE seq = ?", (hi,)).fetchone()
                    if stored is None:
                        return False
                    db.execute(
                        "UPDATE audit_state SET watermark = ?, watermark_stored_at = ? WHERE id = 1", (hi, stored[0])
                    )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot record the export watermark: {exc}") from exc
        return True

    def prune_audit(self, before: datetime) -> PruneResult:
        """Delete in batches, each its own transaction, so screenings waiting to write their record are held up
        for one batch at a time, never for a whole pruning."""
        cutoff = utc_iso(before)
        removed = 0
        while True:
            with self._audit_lock:
                db = self._audit_db()
                try:
                    with db:
                        db.execute("BEGIN IMMEDIATE")
                        mark = db.execute("SELECT watermark FROM audit_state WHERE id = 1").fetchone()[0] or 0
                        cur = db.execute(
                            "DELETE FROM audit WHERE seq IN (SELECT seq FROM audit WHERE seq <= ? AND created_at < ?"
                            " ORDER BY seq LIMIT ?)",
                            (mark, cutoff, PRUNE_BATCH),
                        )
                        if cur.rowcount < PRUNE_BATCH:
                            held = db.execute(
                                "SELECT created_at FROM audit WHERE seq > ? AND created_at < ? ORDER BY seq LIMIT 1",
                                (mark, cutoff),
                            ).fetchone()
                            return PruneResult(removed + cur.rowcount, held[0] if held else None)
                except sqlite3.Error as exc:
                    raise StoreError(f"cannot prune the audit records: {exc}") from exc
            removed += cur.rowcount

    def audit_stats(self) -> AuditStats:
        with self._audit_lock:
            try:
                records, mark, mark_at = (
                    self._audit_db()
                    .execute("SELECT records, watermark, watermark_stored_at FROM audit_state WHERE id = 1")
                    .fetchone()
                )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the audit records: {exc}") from exc
        return AuditStats(
            records=int(records),
            bytes=file_bytes(self.audit_path),
            spooled=0,
            watermark=str(mark) if mark is not None else None,
            watermark_stored_at=mark_at,
        )

    # --- one sync at a time ------------------------------------------------------------------------------------------
    @contextmanager
    def sync_lock(self, ttl_s: float = 900.0, wait_s: float = 0.0) -> Iterator[Lease]:
        """An exclusive flock on data_dir/sync.lock. `ttl_s` is not needed here: the kernel releases the lock
        when its holder dies, so a crashed worker never blocks the next one.

        Why this lock needs no expiry-based fence: a flock cannot expire under a live holder (a worker paused by
        SIGSTOP or a long GC keeps it, and nobody else can take it until the holder exits or releases it), so the
        lease a caller holds stays valid for as long as its process runs. The lease token is still written into
        the lock file and checked by every fenced write (`_check_fence`), so a lease used after its `with` block
        ended, or after another worker took the lock since, is refused exactly as the Redis store refuses it.
        """
        path = self.data_dir / "sync.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        held = False
        try:
            deadline = time.monotonic() + max(0.0, wait_s)
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    held = True
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            if not held:
                yield NOT_HELD
                return
            token = uuid.uuid4().hex
            # The lease token, then who holds it, for a human looking at a stuck deployment.
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{token} pid {os.getpid()} since {datetime.now(UTC).isoformat()}\n".encode(), 0)
            os.fsync(fd)
            yield Lease(token)
        finally:
            if held:
                with suppress(OSError):  # the lock goes with the descriptor all the same
                    os.ftruncate(fd, 0)  # a released lease fences nothing any more
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # --- monitoring ---------------------------------------------------------------------------------------------------
    @property
    def monitoring(self) -> SqliteMonitoring:
        if self._monitoring is None:
            self._monitoring = SqliteMonitoring(self.data_dir / "monitoring.sqlite3")
        return self._monitoring

    @property
    def webhooks(self) -> SqliteWebhooks:
        if self._webhooks is None:
            self._webhooks = SqliteWebhooks(self.data_dir / "webhooks.sqlite3")
        return self._webhooks

    def _check_fence(self, fence: Lease | None) -> None:
        if fence is None:
            return
        try:
            holder = (self.data_dir / "sync.lock").read_text(encoding="ascii").split(" ", 1)[0]
        except FileNotFoundError:
            holder = ""
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read the sync lock in {self.data_dir}: {exc}") from exc
        if not fence.token or holder != fence.token:
            raise LockLostError(
                "write refused: this worker no longer holds the sync lock (released, or taken by another worker); "
                "the version in service stands"
            )

    def close(self) -> None:
        if self._monitoring is not None:
            self._monitoring.close()
        if self._webhooks is not None:
            self._webhooks.close()
        with self._audit_lock:
            if self._audit is not None:
                self._audit.close()
                self._audit = None
        self._cache.clear()
