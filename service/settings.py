"""Typed settings from the environment (prefix SANCTIONS_); read only by the composition roots (cli, api.app)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service.store.spool import DEFAULT_SPOOL_MAX


def _default_lists_dir() -> Path:
    """lists/ beside the package in a source checkout, else the copy a wheel installs under the prefix."""
    source = Path(__file__).resolve().parent.parent / "lists"
    installed = Path(sys.prefix) / "share" / "sanctions-screening" / "lists"
    return source if source.is_dir() or not installed.is_dir() else installed


DEFAULT_LISTS_DIR = _default_lists_dir()

# Calibrated on tests/match/golden.csv and bench/eval_matcher.py (see the matcher issue's closing note).
DEFAULT_THRESHOLD = 0.80


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANCTIONS_", extra="ignore")

    data_dir: Path = Path("./data")
    lists_dir: Path = DEFAULT_LISTS_DIR
    lists: Annotated[list[str], NoDecode] = Field(default_factory=list)  # empty = every manifest in lists_dir
    mirror: str | None = None
    redis_url: str | None = None
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    sync_interval_s: float = Field(default=3600.0, gt=0)
    sync_on_start: bool = True

    # sync worker
    http_timeout_s: float = Field(default=60.0, gt=0)
    http_retries: int = Field(default=3, ge=0)
    max_download_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    max_entity_drop: float = Field(default=0.5, ge=0.0, le=1.0)  # refuse a list that lost more than this share
    # The sync lock's expiry: a worker that dies frees it after this long; one that stalls longer loses it (and
    # its publish is refused). Its watchdog renews it every third of this while the worker runs.
    sync_lock_ttl_s: float = Field(default=900.0, gt=0)

    # API
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    max_batch: int = Field(default=1000, gt=0)
    max_text_chars: int = Field(default=100_000, gt=0)
    max_monitor_batch_bytes: int = Field(default=16 * 1024 * 1024, gt=0)  # POST /v1/monitors/batch (10,000 parties)
    monitor_interval_s: float = Field(default=10.0, gt=0)  # how often the monitoring worker looks for work
    audit_queries: bool = False  # keep the screened values themselves in audit records
    # Audit retention by age: records older than this many days are removed once an export has covered them
    # (`sanctions audit export`); unset keeps every record.
    audit_retention_days: float | None = Field(default=None, gt=0)
    audit_retention: int | None = None  # no longer used (it dropped records silently); set, it is reported
    audit_spool: Path | None = None  # Redis store: the outage spool; unset, <data_dir>/audit-spool.sqlite3
    audit_spool_max: int = Field(default=DEFAULT_SPOOL_MAX, gt=0)
    # Each audit commit waits for the disk (SQLite synchronous=FULL), so a record the API reported survives a power
    # cut. Off (NORMAL), it survives a crash or a kill of the process but not of the machine, and screening's p99
    # under load drops from 130-210 ms to 26-34 ms on this project's test disk (bench_api). Operators choose; the
    # default is the safe one.
    audit_fsync: bool = True
    # How long `serve` keeps an idle connection open: longer than the idle timeout of the load balancer or client
    # in front (60 s on the common cloud balancers), else the balancer sometimes sends a request on a connection
    # the server is closing and gets a reset (uvicorn's own default is 5 s; bench/soak.py saw it).
    keep_alive_s: float = Field(default=75.0, gt=0)
    # Keep built matchers in <data_dir>/matcher-cache: a restart, the other workers and CLI runs on this data folder
    # load one in about a second instead of building it in about ten (service/screening/matcher_cache.py).
    matcher_cache: bool = True
    log_json: bool = False
    log_level: str = "INFO"

    # webhooks (service.notify): retries with backoff for this long, then a dead letter
    webhook_retry_hours: float = Field(default=24.0, gt=0)
    webhook_backoff_s: float = Field(default=5.0, gt=0)  # the first retry within this; doubles per failure
    webhook_backoff_cap_s: float = Field(default=3600.0, gt=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_poll_s: float = Field(default=1.0, gt=0)  # how often new events and due retries are looked for
    webhook_keep_delivered_days: float = Field(default=30.0, gt=0)  # then delivered events (personal data) go
    webhook_worker: bool = True  # deliver from this process (every replica may: leases keep them apart)
    # review page (/ui): service.api.ui.session explains the secret and the sessions
    ui: bool = True  # serve the review page under /ui
    ui_secret: SecretStr | None = None  # mixed into the session keys; the same value on every replica
    ui_session_ttl_s: float = Field(default=8 * 3600, gt=0)  # a session lasts a working day, then log in again

    @field_validator("lists", "api_keys", "cors_origins", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)
