"""Prometheus metrics: request latency by route, screenings, hits, matches, sync outcomes, list age and size, the
audit trail (records stored, storage, spool depth, export watermark age, retention) and webhook deliveries.

With several worker processes each counts on its own; `sanctions serve --workers N` sets
PROMETHEUS_MULTIPROC_DIR so that /metrics (answered by any worker) adds up every process's counters.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from service.normalize.dates import parse_timestamp
from service.store.base import AuditStats

# Latency buckets (seconds): a screening is expected in single-digit milliseconds, a 1,000-query batch in
# seconds; the buckets resolve both ends.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


ListGauges = Callable[[], Mapping[str, tuple[float | None, int]]]
"""What the list gauges read at scrape time: {list id: (fetched_at as unix seconds or None, entities)}."""

WebhookGauges = Callable[[], Mapping[str, int]]
"""Webhook deliveries by state ("pending", "dead", ...) as the delivery worker last counted them in the store."""


class _WebhookCollector(Collector):
    def __init__(self, source: WebhookGauges) -> None:
        self._source = source

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("sanctions_webhook_pending_deliveries", "")
        yield GaugeMetricFamily("sanctions_webhook_dead_deliveries", "")

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._source()
        yield GaugeMetricFamily(
            "sanctions_webhook_pending_deliveries",
            "Webhook deliveries waiting for their first or next attempt (every replica's, from the store)",
            value=counts.get("pending", 0),
        )
        yield GaugeMetricFamily(
            "sanctions_webhook_dead_deliveries",
            "Webhook deliveries that failed for the whole retry window: replay them (POST /v1/webhooks/{id}/replay)",
            value=counts.get("dead", 0),
        )


class _ListCollector(Collector):
    def __init__(self, source: ListGauges) -> None:
        self._source = source

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Names only: registering must not read the (not yet started) runtime.
        yield GaugeMetricFamily("sanctions_list_age_seconds", "", labels=["list"])
        yield GaugeMetricFamily("sanctions_list_entities", "", labels=["list"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        age = GaugeMetricFamily(
            "sanctions_list_age_seconds", "Seconds since the served version of a list was fetched", labels=["list"]
        )
        size = GaugeMetricFamily("sanctions_list_entities", "Entities in the served version of a list", labels=["list"])
        now = time.time()
        for list_id, (fetched_at, entities) in sorted(self._source().items()):
            if fetched_at is not None:
                age.add_metric([list_id], max(0.0, now - fetched_at))
            size.add_metric([list_id], entities)
        yield age
        yield size


AuditGauges = Callable[[], AuditStats | None]
"""What the audit gauges read at scrape time (None before the store is open)."""

_AUDIT_GAUGES = (
    ("sanctions_audit_records", "Audit records in the store (not counting the spool)"),
    ("sanctions_audit_store_bytes", "Storage the audit trail takes (SQLite files; Redis MEMORY USAGE estimate)"),
    ("sanctions_audit_spool_records", "Audit records in the local spool, waiting for Redis to come back"),
    ("sanctions_audit_export_watermark_age_seconds", "Seconds since the store received the last exported record"),
)


class _AuditCollector(Collector):
    def __init__(self, source: AuditGauges) -> None:
        self._source = source

    def describe(self) -> Iterator[GaugeMetricFamily]:
        for name, _ in _AUDIT_GAUGES:
            yield GaugeMetricFamily(name, "")

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self._source()
        if stats is None:
            return
        values: dict[str, float | None] = {
            "sanctions_audit_records": stats.records,
            "sanctions_audit_store_bytes": stats.bytes,
            "sanctions_audit_spool_records": stats.spooled,
            "sanctions_audit_export_watermark_age_seconds": None,
        }
        stored = parse_timestamp(stats.watermark_stored_at)
        if stored is not None:
            values["sanctions_audit_export_watermark_age_seconds"] = max(0.0, time.time() - stored.timestamp())
        for name, text in _AUDIT_GAUGES:
            value = values[name]
            if value is not None:  # unknown now (the store is unreachable): absent, not a misleading zero
                yield GaugeMetricFamily(name, text, value=value)


class Metrics:
    """One set of metric objects per app, registered on the app's own registry (tests build many apps)."""

    def __init__(self, source: ListGauges, audit: AuditGauges = lambda: None, webhooks: WebhookGauges = dict) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._source = source
        self._audit = audit
        self._webhooks = webhooks
        r = self.registry
        self.request_seconds = Histogram(
            "sanctions_http_request_duration_seconds",
            "HTTP request latency by route template, method and status",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.screenings = Counter("sanctions_screenings", "Screening requests answered, by kind", ["kind"], registry=r)
        self.queries = Counter(
            "sanctions_screened_queries", "Parties screened (a batch counts each query), by kind", ["kind"], registry=r
        )
        self.hits = Counter("sanctions_hits", "Hits returned, by list", ["list"], registry=r)
        self.matches = Counter("sanctions_matches", "Hits at or above the threshold, by list", ["list"], registry=r)
        self.sync_outcomes = Counter(
            "sanctions_sync_outcomes", "Sync attempts by list and outcome", ["list", "status"], registry=r
        )
        self.matcher_reloads = Counter(
            "sanctions_matcher_reloads", "Matcher rebuilds, by outcome", ["outcome"], registry=r
        )
        self.audit_failures = Counter("sanctions_audit_write_failures", "Audit write failures", registry=r)
        self.webhook_deliveries = Counter(
            "sanctions_webhook_deliveries",
            "Webhook delivery attempts by outcome (delivered, retry, dead)",
            ["outcome"],
            registry=r,
        )
        self.audit_pruned = Counter(
            "sanctions_audit_pruned_records", "Exported audit records removed by the retention", registry=r
        )
        self.audit_retention_refusals = Counter(
            "sanctions_audit_retention_refusals",
            "Retention runs that kept records past the retention because no export had covered them",
            registry=r,
        )
        self.registry.register(_ListCollector(source))
        self.registry.register(_AuditCollector(audit))
        self.registry.register(_WebhookCollector(webhooks))

    def render(self) -> bytes:
        multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not multiproc_dir:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        # Counters and histograms come from every worker's files; the list gauges from this worker's state
        # (every worker serves the same store generation within one poll interval).
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiproc_dir)  # type: ignore[no-untyped-call]
        registry.register(_ListCollector(self._source))
        registry.register(_WebhookCollector(self._webhooks))
        registry.register(_AuditCollector(self._audit))
        return generate_latest(registry)
