"""Where snapshots, sync state, diffs and audit records live: `open_store` picks the backend from the settings."""

from __future__ import annotations

from pathlib import Path

from service.errors import ConfigError
from service.store.base import Store
from service.store.embedded import EmbeddedStore
from service.store.spool import DEFAULT_SPOOL_MAX

SPOOL_FILE = "audit-spool.sqlite3"  # in the data folder unless SANCTIONS_AUDIT_SPOOL names another path


def open_store(
    data_dir: Path,
    redis_url: str | None = None,
    *,
    spool_path: Path | None = None,
    spool_max: int = DEFAULT_SPOOL_MAX,
    audit_fsync: bool = True,
) -> Store:
    """The embedded store in `data_dir`, or the shared Redis store when `redis_url` is set (its audit spool at
    `spool_path`, by default in `data_dir`). `audit_fsync`: local audit commits (the embedded store's trail, the
    Redis store's outage spool) wait for the disk."""
    if not redis_url:
        return EmbeddedStore(data_dir, audit_fsync=audit_fsync)
    try:
        # Imported only when asked for, so a single-process deployment never loads the redis client.
        from service.store.redis_ import RedisStore
    except ImportError as exc:
        raise ConfigError(f"SANCTIONS_REDIS_URL is set but the Redis store is unavailable: {exc}") from exc
    store: Store = RedisStore(
        redis_url, spool_path=spool_path or Path(data_dir) / SPOOL_FILE, spool_max=spool_max, spool_fsync=audit_fsync
    )
    return store


__all__ = ["EmbeddedStore", "Store", "open_store"]
