"""RedisStore against a real Redis: atomic publish, chunking, expiry, notifications, audit bounds, the lock."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from service.errors import LockLostError, StoreError
from service.model import Entity, EntityKind, ListStatus, Name, Snapshot, SnapshotDiff, SyncState
from service.store.redis_ import DIFFS_KEPT, RedisStore
from tests.conftest import fixture_file_record, read_fixture_files
from tests.store.redis_server import RedisServer, drop_prefix, free_port, shared_url, unique_prefix

ROOT = Path(__file__).resolve().parents[2]


def snapshot(list_id: str, version: str, n: int) -> Snapshot:
    """A snapshot whose entity count is encoded in its version, so a reader can tell a torn one."""
    ents = tuple(
        Entity(id=f"{list_id}:{i}", list_id=list_id, kind=EntityKind.PERSON, name=Name(f"PERSON {version} {i}"))
        for i in range(n)
    )
    return Snapshot(list_id=list_id, version=version, entities=ents, fetched_at="2026-11-26T00:00:00Z")


def status(list_id: str, version: str, n: int) -> ListStatus:
    return ListStatus(id=list_id, version=version, entities=n, status=SyncState.OK)


def publish(store: RedisStore, list_id: str, version: str, n: int, raw: dict[str, bytes] | None = None) -> None:
    store.publish(snapshot(list_id, version, n), raw or {"f.csv": version.encode()}, status(list_id, version, n), None)


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> Iterator[str]:
    p = unique_prefix(request.node.name.replace("[", "_").replace("]", "_"))
    yield p
    drop_prefix(shared_url(), p)


@pytest.fixture
def store(prefix: str) -> Iterator[RedisStore]:
    s = RedisStore(shared_url(), prefix=prefix, grace_s=2.0)
    yield s
    s.close()


def keys(prefix: str, pattern: str = "*") -> list[str]:
    r = redis.Redis.from_url(shared_url())
    try:
        return sorted(k.decode() for k in r.scan_iter(match=prefix + pattern, count=1000))
    finally:
        r.close()


def test_redis_store_keeps_real_raw_files_byte_for_byte(store: RedisStore) -> None:
    files = read_fixture_files("un_sc_sanctions")
    assert set(files) == {"consolidated.xml"}
    digest = hashlib.sha256(files["consolidated.xml"]).hexdigest()
    record = fixture_file_record("un_sc_sanctions", "consolidated.xml")
    assert (len(files["consolidated.xml"]), digest) == (record["bytes"], record["sha256"])
    snap = snapshot("un_sc_sanctions", "2026-02-27", 3)
    store.publish(snap, files, status("un_sc_sanctions", "2026-02-27", 3), None)
    fresh = RedisStore(shared_url(), prefix=store.prefix)
    raw = fresh.load_raw("un_sc_sanctions")
    assert hashlib.sha256(raw["consolidated.xml"]).hexdigest() == digest
    assert fresh.load_snapshot("un_sc_sanctions") == snap
    assert fresh.load_raw("eu_fsf") == {}


def test_redis_store_chunks_large_values(prefix: str) -> None:
    store = RedisStore(shared_url(), prefix=prefix, chunk_bytes=1024)
    files = read_fixture_files("us_ofac_cons")
    snap = snapshot("us_ofac_cons", "v1", 2000)
    store.publish(snap, files, status("us_ofac_cons", "v1", 2000), None)
    assert len(keys(prefix, "v:us_ofac_cons:*:snap:*")) > 1
    # cons_prim.csv (about 16 kB, under 3 kB compressed) must span several 1 kB chunks and come back whole
    assert len(keys(prefix, "v:us_ofac_cons:*:raw:*")) > len(files)
    fresh = RedisStore(shared_url(), prefix=prefix, chunk_bytes=1024)
    assert fresh.load_snapshot("us_ofac_cons") == snap
    assert fresh.load_raw("us_ofac_cons") == files
    assert (
        len(fresh.load_raw("us_ofac_cons")["cons_prim.csv"])
        == fixture_file_record("us_ofac_cons", "cons_prim.csv")["bytes"]
    )


def test_redis_store_publish_bumps_generation_and_status(store: RedisStore) -> None:
    g0 = store.generation()
    assert g0.endswith(".0") and store.generation() == g0  # "<epoch>.<publishes>", stable while nothing happens
    assert store.load_snapshot("a") is None
    publish(store, "a", "v1", 5)
    g1 = store.generation()
    publish(store, "b", "v1", 7)
    assert store.generation() != g1
    assert store.get_status("a") == status("a", "v1", 5)
    assert set(store.all_statuses()) == {"a", "b"}
    loaded = store.load_snapshot("b")
    assert loaded is not None and len(loaded.entities) == 7


def test_redis_store_old_version_expires_after_grace_new_one_persists(prefix: str) -> None:
    store = RedisStore(shared_url(), prefix=prefix, grace_s=0.3)
    publish(store, "a", "v1", 3)
    first = keys(prefix, "v:a:*")
    publish(store, "a", "v2", 4)
    r = redis.Redis.from_url(shared_url())
    try:
        assert first and all(0 < r.pttl(k) <= 300 for k in first)
        time.sleep(0.5)
        assert not any(r.exists(k) for k in first)
        live = keys(prefix, "v:a:*")
        assert live and all(r.ttl(k) == -1 for k in live)  # the live version never expires
    finally:
        r.close()
    loaded = store.load_snapshot("a")
    assert loaded is not None and loaded.version == "v2"


def test_redis_store_failed_flip_keeps_old_snapshot_and_leftovers_expire(
    prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RedisStore(shared_url(), prefix=prefix, pending_ttl_s=30)
    publish(store, "a", "v1", 3)
    gen = store.generation()

    def die(*args: object, **kwargs: object) -> None:
        raise redis.ConnectionError("injected: connection lost before the flip")

    monkeypatch.setattr(store, "_flip_pointer", die)
    with pytest.raises(StoreError):
        publish(store, "a", "v2", 4)
    fresh = RedisStore(shared_url(), prefix=prefix)
    loaded = fresh.load_snapshot("a")
    assert loaded is not None and loaded.version == "v1" and len(loaded.entities) == 3
    assert fresh.generation() == gen
    r = redis.Redis.from_url(shared_url())
    try:
        ttls = [r.ttl(k) for k in keys(prefix, "v:a:*")]
    finally:
        r.close()
    # v1's keys persist; v2's leftovers carry the pending TTL and vanish by themselves
    assert sorted(t for t in ttls if t != -1) and all(0 < t <= 30 for t in ttls if t != -1)


def test_redis_store_flip_refuses_a_version_without_meta(store: RedisStore) -> None:
    publish(store, "a", "v1", 3)
    with pytest.raises(redis.ResponseError, match="NOVERSION"):
        store._flip_pointer("a", "0-missing", "v9", status("a", "v9", 1), None)
    loaded = store.load_snapshot("a")
    assert loaded is not None and loaded.version == "v1"


def test_redis_store_readers_never_see_a_torn_snapshot(prefix: str) -> None:
    writer = RedisStore(shared_url(), prefix=prefix, chunk_bytes=2048, grace_s=5)
    publish(writer, "a", "v100", 100)
    seen: set[str] = set()
    errors: list[str] = []
    done = threading.Event()

    def read() -> None:
        reader = RedisStore(shared_url(), prefix=prefix, chunk_bytes=2048)
        while not done.is_set():
            snap = reader.load_snapshot("a")
            assert snap is not None
            n = int(snap.version[1:])
            if len(snap.entities) != n or snap.entities[-1].name.full != f"PERSON {snap.version} {n - 1}":
                errors.append(snap.version)
            seen.add(snap.version)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for n in range(101, 131):
            publish(writer, "a", f"v{n}", n)
    finally:
        done.set()
        for t in readers:
            t.join(10)
    assert not errors
    assert len(seen) > 1  # the readers really raced the writer


# A worker process that writes a new version slowly (small chunks, a pause per chunk) and dies by SIGKILL at
# the moment the test chooses: mid-chunks, or after every chunk and the meta are written but before the flip.
_WORKER = textwrap.dedent(
    """
    import os, signal, sys, time
    sys.path.insert(0, {root!r})
    from tests.store.test_redis import publish
    from service.store.redis_ import RedisStore

    store = RedisStore({url!r}, prefix={prefix!r}, chunk_bytes=1024)
    mode = sys.argv[1]
    if mode == "before-flip":
        store._flip_pointer = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    else:
        real = store._write_blob
        def slow(pipe, *a, **k):
            out = real(pipe, *a, **k)
            pipe.execute()  # push this blob's chunks now, as a slow worker would
            time.sleep(0.2)
            return out
        store._write_blob = slow
    print("ready", flush=True)
    publish(store, "a", "v500", 500, raw={{"big.bin": os.urandom(200_000), "small.bin": b"x"}})
    """
)


@pytest.mark.parametrize("mode", ["mid-chunks", "before-flip"])
def test_redis_store_worker_killed_mid_publish_is_invisible(prefix: str, mode: str) -> None:
    store = RedisStore(shared_url(), prefix=prefix, chunk_bytes=1024)
    publish(store, "a", "v10", 10)
    gen = store.generation()
    script = _WORKER.format(root=str(ROOT), url=shared_url(), prefix=prefix)
    proc = subprocess.Popen([sys.executable, "-c", script, mode], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            snap = store.load_snapshot("a")
            assert snap is not None and snap.version == "v10" and len(snap.entities) == 10
            if mode == "mid-chunks" and keys(prefix, "v:a:*:raw:*"):
                proc.kill()  # the snapshot chunks are written, the raw files are on their way
            time.sleep(0.01)
        proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -9
    assert len(keys(prefix, "v:a:*:meta")) == (2 if mode == "before-flip" else 1)
    fresh = RedisStore(shared_url(), prefix=prefix)
    snap = fresh.load_snapshot("a")
    assert snap is not None and snap.version == "v10" and len(snap.entities) == 10
    assert fresh.load_raw("a") == {"f.csv": b"v10"}
    assert fresh.generation() == gen
    publish(fresh, "a", "v11", 11)  # the next worker publishes normally over the leftovers
    assert (fresh.load_snapshot("a") or snapshot("a", "x", 0)).version == "v11"


def test_redis_store_diffs_newest_first_and_capped(store: RedisStore) -> None:
    for n in range(DIFFS_KEPT + 5):
        diff = SnapshotDiff("a", f"v{n}" if n else None, f"v{n + 1}", (f"a:{n}",), (), ())
        store.publish(snapshot("a", f"v{n + 1}", 1), {}, status("a", f"v{n + 1}", 1), diff)
    got = store.diffs("a", limit=1000)
    assert len(got) == DIFFS_KEPT
    assert got[0].new_version == f"v{DIFFS_KEPT + 5}" and got[0].added == (f"a:{DIFFS_KEPT + 4}",)
    assert [d.new_version for d in store.diffs("a", limit=2)] == [f"v{DIFFS_KEPT + 5}", f"v{DIFFS_KEPT + 4}"]
    assert store.diffs("b") == []


def test_redis_store_validators_round_trip(store: RedisStore) -> None:
    v = {"sdn.csv": {"etag": '"abc"', "last_modified": "Tue, 03 May 2024 10:00:00 GMT"}}
    store.put_validators("us_ofac_sdn", v)
    assert store.get_validators("us_ofac_sdn") == v
    assert store.get_validators("eu_fsf") == {}


def test_redis_store_notifies_subscribers_of_each_publish(store: RedisStore) -> None:
    got: list[str] = []
    sub = store.subscribe_changes(got.append, poll_s=0.1)
    try:
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:  # the first call reports the current generation
            time.sleep(0.01)
        epoch = got[0].split(".")[0]
        assert got == [f"{epoch}.0"]
        publish(store, "a", "v1", 1)
        publish(store, "a", "v2", 2)
        while len(got) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert got == [f"{epoch}.0", f"{epoch}.1", f"{epoch}.2"]
        assert store.generation() == got[-1]
    finally:
        sub.stop()
    assert not sub.alive


def test_redis_store_subscription_survives_a_redis_restart() -> None:
    with RedisServer() as server:
        store = RedisStore(server.url, connect_timeout_s=0.5)
        got: list[str] = []
        sub = store.subscribe_changes(got.append, poll_s=0.1)
        try:
            deadline = time.monotonic() + 10
            while not got and time.monotonic() < deadline:
                time.sleep(0.01)
            server.stop()
            time.sleep(0.3)
            server.start()  # same port, empty: this Redis keeps nothing on disk
            publish(store, "a", "v1", 1)  # before or after the subscriber is back: it must learn of it either way
            after = store.generation()
            while after not in got and time.monotonic() < deadline:
                time.sleep(0.05)
            assert after in got
            # The emptied Redis started a new epoch: its first publish is not mistaken for one served before.
            assert after.endswith(".1") and after.split(".")[0] != got[0].split(".")[0]
        finally:
            sub.stop()


def test_redis_store_audit_is_never_trimmed_by_count(prefix: str) -> None:
    store = RedisStore(shared_url(), prefix=prefix)
    for i in range(230):
        store.write_audit({"screening_id": f"s{i}", "hits": i})
    assert store.audit_count() == 230
    assert store.read_audit("s0") == {"screening_id": "s0", "hits": 0}
    assert store.read_audit("s229") == {"screening_id": "s229", "hits": 229}
    r = redis.Redis.from_url(shared_url())
    try:
        assert r.hlen(f"{prefix}audit:index") == 230
    finally:
        r.close()
    assert store.read_audit("nope") is None


def test_redis_store_spools_audit_while_redis_is_down_and_replays_in_order(tmp_path: Path) -> None:
    with RedisServer() as server:
        store = RedisStore(server.url, connect_timeout_s=0.3, timeout_s=1, spool_path=tmp_path / "spool.sqlite3")
        store.write_audit({"screening_id": "before"})
        assert not (tmp_path / "spool.sqlite3").exists()  # no outage, no spool file
        server.stop()
        assert not store.ping()
        started = time.monotonic()
        for i in range(20):
            store.write_audit({"screening_id": f"down{i}"})  # never raises: screening goes on, recorded locally
        assert time.monotonic() - started < 3  # one failed connect, then the spool until the retry time
        assert store.health()["audit_spooled"] == 20
        assert store.audit_stats().spooled == 20
        assert store.read_audit("down3") == {"screening_id": "down3"}  # readable from the spool meanwhile
        with pytest.raises(StoreError):
            store.get_status("a")
        server.start()  # empty: this Redis keeps nothing on disk
        store.write_audit({"screening_id": "after"})  # behind the spooled ones, wherever it goes
        store.generation()  # what a replica's poller calls every few seconds: starts the replay in a thread
        assert store._replayer is not None
        store._replayer.join(30)
        assert store.health()["audit_spooled"] == 0
        store.write_audit({"screening_id": "last"})  # the spool is empty: straight to Redis
        assert store.spool is not None and store.spool.depth() == 0
        fresh = RedisStore(server.url)
        exported = [e.record["screening_id"] for e in fresh.export_audit()]
        assert exported == [f"down{i}" for i in range(20)] + ["after", "last"]
        assert fresh.read_audit("down19") == {"screening_id": "down19"}


def test_redis_store_spool_survives_the_process_and_is_replayed_by_the_next(tmp_path: Path) -> None:
    spool = tmp_path / "spool.sqlite3"
    with RedisServer() as server:
        server.stop()
        first = RedisStore(server.url, connect_timeout_s=0.2, timeout_s=1, spool_path=spool)
        first.write_audits([{"screening_id": f"k{i}"} for i in range(1200)])  # > 2 replay batches
        del first  # not closed: as if the process died (the spool is durable once write_audits returns)
        server.start()
        second = RedisStore(server.url, spool_path=spool)
        assert second.audit_stats().spooled == 1200
        second.generation()  # what a replica's poller calls every few seconds: starts the replay in the background
        deadline = time.monotonic() + 30
        while second.audit_stats().spooled and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.audit_count() == 1200
        assert [e.record["screening_id"] for e in second.export_audit()] == [f"k{i}" for i in range(1200)]
        second.close()


def test_redis_store_replays_a_spool_another_process_left(tmp_path: Path) -> None:
    spool = tmp_path / "spool.sqlite3"
    with RedisServer() as server:
        alive = RedisStore(server.url, spool_path=spool)  # a long-lived worker that never saw the outage itself
        assert alive.audit_stats().spooled == 0
        # Another worker on the same data folder could not reach Redis and spooled (then died, say).
        other = RedisStore(f"redis://127.0.0.1:{free_port()}/0", connect_timeout_s=0.2, spool_path=spool)
        other.write_audits([{"screening_id": f"o{i}"} for i in range(30)])
        other.close()
        alive.generation()  # its poller notices the spool and replays it
        assert alive._replayer is not None
        alive._replayer.join(30)
        assert [e.record["screening_id"] for e in alive.export_audit()] == [f"o{i}" for i in range(30)]
        assert alive.audit_stats().spooled == 0
        alive.close()


def test_redis_store_replay_cut_off_mid_way_stores_each_record_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with RedisServer() as server:
        store = RedisStore(server.url, connect_timeout_s=0.2, timeout_s=1, spool_path=tmp_path / "spool.sqlite3")
        server.stop()
        store.write_audits([{"screening_id": f"r{i}", "n": i} for i in range(700)])
        server.start()
        assert store.spool is not None
        real_remove = store.spool.remove_through

        def crash_after_redis_has_them(seq: int) -> None:
            # Fault injection: the replica dies after Redis stored a batch but before the spool forgot it.
            raise StoreError("injected: killed between the Redis write and the spool update")

        monkeypatch.setattr(store.spool, "remove_through", crash_after_redis_has_them)
        with pytest.raises(StoreError):
            store._replay()
        assert store.audit_count() == 500  # the first batch reached Redis...
        assert store.audit_stats().spooled == 700  # ...and is still spooled
        monkeypatch.setattr(store.spool, "remove_through", real_remove)
        assert store._replay() == 700
        assert store.audit_count() == 700  # the 500 replayed twice are stored once
        assert [e.record["n"] for e in store.export_audit()] == list(range(700))
        assert store.audit_stats().spooled == 0


def test_redis_store_full_spool_refuses_the_record_with_the_reason(tmp_path: Path) -> None:
    store = RedisStore(
        f"redis://127.0.0.1:{free_port()}/0", connect_timeout_s=0.2, spool_path=tmp_path / "s.sqlite3", spool_max=5
    )
    for i in range(5):
        store.write_audit({"screening_id": f"s{i}"})
    with pytest.raises(StoreError, match="spool is full") as info:
        store.write_audit({"screening_id": "s5"})
    assert "unreachable" in str(info.value)
    with pytest.raises(StoreError, match="spool is full"):  # a group that does not fit is refused whole
        store.write_audits([{"screening_id": "g1"}])
    assert store.health() == {"backend": "redis", "ok": False, "audit_spooled": 5}
    assert store.read_audit("s4") == {"screening_id": "s4"}
    with pytest.raises(StoreError):  # not spooled, and Redis cannot be asked
        store.read_audit("s5")


def test_redis_store_unwritable_spool_refuses_the_record(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool's folder should be")
    store = RedisStore(
        f"redis://127.0.0.1:{free_port()}/0", connect_timeout_s=0.2, spool_path=blocker / "spool.sqlite3"
    )
    with pytest.raises(StoreError, match="spool"):
        store.write_audit({"screening_id": "x"})
    no_spool = RedisStore(f"redis://127.0.0.1:{free_port()}/0", connect_timeout_s=0.2)
    with pytest.raises(StoreError, match="no audit spool"):
        no_spool.write_audit({"screening_id": "x"})


def test_redis_store_fails_fast_with_store_error_when_redis_is_gone() -> None:
    store = RedisStore(f"redis://:secret@127.0.0.1:{free_port()}/0", connect_timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        store.generation()
    assert time.monotonic() - started < 5
    assert "secret" not in str(info.value)
    assert not store.ping()


def test_redis_store_lock_is_exclusive_and_released(store: RedisStore) -> None:
    other = RedisStore(shared_url(), prefix=store.prefix)
    with store.sync_lock(ttl_s=5) as mine:
        assert mine
        started = time.monotonic()
        with other.sync_lock(ttl_s=5, wait_s=0.3) as theirs:
            assert not theirs
        assert 0.25 < time.monotonic() - started < 2
    with other.sync_lock(ttl_s=5) as theirs:
        assert theirs


def test_redis_store_lock_waiter_gets_it_when_holder_releases(store: RedisStore) -> None:
    other = RedisStore(shared_url(), prefix=store.prefix)
    got: list[bool] = []

    def wait() -> None:
        with other.sync_lock(ttl_s=5, wait_s=5) as ok:
            got.append(bool(ok))

    with store.sync_lock(ttl_s=5):
        t = threading.Thread(target=wait)
        t.start()
        time.sleep(0.3)
        assert got == []
    t.join(5)
    assert got == [True]


def test_redis_store_lock_watchdog_keeps_a_long_sync_locked(store: RedisStore) -> None:
    other = RedisStore(shared_url(), prefix=store.prefix)
    with store.sync_lock(ttl_s=0.6) as mine:
        assert mine
        time.sleep(1.5)  # 2.5 TTLs: only the watchdog keeps it
        with other.sync_lock(ttl_s=1) as theirs:
            assert not theirs


def test_redis_store_lock_release_never_deletes_anothers_lock(store: RedisStore) -> None:
    r = redis.Redis.from_url(shared_url())
    try:
        with store.sync_lock(ttl_s=5):
            r.set(f"{store.prefix}lock:sync", "someone-else")  # as if ours had expired and another took it
        assert r.get(f"{store.prefix}lock:sync") == b"someone-else"
    finally:
        r.close()


_HOLDER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from service.store.redis_ import RedisStore
    with RedisStore({url!r}, prefix={prefix!r}).sync_lock(ttl_s=1.0) as ok:
        print("held" if ok else "busy", flush=True)
        time.sleep(60)
    """
)


def test_redis_store_lock_of_a_killed_worker_expires(store: RedisStore) -> None:
    script = _HOLDER.format(root=str(ROOT), url=shared_url(), prefix=store.prefix)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"held"
        with store.sync_lock(ttl_s=5) as ok:
            assert not ok
        proc.kill()
        proc.wait(5)
        started = time.monotonic()
        with store.sync_lock(ttl_s=5, wait_s=5) as ok:
            assert ok
        assert time.monotonic() - started < 1.5  # at most one TTL after the holder died
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_redis_store_snapshot_cache_follows_the_pointer(store: RedisStore) -> None:
    publish(store, "a", "v1", 2)
    first = store.load_snapshot("a")
    assert store.load_snapshot("a") is first  # unchanged list: not decoded again
    publish(store, "a", "v1", 2)  # same version re-published: a new publish id, a new read
    again = store.load_snapshot("a")
    assert again == first and again is not first


def test_redis_store_writes_a_group_of_audit_records_in_one_call(store: RedisStore) -> None:
    records = [{"screening_id": f"g{i}", "items": [{"hits": []}]} for i in range(300)]
    store.write_audits(records)
    assert store.audit_count() == 300
    assert store.read_audit("g0") == records[0] and store.read_audit("g299") == records[299]
    with pytest.raises(StoreError):
        store.write_audits([{"screening_id": "ok"}, {"no": "id"}])
    assert store.read_audit("ok") is None  # a bad record refuses the whole group before anything is written


def test_redis_store_refuses_a_publish_once_the_lock_passed_to_another_worker(store: RedisStore) -> None:
    publish(store, "a", "v1", 3)
    r = redis.Redis.from_url(shared_url())
    try:
        with store.sync_lock(ttl_s=30) as lease:
            assert lease
            # As if this worker stalled past the TTL: the key expired and another worker set its own token.
            r.set(f"{store.prefix}lock:sync", "another-worker")
            with pytest.raises(LockLostError, match="no longer holds the sync lock"):
                store.publish(snapshot("a", "v2", 4), {"f.csv": b"v2"}, status("a", "v2", 4), None, fence=lease)
            assert r.get(f"{store.prefix}lock:sync") == b"another-worker"
    finally:
        r.close()
    loaded = store.load_snapshot("a")
    assert loaded is not None and loaded.version == "v1"
    assert store.get_status("a") == status("a", "v1", 3)


def test_redis_store_flip_itself_refuses_when_the_lock_passes_mid_upload(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(store, "a", "v1", 3)
    r = redis.Redis.from_url(shared_url())
    real_write = store._write_blob

    def lock_expires_meanwhile(*args: object, **kwargs: object) -> dict[str, object]:
        # Fault injection: the lock expires and another worker takes it while this one uploads its chunks,
        # after the early check passed, so only the flip script can refuse.
        r.set(f"{store.prefix}lock:sync", "another-worker")
        return real_write(*args, **kwargs)  # type: ignore[arg-type]

    try:
        with store.sync_lock(ttl_s=30) as lease:
            monkeypatch.setattr(store, "_write_blob", lock_expires_meanwhile)
            with pytest.raises(LockLostError):
                store.publish(snapshot("a", "v2", 4), {"f.csv": b"v2"}, status("a", "v2", 4), None, fence=lease)
    finally:
        r.close()
    loaded = store.load_snapshot("a")
    assert loaded is not None and loaded.version == "v1"
    assert store.get_status("a") == status("a", "v1", 3)
