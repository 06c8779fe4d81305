"""Liveness, readiness and Prometheus metrics: open routes (no API key), for orchestrators and scrapers."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from service.api.deps import Ctx, json_response
from service.api.metrics import CONTENT_TYPE
from service.api.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthResponse, summary="Liveness: 200 while the process serves")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get(
    "/readyz",
    response_model=ReadyResponse,
    summary="Readiness: 200 once a matcher with at least one list is loaded, else 503 with the reason",
    responses={503: {"model": ReadyResponse, "description": "not ready; `reason` says why"}},
)
async def readyz(ctx: Ctx) -> Response:
    runtime = ctx.runtime
    state = runtime.state if runtime is not None else None
    if state is None or not state.lists:
        reason = (runtime.last_error if runtime is not None else None) or "no list loaded yet"
        return json_response({"status": "not_ready", "reason": reason, "detail": reason, **_store(ctx)}, 503)
    # Still 200 when the store is degraded (Redis down): the loaded matcher answers correctly, and a 503 from
    # every replica at once would turn a store outage into a full one. `store` tells monitoring.
    return json_response(
        {
            "status": "ready",
            "lists": {k: v.version for k, v in sorted(state.lists.items())},
            "entities": len(state.matcher),
            **_store(ctx),
        }
    )


def _store(ctx: Ctx) -> dict[str, str]:
    error = ctx.runtime.store_error if ctx.runtime is not None else None
    # This route needs no key: say that the store is unreachable, not where it is (the log has the details).
    return (
        {"store": "degraded", "store_error": "the store cannot be read; see the server log"}
        if error
        else {"store": "ok"}
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "exposition format"}},
)
async def metrics(ctx: Ctx) -> Response:
    # In a thread: the audit gauges ask the store (a Redis round trip), which must not hold up the event loop.
    return Response(await run_in_threadpool(ctx.metrics.render), media_type=CONTENT_TYPE)
