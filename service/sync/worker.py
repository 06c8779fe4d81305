"""Sync lists: fetch, parse, validate, diff and publish each list on its own; keep them fresh in the background.

A failed or suspicious download never replaces the last good snapshot: the list's status records the error and
the store keeps serving what it had.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import structlog

import service
from service.errors import LockLostError, ServiceError, StoreError, ValidationError
from service.model import Entity, ListStatus, Snapshot, SnapshotDiff, SyncState
from service.normalize.dates import parse_timestamp
from service.sources import ParseReport, get_parser
from service.sources.manifest import ListManifest
from service.store.base import Lease, Store
from service.sync.fetch import Fetcher, ResourceNotFoundError

log = structlog.get_logger(__name__)

DEFAULT_MAX_ENTITY_DROP = 0.5
STALE_FACTOR = 2  # a list whose last good check is older than this many refresh intervals is stale
STAGES = ("fetch", "parse", "validate", "publish")
# Pseudo-resource in the stored validators: the parser code the last good snapshot was built with, so that an
# upgraded parser re-parses unchanged downloads instead of serving what the old code made of them.
PARSER_KEY = "_parser"
DUPLICATE_EXAMPLES = 5


class Progress:
    """Receives each list's stages (STAGES in order, then "done" or "failed"); a no-op by default."""

    def __call__(self, list_id: str, stage: str) -> None:
        return None


@dataclass(frozen=True, slots=True)
class SyncResult:
    """The outcome of one list's sync: its new status, the diff it published, and where the time went."""

    list_id: str
    status: ListStatus
    diff: SnapshotDiff | None = None
    fetch_s: float = 0.0
    parse_s: float = 0.0
    validate_s: float = 0.0  # validation and the diff against the previous snapshot
    publish_s: float = 0.0
    duration_s: float = 0.0
    warnings: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    lock_lost: bool = False  # the store refused this worker's write: another worker holds the sync lock now

    @property
    def is_current(self) -> bool:
        return self.status.status in (SyncState.OK, SyncState.UNCHANGED)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.cache
def parser_fingerprint() -> str:
    """Hash of the code that turns bytes into entities (sources, normalize, model) and the package version."""
    root = Path(service.__file__).resolve().parent
    h = hashlib.sha256(service.__version__.encode())
    for package in ("sources", "normalize", "model"):
        for path in sorted((root / package).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def content_hash(files: Mapping[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(f"{name}\0{hashlib.sha256(files[name]).hexdigest()}\n".encode())
    return h.hexdigest()


def diff_entities(list_id: str, old: Snapshot | None, new_version: str, entities: Iterable[Entity]) -> SnapshotDiff:
    """Added, removed and changed entity ids (changed: any field differs, ignoring the stamped list version)."""
    before = {e.id: e for e in old.entities} if old else {}
    added: list[str] = []
    changed: list[str] = []
    seen: set[str] = set()
    for e in entities:
        seen.add(e.id)
        prev = before.get(e.id)
        if prev is None:
            added.append(e.id)
        elif not _same_entity(prev, e):
            changed.append(e.id)
    removed = [i for i in before if i not in seen]
    return SnapshotDiff(
        list_id=list_id,
        old_version=old.version if old else None,
        new_version=new_version,
        added=tuple(sorted(added)),
        removed=tuple(sorted(removed)),
        changed=tuple(sorted(changed)),
    )


def _same_entity(a: Entity, b: Entity) -> bool:
    if a == b:
        return True
    if a.source is not None and b.source is not None and a.source.version != b.source.version:
        return replace(a, source=replace(a.source, version=b.source.version)) == b
    return False


def validate(
    manifest: ListManifest, entities: list[Entity], previous_count: int | None, max_entity_drop: float
) -> None:
    """Refuse a parse that must not replace the last good snapshot (ValidationError with the reason)."""
    if not entities:
        raise ValidationError("parsed 0 entities: refusing to publish an empty list")
    prefix = f"{manifest.id}:"
    foreign = [e.id for e in entities if e.list_id != manifest.id or not e.id.startswith(prefix)]
    if foreign:
        raise ValidationError(f"{len(foreign)} entities carry another list's id, e.g. {foreign[0]!r}")
    seen: set[str] = set()
    duplicates: list[str] = []
    for e in entities:
        if e.id in seen:
            duplicates.append(e.id)
        seen.add(e.id)
    if duplicates:
        examples = ", ".join(sorted(set(duplicates))[:DUPLICATE_EXAMPLES])
        raise ValidationError(f"{len(duplicates)} duplicate entity ids (e.g. {examples}): ids must be unique")
    if previous_count:
        floor = previous_count * (1.0 - max_entity_drop)
        if len(entities) < floor:
            drop = 1.0 - len(entities) / previous_count
            raise ValidationError(
                f"entity count collapsed: {len(entities)} entities where the last good version had "
                f"{previous_count} (a {drop:.0%} drop; more than {max_entity_drop:.0%} is refused, "
                "see SANCTIONS_MAX_ENTITY_DROP)"
            )


def check_not_older(published_at: str | None, last_good: str | None) -> None:
    """Refuse a file whose publisher date is before the last good one's: a stale mirror or CDN copy."""
    new, old = parse_timestamp(published_at), parse_timestamp(last_good)
    if new is not None and old is not None and new < old:
        raise ValidationError(
            f"the publisher's date went backwards: {published_at} is older than the last good version's {last_good}"
        )


class _Stage:
    """Tracks the current stage for the error message and the timings."""

    def __init__(self, list_id: str, progress: Callable[[str, str], None]) -> None:
        self.list_id = list_id
        self.progress = progress
        self.name = "store"  # reading the list's state, before the first download
        self.started = time.monotonic()
        self.times: dict[str, float] = {}

    def enter(self, name: str) -> None:
        now = time.monotonic()
        if self.name in STAGES:
            self.times[self.name] = now - self.started
        self.name = name
        self.started = now
        self.progress(self.list_id, name)


def sync_list(
    manifest: ListManifest,
    store: Store,
    fetcher: Fetcher,
    *,
    max_entity_drop: float = DEFAULT_MAX_ENTITY_DROP,
    progress: Callable[[str, str], None] | None = None,
    fence: Lease | None = None,
) -> SyncResult:
    """Sync one list. Never raises for a list's own failure: the result (and the store) records it.

    With a `fence` (the sync lock's lease), every write to the store is fenced: once the lock has passed to another
    worker, the store refuses them, the result says `lock_lost`, and nothing is written, not even this list's
    failed status (the store belongs to the lock's new holder, whose results stand)."""
    began = time.monotonic()
    stage = _Stage(manifest.id, progress or Progress())
    report = ParseReport()
    previous: ListStatus | None = None
    try:
        previous = store.get_status(manifest.id)
        result = _sync(
            manifest,
            store,
            fetcher,
            previous=previous,
            report=report,
            stage=stage,
            max_entity_drop=max_entity_drop,
            fence=fence,
        )
        stage.enter("done")
    except Exception as exc:
        # Boundary: each list succeeds or fails alone. Whatever went wrong (network, hostile file, parser bug,
        # store), the last good snapshot stays in service and the error goes into this list's status.
        failed_in = stage.name
        message = str(exc) if isinstance(exc, ServiceError) else f"unexpected {type(exc).__name__}: {exc}"
        message = f"{failed_in}: {message}"
        status = replace(
            previous or ListStatus(id=manifest.id),
            status=SyncState.FAILED,
            error=message,
            checked_at=utc_now(),
            title=manifest.title,
        )
        lock_lost = isinstance(exc, LockLostError)
        if lock_lost:
            log.error("list.lock_lost", list_id=manifest.id, stage=failed_in, error=message)
        elif isinstance(exc, ServiceError):
            log.warning("list.failed", list_id=manifest.id, stage=failed_in, error=message)
        else:
            log.exception("list.failed", list_id=manifest.id, stage=failed_in, error=message)
        if not lock_lost:
            try:
                store.put_status(status, fence=fence)
            except StoreError as store_exc:
                log.error("list.status_not_recorded", list_id=manifest.id, error=str(store_exc))
        stage.enter("failed")
        result = SyncResult(
            manifest.id, status, warnings=tuple(report.warnings), counts=dict(report.counts), lock_lost=lock_lost
        )
    return replace(
        result,
        fetch_s=stage.times.get("fetch", 0.0),
        parse_s=stage.times.get("parse", 0.0),
        validate_s=stage.times.get("validate", 0.0),
        publish_s=stage.times.get("publish", 0.0),
        duration_s=time.monotonic() - began,
    )


def _sync(
    manifest: ListManifest,
    store: Store,
    fetcher: Fetcher,
    *,
    previous: ListStatus | None,
    report: ParseReport,
    stage: _Stage,
    max_entity_drop: float,
    fence: Lease | None,
) -> SyncResult:
    stage.enter("fetch")
    fetched_at = utc_now()
    try:
        last_raw = store.load_raw(manifest.id)
    except StoreError as exc:
        # A damaged copy of the last good files only costs a full download.
        log.warning("list.raw_unreadable", list_id=manifest.id, error=str(exc))
        last_raw = {}
    stored = store.get_validators(manifest.id) if last_raw else {}
    files: dict[str, bytes] = {}
    validators: dict[str, dict[str, str]] = {}
    same_bytes = True
    for resource in manifest.resources:
        known = stored.get(resource.name) if resource.name in last_raw else None
        try:
            got = fetcher.fetch(manifest.id, resource, known)
        except ResourceNotFoundError as exc:
            if resource.required:
                raise
            report.warn(f"optional resource {resource.name} not available: {exc}")
            continue
        if got.data is None:
            files[resource.name] = last_raw[resource.name]
        else:
            files[resource.name] = got.data
            if last_raw.get(resource.name) != got.data:
                same_bytes = False
        validators[resource.name] = got.validators
    fingerprint = parser_fingerprint()
    validators[PARSER_KEY] = {"fingerprint": fingerprint}
    unchanged = (
        same_bytes
        and set(files) == set(last_raw)
        and previous is not None
        and previous.version is not None
        and stored.get(PARSER_KEY, {}).get("fingerprint") == fingerprint
    )
    if unchanged and previous is not None:
        status = replace(previous, status=SyncState.UNCHANGED, checked_at=utc_now(), error=None, title=manifest.title)
        store.put_status(status, fence=fence)
        store.put_validators(manifest.id, validators, fence=fence)
        log.info("list.unchanged", list_id=manifest.id, version=status.version, entities=status.entities)
        return SyncResult(manifest.id, status)

    stage.enter("parse")
    parse = get_parser(manifest.format)
    entities = list(parse(files, report, list_id=manifest.id))
    stage.enter("validate")
    # The last good count comes from its status: a refused list costs no load of the previous snapshot.
    last_good_count = previous.entities if previous is not None and previous.version is not None else None
    validate(manifest, entities, last_good_count, max_entity_drop)
    check_not_older(report.published_at, previous.published_at if previous is not None else None)
    version = report.published_at or f"sha256:{content_hash(files)[:12]}"
    entities = [
        replace(e, source=replace(e.source, version=version)) if e.source is not None and not e.source.version else e
        for e in entities
    ]
    old = store.load_snapshot(manifest.id)
    diff = diff_entities(manifest.id, old, version, entities)

    stage.enter("publish")
    checked_at = utc_now()
    snapshot = Snapshot(
        list_id=manifest.id,
        version=version,
        entities=tuple(entities),
        published_at=report.published_at,
        fetched_at=fetched_at,
        files_sha256=tuple((n, hashlib.sha256(b).hexdigest()) for n, b in sorted(files.items())),
    )
    status = ListStatus(
        id=manifest.id,
        title=manifest.title,
        version=version,
        published_at=report.published_at,
        fetched_at=fetched_at,
        checked_at=checked_at,
        entities=len(entities),
        status=SyncState.OK,
    )
    store.publish(snapshot, files, status, diff, fence=fence)
    store.put_validators(manifest.id, validators, fence=fence)
    log.info(
        "list.synced",
        list_id=manifest.id,
        version=version,
        entities=len(entities),
        added=len(diff.added),
        removed=len(diff.removed),
        changed=len(diff.changed),
        warnings=len(report.warnings),
    )
    return SyncResult(manifest.id, status, diff, warnings=tuple(report.warnings), counts=dict(report.counts))


def sync_lists(
    manifests: Iterable[ListManifest],
    store: Store,
    fetcher: Fetcher,
    *,
    max_entity_drop: float = DEFAULT_MAX_ENTITY_DROP,
    progress: Callable[[str, str], None] | None = None,
    stop: threading.Event | None = None,
    fence: Lease | None = None,
) -> list[SyncResult]:
    """Sync each list in turn (the caller holds the sync lock, `fence` its lease). One list's failure never stops
    the others, except a lost lock: the lists not synced yet are then reported failed without touching the store."""
    results: list[SyncResult] = []
    started = time.monotonic()
    for manifest in manifests:
        if stop is not None and stop.is_set():
            break
        if results and results[-1].lock_lost:
            results.append(_not_synced(manifest))
            continue
        results.append(
            sync_list(manifest, store, fetcher, max_entity_drop=max_entity_drop, progress=progress, fence=fence)
        )
    log.info(
        "sync.finished",
        lists=len(results),
        failed=sum(not r.is_current for r in results),
        duration_s=round(time.monotonic() - started, 2),
    )
    return results


def _not_synced(manifest: ListManifest) -> SyncResult:
    status = ListStatus(
        id=manifest.id,
        title=manifest.title,
        status=SyncState.FAILED,
        checked_at=utc_now(),
        error="not synced: this worker lost the sync lock to another worker (see the list before it)",
    )
    return SyncResult(manifest.id, status, lock_lost=True)


def run_once(
    manifests: Iterable[ListManifest],
    store: Store,
    fetcher: Fetcher,
    *,
    max_entity_drop: float = DEFAULT_MAX_ENTITY_DROP,
    lock_ttl_s: float = 900.0,
    lock_wait_s: float = 0.0,
    progress: Callable[[str, str], None] | None = None,
    stop: threading.Event | None = None,
) -> list[SyncResult] | None:
    """Sync under the store's lock, every write fenced by its lease; None when another worker holds it (it is
    syncing the same lists)."""
    with store.sync_lock(ttl_s=lock_ttl_s, wait_s=lock_wait_s) as lease:
        if not lease:
            log.info("sync.skipped", reason="another worker holds the sync lock")
            return None
        return sync_lists(
            manifests, store, fetcher, max_entity_drop=max_entity_drop, progress=progress, stop=stop, fence=lease
        )


def run_forever(
    manifests: Iterable[ListManifest],
    store: Store,
    fetcher: Fetcher,
    *,
    interval_s: float,
    stop: threading.Event,
    max_entity_drop: float = DEFAULT_MAX_ENTITY_DROP,
    initial_delay_s: float = 0.0,
    on_change: Callable[[list[SyncResult]], None] | None = None,
    lock_ttl_s: float = 900.0,
    after_cycle: Callable[[], None] | None = None,
) -> None:
    """Sync every `interval_s` until `stop` is set (run it in a background thread). `on_change` is called after
    a cycle that published at least one new version, e.g. to rebuild the matcher from the store; `after_cycle`
    after every cycle (store upkeep such as audit retention)."""
    manifests = list(manifests)
    if stop.wait(initial_delay_s):
        return
    while not stop.is_set():
        try:
            results = run_once(
                manifests, store, fetcher, max_entity_drop=max_entity_drop, lock_ttl_s=lock_ttl_s, stop=stop
            )
            if results and on_change is not None and any(r.status.status is SyncState.OK for r in results):
                on_change(results)
            if after_cycle is not None:
                after_cycle()
        except Exception:
            # Boundary: the background loop outlives any one cycle (store unreachable, a bug in a callback);
            # the next cycle tries again and the API keeps serving the snapshots it has.
            log.exception("sync.cycle_failed")
        stop.wait(interval_s)


def list_statuses(store: Store, manifests: Iterable[ListManifest], *, now: datetime | None = None) -> list[ListStatus]:
    """Status of each list as users see it: `never` when not synced, `stale` when the last good check is older
    than STALE_FACTOR refresh intervals (the worker is not running or cannot reach the store)."""
    now = now or datetime.now(UTC)
    known = store.all_statuses()
    out = []
    for m in manifests:
        status = replace(known.get(m.id) or ListStatus(id=m.id), title=m.title)
        checked = parse_timestamp(status.checked_at)
        is_current = status.status in (SyncState.OK, SyncState.UNCHANGED)
        if is_current and checked is not None and (now - checked).total_seconds() > STALE_FACTOR * m.refresh_interval_s:
            status = replace(status, status=SyncState.STALE)
        out.append(status)
    return out
