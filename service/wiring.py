"""Settings -> the parts they configure, for the composition roots (the CLI and the app factory) only: domain
code takes plain arguments, never the Settings object."""

from __future__ import annotations

import structlog

from service.screening.matcher_cache import MatcherCache
from service.screening.runtime import ServingState, data_dir_cache
from service.settings import Settings
from service.store import Store, open_store
from service.sync.fetch import Fetcher

log = structlog.get_logger(__name__)


def store_from(settings: Settings) -> Store:
    """The embedded store in SANCTIONS_DATA_DIR, or Redis when SANCTIONS_REDIS_URL is set."""
    if settings.audit_retention is not None:
        log.warning(
            "settings.ignored",
            setting="SANCTIONS_AUDIT_RETENTION",
            reason="audit records are no longer dropped by count; see SANCTIONS_AUDIT_RETENTION_DAYS and "
            "`sanctions audit export`",
        )
    return open_store(
        settings.data_dir,
        settings.redis_url,
        spool_path=settings.audit_spool,
        spool_max=settings.audit_spool_max,
        audit_fsync=settings.audit_fsync,
    )


def store_name(settings: Settings) -> str:
    """The store as messages name it (never the Redis URL, which may carry a password)."""
    return "Redis store" if settings.redis_url else f"data dir {settings.data_dir}"


def matcher_cache_from(settings: Settings) -> MatcherCache[ServingState] | None:
    """Where built matchers are kept for the next process on this data folder (SANCTIONS_MATCHER_CACHE)."""
    return data_dir_cache(settings.data_dir) if settings.matcher_cache else None


def fetcher_from(settings: Settings) -> Fetcher:
    """The HTTP (or mirror folder) fetcher the sync worker downloads with."""
    return Fetcher(
        mirror=settings.mirror,
        timeout_s=settings.http_timeout_s,
        retries=settings.http_retries,
        max_bytes=settings.max_download_bytes,
    )
