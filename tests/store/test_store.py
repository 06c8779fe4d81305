"""The Store contract, one module for every backend: add a backend to BACKENDS and a branch to `open_backend`."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.errors import LockLostError, StoreError
from service.model import (
    DateSpec,
    Entity,
    EntityKind,
    Identifier,
    IdentifierType,
    ListStatus,
    Name,
    NameQuality,
    NameType,
    Snapshot,
    SnapshotDiff,
    SourceRecord,
    SyncState,
)
from service.store.base import NOT_HELD, PruneResult, Store, iter_snapshots
from service.store.embedded import EmbeddedStore
from service.store.redis_ import RedisStore
from tests.conftest import fixture_file_record, read_fixture_files
from tests.store.redis_server import contract_prefix, shared_url

# Hook for other backends: the Redis store adds "redis" here and a branch in open_backend().
BACKENDS = ["embedded", "redis"]


def open_backend(kind: str, tmp_path: Path) -> Store:
    """A fresh, empty store of `kind`; a second call with the same tmp_path opens the same store again."""
    if kind == "embedded":
        return EmbeddedStore(tmp_path / "data")
    if kind == "redis":
        return RedisStore(shared_url(), prefix=contract_prefix(tmp_path), spool_path=tmp_path / "spool.sqlite3")
    raise AssertionError(f"unknown backend {kind}")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    s = open_backend(backend, tmp_path)
    yield s
    s.close()


def entity(list_id: str, n: int, tag: str = "") -> Entity:
    return Entity(
        id=f"{list_id}:{n}",
        list_id=list_id,
        kind=EntityKind.PERSON,
        name=Name(f"PERSON {n} {tag}".strip(), given="PERSON", family=str(n)),
        aliases=(Name(f"Лицо {n}", type=NameType.AKA, quality=NameQuality.WEAK, script="Cyrl"),),
        identifiers=(Identifier(IdentifierType.PASSPORT, f"P{n:07d}", country="RU"),),
        birth_dates=(DateSpec("1962-11-23"),),
        programs=("TEST",),
        source=SourceRecord(list_id, str(n), fields={"row": n}),
    )


def snapshot(list_id: str, version: str, n: int, tag: str = "") -> Snapshot:
    return Snapshot(
        list_id=list_id,
        version=version,
        entities=tuple(entity(list_id, i, tag or version) for i in range(n)),
        published_at=None,
        fetched_at="2026-11-26T10:00:00Z",
        files_sha256=(("a.csv", hashlib.sha256(version.encode()).hexdigest()),),
    )


def status(list_id: str, version: str, n: int, state: SyncState = SyncState.OK) -> ListStatus:
    return ListStatus(
        id=list_id,
        version=version,
        fetched_at="2026-11-26T10:00:00Z",
        checked_at="2026-11-26T10:00:00Z",
        entities=n,
        status=state,
        title="Test list",
    )


def publish(store: Store, list_id: str, version: str, n: int, diff: SnapshotDiff | None = None) -> Snapshot:
    snap = snapshot(list_id, version, n)
    store.publish(snap, {"a.csv": version.encode()}, status(list_id, version, n), diff)
    return snap


def test_store_empty_has_nothing(store: Store) -> None:
    assert store.get_status("x_list") is None
    assert store.all_statuses() == {}
    assert store.load_snapshot("x_list") is None
    assert store.load_raw("x_list") == {}
    assert store.get_validators("x_list") == {}
    assert store.diffs("x_list") == []
    assert store.read_audit("nope") is None


def test_store_publish_round_trips_snapshot_status_and_raw(store: Store) -> None:
    snap = publish(store, "x_list", "v1", 25)
    assert store.load_snapshot("x_list") == snap
    assert store.get_status("x_list") == status("x_list", "v1", 25)
    assert store.all_statuses() == {"x_list": status("x_list", "v1", 25)}
    assert store.load_raw("x_list") == {"a.csv": b"v1"}
    assert [s.list_id for s in iter_snapshots(store, ["x_list", "y_list"])] == ["x_list"]


def test_store_keeps_real_raw_files_byte_for_byte(store: Store, backend: str, tmp_path: Path) -> None:
    files = read_fixture_files("us_ofac_sdn")
    assert sorted(files) == ["add.csv", "alt.csv", "sdn.csv", "sdn_comments.csv"]
    store.publish(snapshot("us_ofac_sdn", "v1", 3), files, status("us_ofac_sdn", "v1", 3), None)
    again = open_backend(backend, tmp_path)
    raw = again.load_raw("us_ofac_sdn")
    # tests/fixtures/mirror/MIRROR.json: the excerpt of ofac/sdn_csv_2024-05-03/sdn.csv
    assert hashlib.sha256(raw["sdn.csv"]).hexdigest() == fixture_file_record("us_ofac_sdn", "sdn.csv")["sha256"]
    assert raw == files


def test_store_publish_replaces_previous_version(store: Store) -> None:
    publish(store, "x_list", "v1", 5)
    new = publish(store, "x_list", "v2", 7)
    assert store.load_snapshot("x_list") == new
    assert store.load_raw("x_list") == {"a.csv": b"v2"}
    status_now = store.get_status("x_list")
    assert status_now is not None and status_now.version == "v2" and status_now.entities == 7


def test_store_lists_are_independent(store: Store) -> None:
    a = publish(store, "a_list", "v1", 3)
    b = publish(store, "b_list", "v9", 4)
    assert store.load_snapshot("a_list") == a
    assert store.load_snapshot("b_list") == b
    assert set(store.all_statuses()) == {"a_list", "b_list"}


def test_store_put_status_leaves_snapshot_alone(store: Store) -> None:
    snap = publish(store, "x_list", "v1", 5)
    failed = ListStatus(id="x_list", version="v1", entities=5, status=SyncState.FAILED, error="fetch: HTTP 500")
    store.put_status(failed)
    assert store.get_status("x_list") == failed
    assert store.load_snapshot("x_list") == snap
    # A status for a list never published is kept too (a first sync that failed).
    never = ListStatus(id="new_list", status=SyncState.FAILED, error="fetch: HTTP 404")
    store.put_status(never)
    assert store.get_status("new_list") == never
    assert store.load_snapshot("new_list") is None


def test_store_generation_changes_on_every_publish(store: Store) -> None:
    seen = {store.generation()}
    for version in ("v1", "v2", "v3"):
        publish(store, "x_list", version, 2)
        seen.add(store.generation())
    publish(store, "y_list", "v1", 2)
    seen.add(store.generation())
    assert len(seen) == 5
    gen = store.generation()
    store.put_status(status("x_list", "v3", 2, SyncState.UNCHANGED))
    assert store.generation() == gen  # a status alone publishes nothing


def test_store_validators_round_trip(store: Store) -> None:
    validators = {
        "sdn.csv": {"etag": '"abc"', "last_modified": "Tue, 03 May 2024 18:43:00 GMT"},
        "_parser": {"fingerprint": "0123"},
    }
    store.put_validators("us_ofac_sdn", validators)
    assert store.get_validators("us_ofac_sdn") == validators
    store.put_validators("us_ofac_sdn", {"sdn.csv": {"etag": '"def"'}})
    assert store.get_validators("us_ofac_sdn") == {"sdn.csv": {"etag": '"def"'}}


def test_store_diffs_newest_first_and_bounded(store: Store) -> None:
    for i in range(1, 53):
        diff = SnapshotDiff("x_list", f"v{i - 1}" if i > 1 else None, f"v{i}", (f"x_list:{i}",), (), ())
        publish(store, "x_list", f"v{i}", 1, diff)
    diffs = store.diffs("x_list", limit=1000)
    assert 50 <= len(diffs) <= 100  # each backend keeps at least the last 50
    assert [d.new_version for d in diffs[:3]] == ["v52", "v51", "v50"]
    assert diffs[0].added == ("x_list:52",)
    assert len(store.diffs("x_list", limit=5)) == 5


def test_store_audit_round_trips(store: Store) -> None:
    record = {"screening_id": "scr_1", "screened_at": "2026-11-26T10:00:00Z", "hits": [{"entity_id": "x:1"}]}
    store.write_audit(record)
    assert store.read_audit("scr_1") == record
    assert store.read_audit("scr_2") is None


def test_store_audit_needs_a_screening_id(store: Store) -> None:
    with pytest.raises((StoreError, ValueError)):
        store.write_audit({"hits": []})


def test_store_audit_survives_reopen(backend: str, tmp_path: Path) -> None:
    first = open_backend(backend, tmp_path)
    first.write_audit({"screening_id": "scr_keep", "n": 1})
    first.close()
    second = open_backend(backend, tmp_path)
    try:
        assert second.read_audit("scr_keep") == {"screening_id": "scr_keep", "n": 1}
    finally:
        second.close()


def test_store_sync_lock_is_exclusive(store: Store, backend: str, tmp_path: Path) -> None:
    other = open_backend(backend, tmp_path)
    try:
        with store.sync_lock(ttl_s=30) as held:
            assert held and held.token
            with other.sync_lock(ttl_s=30, wait_s=0) as second:
                assert not second and second.token is None
        with other.sync_lock(ttl_s=30) as after:
            assert after and after.token != held.token
    finally:
        other.close()


def test_store_sync_lock_waits_for_release(store: Store, backend: str, tmp_path: Path) -> None:
    other = open_backend(backend, tmp_path)
    released = threading.Event()
    got: list[bool] = []

    def contender() -> None:
        with other.sync_lock(ttl_s=30, wait_s=10) as held:
            got.append(bool(held))
            got.append(released.is_set())

    try:
        with store.sync_lock(ttl_s=30) as held:
            assert held
            t = threading.Thread(target=contender)
            t.start()
            t.join(0.3)
            assert t.is_alive()  # still waiting
            released.set()
        t.join(10)
        assert got == [True, True]
    finally:
        other.close()


def test_store_snapshot_seen_by_a_second_instance(store: Store, backend: str, tmp_path: Path) -> None:
    reader = open_backend(backend, tmp_path)
    try:
        snap = publish(store, "x_list", "v1", 4)
        assert reader.load_snapshot("x_list") == snap
        gen = reader.generation()
        newer = publish(store, "x_list", "v2", 6)
        assert reader.generation() != gen
        assert reader.load_snapshot("x_list") == newer
    finally:
        reader.close()


# --- fencing: a lease the store no longer honours writes nothing -------------------------------------------------


def test_store_fenced_publish_with_the_held_lease_goes_through(store: Store) -> None:
    with store.sync_lock(ttl_s=30) as lease:
        assert lease
        snap = snapshot("x_list", "v1", 3)
        store.publish(snap, {"a.csv": b"v1"}, status("x_list", "v1", 3), None, fence=lease)
        store.put_status(status("x_list", "v1", 3, SyncState.UNCHANGED), fence=lease)
        store.put_validators("x_list", {"a.csv": {"etag": '"1"'}}, fence=lease)
    assert store.load_snapshot("x_list") == snap
    assert store.get_validators("x_list") == {"a.csv": {"etag": '"1"'}}


def test_store_refuses_writes_fenced_by_a_lease_it_no_longer_honours(
    store: Store, backend: str, tmp_path: Path
) -> None:
    publish(store, "x_list", "v1", 3)
    with store.sync_lock(ttl_s=30) as stale:
        assert stale
    other = open_backend(backend, tmp_path)
    try:
        with other.sync_lock(ttl_s=30) as current:
            assert current
            gen = store.generation()
            # The first worker's lease ended (as if it had expired) and another worker holds the lock now.
            with pytest.raises(LockLostError):
                store.publish(
                    snapshot("x_list", "v2", 5), {"a.csv": b"v2"}, status("x_list", "v2", 5), None, fence=stale
                )
            with pytest.raises(LockLostError):
                store.put_status(status("x_list", "v2", 5, SyncState.FAILED), fence=stale)
            with pytest.raises(LockLostError):
                store.put_validators("x_list", {"a.csv": {"etag": '"2"'}}, fence=stale)
            with pytest.raises(LockLostError):
                store.publish(
                    snapshot("x_list", "v3", 5), {"a.csv": b"v3"}, status("x_list", "v3", 5), None, fence=NOT_HELD
                )
            loaded = store.load_snapshot("x_list")
            assert loaded is not None and loaded.version == "v1"
            assert store.get_status("x_list") == status("x_list", "v1", 3)
            assert store.get_validators("x_list") == {}
            assert store.generation() == gen
            # The holder's own fenced publish goes through.
            other.publish(snapshot("x_list", "v4", 2), {"a.csv": b"v4"}, status("x_list", "v4", 2), None, fence=current)
        newest = store.load_snapshot("x_list")
        assert newest is not None and newest.version == "v4"
    finally:
        other.close()


# --- the audit trail: idempotent writes, ordered resumable export, retention only of what was exported ------------


def write_records(store: Store, ids: list[str]) -> None:
    store.write_audits([{"screening_id": sid, "n": i} for i, sid in enumerate(ids)])


def test_store_audit_write_is_idempotent_on_the_screening_id(store: Store) -> None:
    store.write_audit({"screening_id": "dup", "version": 1})
    store.write_audits([{"screening_id": "dup", "version": 2}, {"screening_id": "other", "version": 1}])
    assert store.read_audit("dup") == {"screening_id": "dup", "version": 1}  # a record is never replaced
    exported = [e.record["screening_id"] for e in store.export_audit()]
    assert exported == ["dup", "other"]
    assert store.audit_stats().records == 2


def test_store_audit_export_streams_in_order_and_resumes_after_a_cursor_or_id(store: Store) -> None:
    ids = [f"scr_{i:04d}" for i in range(2500)]  # more than one export batch
    for i in range(0, len(ids), 500):
        write_records(store, ids[i : i + 500])
    entries = list(store.export_audit())
    assert [e.record["screening_id"] for e in entries] == ids
    assert entries[7].record == {"screening_id": "scr_0007", "n": 7}
    assert all(e.stored_at.startswith("20") for e in entries)
    # Continue after a cursor, or after a screening id (resolved to its cursor).
    cursor = entries[1199].cursor
    assert store.audit_cursor(cursor) == cursor
    assert store.audit_cursor("scr_1199") == cursor
    assert store.audit_cursor("no-such-id") is None
    rest = [e.record["screening_id"] for e in store.export_audit(after=cursor)]
    assert rest == ids[1200:]
    assert list(store.export_audit(after=entries[-1].cursor)) == []


def test_store_audit_export_by_time_range(store: Store) -> None:
    write_records(store, ["early_1", "early_2"])
    time.sleep(0.01)  # the stores time records to the millisecond: the two groups get distinct times
    middle = datetime.now(UTC)
    time.sleep(0.01)
    write_records(store, ["late_1", "late_2"])
    assert [e.record["screening_id"] for e in store.export_audit(since=middle)] == ["late_1", "late_2"]
    assert [e.record["screening_id"] for e in store.export_audit(until=middle)] == ["early_1", "early_2"]
    assert list(store.export_audit(since=middle + timedelta(days=1))) == []


def test_store_audit_watermark_moves_only_over_a_contiguous_export(store: Store) -> None:
    write_records(store, [f"a{i}" for i in range(10)])
    entries = list(store.export_audit())
    assert store.audit_stats().watermark is None
    # An export that skipped the first records covers nothing yet.
    assert not store.mark_exported(entries[3].cursor, entries[9].cursor)
    assert store.audit_stats().watermark is None
    assert store.mark_exported(entries[0].cursor, entries[4].cursor)
    stats = store.audit_stats()
    assert stats.watermark == entries[4].cursor and stats.watermark_stored_at == entries[4].stored_at
    assert not store.mark_exported(entries[6].cursor, entries[9].cursor)  # a gap after the watermark
    assert store.mark_exported(entries[5].cursor, entries[9].cursor)
    assert not store.mark_exported(entries[0].cursor, entries[2].cursor)  # never backwards
    assert store.audit_stats().watermark == entries[9].cursor


def test_store_audit_prune_removes_only_exported_records(store: Store) -> None:
    write_records(store, [f"p{i}" for i in range(30)])
    entries = list(store.export_audit())
    later = datetime.now(UTC) + timedelta(seconds=1)  # every record counts as past the retention
    nothing = store.prune_audit(later)
    assert nothing.removed == 0 and nothing.held_back_since == entries[0].stored_at  # never exported: all kept
    assert store.read_audit("p0") is not None
    assert store.mark_exported(entries[0].cursor, entries[19].cursor)
    result = store.prune_audit(later)
    assert result.removed == 20
    assert result.held_back_since == entries[20].stored_at
    assert store.read_audit("p19") is None and store.audit_cursor("p19") is None
    assert store.read_audit("p20") == {"screening_id": "p20", "n": 20}
    assert [e.record["screening_id"] for e in store.export_audit()] == [f"p{i}" for i in range(20, 30)]
    assert store.audit_stats().records == 10
    # Records younger than the retention stay even when exported.
    assert store.mark_exported(entries[20].cursor, entries[29].cursor)
    assert store.prune_audit(datetime.now(UTC) - timedelta(days=1)) == PruneResult(0, None)
    assert store.audit_stats().records == 10
    assert store.prune_audit(later) == PruneResult(10, None)
    assert store.audit_stats().records == 0


def test_store_audit_stats_count_and_size(store: Store) -> None:
    empty = store.audit_stats()
    assert empty.records == 0 and empty.spooled == 0 and empty.watermark is None
    write_records(store, [f"s{i}" for i in range(50)])
    stats = store.audit_stats()
    assert stats.records == 50
    assert stats.bytes is not None and stats.bytes > 50 * 20


def test_seeded_snapshots_are_served_until_their_list_changes(store: Store, backend: str, tmp_path: Path) -> None:
    """A process that loaded the matcher cache hands its entities back as the snapshots: load_snapshot returns them
    (no decoding) for a list still at that generation, and decodes a list a publish changed."""
    publish(store, "a_list", "v1", 2)
    publish(store, "b_list", "v1", 3)
    reader = open_backend((store.__class__ is EmbeddedStore and "embedded") or "redis", tmp_path)  # a new process
    try:
        seeded = [snapshot("a_list", "v1", 2), snapshot("b_list", "v1", 3)]
        reader.seed_snapshots(reader.generation(), seeded)
        assert reader.load_snapshot("a_list") is seeded[0] and reader.load_snapshot("b_list") is seeded[1]
        publish(store, "b_list", "v2", 4)
        assert reader.load_snapshot("a_list") is seeded[0]
        changed = reader.load_snapshot("b_list")
        assert changed is not None and changed.version == "v2" and len(changed.entities) == 4
    finally:
        reader.close()


def test_seeding_a_past_generation_keeps_nothing(store: Store, backend: str, tmp_path: Path) -> None:
    publish(store, "a_list", "v1", 2)
    reader = open_backend((store.__class__ is EmbeddedStore and "embedded") or "redis", tmp_path)
    try:
        past = reader.generation()
        publish(store, "a_list", "v2", 3)
        reader.seed_snapshots(past, [snapshot("a_list", "v1", 2)])  # a state built before the publish
        loaded = reader.load_snapshot("a_list")
        assert loaded is not None and loaded.version == "v2" and len(loaded.entities) == 3
    finally:
        reader.close()
