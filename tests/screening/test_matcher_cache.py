"""Built matchers kept on the data folder: the same answers as a fresh build, a miss on every publish, one builder
among processes that start together, and a damaged entry costing a rebuild instead of the server."""

from __future__ import annotations

import fcntl
import gc
import multiprocessing
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from service.model import ListStatus, Query, Snapshot, SyncState
from service.screening.builder import build_in_child
from service.screening.local import load_local
from service.screening.matcher_cache import SUFFIX, MatcherCache
from service.screening.runtime import Runtime, ServingState, build_state, data_dir_cache, load_state
from service.settings import Settings
from service.sources.manifest import load_manifests
from service.store.embedded import EmbeddedStore
from tests.screening.conftest import sample_snapshots

QUERIES = [Query(name="Nicolas Maduro"), Query(name="Usama bin Ladin"), Query(identifiers=("IMO 9187629",))]


def _answers(state: ServingState) -> list[list[tuple[str, float, tuple[str, ...]]]]:
    out = []
    for q in QUERIES:
        hits = state.matcher.screen(q, threshold=0.5)
        out.append([(h.entity_id, h.score, tuple(e.method for e in h.evidence)) for h in hits])
    assert any(out), "the queries must find something, or the comparison proves nothing"
    return out


def _publish(store: EmbeddedStore, snap: Snapshot) -> None:
    status = ListStatus(snap.list_id, snap.version, fetched_at="2026-11-02T00:00:00Z", status=SyncState.OK)
    store.publish(snap, {}, status, None)


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    s = EmbeddedStore(tmp_path / "data")
    for snap in sample_snapshots():
        _publish(s, snap)
    return s


def test_a_loaded_matcher_answers_as_the_one_built(store: EmbeddedStore, tmp_path: Path) -> None:
    ids = ["us_ofac_sdn", "un_sc_sanctions"]
    cache = data_dir_cache(tmp_path / "data")
    built, cached = load_state(store, ids, cache)
    assert built is not None and not cached and cache.saving is not None
    cache.saving.join()  # the builder serves at once and writes the entry meanwhile
    assert len(list((tmp_path / "data" / "matcher-cache").glob(f"*{SUFFIX}"))) == 1
    loaded, cached = load_state(store, ids, data_dir_cache(tmp_path / "data"))  # a new process's view
    assert loaded is not None and cached
    assert loaded.generation == built.generation and loaded.lists == built.lists
    assert _answers(loaded) == _answers(built)
    first = next(iter(built.matcher.index.entities))
    assert loaded.matcher.get(first.id) == first


def test_an_entry_written_by_a_forked_child_is_whole_and_unlocked(store: EmbeddedStore, tmp_path: Path) -> None:
    """The serve supervisor's way: build, fork the workers, then write the entry from a child process."""
    ids = ["us_ofac_sdn", "un_sc_sanctions"]
    cache = data_dir_cache(tmp_path / "data")
    built, cached = load_state(store, ids, cache, background=False)
    assert built is not None and not cached and cache.pending is not None and cache.saving is None
    assert not list(cache.folder.glob(f"*{SUFFIX}"))  # nothing written before the caller asks
    key = cache.key(built.generation, ids)
    lock_path = cache.folder / f"{key}.lock"
    with lock_path.open("a+b") as probe, pytest.raises(BlockingIOError):
        fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # held while the entry is pending
    pid = cache.finish_pending_in_child()
    assert pid is not None and cache.pending is None and cache.pending_lock is None
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with lock_path.open("a+b") as probe:
        fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by the child
    loaded, cached = load_state(store, ids, data_dir_cache(tmp_path / "data"))
    assert loaded is not None and cached
    assert _answers(loaded) == _answers(built)
    assert cache.finish_pending_in_child() is None


def test_a_builder_child_builds_without_the_collector(tmp_path: Path) -> None:
    """The child builds, writes and exits: no collection scans what it built (service.screening.builder)."""
    cache: MatcherCache[dict[str, int]] = MatcherCache(tmp_path / "cache", dict)
    seen = tmp_path / "collector"

    def body() -> None:
        seen.write_text(f"{gc.isenabled()}")
        cache.save("entry", {"built": 1})

    assert gc.isenabled()
    assert build_in_child(cache, "entry", body)
    assert seen.read_text() == "False"
    assert gc.isenabled()  # this process's own is left as it was
    assert cache.load("entry") == {"built": 1}


def test_a_publish_or_another_list_selection_misses(store: EmbeddedStore, tmp_path: Path) -> None:
    cache = data_dir_cache(tmp_path / "data")
    first, _ = load_state(store, ["us_ofac_sdn", "un_sc_sanctions"], cache)
    _, cached = load_state(store, ["us_ofac_sdn"], cache)
    assert not cached
    un = next(s for s in sample_snapshots() if s.list_id == "un_sc_sanctions")
    _publish(store, replace(un, version="un-v2", entities=un.entities[:-1]))
    second, cached = load_state(store, ["us_ofac_sdn", "un_sc_sanctions"], cache)
    assert second is not None and first is not None and not cached
    assert second.lists["un_sc_sanctions"].version == "un-v2"
    assert len(second.matcher) == len(first.matcher) - 1


def test_a_damaged_entry_is_rebuilt_not_fatal(store: EmbeddedStore, tmp_path: Path) -> None:
    cache = data_dir_cache(tmp_path / "data")
    built, _ = load_state(store, ["us_ofac_sdn"], cache)
    assert cache.saving is not None
    cache.saving.join()
    (entry,) = (tmp_path / "data" / "matcher-cache").glob(f"*{SUFFIX}")
    entry.write_bytes(entry.read_bytes()[:1000])  # a disk that filled up under another writer
    again, cached = load_state(store, ["us_ofac_sdn"], cache)
    assert again is not None and built is not None and not cached
    assert _answers(again) == _answers(built)
    cache.saving.join()
    assert len(entry.read_bytes()) > 1000  # written whole again


def test_a_state_read_across_a_publish_is_served_but_not_kept(store: EmbeddedStore, tmp_path: Path) -> None:
    class PublishedMeanwhile:
        """The store as a reader sees it when a sync publishes between its two generation reads (fault injection)."""

        def __init__(self, inner: EmbeddedStore) -> None:
            self.inner, self.reads = inner, 0

        def generation(self) -> str:
            self.reads += 1
            return f"{self.inner.generation()}-{self.reads}"

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    state, cached = load_state(PublishedMeanwhile(store), ["us_ofac_sdn"], data_dir_cache(tmp_path))  # type: ignore[arg-type]
    assert state is not None and not cached
    assert not list((tmp_path / "matcher-cache").glob(f"*{SUFFIX}"))


def test_old_entries_are_pruned(store: EmbeddedStore, tmp_path: Path) -> None:
    cache = MatcherCache(tmp_path / "c", ServingState, keep=2)
    state = build_state(sample_snapshots()[:1], "g")
    writing = tmp_path / "c" / f".tmp-another-writer{SUFFIX}"  # another process's write in progress
    for n in range(4):
        cache.save(f"k{n}", state)
        if n == 0:
            writing.write_bytes(b"half an entry")
        time.sleep(0.01)  # distinct modification times
    assert sorted(p.name for p in (tmp_path / "c").glob(f"*{SUFFIX}")) == [writing.name, f"k2{SUFFIX}", f"k3{SUFFIX}"]


def test_one_shot_commands_share_the_folder_and_keep_their_statuses(store: EmbeddedStore, tmp_path: Path) -> None:
    cache = data_dir_cache(tmp_path / "data")
    load_state(store, ["un_sc_sanctions", "us_ofac_sdn"], cache)  # what a server on this folder built
    assert cache.saving is not None
    cache.saving.join()
    local = load_local(store, where="here", cache=cache)
    assert local.state.lists["us_ofac_sdn"].status == "ok"  # the statuses are this command's, not the cache's
    assert _answers(local.state)


# --- several processes starting together: one builds, the others wait and load ----------------------------------
def _start(folder: str, key: str, log: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    cache = MatcherCache(Path(folder), ServingState)

    def build() -> tuple[ServingState | None, bool]:
        with open(log, "a") as fh:
            fh.write("built\n")
        time.sleep(0.5)  # long enough for the other process to arrive while this one builds
        return build_state(sample_snapshots(), "g"), True

    barrier.wait()
    state, cached = cache.get_or_build(key, build)
    assert state is not None
    with open(log, "a") as fh:
        fh.write(f"{'loaded' if cached else 'returned'}\n")


def test_processes_starting_together_build_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    barrier = ctx.Barrier(3)
    log = tmp_path / "log"
    procs = [ctx.Process(target=_start, args=(str(tmp_path / "c"), "k", str(log), barrier)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    lines = log.read_text().split()
    assert lines.count("built") == 1 and lines.count("returned") == 1 and lines.count("loaded") == 2


def test_a_server_builds_in_a_child_and_serves_the_entry_the_child_wrote(store: EmbeddedStore, tmp_path: Path) -> None:
    """A one-worker server with the cache on builds its first state and each published change in a forked child,
    which writes the entry, and serves the state it loads from there (service.screening.builder: compact, where a
    build in place leaves the heap at its high-water mark). A restart loads the entry without a child."""
    manifests = load_manifests(Settings().lists_dir, ["us_ofac_sdn", "un_sc_sanctions"])
    cache = data_dir_cache(tmp_path / "data")
    first = Runtime(store, manifests, cache=cache)
    assert first.reload()
    assert cache.saving is None  # the child wrote the entry: no thread here writes one (a start built here does)
    assert _entries(tmp_path) == 1
    assert first.state is not None
    assert _answers(first.state) == _answers(build_state(sample_snapshots(), "g"))
    restarted = Runtime(store, manifests, cache=cache)
    assert restarted.reload() and cache.saving is None
    assert _entries(tmp_path) == 1  # loaded the entry: nothing built
    assert restarted.state is not None
    assert _answers(restarted.state) == _answers(first.state)
    un = next(s for s in sample_snapshots() if s.list_id == "un_sc_sanctions")
    un2 = replace(un, version="un-v2", entities=un.entities[1:])
    _publish(store, un2)
    children = _children()
    assert restarted.reload() and restarted.state.lists["un_sc_sanctions"].version == "un-v2"
    _children_done(children)  # the child handed the change over (below), then wrote its entry
    assert _entries(tmp_path) == 2
    changed = [un2 if s.list_id == "un_sc_sanctions" else s for s in sample_snapshots()]
    assert _answers(restarted.state) == _answers(build_state(changed, "g"))
    assert restarted.state.matcher.get(un.entities[0].id) is None


def test_a_one_worker_server_serves_a_change_its_child_handed_over(store: EmbeddedStore, tmp_path: Path) -> None:
    """At a list change the builder child hands the new state over before it writes the entry
    (service.screening.handoff), as under the supervisor: the server serves it, sharing the entities of the list
    that did not change, and reaps the child once it has written the entry."""
    manifests = load_manifests(Settings().lists_dir, ["us_ofac_sdn", "un_sc_sanctions"])
    cache = data_dir_cache(tmp_path / "data")
    runtime = Runtime(store, manifests, cache=cache)
    assert runtime.reload() and runtime.state is not None
    unchanged = [e for e in runtime.state.matcher.index.entities if e.list_id == "us_ofac_sdn"]
    un = next(s for s in sample_snapshots() if s.list_id == "un_sc_sanctions")
    un2 = replace(un, version="un-v2", entities=un.entities[1:])
    _publish(store, un2)
    children = _children()
    assert runtime.reload()
    state = runtime.state
    assert state.lists["un_sc_sanctions"].version == "un-v2" and state.matcher.get(un.entities[0].id) is None
    shared = [e for e in state.matcher.index.entities if e.list_id == "us_ofac_sdn"]
    assert unchanged and len(shared) == len(unchanged)
    # this process's objects: what a handoff refers to (a cache entry brings copies)
    assert all(a is b for a, b in zip(shared, unchanged, strict=True))
    changed = [un2 if s.list_id == "un_sc_sanctions" else s for s in sample_snapshots()]
    assert _answers(state) == _answers(build_state(changed, "g"))
    _children_done(children)
    assert _entries(tmp_path) == 2  # the entry the child wrote after the handoff, for a restart
    restarted = Runtime(store, manifests, cache=cache)
    assert restarted.reload() and restarted.state is not None and cache.saving is None  # loaded, not built
    assert _entries(tmp_path) == 2
    assert _answers(restarted.state) == _answers(state)


def _children_done(before: list[str], timeout_s: float = 60.0) -> None:
    """Wait until this process has no child left but those it had `before` (other tests'), exited or not: a builder
    child that handed its state over is reaped by a thread once it has written its entry; one left a zombie fails
    here."""
    deadline = time.monotonic() + timeout_s
    while set(_children()) - set(before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(_children()) - set(before), _children()


def _children() -> list[str]:
    """This process's forked children (zombies among them; not the helper processes multiprocessing starts, which
    run another command), from /proc."""
    me, out = os.getpid(), []
    command = Path(f"/proc/{me}/cmdline").read_bytes()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            forked = fields[0] == "Z" or (stat.parent / "cmdline").read_bytes() == command
        except OSError:
            continue
        if int(fields[1]) == me and forked:
            out.append(f"{stat.parent.name} ({fields[0]})")
    return out


def _entries(tmp_path: Path) -> int:
    return len(list((tmp_path / "data" / "matcher-cache").glob(f"*{SUFFIX}")))


def test_a_server_builds_in_place_when_the_child_writes_nothing(
    store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child crashing (here: its text view fails) or no fork at all costs the compact heap, never the lists:
    a start is built here and its entry written from a thread, a change is built here and kept out of the cache."""
    from service.screening import runtime as runtime_module

    def broken(*_: object) -> None:
        raise RuntimeError("injected: the child's build fails")

    monkeypatch.setattr(runtime_module, "write_entry", broken)  # the child's body; the parent never calls it
    manifests = load_manifests(Settings().lists_dir, ["us_ofac_sdn", "un_sc_sanctions"])
    cache = data_dir_cache(tmp_path / "data")
    runtime = Runtime(store, manifests, cache=cache)
    assert runtime.reload()
    assert runtime.state is not None and runtime.state.lists["un_sc_sanctions"].version == "un-v1"
    assert cache.saving is not None
    cache.saving.join()
    assert _entries(tmp_path) == 1

    def no_fork() -> int:
        raise OSError("injected: fork refused")

    monkeypatch.setattr(os, "fork", no_fork)
    un = next(s for s in sample_snapshots() if s.list_id == "un_sc_sanctions")
    _publish(store, replace(un, version="un-v2"))
    cache.saving = None
    assert runtime.reload() and runtime.state.lists["un_sc_sanctions"].version == "un-v2"
    assert cache.saving is None and _entries(tmp_path) == 1
