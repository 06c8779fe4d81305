"""Redis (or Valkey) store: one shared store for a sync worker and any number of API replicas.

The only module that imports redis. Key layout, the publish protocol and the failure behaviour are documented
on `RedisStore`; the README's deployment section says how to run it.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, cast

import redis
import structlog
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from service.errors import StoreError
from service.model import ListStatus, Snapshot, SnapshotDiff
from service.redact import redact_url
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
from service.store.redis_monitoring import RedisMonitoring
from service.store.redis_webhooks import RedisWebhooks

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
DEFAULT_AUDIT_RETENTION = 1_000_000
# Records kept in memory while Redis is unreachable, written on the next successful audit write.
DEFAULT_AUDIT_BUFFER = 10_000
# After a connection failure, audit writes go straight to the buffer for this long instead of each
# screening waiting for a connect timeout.
RETRY_AFTER_S = 1.0
FLUSH_BATCH = 500  # buffered audit records written per round trip once Redis is back
# On the OFAC SDN snapshot (18.7 MB of JSON): level 6 gives 2.1 MB in about 1 s (once per publish); level 9
# is 2 % smaller for 1.7x the time, level 1 28 % larger. Decompression costs about 0.2 s at every level.
ZLIB_LEVEL = 6

# Flip one list's pointer to a fully written version, atomically with its status, diff and the generation
# counter, then notify subscribers. Lua runs atomically: a reader sees the old pointer or the new one.
# Old version keys are read from the old meta (not KEYS), so this needs a single Redis, not a cluster.
_FLIP = """
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

# Append one audit record and index it by screening id; once the stream exceeds the retention by a batch,
# drop the oldest entries and their index fields together, so both stay bounded by the same number.
_AUDIT = """
local id = redis.call('XADD', KEYS[1], '*', 'sid', ARGV[1], 'rec', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], id)
local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[3])
if excess >= tonumber(ARGV[4]) then
  for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)) do
    local f = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'sid' and redis.call('HGET', KEYS[2], f[i + 1]) == e[1] then redis.call('HDEL', KEYS[2], f[i + 1]) end
    end
  end
  redis.call('XTRIM', KEYS[1], 'MAXLEN', tonumber(ARGV[3]))
end
return id
"""

# Release or extend the sync lock only while it still holds our token (another worker may own it by now).
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
    audit / audit:index          stream of audit records (bounded by `audit_retention`) / hash screening_id -> entry
    lock:sync                    the sync lock: a random token, SET NX PX, released by compare-and-delete
    changes (pub/sub channel)    one message per publish: {"list_id", "version", "generation"}

    Publishing writes a new version under its own keys (with a TTL), then one Lua script checks it is complete,
    makes it persistent, flips `current`, writes status and diff, bumps `gen`, gives the old version a grace
    TTL and PUBLISHes. A worker killed before the flip leaves the old snapshot in service and its partial keys
    expire. Readers follow `current` then verify the sha256 of what they read.

    While Redis is unreachable every method raises StoreError except `write_audit`, which keeps up to
    `audit_buffer` records in memory and writes them once Redis answers again (dropped beyond that, counted
    in `audit_dropped` and logged), so a replica keeps screening from the matcher it has in memory.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        grace_s: float = DEFAULT_GRACE_S,
        pending_ttl_s: float = DEFAULT_PENDING_TTL_S,
        audit_retention: int = DEFAULT_AUDIT_RETENTION,
        audit_buffer: int = DEFAULT_AUDIT_BUFFER,
        connect_timeout_s: float = 2.0,
        timeout_s: float = 30.0,
    ) -> None:
        if chunk_bytes <= 0 or audit_retention <= 0:
            raise ValueError("chunk_bytes and audit_retention must be positive")
        self.url = url
        self.prefix = prefix
        self.chunk_bytes = chunk_bytes
        self.grace_s = grace_s
        self.pending_ttl_s = pending_ttl_s
        self.audit_retention = audit_retention
        self._audit_batch = max(1, min(1000, audit_retention // 100))
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
        self._audit = self._r.register_script(_AUDIT)
        self._unlock = self._r.register_script(_UNLOCK)
        self._renew = self._r.register_script(_RENEW)
        self._lock = threading.Lock()  # guards the snapshot cache and the audit buffer
        self._snap_cache: dict[str, tuple[str, Snapshot]] = {}  # list_id -> (publish id, decoded snapshot)
        self._audit_pending: deque[tuple[str, bytes]] = deque(maxlen=audit_buffer)
        self._audit_retry_at = 0.0
        self._flush_lock = threading.Lock()
        self.audit_dropped = 0
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
        except redis.RedisError as exc:
            raise StoreError(f"redis {what} failed ({redact_url(self.url)}): {type(exc).__name__}: {exc}") from exc

    # --- health ----------------------------------------------------------------------------------------
    def ping(self) -> bool:
        """True when Redis answers; also writes audit records buffered during an outage."""
        try:
            ok = bool(self._r.ping())
        except redis.RedisError:
            return False
        if ok and self._audit_pending:
            self._flush_audit()
        return ok

    def health(self) -> dict[str, Any]:
        ok = self.ping()
        return {
            "backend": "redis",
            "ok": ok,
            "audit_buffered": len(self._audit_pending),
            "audit_dropped": self.audit_dropped,
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

    def put_status(self, status: ListStatus) -> None:
        with self._errors("put_status"):
            self._r.hset(self._k("status"), status.id, encode_status(status))

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
    ) -> None:
        list_id = snapshot.list_id
        if status.id != list_id or (diff is not None and diff.list_id != list_id):
            raise StoreError(f"publish: status/diff list id differs from the snapshot's ({list_id})")
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
            self._flip_pointer(list_id, pub, snapshot.version, status, diff)
        log.info(
            "store.published",
            list_id=list_id,
            version=snapshot.version,
            entities=len(snapshot.entities),
            packed_bytes=snap["packed"],
        )

    def _flip_pointer(
        self, list_id: str, pub: str, version: str, status: ListStatus, diff: SnapshotDiff | None
    ) -> None:
        self._flip(
            keys=[
                self._k("current"),
                self._k("gen"),
                self._k("status"),
                self._k("diffs", list_id),
                self._k("v", list_id, pub, "meta"),
                self._k("epoch"),
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
            ],
        )

    def _current_meta(self, list_id: str) -> tuple[str, dict[str, Any]] | None:
        with self._errors("load"):
            pub = cast(bytes | None, self._r.hget(self._k("current"), list_id))
            if pub is None:
                return None
            meta = cast(bytes | None, self._r.get(self._k("v", list_id, pub.decode(), "meta")))
        return (pub.decode(), loads(meta)) if meta else ("", {})

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
        if self._audit_pending:
            # Replicas poll this every few seconds: Redis is back, so write what the outage left in memory
            # even if no screening comes to do it.
            with suppress(redis.RedisError):
                self._flush_audit()
                self._audit_retry_at = 0.0  # and audit writes go straight to Redis again
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

    def put_validators(self, list_id: str, validators: Mapping[str, Mapping[str, str]]) -> None:
        data = {name: dict(v) for name, v in validators.items()}
        with self._errors("put_validators"):
            self._r.hset(self._k("validators"), list_id, dumps(data))

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
            self._audit(keys=keys, args=[items[0][0], items[0][1], self.audit_retention, self._audit_batch])
            return
        pipe = self._r.pipeline(transaction=False)
        for sid, rec in items:
            self._audit(keys=keys, args=[sid, rec, self.audit_retention, self._audit_batch], client=pipe)
        pipe.execute()

    def _flush_audit(self) -> None:
        with self._flush_lock:  # the poller and the audit writer may both try: one writes, the other waits
            while True:
                with self._lock:
                    head = list(itertools.islice(self._audit_pending, FLUSH_BATCH))
                if not head:
                    return
                # Raises on failure: the records stay in the buffer. A record of a batch cut off mid-way may be
                # written twice; the index then names the later copy, and the lookup is unchanged.
                self._audit_many(head)
                with self._lock:
                    for item in head:  # by identity: the buffer may have dropped its oldest meanwhile
                        if self._audit_pending and self._audit_pending[0] is item:
                            self._audit_pending.popleft()

    def _buffer_audit(self, items: Sequence[tuple[str, bytes]], error: str) -> None:
        with self._lock:
            dropped = max(0, len(self._audit_pending) + len(items) - (self._audit_pending.maxlen or 0))
            self.audit_dropped += dropped
            was_empty = not self._audit_pending
            self._audit_pending.extend(items)
            buffered = len(self._audit_pending)
        if dropped:
            log.error("store.audit_dropped", dropped=self.audit_dropped, buffered=buffered)
        elif was_empty:
            log.warning("store.audit_buffering", error=error)

    def write_audit(self, record: Mapping[str, Any]) -> None:
        self.write_audits([record])

    def write_audits(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Append audit records in one round trip (the API's group commit). While Redis is unreachable they
        wait in memory (see the class docstring) instead of failing the screenings they record."""
        items = []
        for record in records:
            sid = record.get("screening_id")
            if not isinstance(sid, str) or not sid:
                raise StoreError("an audit record needs a 'screening_id'")
            items.append((sid, dumps(dict(record))))
        if not items:
            return
        if time.monotonic() < self._audit_retry_at:
            self._buffer_audit(items, "redis unavailable")
            return
        try:
            if self._audit_pending:
                self._flush_audit()
            self._audit_many(items)
        except redis.RedisError as exc:
            self._audit_retry_at = time.monotonic() + RETRY_AFTER_S
            self._buffer_audit(items, type(exc).__name__)

    def read_audit(self, screening_id: str) -> dict[str, Any] | None:
        with self._lock:
            for sid, rec in self._audit_pending:
                if sid == screening_id:
                    return cast(dict[str, Any], loads(rec))
        with self._errors("read_audit"):
            entry = cast(bytes | None, self._r.hget(self._k("audit", "index"), screening_id))
            if entry is None:
                return None
            rows = cast(list[tuple[bytes, dict[bytes, bytes]]], self._r.xrange(self._k("audit"), entry, entry))
        if not rows:
            return None
        return cast(dict[str, Any], loads(rows[0][1][b"rec"]))

    def audit_count(self) -> int:
        """Records in the stream (bounded by `audit_retention`)."""
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

    # --- sync lock -------------------------------------------------------------------------------------
    @contextmanager
    def sync_lock(self, ttl_s: float = 900.0, wait_s: float = 0.0) -> Iterator[bool]:
        """Yield True while this caller holds the lock, False when another worker kept it for `wait_s`.

        The lock expires after `ttl_s` if its holder dies; while held, a watchdog thread extends it every
        ttl/3, so a long sync keeps it. Release deletes it only if it still carries our token.
        """
        key = self._k("lock", "sync")
        token = secrets.token_hex(16)
        ttl_ms = max(1, int(ttl_s * 1000))
        deadline = time.monotonic() + wait_s
        with self._errors("sync_lock"):
            while not (acquired := bool(self._r.set(key, token, nx=True, px=ttl_ms))):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                time.sleep(min(0.2, remaining))
        if not acquired:
            log.info("store.sync_lock_busy")
            yield False
            return
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(ttl_s / 3):
                try:
                    if not self._renew(keys=[key], args=[token, ttl_ms]):
                        log.warning("store.sync_lock_lost")
                        return
                except redis.RedisError as exc:  # keep trying: the lock lives on until its TTL
                    log.warning("store.sync_lock_renew_failed", error=type(exc).__name__)

        watchdog = threading.Thread(target=renew, name="redis-sync-lock", daemon=True)
        watchdog.start()
        try:
            yield True
        finally:
            stop.set()
            watchdog.join(1.0)
            try:
                self._unlock(keys=[key], args=[token])
            except redis.RedisError as exc:  # the lock expires by itself after ttl_s
                log.warning("store.sync_lock_release_failed", error=type(exc).__name__)

    def close(self) -> None:
        self._r.close()
