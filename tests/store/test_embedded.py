"""EmbeddedStore specifics: crash safety at every step of a publish, pruning, concurrent readers, damaged files."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.errors import StoreError
from service.model import Snapshot, SnapshotDiff, SyncState
from service.sources import ParseReport, get_parser
from service.store import open_store
from service.store.embedded import KEEP_VERSIONS, SNAPSHOT_FILE, EmbeddedStore
from service.store.spool import AuditSpool
from tests.conftest import read_fixture_files
from tests.store.test_store import publish, snapshot, status


class Crash(Exception):
    """Stands in for the process dying at this point (a fault no real component produces on demand)."""


def crash_on(monkeypatch: pytest.MonkeyPatch, name: str, predicate: Callable[[Any, Any], bool]) -> None:
    """Make the first os.<name>(src, dst) call matching `predicate` raise Crash; later calls behave."""
    real = getattr(os, name)
    fired = []

    def fake(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
        if not fired and predicate(src, dst):
            fired.append(dst)
            raise Crash(f"crash before {name} to {dst}")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, name, fake)


def versions_of(data_dir: Path, list_id: str) -> list[str]:
    return sorted(p.name for p in (data_dir / "lists" / list_id / "versions").iterdir())


def test_embedded_crash_before_pointer_switch_keeps_old_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path)
    old = publish(store, "x_list", "v1", 10)
    crash_on(monkeypatch, "replace", lambda src, dst: Path(dst).name == "current")
    with pytest.raises(Crash):
        publish(store, "x_list", "v2", 20)
    monkeypatch.undo()
    # The new version directory is complete on disk, but not in service.
    assert versions_of(tmp_path, "x_list") == ["00000001", "00000002"]
    for s in (store, EmbeddedStore(tmp_path)):  # this process, and one that starts after the crash
        assert s.load_snapshot("x_list") == old
        current = s.get_status("x_list")
        assert current is not None and current.version == "v1" and current.entities == 10
        assert s.load_raw("x_list") == {"a.csv": b"v1"}
    # The next publish cleans up and goes on.
    reopened = EmbeddedStore(tmp_path)
    newer = publish(reopened, "x_list", "v3", 30)
    assert reopened.load_snapshot("x_list") == newer
    assert "00000002" not in versions_of(tmp_path, "x_list")


def test_embedded_crash_while_writing_version_dir_keeps_old_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path)
    old = publish(store, "x_list", "v1", 10)
    crash_on(monkeypatch, "rename", lambda src, dst: Path(src).name.startswith(".tmp-"))
    with pytest.raises(Crash):
        publish(store, "x_list", "v2", 20)
    monkeypatch.undo()
    assert any(n.startswith(".tmp-") for n in versions_of(tmp_path, "x_list"))  # the half-written leftover
    reopened = EmbeddedStore(tmp_path)
    assert reopened.load_snapshot("x_list") == old
    publish(reopened, "x_list", "v3", 5)
    assert not any(n.startswith(".tmp-") for n in versions_of(tmp_path, "x_list"))


def test_embedded_crash_after_switch_reports_the_new_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = EmbeddedStore(tmp_path)
    publish(store, "x_list", "v1", 10, None)
    diff = SnapshotDiff("x_list", "v1", "v2", ("x_list:10",), (), ())
    # Crash right after the pointer switch, before the list-level status and diff log are written.
    crash_on(monkeypatch, "replace", lambda src, dst: Path(dst).name == "status.json")
    with pytest.raises(Crash):
        publish(store, "x_list", "v2", 11, diff)
    monkeypatch.undo()
    reopened = EmbeddedStore(tmp_path)
    snap = reopened.load_snapshot("x_list")
    current = reopened.get_status("x_list")
    assert snap is not None and snap.version == "v2"
    assert current is not None and current.version == "v2" and current.entities == 11
    assert [d.new_version for d in reopened.diffs("x_list")] == ["v2"]


def test_embedded_failed_status_after_crash_recovery(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    publish(store, "x_list", "v1", 10)
    store.put_status(status("x_list", "v1", 10, SyncState.FAILED))
    current = EmbeddedStore(tmp_path).get_status("x_list")
    assert current is not None and current.status is SyncState.FAILED


def test_embedded_prunes_to_the_last_versions(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    for i in range(1, 7):
        publish(store, "x_list", f"v{i}", i)
    assert versions_of(tmp_path, "x_list") == [f"{i:08d}" for i in range(7 - KEEP_VERSIONS, 7)]
    assert (tmp_path / "lists" / "x_list" / "current").read_text().strip() == "00000006"


def test_embedded_detects_damaged_raw_file(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    publish(store, "x_list", "v1", 3)
    raw = tmp_path / "lists" / "x_list" / "versions" / "00000001" / "raw" / "a.csv"
    raw.write_bytes(b"tampered")
    with pytest.raises(StoreError, match="fails its sha256 check"):
        EmbeddedStore(tmp_path).load_raw("x_list")


def test_embedded_detects_damaged_snapshot(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    publish(store, "x_list", "v1", 3)
    (tmp_path / "lists" / "x_list" / "versions" / "00000001" / SNAPSHOT_FILE).write_bytes(b"\x1f\x8bnot gzip")
    with pytest.raises(StoreError, match="corrupt snapshot of x_list"):
        EmbeddedStore(tmp_path).load_snapshot("x_list")


def test_embedded_refuses_unsafe_names(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    with pytest.raises(StoreError, match="unsafe list id"):
        store.load_snapshot("../etc")
    snap = snapshot("x_list", "v1", 1)
    with pytest.raises(StoreError, match="unsafe raw file name"):
        store.publish(snap, {"../evil": b"x"}, status("x_list", "v1", 1), None)
    assert store.load_snapshot("x_list") is None


def test_embedded_reader_never_sees_a_mix(tmp_path: Path) -> None:
    """A reader loading in a loop (its own store instance: no shared cache) while a writer publishes."""
    writer = EmbeddedStore(tmp_path)
    publish(writer, "x_list", "v0", 50)
    stop = threading.Event()
    seen: list[tuple[str, int]] = []
    problems: list[str] = []

    def read() -> None:
        reader = EmbeddedStore(tmp_path)
        while not stop.is_set():
            reader._cache.clear()  # read from disk every time
            snap = reader.load_snapshot("x_list")
            assert snap is not None
            n = int(snap.version[1:])
            expected = 50 + n
            tags = {e.name.full.rsplit(" ", 1)[1] for e in snap.entities}
            if len(snap.entities) != expected or tags != {snap.version}:
                problems.append(f"{snap.version}: {len(snap.entities)} entities, tags {sorted(tags)[:3]}")
            raw = reader.load_raw("x_list")
            if int(raw["a.csv"].decode()[1:]) < n:
                problems.append(f"raw older than the snapshot seen before it: {raw} < {snap.version}")
            seen.append((snap.version, len(snap.entities)))

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(1, 25):
        publish(writer, "x_list", f"v{i}", 50 + i)
    stop.set()
    for t in threads:
        t.join(10)
    assert not problems, problems[:5]
    assert len({v for v, _ in seen}) > 1  # the readers really did see the versions change


def _hold_lock(data_dir: str, locked: Any, release: Any) -> None:
    store = EmbeddedStore(Path(data_dir))
    with store.sync_lock(wait_s=0) as held:
        assert held
        locked.set()
        release.wait(10)


def test_embedded_sync_lock_across_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    locked, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(tmp_path), locked, release))
    proc.start()
    try:
        assert locked.wait(30)
        with EmbeddedStore(tmp_path).sync_lock(wait_s=0) as held:
            assert not held
        assert "pid" in (tmp_path / "sync.lock").read_text()
    finally:
        release.set()
        proc.join(10)
    with EmbeddedStore(tmp_path).sync_lock(wait_s=0) as held:
        assert held


def _die_holding_lock(data_dir: str) -> None:
    store = EmbeddedStore(Path(data_dir))
    with store.sync_lock(wait_s=0):
        os._exit(0)  # a worker killed mid-sync: its lock must not outlive it


def test_embedded_sync_lock_released_when_holder_dies(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_die_holding_lock, args=(str(tmp_path),))
    proc.start()
    proc.join(30)
    with EmbeddedStore(tmp_path).sync_lock(wait_s=0) as held:
        assert held


def test_embedded_real_un_snapshot_round_trips(tmp_path: Path) -> None:
    """The UN list as parsed from real records (non-Latin names, partial dates) survives the store exactly.
    (The full OFAC SDN list's load time is measured by bench/bench_sync.py.)"""
    files = read_fixture_files("un_sc_sanctions")
    entities = tuple(get_parser("un_sc_sanctions")(files, ParseReport(), list_id="un_sc_sanctions"))
    xml = files["consolidated.xml"]
    assert len(entities) == xml.count(b"<INDIVIDUAL>") + xml.count(b"<ENTITY>") == 38
    assert any(a.script == "Arab" for e in entities for a in e.aliases)
    snap = Snapshot(list_id="un_sc_sanctions", version="2026-02-27T00:00:09.554Z", entities=entities)
    store = EmbeddedStore(tmp_path)
    store.publish(snap, files, status("un_sc_sanctions", snap.version, len(entities)), None)
    assert EmbeddedStore(tmp_path).load_snapshot("un_sc_sanctions") == snap
    # Compressed on disk: smaller than the XML it came from.
    size = (tmp_path / "lists" / "un_sc_sanctions" / "versions" / "00000001" / SNAPSHOT_FILE).stat().st_size
    assert size < len(xml)


def test_open_store_picks_embedded_without_redis_url(tmp_path: Path) -> None:
    assert isinstance(open_store(tmp_path / "d", None), EmbeddedStore)


@pytest.mark.parametrize(("fsync", "synchronous"), [(True, 2), (False, 1)])  # SQLite: 2 = FULL, 1 = NORMAL
def test_audit_commits_wait_for_the_disk_unless_the_operator_chose_otherwise(
    tmp_path: Path, fsync: bool, synchronous: int
) -> None:
    store = open_store(tmp_path, audit_fsync=fsync)
    store.write_audit({"screening_id": "scr_1", "hits": []})
    assert store.read_audit("scr_1") is not None
    assert isinstance(store, EmbeddedStore)
    assert store._audit_db().execute("PRAGMA synchronous").fetchone()[0] == synchronous
    spool = AuditSpool(tmp_path / "spool.sqlite3", fsync=fsync)  # the Redis store's outage spool
    spool.append([("scr_2", b"{}")])
    db = spool._conn(create=False)
    assert db is not None and db.execute("PRAGMA synchronous").fetchone()[0] == synchronous
    spool.close()
    store.close()


# --- audit writes: one statement per group, so no process holds SQLite's write lock while it waits for the GIL ---


def traced(store: EmbeddedStore) -> list[str]:
    """The SQL statements the store's audit connection runs from now on, each once (a trigger's steps inside a
    statement are traced with that statement's text)."""
    seen: list[str] = []
    store._audit_db().set_trace_callback(lambda sql: None if seen and seen[-1] == sql else seen.append(sql))
    return seen


def test_an_audit_group_is_one_statement_with_no_transaction_around_it(tmp_path: Path) -> None:
    """BEGIN, INSERT, UPDATE, COMMIT held the lock across three returns to Python; one autocommit INSERT holds it
    only inside SQLite (write_audits says what that cost)."""
    store = EmbeddedStore(tmp_path)
    seen = traced(store)
    store.write_audits([{"screening_id": f"g{i}", "hits": []} for i in range(5)])
    assert len(seen) == 1 and seen[0].startswith("INSERT OR IGNORE INTO audit")
    assert store.audit_stats().records == 5
    assert [e.record["screening_id"] for e in store.export_audit()] == [f"g{i}" for i in range(5)]
    store.close()


def test_a_group_over_the_variable_limit_is_written_in_several_statements(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    store._audit_db().setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 9)  # three records per statement
    seen = traced(store)
    store.write_audits([{"screening_id": f"c{i}"} for i in range(7)])
    assert len(seen) == 3
    assert [e.record["screening_id"] for e in store.export_audit()] == [f"c{i}" for i in range(7)]
    assert store.audit_stats().records == 7
    store.close()


def test_a_trail_written_by_an_earlier_release_keeps_its_count(tmp_path: Path) -> None:
    """Earlier releases kept the count in their own UPDATE statements and had no triggers; the count they left
    is carried on by the triggers, through writes, duplicates and pruning."""
    db = sqlite3.connect(tmp_path / "audit.sqlite3")
    db.executescript(
        "CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, screening_id TEXT NOT NULL UNIQUE,"
        " created_at TEXT NOT NULL, record BLOB NOT NULL);"
        "CREATE TABLE audit_state (id INTEGER PRIMARY KEY CHECK (id = 1), records INTEGER NOT NULL,"
        " watermark INTEGER, watermark_stored_at TEXT);"
        "INSERT INTO audit (screening_id, created_at, record) VALUES"
        " ('old1', '2026-01-01T00:00:00.000000+00:00', '{\"screening_id\": \"old1\"}'),"
        " ('old2', '2026-01-01T00:00:00.000000+00:00', '{\"screening_id\": \"old2\"}');"
        "INSERT INTO audit_state (id, records) VALUES (1, 2);"
    )
    db.close()
    store = EmbeddedStore(tmp_path)
    assert store.audit_stats().records == 2
    store.write_audits([{"screening_id": "old2"}, {"screening_id": "new1"}, {"screening_id": "new2"}])
    assert store.audit_stats().records == 4
    entries = list(store.export_audit())
    assert store.mark_exported(entries[0].cursor, entries[1].cursor)
    assert store.prune_audit(datetime(2026, 6, 1, tzinfo=UTC)).removed == 2
    assert store.audit_stats().records == 2
    assert [e.record["screening_id"] for e in store.export_audit()] == ["new1", "new2"]
    store.close()


def _write_groups(data_dir: str, prefix: str, groups: int) -> None:
    store = EmbeddedStore(Path(data_dir))
    for g in range(groups):
        store.write_audits([{"screening_id": f"{prefix}-{g}-{i}"} for i in range(3)])
    store.close()


def test_processes_writing_the_trail_at_once_lose_and_miscount_nothing(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path).close()  # the tables exist before the writers race
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_groups, args=(str(tmp_path), f"w{n}", 150)) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    store = EmbeddedStore(tmp_path)
    ids = [e.record["screening_id"] for e in store.export_audit()]
    assert len(ids) == len(set(ids)) == 3 * 150 * 3
    assert store.audit_stats().records == 3 * 150 * 3
    store.close()
