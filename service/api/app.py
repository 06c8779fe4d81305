"""The HTTP API: `create_app(settings)` wires the store, the matcher, the sync loop, auth, audit and metrics.

Domain errors become HTTP statuses in one table (`ERROR_STATUS`); anything unexpected becomes a JSON 500 with an
`error_id` that points at the logged traceback, never the traceback itself.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware

from service import __version__
from service.api.auth import KeyRing
from service.api.deps import AppContext, json_response
from service.api.docs import make_router as docs_router
from service.api.errors import status_for
from service.api.heap import freeze_heap, release_heap
from service.api.logs import configure_logging
from service.api.metrics import Metrics
from service.api.middleware import RequestGuard
from service.api.routes import health, match, monitors, records, screen, ui, webhooks
from service.api.schemas import LIST_ID_PATTERN
from service.errors import (
    ServiceError,
)
from service.notify.worker import DeliveryWorker, RetryPolicy
from service.screening.audit import AuditWriter
from service.screening.monitoring import CycleReport, Monitoring, MonitorWorker
from service.screening.retention import prune_expired
from service.screening.runtime import RELOAD_POLL_S, Preloaded, Runtime, SyncFn, SyncRunner
from service.screening.usecases import Screener
from service.settings import Settings
from service.sources.manifest import ListManifest, load_manifests
from service.store import Store
from service.store.base import AuditStats
from service.wiring import fetcher_from, matcher_cache_from, store_from

log = structlog.get_logger("service.api")


def _internal_error(exc: BaseException) -> Response:
    error_id = uuid.uuid4().hex[:16]
    log.error("http.internal_error", error_id=error_id, error_type=type(exc).__name__, exc_info=exc)
    return json_response({"detail": "internal error", "error_id": error_id}, 500)


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    status = status_for(exc)
    if status >= 500 and status != 503:
        return _internal_error(exc)
    return json_response({"detail": str(exc)}, status)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        # The submitted value is left out: it may be personal data and the client has it already.
        errors.append({"type": err.get("type"), "loc": list(err.get("loc", ())), "msg": err.get("msg")})
    return json_response({"detail": errors}, 422)


async def _unexpected(request: Request, exc: Exception) -> Response:
    return _internal_error(exc)


def make_sync_fn(
    settings: Settings, store: Store, manifests: Mapping[str, ListManifest], metrics: Metrics | None = None
) -> SyncFn:
    """One sync of the given lists under the store's lock, as a plain function: {list id: outcome}. With
    SANCTIONS_AUDIT_RETENTION_DAYS set, each sync is followed by the audit retention (exported records only)."""
    from service.sync.worker import run_once

    def sync(list_ids: list[str] | None) -> Mapping[str, str]:
        chosen = [manifests[i] for i in (list_ids or list(manifests))]
        with fetcher_from(settings) as fetcher:
            results = run_once(
                chosen,
                store,
                fetcher,
                max_entity_drop=settings.max_entity_drop,
                lock_ttl_s=settings.sync_lock_ttl_s,
            )
        if settings.audit_retention_days is not None:
            pruned = prune_expired(store, settings.audit_retention_days)
            if metrics is not None:
                metrics.audit_pruned.inc(pruned.removed)
                if pruned.held_back_since is not None:
                    metrics.audit_retention_refusals.inc()
        if results is None:
            return {i.id: "locked" for i in chosen}
        return {r.list_id: r.status.status.value for r in results}

    return sync


def make_notifier(settings: Settings, store: Store, metrics: Metrics) -> DeliveryWorker:
    """The webhook delivery worker as the settings configure it, counting outcomes in `metrics`."""
    return DeliveryWorker(
        store,
        policy=RetryPolicy(
            window_s=settings.webhook_retry_hours * 3600.0,
            base_s=settings.webhook_backoff_s,
            cap_s=settings.webhook_backoff_cap_s,
        ),
        timeout_s=settings.webhook_timeout_s,
        poll_s=settings.webhook_poll_s,
        keep_delivered_s=settings.webhook_keep_delivered_days * 86400.0,
        on_outcome=lambda outcome: metrics.webhook_deliveries.labels(outcome).inc(),
    )


def _narrow_openapi(schema: dict[str, Any], settings: Settings, list_ids: list[str]) -> dict[str, Any]:
    """Put this server's own limits into the schema: the served list ids, the batch and text caps."""

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("pattern") == LIST_ID_PATTERN:
                del node["pattern"]
                node["enum"] = [*list_ids, "default"] if node.get("x-dataset") else list(list_ids)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for parameter in schema.get("paths", {}).get("/match/{dataset}", {}).get("post", {}).get("parameters", []):
        if parameter.get("name") == "dataset":
            parameter["schema"]["x-dataset"] = True
    walk(schema)
    components = schema.get("components", {}).get("schemas", {})
    if "BatchRequest" in components:
        components["BatchRequest"]["properties"]["queries"]["maxItems"] = settings.max_batch
    if "YenteMatchRequest" in components:
        components["YenteMatchRequest"]["properties"]["queries"]["maxProperties"] = settings.max_batch
    if "TextRequest" in components:
        components["TextRequest"]["properties"]["text"]["maxLength"] = settings.max_text_chars
    return schema


def create_app(
    settings: Settings | None = None,
    *,
    sync: SyncFn | None = None,
    reload_poll_s: float = RELOAD_POLL_S,
    preloaded: Preloaded | None = None,
) -> FastAPI:
    """The ASGI app. `sync` replaces the sync worker (tests inject faults through it); `reload_poll_s` is how
    often the store's generation is checked for newly published lists; `preloaded`: the lists a supervising
    process loaded before it forked this worker (`sanctions serve --workers N`), which then never loads any itself."""
    settings = settings or Settings()
    configure_logging(settings.log_level, json=settings.log_json, only_if_unset=True)
    manifests = load_manifests(settings.lists_dir, settings.lists or None)
    list_ids = list(manifests)

    def list_gauges() -> Mapping[str, tuple[float | None, int]]:
        return ctx.runtime.list_gauges() if ctx.runtime is not None else {}

    def webhook_gauges() -> Mapping[str, int]:
        return {s.value: n for s, n in ctx.notifier.counts.items()} if ctx.notifier is not None else {}

    def audit_gauges() -> AuditStats | None:
        return ctx.runtime.store.audit_stats() if ctx.runtime is not None else None

    ctx = AppContext(
        settings=settings,
        keys=KeyRing(settings.api_keys),
        metrics=Metrics(list_gauges, audit_gauges, webhooks=webhook_gauges),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = store_from(settings)
        worker: MonitorWorker | None = None

        def on_reload(outcome: str) -> None:
            ctx.metrics.matcher_reloads.labels(outcome).inc()
            if worker is not None and outcome == "ok":
                worker.wake()  # new lists: re-screen the monitors they can affect now, not at the next tick

        runtime = Runtime(
            store,
            manifests,
            poll_s=reload_poll_s,
            on_reload=on_reload,
            after_build=freeze_heap,
            after_swap=release_heap,
            cache=matcher_cache_from(settings),
            preloaded=preloaded,
        )
        sync_fn = sync or make_sync_fn(settings, store, manifests, ctx.metrics)

        def on_outcome(outcome: Mapping[str, str]) -> None:
            for list_id, status in outcome.items():
                ctx.metrics.sync_outcomes.labels(list_id, status).inc()
            runtime.after_sync(outcome)

        runner = SyncRunner(sync_fn, interval_s=settings.sync_interval_s, on_outcome=on_outcome)
        ctx.audit = AuditWriter(store, on_failure=ctx.metrics.audit_failures.inc)
        ctx.runtime = runtime
        ctx.screener = Screener(
            runtime,
            threshold=settings.threshold,
            keep_queries=settings.audit_queries,
            max_batch=settings.max_batch,
            max_text_chars=settings.max_text_chars,
            decisions=lambda ref: store.monitoring.decisions(ref=ref),
        )
        ctx.monitoring = Monitoring(store, ctx.screener)

        def after_cycle(report: CycleReport) -> None:
            if report.events and ctx.notifier is not None:
                ctx.notifier.wake()  # new events: deliver them now rather than at the next poll

        worker = MonitorWorker(
            store, runtime, ctx.monitoring, interval_s=settings.monitor_interval_s, on_cycle=after_cycle
        )
        runtime.start(runner, sync_loop=settings.sync_on_start)
        if settings.webhook_worker:
            ctx.notifier = make_notifier(settings, store, ctx.metrics)
            ctx.notifier.start()
        worker.start()
        log.info("server.started", lists=list_ids, keys=ctx.keys.enabled, sync=runner is not None)
        try:
            yield
        finally:
            worker.stop()
            if ctx.notifier is not None:
                ctx.notifier.stop()
            runtime.stop()
            ctx.audit.close()
            store.close()
            log.info("server.stopped")

    app = FastAPI(
        title="sanctions-screening",
        version=__version__,
        summary="Screen people, companies, vessels and aircraft against the official sanctions lists.",
        description=(
            "Every hit carries its evidence and the list version it came from; every screening leaves an audit "
            "record. When SANCTIONS_API_KEYS is set, `/v1` and `/match` need `Authorization: Bearer <key>` or "
            "`X-API-Key: <key>`."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _narrow_openapi(FastAPI.openapi(app), settings, list_ids)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
    routers = (health, screen, monitors, webhooks, records, match)
    for router in (*(r.router for r in routers), docs_router(app.title)):
        app.include_router(router)
    if settings.ui:
        ui.install(app, settings)  # the review page under /ui (routes, static files, security headers)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        route_caps={"/v1/monitors/batch": max(settings.max_body_bytes, settings.max_monitor_batch_bytes)},
        metrics=ctx.metrics,
    )
    return app
