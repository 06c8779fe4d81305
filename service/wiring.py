"""Settings -> the parts they configure, for the composition roots (the CLI and the app factory) only: domain
code takes plain arguments, never the Settings object."""

from __future__ import annotations

from service.settings import Settings
from service.store import Store, open_store
from service.sync.fetch import Fetcher


def store_from(settings: Settings) -> Store:
    """The embedded store in SANCTIONS_DATA_DIR, or Redis when SANCTIONS_REDIS_URL is set."""
    return open_store(settings.data_dir, settings.redis_url, audit_retention=settings.audit_retention)


def store_name(settings: Settings) -> str:
    """The store as messages name it (never the Redis URL, which may carry a password)."""
    return "Redis store" if settings.redis_url else f"data dir {settings.data_dir}"


def fetcher_from(settings: Settings) -> Fetcher:
    """The HTTP (or mirror folder) fetcher the sync worker downloads with."""
    return Fetcher(
        mirror=settings.mirror,
        timeout_s=settings.http_timeout_s,
        retries=settings.http_retries,
        max_bytes=settings.max_download_bytes,
    )
