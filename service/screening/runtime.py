"""What a running server holds: the store, the current matcher (swapped in one assignment), the sync loop.

A background thread polls `store.generation()`; when it changes, a new Matcher is built from the store's
snapshots off the request path and replaces the old one in a single assignment, so every request sees one
consistent set of list versions. The sync loop (optional) pulls the lists on an interval in another thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import structlog

from service.errors import ServiceError, StoreError
from service.match.matcher import Matcher, ViewMaker
from service.match.text import TEXT_VIEW
from service.match.text import prepare as prepare_text
from service.model import Entity, ListInfo, ListStatus, Snapshot
from service.normalize.dates import parse_timestamp
from service.screening import handoff
from service.screening.builder import build_in_child
from service.screening.failed_load import FailedLoad
from service.screening.matcher_cache import MatcherCache
from service.sources.manifest import ListManifest
from service.store.base import Store, Subscription, iter_snapshots
from service.sync.worker import list_statuses

log = structlog.get_logger("service.screening")

# How often a replica checks the store for a newly published snapshot. Cheap (one file stat or one Redis GET);
# it bounds how long two replicas may serve different versions, and, on the embedded store (no change notification),
# how long a one-worker server takes to see a change: as often as the supervisor looks (supervisor.POLL_S). It was
# 2 s, an average second of each list change (bench_startup), then 0.25 s. A generation whose load failed is not
# tried again at each poll (Runtime.reload), and a failure repeated poll after poll is logged once.
RELOAD_POLL_S = 0.1

SyncFn = Callable[[list[str] | None], Mapping[str, str]]
"""Runs one sync of the given lists (None = all configured) and returns {list id: outcome}."""


@dataclass(frozen=True, slots=True)
class ServingState:
    """One immutable serving state: the matcher and the list versions it was built from. Replaced, never
    mutated: a request takes one reference and sees one consistent set of list versions throughout."""

    matcher: Matcher
    lists: Mapping[str, ListInfo]
    generation: str
    loaded_at: float  # time.time()


def build_state(
    snapshots: Sequence[Snapshot],
    generation: str,
    previous: ServingState | None = None,
    views: Sequence[ViewMaker] = (),
) -> ServingState:
    """A matcher over `snapshots` and the list versions it screens against (`previous`, `views`: see
    Matcher.build)."""
    matcher = Matcher.build(snapshots, previous.matcher if previous is not None else None, views)
    lists = {
        s.list_id: ListInfo(
            id=s.list_id,
            version=s.version,
            published_at=s.published_at,
            fetched_at=s.fetched_at,
            entities=len(s.entities),
        )
        for s in snapshots
    }
    return ServingState(matcher, lists, generation, time.time())


def write_entry(
    store: Store,
    list_ids: Sequence[str],
    cache: MatcherCache[ServingState] | None,
    previous: ServingState | None,
    built: Callable[[ServingState], None] | None = None,
) -> None:
    """Build the serving state of what the store holds now, with its text view, and write its matcher cache entry,
    in this process and now: the body of a builder child (service.screening.builder). `built`: called with a state
    built here before its entry is written (the supervisor's child hands it over first: service.screening.handoff)."""
    # the text view goes into the entry with the matcher, built beside the index
    state, cached = load_state(store, list_ids, cache, background=False, previous=previous, views=(TEXT_VIEW,))
    if state is not None and not cached and cache is not None:
        if built is not None:
            built(state)
        cache.finish_pending_here()


def snapshots_of(state: ServingState) -> list[Snapshot]:
    """The snapshots `state` was built from, made again from its own entities (nothing decoded, nothing copied): for
    `Store.seed_snapshots` when the state came from the matcher cache."""
    by_list: dict[str, list[Entity]] = {list_id: [] for list_id in state.lists}
    for entity in state.matcher.index.entities:
        by_list.setdefault(entity.list_id, []).append(entity)
    return [
        Snapshot(
            list_id=list_id,
            version=info.version or "",
            entities=tuple(by_list.get(list_id, ())),
            published_at=info.published_at,
            fetched_at=info.fetched_at,
        )
        for list_id, info in state.lists.items()
    ]


def with_statuses(state: ServingState, statuses: Mapping[str, ListStatus]) -> ServingState:
    """`state` with each list's title and last sync outcome (what a one-shot command reports beside its hits)."""
    lists = {
        list_id: replace(info, title=status.title, status=status.status.value)
        if (status := statuses.get(list_id))
        else info
        for list_id, info in state.lists.items()
    }
    return replace(state, lists=lists)


def data_dir_cache(data_dir: Path) -> MatcherCache[ServingState]:
    """The built matchers shared by the processes that use one data folder: `<data dir>/matcher-cache`."""
    return MatcherCache(data_dir / "matcher-cache", ServingState)


def load_state(
    store: Store,
    list_ids: Sequence[str],
    cache: MatcherCache[ServingState] | None = None,
    *,
    background: bool = True,
    previous: ServingState | None = None,
    views: Sequence[ViewMaker] = (),
) -> tuple[ServingState | None, bool]:
    """A serving state over the last good snapshot of each of `list_ids` the store holds, taken from `cache` when a
    process on this data folder built it already: (the state, or None when the store holds none; from the cache).
    `background=False`: a state built here is written to the cache only by `cache.finish_pending_in_thread()` or
    `cache.finish_pending_in_child()`; `previous`: the state serving now, whose name analysis a build reuses;
    `views`: views a build makes with the matcher (Matcher.build: the text view, in a child beside the index where
    that pays)."""
    generation = store.generation()  # read before the snapshots: a publish in between is loaded next time

    def build() -> tuple[ServingState | None, bool]:
        snapshots = list(iter_snapshots(store, list(list_ids)))
        if not snapshots:
            return None, False
        # a publish while the snapshots were read: serve what was read, but do not file it under `generation`
        return build_state(snapshots, generation, previous, views), store.generation() == generation

    if cache is None:
        return build()[0], False
    state, cached = cache.get_or_build(cache.key(generation, list_ids), build, background=background)
    if state is not None and cached:
        state = adopt_loaded(store, state, generation)
    return state, cached


def adopt_loaded(store: Store, state: ServingState, generation: str) -> ServingState:
    """A state this process loaded rather than built (a cache entry, a child's handoff), as of `generation`, its
    entities handed back to `store` as the snapshots they came from: the next publish then decodes only the lists
    it changed (the rest are this state's own entities)."""
    state = replace(state, generation=generation, loaded_at=time.time())
    store.seed_snapshots(generation, snapshots_of(state))
    return state


def build_handed_over(
    store: Store,
    list_ids: Sequence[str],
    cache: MatcherCache[ServingState],
    previous: ServingState | None,
    generation: str,
    *,
    release: Callable[[], None] = lambda: None,
    in_child: Callable[[], None] = lambda: None,
    reap: bool = False,
) -> tuple[bool, ServingState | None]:
    """Build the serving state of what the store holds now in a forked child, which writes its matcher cache entry
    (service.screening.builder): (whether the child built it, the state it handed over or None). At a list change
    (`previous`: the state this process serves) the child first hands the new state over (service.screening.handoff)
    and this process reads it, sharing `previous`'s entities, names and analyses, while the child writes the entry.
    None as the state: no handoff (a first build), or none this process could read; the caller then loads the entry.
    `release`: called once the child has built the state, before anything is read, when nothing here holds more of
    `previous` than the handoff refers to (the supervisor frees its serving state there, so that what it loads next
    goes into that memory). `in_child`, `reap`: builder.build_in_child's."""
    handed: Path | None = None
    hand_over: Callable[[ServingState], None] | None = None
    if previous is not None:
        handed = handoff.path_in(cache.folder)
        hand_over = partial(handoff.write, handed, previous=previous)
    built = build_in_child(
        cache,
        cache.key(generation, list_ids),
        partial(write_entry, store, list_ids, cache, previous, hand_over),
        in_child=in_child,
        ready=handed.exists if handed is not None else None,
        reap=reap,
    )
    del hand_over
    if not built:
        return False, None
    held = handoff.hold(previous) if previous is not None else None
    del previous  # so that `release` can free the serving state
    release()
    if held is None or handed is None:
        return True, None
    state = handoff.read(handed, held, ServingState)
    del held
    return True, adopt_loaded(store, state, generation) if state is not None else None


@dataclass(frozen=True, slots=True)
class Preloaded:
    """What a supervising process hands a worker it forks: the serving state it loaded (None while the store holds
    no lists) and why there is none."""

    state: ServingState | None
    error: str | None = None


NO_LISTS = "no snapshot in the store for any configured list; run `sanctions sync`"  # /readyz's reason


def log_loaded(state: ServingState, *, cached: bool, started: float, source: str | None = None) -> None:
    """The `matcher.loaded` event (benchmarks and operators read it): list versions, size, source (`source`, else
    from the cache or built) and seconds since `started` (a time.perf_counter())."""
    log.info(
        "matcher.loaded",
        lists={k: v.version for k, v in state.lists.items()},
        entities=len(state.matcher),
        source=source or ("cache" if cached else "built"),
        build_s=round(time.perf_counter() - started, 3),
    )


def iso_to_unix(iso: str | None) -> float | None:
    when = parse_timestamp(iso)
    return when.timestamp() if when is not None else None


class SyncRunner:
    """One sync at a time in this process: on an interval, and on demand (POST /v1/sync)."""

    def __init__(
        self,
        sync: SyncFn,
        *,
        interval_s: float,
        on_outcome: Callable[[Mapping[str, str]], None] = lambda _: None,
    ) -> None:
        self._sync = sync
        self._interval_s = interval_s
        self._on_outcome = on_outcome
        self._busy = threading.Lock()
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None
        self._threads: list[threading.Thread] = []

    @property
    def running(self) -> bool:
        return self._busy.locked()

    def _run_locked(self, lists: list[str] | None) -> None:
        try:
            outcome = self._sync(lists)
        except ServiceError as exc:
            log.error("sync.failed", error=str(exc))
            return
        except Exception:
            # Boundary: a sync bug must not kill the serving process; the last good snapshots stay in service.
            log.exception("sync.crashed")
            return
        finally:
            self._busy.release()
        self._on_outcome(outcome)

    def trigger(self, lists: list[str] | None = None) -> bool:
        """Start one sync in the background; False when one is already running in this process."""
        if not self._busy.acquire(blocking=False):
            return False
        t = threading.Thread(target=self._run_locked, args=(lists,), name="sanctions-sync-once", daemon=True)
        self._threads = [x for x in self._threads if x.is_alive()]
        self._threads.append(t)
        t.start()
        return True

    def _loop_body(self) -> None:
        while not self._stop.is_set():
            if self._busy.acquire(blocking=False):
                self._run_locked(None)
            self._stop.wait(self._interval_s)

    def start_loop(self) -> None:
        self._loop = threading.Thread(target=self._loop_body, name="sanctions-sync-loop", daemon=True)
        self._loop.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        # A sync in progress is not interrupted (it publishes atomically or not at all); we wait briefly and
        # leave it as a daemon thread if it is slow, so shutdown stays prompt.
        for t in [self._loop, *self._threads]:
            if t is not None:
                t.join(timeout_s)


class Runtime:
    """The store, the serving state and the threads that keep it fresh."""

    def __init__(
        self,
        store: Store,
        manifests: Mapping[str, ListManifest],
        *,
        poll_s: float = RELOAD_POLL_S,
        on_reload: Callable[[str], None] = lambda _: None,
        after_build: Callable[[], None] = lambda: None,
        after_swap: Callable[[], None] = lambda: None,
        cache: MatcherCache[ServingState] | None = None,
        preloaded: Preloaded | None = None,
    ) -> None:
        """`after_build` runs after each new matcher is built or loaded, before it is swapped in, and again once its
        text view is built: process policy of the composition root (the server freezes the garbage collector's view
        of the new index there). `after_swap` runs instead of the second when the new state replaced one, once
        nothing here holds the old one (the server collects it there: frozen, it would never be). `cache`: where
        built matchers are kept for the next process on this data folder (None: build every time). `preloaded`:
        the state a supervising process loaded before it forked this one; such a process never loads lists itself:
        the supervisor replaces it when new ones are published."""
        self.store = store
        self.cache = cache
        self.manifests = dict(manifests)
        self.list_ids = list(manifests)
        self.state: ServingState | None = None  # replaced, never mutated: readers take one reference
        self.sync: SyncRunner | None = None
        self.last_error: str | None = None
        self.follows = preloaded is None  # loads what the store publishes (False: the supervisor does)
        if preloaded is not None:
            self.state = preloaded.state
            self.last_error = preloaded.error
        # Set while the store cannot be read (Redis down): the loaded matcher keeps serving; /readyz says so.
        self.store_error: str | None = None
        self.failed = FailedLoad()  # a generation whose load failed: not tried again at every poll
        self._failing: str | None = None  # the error of the polls failing now, logged once
        self._poll_s = poll_s
        self._on_reload = on_reload
        self._after_build = after_build
        self._after_swap = after_swap
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by the store's change notification (Redis pub/sub) and by stop()
        self._subscription: Subscription | None = None
        self._poller: threading.Thread | None = None

    # --- loading ----------------------------------------------------------------------------------------------
    def reload(self, *, force: bool = False) -> bool:
        """Build a new matcher when the store's generation changed; True when a new one was swapped in."""
        with self._reload_lock:
            # The generation is read before the snapshots: a publish in between makes us load again next
            # time, never miss a version.
            generation = self.store.generation()
            current = self.state
            if current is not None and current.generation == generation and not force:
                return False
            del current  # read again below: nothing here may hold the replaced state when it is freed
            if not self.follows:  # the supervisor loads the new lists once and replaces this process
                return False
            if not force and self.failed.holds_off(generation):
                return False
            try:
                return self._load(generation)
            except Exception:
                self.failed.record(generation)
                raise

    def _load(self, generation: str) -> bool:
        """reload()'s work, under its lock: the state of `generation` built (or loaded) and swapped in."""
        current = self.state
        started = time.perf_counter()
        # With the cache on, a child process builds the state and writes its entry, and this process loads
        # the entry: compact, where a build here would leave the heap at its high-water mark for good
        # (service.screening.builder); at a list change it reads the child's handoff instead, which refers to
        # the entities and analyses it holds (half the time the interpreter is held from the requests being
        # served). Without a child's entry, a start builds here and writes the entry from a thread (nothing is
        # served yet); a change is built here and kept out of the cache, as writing an entry holds the
        # interpreter for about two seconds, which the requests being served would wait out.
        built_by_child, state = False, None
        if self.cache is not None and (current is not None or self._holds_lists()):
            built_by_child, state = build_handed_over(
                self.store, self.list_ids, self.cache, current, generation, reap=True
            )
        source = "handoff" if state is not None else None
        cache = None
        cached = False
        if state is None:
            cache = self.cache if current is None or built_by_child else None
            # the entry is written once the text view is built too (below): a restart then loads both
            state, cached = load_state(self.store, self.list_ids, cache, background=False, previous=current)
            cached = cached and not built_by_child
        if state is None:
            self.last_error = NO_LISTS
            return False
        state.matcher.warm_up()  # before a request can fork a batch child (Matcher.warm_up)
        self._after_build()
        self.state = state  # the one swap
        self.last_error = None
        log_loaded(state, cached=cached, started=started, source=source)
        # the text view after the swap: names are screened meanwhile; a text request waits for the view. The
        # hook runs again for the view's objects (the server freezes them too; what it froze before is skipped)
        prepare_text(state.matcher)
        replaced = current is not None
        del current  # the replaced state: nothing here may hold it when the hook collects
        (self._after_swap if replaced else self._after_build)()
        if cache is not None:
            cache.finish_pending_in_thread()
        return True

    def _holds_lists(self) -> bool:
        """Whether the store has a version of a configured list (a status with one): with none there is nothing
        for a builder child to build, and /readyz says at once that the lists need a sync."""
        statuses = self.store.all_statuses()
        return any(statuses[list_id].version for list_id in self.list_ids if list_id in statuses)

    def _reload_safely(self) -> None:
        try:
            changed = self.reload()
        except ServiceError as exc:
            if isinstance(exc, StoreError):
                self.store_error = str(exc)
            error = f"loading the lists failed: {exc}"
            if error != self._failing:  # once while it fails alike poll after poll (the store down)
                log.error("matcher.load_failed", error=str(exc))
            self.last_error = self._failing = error
            self._on_reload("failed")
            return
        except Exception:
            # Boundary: a bad snapshot must not stop the poller; the previous matcher keeps serving.
            self.last_error = "loading the lists failed (see the log)"
            log.exception("matcher.load_crashed")
            self._on_reload("failed")
            return
        self.store_error = self._failing = None
        if changed:
            self._on_reload("ok")

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._reload_safely()
            self._wake.wait(self._poll_s)
            self._wake.clear()

    # --- life cycle -------------------------------------------------------------------------------------------
    def start(self, sync: SyncRunner | None = None, *, sync_loop: bool = False) -> None:
        self.sync = sync
        self._poller = threading.Thread(target=self._poll, name="sanctions-reload", daemon=True)
        self._poller.start()
        if self.follows:
            # Shared (Redis) store: any worker's publish wakes the poller at once rather than within poll_s.
            self._subscription = self.store.subscribe_changes(lambda _generation: self._wake.set())
        if sync is not None and sync_loop:
            sync.start_loop()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._subscription is not None:
            self._subscription.stop()
        if self.sync is not None:
            self.sync.stop()
        if self._poller is not None:
            self._poller.join(10.0)

    def after_sync(self, outcome: Mapping[str, str]) -> None:
        """Pick up what a sync in this process published without waiting for the next poll."""
        if any(status == "ok" for status in outcome.values()):
            self._reload_safely()

    # --- views ------------------------------------------------------------------------------------------------
    def list_gauges(self) -> dict[str, tuple[float | None, int]]:
        state = self.state
        if state is None:
            return {}
        return {k: (iso_to_unix(v.fetched_at), v.entities or 0) for k, v in state.lists.items()}

    def statuses(self) -> list[ListStatus]:
        """The records of `sanctions lists --json`: `never` for lists not synced, `stale` for overdue ones."""
        return list_statuses(self.store, self.manifests.values())
