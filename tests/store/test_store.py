"""The Store contract, one module for every backend: add a backend to BACKENDS and a branch to `open_backend`."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.errors import StoreError
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
from service.store.base import Store, iter_snapshots
from service.store.embedded import EmbeddedStore
from service.store.redis_ import RedisStore
from tests.conftest import fixture_file_record, read_fixture_files
from tests.store.redis_server import contract_prefix, shared_url

# Hook for other backends: the Redis store adds "redis" here and a branch in open_backend().
BACKENDS = ["embedded", "redis"]


def open_backend(kind: str, tmp_path: Path, *, audit_retention: int = 1_000_000) -> Store:
    """A fresh, empty store of `kind`; a second call with the same tmp_path opens the same store again."""
    if kind == "embedded":
        return EmbeddedStore(tmp_path / "data", audit_retention=audit_retention)
    if kind == "redis":
        return RedisStore(shared_url(), prefix=contract_prefix(tmp_path), audit_retention=audit_retention)
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


def test_store_audit_retention_drops_oldest(backend: str, tmp_path: Path) -> None:
    store = open_backend(backend, tmp_path, audit_retention=10)
    try:
        for i in range(30):
            store.write_audit({"screening_id": f"scr_{i}", "n": i})
        assert store.read_audit("scr_29") == {"screening_id": "scr_29", "n": 29}
        assert store.read_audit("scr_20") is not None
        assert store.read_audit("scr_0") is None
    finally:
        store.close()


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
            assert held is True
            with other.sync_lock(ttl_s=30, wait_s=0) as second:
                assert second is False
        with other.sync_lock(ttl_s=30) as after:
            assert after is True
    finally:
        other.close()


def test_store_sync_lock_waits_for_release(store: Store, backend: str, tmp_path: Path) -> None:
    other = open_backend(backend, tmp_path)
    released = threading.Event()
    got: list[bool] = []

    def contender() -> None:
        with other.sync_lock(ttl_s=30, wait_s=10) as held:
            got.append(held)
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
