"""Where snapshots, sync state, diffs and audit records live: `open_store` picks the backend from the settings."""

from __future__ import annotations

from pathlib import Path

from service.errors import ConfigError
from service.store.base import Store
from service.store.embedded import EmbeddedStore


def open_store(data_dir: Path, redis_url: str | None = None, *, audit_retention: int = 1_000_000) -> Store:
    """The embedded store in `data_dir`, or the shared Redis store when `redis_url` is set."""
    if not redis_url:
        return EmbeddedStore(data_dir, audit_retention=audit_retention)
    try:
        # Imported only when asked for, so a single-process deployment never loads the redis client.
        from service.store.redis_ import RedisStore
    except ImportError as exc:
        raise ConfigError(f"SANCTIONS_REDIS_URL is set but the Redis store is unavailable: {exc}") from exc
    store: Store = RedisStore(redis_url, audit_retention=audit_retention)
    return store


__all__ = ["EmbeddedStore", "Store", "open_store"]
