"""Redis (or Valkey) store: one shared store for a sync worker and any number of API replicas.

The only module that imports redis. Key layout, the publish protocol and the failure behaviour are documented
on `RedisStore`; the README's deployment section says how to run it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import redis
import structlog
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from service.errors import LockLostError, StoreError
from service.model import ListStatus, Snapshot, SnapshotDiff
from service.redact import redact_url
from service.store.base import NOT_HELD, AuditEntry, AuditStats, Lease, PruneResult
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
from service.store.redis_lock import renewed_lock
from service.store.redis_monitoring import RedisMonitoring
from service.store.redis_webhooks import RedisWebhooks
from service.store.spool import DEFAULT_SPOOL_MAX, AuditSpool
from service.store.sqlitedb import utc_iso

log = structlog.get_logger(__name__)

DEFAULT_PREFIX = "sanctions:"
# Redis refuses values over 512 MiB; 32 MiB chunks keep each GET/SET short (a replica's other commands are not
# stuck behind one huge reply) while a full OFAC XML snapshot still fits in one or two chunks.
DEFAULT_CHUNK_BYTES = 32 * 1024 * 1024
# A reader that followed the old pointer just before a flip still finds the old version for this long.
DEFAULT_GRACE_S = 300.0
# Version keys are written with this TTL and made persistent by the flip: a worker that dies mid-publish
# leaves nothing behind for longer than this.
DEFAULT_PENDING_TTL_S = 3600.0
DIFFS_KEPT = 100
# After a connection failure, audit writes go straight to the spool for this long instead of each
# screening waiting for a connect timeout.
RETRY_AFTER_S = 1.0
FLUSH_BATCH = 500  # spooled audit records written per round trip once Redis is back
# Spooled records the audit writer itself replays before writing a new record directly (the background replay
# does the rest): enough to empty a short outage's spool at once, bounded so no screening waits long for it.
WRITE_REPLAY_BUDGET = 2 * FLUSH_BATCH
EXPORT_BATCH = 1000  # audit entries per XRANGE while exporting
PRUNE_BATCH = 1000  # audit entries deleted per script call: a few ms of Redis time each
_LOCK_LOST = (
    "this worker no longer holds the sync lock (it expired while the worker stalled, and another worker may have "
    "published since); the version in service stands"
)
# On the OFAC SDN snapshot (18.7 MB of JSON): level 6 gives 2.1 MB in about 1 s (once per publish); level 9
# is 2 % smaller for 1.7x the time, level 1 28 % larger. Decompression costs about 0.2 s at every level.
ZLIB_LEVEL = 6

# Flip one list's pointer to a fully written version, atomically with its status, diff and the generation
# counter, then notify subscribers. Lua runs atomically: a reader sees the old pointer or the new one.
# Old version keys are read from the old meta (not KEYS), so this needs a single Redis, not a cluster.
# With a fence token (ARGV[11]), the flip refuses unless the sync lock (KEYS[7]) still holds it: a worker whose
# lock expired while it stalled cannot replace what the lock's new holder published.
_FLIP = """
if ARGV[11] ~= '' and redis.call('GET', KEYS[7]) ~= ARGV[11] then
  return redis.error_reply('FENCED the sync lock is no longer held by this worker')
end
local meta = redis.call('GET', KEYS[5])
if not meta then
  return redis.error_reply('NOVERSION the new version is incomplete or expired')
end
for _, k in ipairs(cjson.decode(meta)['keys']) do redis.call('PERSIST', k) end
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old and old ~= ARGV[2] then
  local oldmeta = redis.call('GET', ARGV[8] .. old .. ':meta')
  if oldmeta then
    for _, k in ipairs(cjson.decode(oldmeta)['keys']) do redis.call('PEXPIRE', k, ARGV[6]) end
  end
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('LPUSH', KEYS[4], ARGV[4])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[5]) - 1)
end
local epoch = redis.call('GET', KEYS[6])
if not epoch then
  epoch = ARGV[10]
  redis.call('SET', KEYS[6], epoch)
end
local gen = epoch .. '.' .. redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[7], cjson.encode({list_id = ARGV[1], version = ARGV[9], generation = gen}))
return gen
"""

# One hash field, written only while the sync lock (KEYS[2]) holds the fence token ARGV[3] ('' = unfenced).
_FENCED_HSET = """
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then
  return redis.error_reply('FENCED the sync lock is no longer held by this worker')
end
return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
"""

# Append one audit record and index it by screening id, unless that id is indexed already: a record replayed
# from a spool (or written twice by a retried round trip) is stored once. Nothing is ever trimmed here.
_AUDIT = """
local have = redis.call('HGET', KEYS[2], ARGV[1])
if have then return have end
local id = redis.call('XADD', KEYS[1], '*', 'sid', ARGV[1], 'rec', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], id)
return id
"""

# Stream ids compared as (milliseconds, sequence).
_ID_LT = """
local function lt(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
"""

# Advance the export watermark (KEYS[2]) to ARGV[2] when the export started (ARGV[1]) at or before the first
# entry after the current watermark: the export covered everything from there on, with no gap.
_MARK = (
    _ID_LT
    + """
local mark = redis.call('GET', KEYS[2]) or '0-0'
if not lt(mark, ARGV[2]) then return 0 end
local nxt = redis.call('XRANGE', KEYS[1], '(' .. mark, '+', 'COUNT', 1)
if #nxt == 0 or lt(nxt[1][1], ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""
)

# Remove up to ARGV[2] of the oldest entries that are both covered by the export watermark (KEYS[3]) and older
# than the cutoff id ARGV[1], with their index fields; returns how many went.
_PRUNE = (
    _ID_LT
    + """
local mark = redis.call('GET', KEYS[3])
if not mark then return 0 end
local last = mark
if not lt(mark, ARGV[1]) then last = '(' .. ARGV[1] end
local rows = redis.call('XRANGE', KEYS[1], '-', last, 'COUNT', tonumber(ARGV[2]))
for _, e in ipairs(rows) do
  local f = e[2]
  for i = 1, #f, 2 do
    if f[i] == 'sid' and redis.call('HGET', KEYS[2], f[i + 1]) == e[1] then redis.call('HDEL', KEYS[2], f[i + 1]) end
  end
  redis.call('XDEL', KEYS[1], e[1])
end
return #rows
"""
)

_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, seq = entry_id.split("-", 1)
    return int(ms), int(seq)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A running change listener; `stop()` ends its thread."""

    _stop: threading.Event
    _thread: threading.Thread

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


class RedisStore:
    """The Store protocol on Redis. Keys, all under `prefix` (one deployment per prefix or DB number):

    gen / epoch                  counter INCR'd on every publish / random token set once: `generation()` is
                                 "<epoch>.<gen>", so a Redis that lost its data never repeats a generation
    current                      hash list_id -> publish id: THE pointer readers follow
    v:<list>:<pub>:meta          JSON: version, entity count, sha256 and chunk count of the snapshot and raw files,
                                 and every key of this version
    v:<list>:<pub>:snap:<i>      zlib-compressed snapshot (service.store.encoding), in chunks of `chunk_bytes`
    v:<list>:<pub>:raw:<j>:<i>   zlib-compressed raw file j (the files that snapshot was parsed from)
    status / validators          hashes list_id -> JSON
    diffs:<list>                 list of JSON diffs, newest first, capped at DIFFS_KEPT
    audit / audit:index          stream of audit records / hash screening_id -> entry id (a record is added once)
    audit:exported               the export watermark: id of the last entry an export covered (`prune_audit`
                                 removes only entries at or before it)
    lock:sync                    the sync lock: a random token, SET NX PX, released by compare-and-delete; the
                                 token fences the holder's publish, status and validator writes
    changes (pub/sub channel)    one message per publish: {"list_id", "version", "generation"}

    Publishing writes a new version under its own keys (with a TTL), then one Lua script checks it is complete,
    makes it persistent, flips `current`, writes status and diff, bumps `gen`, gives the old version a grace
    TTL and PUBLISHes. A worker killed before the flip leaves the old snapshot in service and its partial keys
    expire. Readers follow `current` then verify the sha256 of what they read. A fenced publish (the worker's sync
    lock lease) is refused by the flip itself when the lock no longer holds the lease's token.

    While Redis is unreachable every method raises StoreError except `write_audit`, which appends to the local
    spool (`spool_path`, a SQLite file: durable before the call returns, kept across a kill) and replays it in
    order once Redis answers again; so a replica keeps screening from the matcher it has in memory without an
    unrecorded answer. A full or unwritable spool (or none configured) makes `write_audit` raise StoreError.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        grace_s: float = DEFAULT_GRACE_S,
        pending_ttl_s: float = DEFAULT_PENDING_TTL_S,
        spool_path: Path | None = None,
        spool_max: int = DEFAULT_SPOOL_MAX,
        spool_fsync: bool = True,
        connect_timeout_s: float = 2.0,
        timeout_s: float = 30.0,
    ) -> None:
        if chunk_bytes <= 0:
            raise ValueError("chunk_bytes must be positive")
        self.url = url
        self.prefix = prefix
        self.chunk_bytes = chunk_bytes
        self.grace_s = grace_s
        self.pending_ttl_s = pending_ttl_s
        self._connect_timeout_s = connect_timeout_s
        self._timeout_s = timeout_s
        try:
            self._r = redis.Redis.from_url(
                url,
                socket_connect_timeout=connect_timeout_s,
                socket_timeout=timeout_s,
                socket_keepalive=True,
                health_check_interval=15,
                # A couple of quick retries ride out a Redis restart or failover without failing a request;
                # more would only delay the degraded answer while Redis is really gone.
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
                retry_on_error=[redis.ConnectionError, redis.TimeoutError],
            )
        except ValueError as exc:
            raise StoreError(f"bad redis URL {redact_url(url)}: {exc}") from exc
        self._flip = self._r.register_script(_FLIP)
        self._fenced_hset = self._r.register_script(_FENCED_HSET)
        self._audit = self._r.register_script(_AUDIT)
        self._mark = self._r.register_script(_MARK)
        self._prune = self._r.register_script(_PRUNE)
        self._lock = threading.Lock()  # guards the snapshot cache
        self._snap_cache: dict[str, tuple[str, Snapshot]] = {}  # list_id -> (publish id, decoded snapshot)
        self.spool = AuditSpool(spool_path, spool_max, fsync=spool_fsync) if spool_path is not None else None
        # True while records wait in the spool: new ones queue behind them, so Redis receives them in order.
        self._spooling = self.spool is not None and self.spool.depth() > 0
        self._spool_lock = threading.Lock()  # makes "is the spool empty? then write directly" one step
        self._replay_lock = threading.Lock()  # one replay at a time in this process
        self._replayer: threading.Thread | None = None
        self._closing = threading.Event()
        self._audit_retry_at = 0.0
        self._monitoring: RedisMonitoring | None = None
        self._webhooks: RedisWebhooks | None = None

    # --- keys ------------------------------------------------------------------------------------------
    def _k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    @property
    def channel(self) -> str:
        return self._k("changes")

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except redis.ResponseError as exc:
            if str(exc).startswith("FENCED"):
                raise LockLostError(f"write refused: {_LOCK_LOST}") from exc
            raise StoreError(f"redis {what} failed ({redact_url(self.url)}): {type(exc).__name__}: {exc}") from exc
        except redis.RedisError as exc:
            raise StoreError(f"redis {what} failed ({redact_url(self.url)}): {type(exc).__name__}: {exc}") from exc

    # --- health ----------------------------------------------------------------------------------------
    def ping(self) -> bool:
        """True when Redis answers; also starts replaying audit records spooled during an outage."""
        try:
            ok = bool(self._r.ping())
        except redis.RedisError:
            return False
        if ok and self._spooling:
            self._start_replay()
        return ok

    def health(self) -> dict[str, Any]:
        ok = self.ping()
        return {
            "backend": "redis",
            "ok": ok,
            "audit_spooled": self.spool.depth() if self.spool is not None else 0,
        }

    # --- sync state ------------------------------------------------------------------------------------
    def get_status(self, list_id: str) -> ListStatus | None:
        with self._errors("get_status"):
            raw = cast(bytes | None, self._r.hget(self._k("status"), list_id))
        return decode_status(raw) if raw else None

    def all_statuses(self) -> dict[str, ListStatus]:
        with self._errors("all_statuses"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self._k("status")))
        return {k.decode(): decode_status(v) for k, v in sorted(raw.items())}

    def put_status(self, status: ListStatus, *, fence: Lease | None = None) -> None:
        with self._errors("put_status"):
            self._hset(self._k("status"), status.id, encode_status(status), fence)

    def _hset(self, key: str, field: str, value: bytes, fence: Lease | None) -> None:
        if fence is None:
            self._r.hset(key, field, value)
        else:
            self._fenced_hset(keys=[key, self._k("lock", "sync")], args=[field, value, fence.token or "-"])

    # --- snapshots -------------------------------------------------------------------------------------
    def _write_blob(self, pipe: Any, base: str, data: bytes, ttl_ms: int) -> dict[str, Any]:
        packed = zlib.compress(data, ZLIB_LEVEL)
        keys = []
        for i, start in enumerate(range(0, max(len(packed), 1), self.chunk_bytes)):
            key = f"{base}:{i}"
            pipe.set(key, packed[start : start + self.chunk_bytes], px=ttl_ms)
            keys.append(key)
        return {"sha256": _sha256(data), "size": len(data), "packed": len(packed), "keys": keys}

    def _read_blob(self, info: Mapping[str, Any]) -> bytes | None:
        """The blob's bytes, None when a chunk is gone (expired old version), StoreError when corrupt."""
        with self._errors("read"):
            pipe = self._r.pipeline(transaction=False)
            for key in info["keys"]:
                pipe.get(key)
            parts = cast(list[bytes | None], pipe.execute())
        if any(p is None for p in parts):
            return None
        try:
            data = zlib.decompress(b"".join(cast(list[bytes], parts)))
        except zlib.error as exc:
            raise StoreError(f"corrupt blob {info['keys'][0]}: {exc}") from exc
        if _sha256(data) != info["sha256"]:
            raise StoreError(f"sha256 mismatch in {info['keys'][0]}")
        return data

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
        if fence is not None:
            # Checked now too, not only by the flip: a worker that lost its lock uploads no snapshot for nothing.
            with self._errors("publish"):
                holder = cast(bytes | None, self._r.get(self._k("lock", "sync")))
            if not fence or holder is None or holder.decode() != fence.token:
                raise LockLostError(f"write refused: {_LOCK_LOST}")
        pub = f"{int(time.time() * 1000)}-{secrets.token_hex(4)}"  # unique even when a version is re-published
        base = self._k("v", list_id, pub)
        ttl_ms = int(self.pending_ttl_s * 1000)
        payload = encode_snapshot(snapshot)
        with self._errors("publish"):
            pipe = self._r.pipeline(transaction=False)
            snap = self._write_blob(pipe, f"{base}:snap", payload, ttl_ms)
            raw = []
            for j, (name, data) in enumerate(sorted(raw_files.items())):
                raw.append({"name": name, **self._write_blob(pipe, f"{base}:raw:{j}", data, ttl_ms)})
            keys = [k for blob in (snap, *raw) for k in blob["keys"]]
            meta = {
                "list_id": list_id,
                "version": snapshot.version,
                "entities": len(snapshot.entities),
                "published": time.time(),
                "snapshot": snap,
                "raw": raw,
                "keys": [*keys, f"{base}:meta"],
            }
            # Chunks first, meta last, each its own command: the flip refuses a version without meta, and
            # meta exists only once every chunk before it has been written.
            pipe.execute()
            self._r.set(f"{base}:meta", dumps(meta), px=ttl_ms)
            self._flip_pointer(list_id, pub, snapshot.version, status, diff, fence=fence)
        log.info(
            "store.published",
            list_id=list_id,
            version=snapshot.version,
            entities=len(snapshot.entities),
            packed_bytes=snap["packed"],
        )

    def _flip_pointer(
        self,
        list_id: str,
        pub: str,
        version: str,
        status: ListStatus,
        diff: SnapshotDiff | None,
        *,
        fence: Lease | None = None,
    ) -> None:
        self._flip(
            keys=[
                self._k("current"),
                self._k("gen"),
                self._k("status"),
                self._k("diffs", list_id),
                self._k("v", list_id, pub, "meta"),
                self._k("epoch"),
                self._k("lock", "sync"),
            ],
            args=[
                list_id,
                pub,
                encode_status(status),
                encode_diff(diff) if diff else b"",
                DIFFS_KEPT,
                int(self.grace_s * 1000),
                self.channel,
                self._k("v", list_id, ""),
                version,
                secrets.token_hex(4),
                (fence.token or "-") if fence is not None else "",
            ],
        )

    def _current_meta(self, list_id: str) -> tuple[str, dict[str, Any]] | None:
        with self._errors("load"):
            pub = cast(bytes | None, self._r.hget(self._k("current"), list_id))
            if pub is None:
                return None
            meta = cast(bytes | None, self._r.get(self._k("v", list_id, pub.decode(), "meta")))
        return (pub.decode(), loads(meta)) if meta else ("", {})

    def seed_snapshots(self, generation: str, snapshots: Iterable[Snapshot]) -> None:
        snapshots = list(snapshots)
        with self._errors("load"):
            # the publish ids first, then the generation: a publish bumps it after moving the pointer, so an
            # unchanged generation means these ids are the ones `generation` was made of
            current = cast(dict[bytes, bytes], self._r.hgetall(self._k("current")))
        if self.generation() != generation:
            return
        with self._lock:
            for snap in snapshots:
                pub = current.get(snap.list_id.encode())
                if pub is not None:
                    self._snap_cache[snap.list_id] = (pub.decode(), snap)

    def load_snapshot(self, list_id: str) -> Snapshot | None:
        # A retry covers the rare reader that followed a pointer whose version expired under it.
        for _ in range(3):
            cur = self._current_meta(list_id)
            if cur is None:
                return None
            pub, meta = cur
            if not meta:
                continue
            with self._lock:
                cached = self._snap_cache.get(list_id)
            if cached and cached[0] == pub:
                return cached[1]
            data = self._read_blob(meta["snapshot"])
            if data is None:
                continue
            snap = decode_snapshot(data)
            with self._lock:
                self._snap_cache[list_id] = (pub, snap)
            return snap
        raise StoreError(f"snapshot of {list_id} kept changing under the reader")

    def load_raw(self, list_id: str) -> dict[str, bytes]:
        for _ in range(3):
            cur = self._current_meta(list_id)
            if cur is None:
                return {}
            meta = cur[1]
            if not meta:
                continue
            out: dict[str, bytes] = {}
            for info in meta["raw"]:
                data = self._read_blob(info)
                if data is None:
                    break
                out[info["name"]] = data
            else:
                return out
        raise StoreError(f"raw files of {list_id} kept changing under the reader")

    def generation(self) -> str:
        with self._errors("generation"):
            epoch, gen = cast(list[bytes | None], self._r.mget(self._k("epoch"), self._k("gen")))
            if epoch is None:
                # A new or emptied Redis: a fresh epoch, so this generation differs from any served before.
                self._r.set(self._k("epoch"), secrets.token_hex(4), nx=True)
                epoch, gen = cast(list[bytes | None], self._r.mget(self._k("epoch"), self._k("gen")))
        if self._spooling or (self.spool is not None and self.spool.depth() > 0):
            # Replicas poll this every few seconds: Redis is back, so replay what the outage left in the spool
            # even if no screening comes to do it; also what another process on this data folder left there
            # (a uvicorn worker killed before it could replay its own).
            self._start_replay()
        return f"{(epoch or b'').decode()}.{(gen or b'0').decode()}"

    def subscribe_changes(self, callback: Callable[[str], None], *, poll_s: float = 1.0) -> Subscription:
        """Call `callback(generation)` on every publish, from a daemon thread, until `stop()`.

        Pub/sub drops messages sent while a subscriber is disconnected, so the callback also runs after
        every (re)connection with the current generation: the caller compares it with the one it serves.
        """
        stop = threading.Event()

        def run() -> None:
            backoff = 0.1
            while not stop.is_set():
                pubsub = self._r.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                try:
                    pubsub.subscribe(self.channel)
                    callback(self.generation())
                    backoff = 0.1
                    while not stop.is_set():
                        msg = pubsub.get_message(timeout=poll_s)
                        if msg and msg.get("type") == "message":
                            callback(str(loads(msg["data"]).get("generation", "")))
                except (redis.RedisError, StoreError, OSError) as exc:
                    log.warning("store.subscription_lost", error=type(exc).__name__)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                finally:
                    with suppress(redis.RedisError, OSError):  # closing a dead connection: nothing to save
                        pubsub.close()

        thread = threading.Thread(target=run, name="redis-store-changes", daemon=True)
        thread.start()
        return Subscription(stop, thread)

    # --- validators ------------------------------------------------------------------------------------
    def get_validators(self, list_id: str) -> dict[str, dict[str, str]]:
        with self._errors("get_validators"):
            raw = cast(bytes | None, self._r.hget(self._k("validators"), list_id))
        return cast(dict[str, dict[str, str]], loads(raw)) if raw else {}

    def put_validators(
        self, list_id: str, validators: Mapping[str, Mapping[str, str]], *, fence: Lease | None = None
    ) -> None:
        data = {name: dict(v) for name, v in validators.items()}
        with self._errors("put_validators"):
            self._hset(self._k("validators"), list_id, dumps(data), fence)

    # --- diffs -----------------------------------------------------------------------------------------
    def diffs(self, list_id: str, limit: int = 20) -> list[SnapshotDiff]:
        if limit <= 0:
            return []
        with self._errors("diffs"):
            raw = cast(list[bytes], self._r.lrange(self._k("diffs", list_id), 0, limit - 1))
        return [decode_diff(d) for d in raw]

    # --- audit -----------------------------------------------------------------------------------------
    def _audit_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Append records in one round trip (a pipeline of the audit script); raises RedisError on failure."""
        keys = [self._k("audit"), self._k("audit", "index")]
        if len(items) == 1:
            self._audit(keys=keys, args=[items[0][0], items[0][1]])
            return
        pipe = self._r.pipeline(transaction=False)
        for sid, rec in items:
            self._audit(keys=keys, args=[sid, rec], client=pipe)
        pipe.execute()

    def _replay(self, budget: int | None = None) -> int:
        """Write spooled records to Redis in spool order, a batch per round trip, and forget each batch once
        Redis has it; returns how many went. Raises RedisError when Redis fails (the records stay spooled). A
        batch cut off mid-way is written again next time: the audit script ignores the ids it already holds."""
        spool = self.spool
        if spool is None or not self._replay_lock.acquire(blocking=False):
            return 0
        done = 0
        try:
            with spool.replaying() as mine:
                if not mine:
                    return 0  # another process on this data folder is replaying the same spool
                while (budget is None or done < budget) and not self._closing.is_set():
                    with self._spool_lock:
                        rows = spool.head(FLUSH_BATCH)
                        if not rows:
                            self._spooling = False  # new records go straight to Redis again
                            break
                    self._audit_many([(sid, rec) for _, sid, rec in rows])
                    spool.remove_through(rows[-1][0])
                    done += len(rows)
        except OSError as exc:  # the replay lock file: the spool stays as it is and is tried again later
            log.warning("store.audit_replay_failed", error=str(exc))
        finally:
            self._replay_lock.release()
        if done:
            log.info("store.audit_replayed", records=done, spooling=self._spooling)
        return done

    def _start_replay(self) -> None:
        """Replay the spool in a background thread (one at a time), so no poller or screening waits for it."""
        if self._replayer is not None and self._replayer.is_alive():
            return

        def run() -> None:
            try:
                self._replay()
                self._audit_retry_at = 0.0  # Redis answered: audit writes try it directly again
            except (redis.RedisError, StoreError) as exc:
                log.warning("store.audit_replay_failed", error=type(exc).__name__)

        self._replayer = threading.Thread(target=run, name="redis-audit-replay", daemon=True)
        self._replayer.start()

    def _to_spool(self, items: Sequence[tuple[str, bytes]], reason: str) -> None:
        if self.spool is None:
            raise StoreError(f"Redis is unreachable ({reason}) and no audit spool is configured: not recorded")
        with self._spool_lock:
            was_spooling = self._spooling
            try:
                depth = self.spool.append(items)
            except StoreError as exc:
                log.error("store.audit_spool_failed", path=str(self.spool.path), error=str(exc), reason=reason)
                raise StoreError(f"cannot record the screening: Redis is unreachable ({reason}) and {exc}") from exc
            self._spooling = True
        if not was_spooling:
            log.warning("store.audit_spooling", reason=reason, path=str(self.spool.path), depth=depth)

    def write_audit(self, record: Mapping[str, Any]) -> None:
        self.write_audits([record])

    def write_audits(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Append audit records in one round trip (the API's group commit). While Redis is unreachable, or while
        older records still wait in the spool, they go to the spool (see the class docstring)."""
        items = []
        for record in records:
            sid = record.get("screening_id")
            if not isinstance(sid, str) or not sid:
                raise StoreError("an audit record needs a 'screening_id'")
            items.append((sid, dumps(dict(record))))
        if not items:
            return
        reason = "redis unavailable"
        if time.monotonic() >= self._audit_retry_at:
            try:
                if self._spooling:
                    self._replay(budget=WRITE_REPLAY_BUDGET)
                if not self._spooling:
                    self._audit_many(items)
                    return
                reason = "older records still replaying"
            except redis.RedisError as exc:
                self._audit_retry_at = time.monotonic() + RETRY_AFTER_S
                reason = type(exc).__name__
        self._to_spool(items, reason)

    def read_audit(self, screening_id: str) -> dict[str, Any] | None:
        if self.spool is not None:
            spooled = self.spool.get(screening_id)
            if spooled is not None:
                return cast(dict[str, Any], loads(spooled))
        with self._errors("read_audit"):
            entry = cast(bytes | None, self._r.hget(self._k("audit", "index"), screening_id))
            if entry is None:
                return None
            rows = cast(list[tuple[bytes, dict[bytes, bytes]]], self._r.xrange(self._k("audit"), entry, entry))
        if not rows:
            return None
        return cast(dict[str, Any], loads(rows[0][1][b"rec"]))

    def audit_count(self) -> int:
        """Entries in the stream."""
        with self._errors("audit_count"):
            return int(self._r.xlen(self._k("audit")))

    # --- monitoring -------------------------------------------------------------------------------------
    @property
    def monitoring(self) -> RedisMonitoring:
        if self._monitoring is None:
            self._monitoring = RedisMonitoring(self._r, self.prefix, self._errors)
        return self._monitoring

    @property
    def webhooks(self) -> RedisWebhooks:
        if self._webhooks is None:
            self._webhooks = RedisWebhooks(self._r, self.prefix, self._errors)
        return self._webhooks

    @staticmethod
    def _entry_time(entry_id: str) -> str:
        """When Redis received an entry: the milliseconds part of its stream id."""
        return utc_iso(datetime.fromtimestamp(int(entry_id.split("-", 1)[0]) / 1000, UTC))

    @staticmethod
    def _id_at(when: datetime) -> str:
        """The first stream id at or after `when`."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return f"{max(0, int(when.timestamp() * 1000))}-0"

    def export_audit(
        self, *, after: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[AuditEntry]:
        """Stream entries in id order (the order Redis received them), EXPORT_BATCH per XRANGE."""
        if after is not None and not _STREAM_ID.match(after):
            raise StoreError(f"not an audit cursor of the Redis store: {after[:40]!r} (a stream id)")
        start = f"({after}" if after is not None else "-"
        if since is not None:
            first = self._id_at(since)
            if after is None or _id_key(first) > _id_key(after):
                start = first
        stop = _id_key(self._id_at(until)) if until is not None else None
        while True:
            with self._errors("export_audit"):
                rows = cast(
                    list[tuple[bytes, dict[bytes, bytes]]],
                    self._r.xrange(self._k("audit"), start, "+", count=EXPORT_BATCH),
                )
            if not rows:
                return
            for raw_id, fields in rows:
                entry_id = raw_id.decode()
                if stop is not None and _id_key(entry_id) >= stop:
                    return
                yield AuditEntry(entry_id, self._entry_time(entry_id), cast(dict[str, Any], loads(fields[b"rec"])))
                start = f"({entry_id}"

    def audit_cursor(self, ref: str) -> str | None:
        with self._errors("audit_cursor"):
            entry = cast(bytes | None, self._r.hget(self._k("audit", "index"), ref))
        if entry is not None:
            return entry.decode()
        return ref if _STREAM_ID.match(ref) else None

    def mark_exported(self, first: str, last: str) -> bool:
        for cursor in (first, last):
            if not _STREAM_ID.match(cursor):
                raise StoreError(f"not an audit cursor of the Redis store: {cursor[:40]!r} (a stream id)")
        with self._errors("mark_exported"):
            return bool(self._mark(keys=[self._k("audit"), self._k("audit", "exported")], args=[first, last]))

    def prune_audit(self, before: datetime) -> PruneResult:
        keys = [self._k("audit"), self._k("audit", "index"), self._k("audit", "exported")]
        cutoff = self._id_at(before)
        removed = 0
        with self._errors("prune_audit"):
            while True:
                n = int(cast(int, self._prune(keys=keys, args=[cutoff, PRUNE_BATCH])))
                removed += n
                if n < PRUNE_BATCH:
                    break
            mark = cast(bytes | None, self._r.get(self._k("audit", "exported")))
            start = f"({mark.decode()}" if mark else "-"
            head = cast(list[tuple[bytes, Any]], self._r.xrange(self._k("audit"), start, "+", count=1))
        held = None
        if head and _id_key(head[0][0].decode()) < _id_key(cutoff):
            held = self._entry_time(head[0][0].decode())
        return PruneResult(removed, held)

    def audit_stats(self) -> AuditStats:
        """During an outage only the spool depth is known (and it is what matters then): the rest is None,
        without waiting for a connect timeout while the audit writer already knows Redis is gone."""
        spooled = self.spool.depth() if self.spool is not None else 0
        if time.monotonic() < self._audit_retry_at:
            return AuditStats(None, None, spooled, None, None)
        try:
            pipe = self._r.pipeline(transaction=False)
            pipe.xlen(self._k("audit"))
            pipe.get(self._k("audit", "exported"))
            # MEMORY USAGE samples a few elements of each key (its default of 5): an estimate, and cheap.
            pipe.memory_usage(self._k("audit"))
            pipe.memory_usage(self._k("audit", "index"))
            records, mark, stream_bytes, index_bytes = pipe.execute()
        except redis.RedisError:
            return AuditStats(None, None, spooled, None, None)
        watermark = mark.decode() if mark else None
        return AuditStats(
            records=int(records),
            bytes=int(stream_bytes or 0) + int(index_bytes or 0),
            spooled=spooled,
            watermark=watermark,
            watermark_stored_at=self._entry_time(watermark) if watermark else None,
        )

    # --- sync lock -------------------------------------------------------------------------------------
    @contextmanager
    def sync_lock(self, ttl_s: float = 900.0, wait_s: float = 0.0) -> Iterator[Lease]:
        """Yield a Lease carrying this caller's token while it holds the lock, NOT_HELD when another worker kept
        it for `wait_s`.

        The lock expires after `ttl_s` if its holder dies; while held, a watchdog thread extends it every
        ttl/3, so a long sync keeps it. A holder that stalls longer than `ttl_s` (SIGSTOP, a swap storm, a VM
        pause) loses it, and the watchdog cannot know in time: that is why the lease fences the holder's writes
        (`publish(..., fence=lease)`), which Redis refuses once the key holds another token. Release deletes
        the key only if it still carries our token.
        """
        with renewed_lock(
            self._r, self._k("lock", "sync"), ttl_s=ttl_s, wait_s=wait_s, name="sync_lock", errors=self._errors
        ) as token:
            # Lost renewals are logged by the lock; the fence then refuses this worker's writes and the sync
            # reports the refusal.
            yield Lease(token) if token is not None else NOT_HELD

    def close(self) -> None:
        self._closing.set()
        if self._replayer is not None:
            self._replayer.join(5.0)  # it stops after the batch in flight; the rest stays spooled
        if self.spool is not None:
            self.spool.close()
        self._r.close()
