"""Monitoring routes: watched parties (monitors), reviewers' decisions and the alert queue. Adapters over
`service.screening.monitoring`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from service.api.convert import to_monitor_spec
from service.api.deps import Ctx, KeyId, json_response
from service.api.routes.screen import ERRORS
from service.api.schemas import (
    AlertsResponse,
    DecisionOut,
    DecisionRequest,
    DecisionsResponse,
    ErrorResponse,
    MonitorBatchRequest,
    MonitorBatchResponse,
    MonitorListResponse,
    MonitorRequest,
    MonitorResponse,
)
from service.errors import TooLargeError
from service.model import DecisionKind
from service.screening.limits import MAX_MONITOR_BATCH, MAX_REF_CHARS
from service.screening.responses import (
    decision_response,
    monitor_batch_item,
    monitor_hits,
    monitor_response,
    monitor_summary,
)
from service.screening.wire import list_info_to_dict

router = APIRouter(prefix="/v1", tags=["monitoring"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "no such monitor"}}
RefPath = Annotated[str, Path(min_length=1, max_length=MAX_REF_CHARS, description="your key for the party")]
Cursor = Annotated[str | None, Query(max_length=4 * MAX_REF_CHARS, description="the previous page's next_cursor")]
PageLimit = Annotated[int, Query(ge=1, le=1000)]


@router.put(
    "/monitors/{ref}",
    response_model=MonitorResponse,
    status_code=200,
    responses={**ERRORS, 201: {"model": MonitorResponse, "description": "created"}},
    summary="Watch a party (create or replace)",
)
async def put_monitor(ref: RefPath, body: MonitorRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Screen the party now and keep watching it: its matches are the baseline; when a list change gives it a
    new match, changes one or delists one, subscribed webhooks get an event. 201 when created, 200 when replaced."""
    monitoring = ctx.require_monitoring()
    [stored], record = await run_in_threadpool(monitoring.put, [(ref, to_monitor_spec(body))], actor=key_id)
    await ctx.require_audit().write(record)
    decisions = monitoring.decisions(ref)
    body_out = monitor_response(
        stored.monitor, decisions, ctx.state().matcher.get, created=stored.created, screening_id=record.screening_id
    )
    return json_response(body_out, 201 if stored.created else 200)


@router.post(
    "/monitors/batch", response_model=MonitorBatchResponse, responses=ERRORS, summary="Watch many parties at once"
)
async def put_monitors(body: MonitorBatchRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Create or replace up to 10,000 monitors in one request (each screened now), e.g. a customer file."""
    if len(body.records) > MAX_MONITOR_BATCH:
        raise TooLargeError(f"batch of {len(body.records)} records is over the limit of {MAX_MONITOR_BATCH}")
    monitoring = ctx.require_monitoring()
    items = [(r.ref, to_monitor_spec(r)) for r in body.records]
    stored, record = await run_in_threadpool(monitoring.put, items, actor=key_id)
    await ctx.require_audit().write(record)
    versions = ctx.state().lists
    return json_response(
        {
            "screening_id": record.screening_id,
            "screened_at": record.screened_at,
            "lists": [list_info_to_dict(versions[i]) for i in record.lists if i in versions],
            "results": [monitor_batch_item(s) for s in stored],
        }
    )


@router.get("/monitors/{ref}", response_model=MonitorResponse, responses={**ERRORS, **_NOT_FOUND})
async def get_monitor(ref: RefPath, ctx: Ctx, key_id: KeyId) -> Response:
    """A monitor's current matches, each with its alert state and the standing decision on it."""
    monitoring = ctx.require_monitoring()
    monitor = await run_in_threadpool(monitoring.get, ref)
    decisions = await run_in_threadpool(monitoring.decisions, ref)
    return json_response(monitor_response(monitor, decisions, ctx.state().matcher.get))


@router.delete("/monitors/{ref}", status_code=204, responses={**ERRORS, **_NOT_FOUND})
async def delete_monitor(ref: RefPath, ctx: Ctx, key_id: KeyId) -> Response:
    """Stop watching a party. Its decisions and past events stay (audit data)."""
    await run_in_threadpool(ctx.require_monitoring().delete, ref)
    return Response(status_code=204)


@router.get("/monitors", response_model=MonitorListResponse, responses=ERRORS, summary="Monitors, a page at a time")
async def list_monitors(ctx: Ctx, key_id: KeyId, cursor: Cursor = None, limit: PageLimit = 100) -> Response:
    """Monitors in ref order with their match and open-alert counts; pass `next_cursor` back for the next page."""
    store = ctx.require_monitoring().store.monitoring
    page = await run_in_threadpool(store.list_monitors, after=cursor, limit=limit)
    total = await run_in_threadpool(store.count_monitors)
    next_cursor = page[-1].ref if len(page) == limit else None
    return json_response({"monitors": [monitor_summary(m) for m in page], "next_cursor": next_cursor, "total": total})


@router.post("/decisions", status_code=201, response_model=DecisionOut, responses={**ERRORS, **_NOT_FOUND})
async def decide(body: DecisionRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Record a reviewer's decision on one hit of one party (`ref`): `false_positive` clears it (silent until the
    listed entity's evidence changes), `true_match` confirms it, `escalated` hands it up. Never deleted; a newer
    decision on the same hit supersedes it."""
    monitoring = ctx.require_monitoring()
    decision = await run_in_threadpool(
        monitoring.decide,
        body.ref,
        body.entity_id,
        DecisionKind(body.decision),
        body.reason,
        body.reviewer,
        actor=key_id,
    )
    return json_response(decision_response(decision), 201)


@router.get("/decisions", response_model=DecisionsResponse, responses=ERRORS, summary="Decisions, oldest first")
async def decisions(
    ctx: Ctx,
    key_id: KeyId,
    ref: Annotated[str | None, Query(min_length=1, max_length=MAX_REF_CHARS)] = None,
    cursor: Cursor = None,
    limit: PageLimit = 1000,
) -> Response:
    """Every decision on one party (`ref`), or all of them a page at a time, oldest first."""
    after = int(cursor) if cursor and cursor.isascii() and cursor.isdigit() else 0  # ("²".isdigit(), not int)
    found = await run_in_threadpool(ctx.require_monitoring().decisions, ref, limit=limit, after=after)
    next_cursor = str(after + len(found)) if len(found) == limit else None
    return json_response({"decisions": [decision_response(d) for d in found], "next_cursor": next_cursor})


@router.get("/alerts", response_model=AlertsResponse, responses=ERRORS, summary="The review queue, oldest first")
async def alerts(
    ctx: Ctx,
    key_id: KeyId,
    state: Literal["open", "escalated"] = "open",
    cursor: Cursor = None,
    limit: PageLimit = 100,
) -> Response:
    """Monitor matches waiting for a reviewer (new or changed, no decision since), oldest first."""
    monitoring = ctx.require_monitoring()
    queue = await run_in_threadpool(monitoring.store.monitoring.alerts, state=state, after=cursor, limit=limit)
    monitors = await run_in_threadpool(monitoring.store.monitoring.get_monitors, {ref for _, ref, _ in queue})
    entity = ctx.state().matcher.get
    hits: dict[tuple[str, str], dict[str, Any]] = {}
    for ref, m in monitors.items():
        for h in monitor_hits(m, (), entity):
            hits[(ref, h["entity_id"])] = h
    items = [
        {"ref": ref, "entity_id": eid, "since": since, "state": state, "hit": hits.get((ref, eid))}
        for since, ref, eid in queue
    ]
    next_cursor = "|".join(queue[-1]) if len(queue) == limit else None
    return json_response({"alerts": items, "next_cursor": next_cursor})
