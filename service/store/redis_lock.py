"""A lock in Redis for one worker at a time across replicas (the sync worker, the monitoring worker): a random token
set with NX and an expiry, renewed by a watchdog thread while held, released by compare-and-delete. A holder that
dies frees it when it expires; one that stalls past the expiry loses it (the sync worker's writes are fenced by
the token for that reason: see RedisStore.publish)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

import redis
import structlog

log = structlog.get_logger(__name__)

# Release or extend the lock only while it still holds our token (another worker may own it by now).
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class Errors(Protocol):
    """The store's translation of redis errors into StoreError for one named operation."""

    def __call__(self, what: str) -> AbstractContextManager[None]: ...


@contextmanager
def renewed_lock(
    client: redis.Redis, key: str, *, ttl_s: float, wait_s: float = 0.0, name: str, errors: Errors
) -> Iterator[str | None]:
    """Yield this holder's token while it holds `key`, None when another holder kept it for `wait_s`. `name`
    ("sync_lock", "monitor_lock") names the log events."""
    token = secrets.token_hex(16)
    ttl_ms = max(1, int(ttl_s * 1000))
    deadline = time.monotonic() + wait_s
    with errors(name):
        while not (acquired := bool(client.set(key, token, nx=True, px=ttl_ms))):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(0.2, remaining))
    if not acquired:
        log.info(f"store.{name}_busy")
        yield None
        return
    renew_script, unlock_script = client.register_script(_RENEW), client.register_script(_UNLOCK)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl_s / 3):
            try:
                if not renew_script(keys=[key], args=[token, ttl_ms]):
                    log.warning(f"store.{name}_lost")
                    return
            except redis.RedisError as exc:  # keep trying: the lock lives on until its TTL
                log.warning(f"store.{name}_renew_failed", error=type(exc).__name__)

    watchdog = threading.Thread(target=renew, name=f"redis-{name}", daemon=True)
    watchdog.start()
    try:
        yield token
    finally:
        stop.set()
        watchdog.join(1.0)
        try:
            unlock_script(keys=[key], args=[token])
        except redis.RedisError as exc:  # the lock expires by itself after ttl_s
            log.warning(f"store.{name}_release_failed", error=type(exc).__name__)
