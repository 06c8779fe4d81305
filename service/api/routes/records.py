"""Lists, entities, audit records and on-demand sync."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Response
from starlette.concurrency import run_in_threadpool

from service.api.deps import Ctx, KeyId, json_response
from service.api.schemas import (
    EntityResponse,
    ErrorResponse,
    ListsResponse,
    ScreeningRecordResponse,
    SyncRequest,
    SyncResponse,
)
from service.errors import NotFoundError, QueryError
from service.model.codec import entity_to_dict, status_to_dict
from service.screening.runtime import iso_to_unix
from service.screening.wire import list_info_to_dict

router = APIRouter(prefix="/v1", tags=["records"])

_AUTH: dict[int | str, dict[str, Any]] = {401: {"model": ErrorResponse, "description": "missing or invalid API key"}}


@router.get("/lists", response_model=ListsResponse, responses=_AUTH, summary="Per-list sync status")
async def lists(ctx: Ctx, key_id: KeyId) -> Response:
    """The per-list records of `sanctions lists --json`, plus the version this replica serves and its age."""
    runtime = ctx.require_runtime()
    statuses = await run_in_threadpool(runtime.statuses)
    state = runtime.state
    now = time.time()
    out = []
    for status in statuses:
        d: dict[str, Any] = status_to_dict(status)
        info = state.lists.get(status.id) if state is not None else None
        d["serving_version"] = info.version if info else None
        fetched = iso_to_unix(info.fetched_at) if info else None
        d["age_s"] = round(now - fetched, 1) if fetched is not None else None
        out.append(d)
    return json_response({"lists": out})


@router.get(
    "/entities/{entity_id}",
    response_model=EntityResponse,
    responses={**_AUTH, 404: {"model": ErrorResponse, "description": "no such entity in the served lists"}},
    summary="One listed entity, as parsed",
)
async def entity(ctx: Ctx, key_id: KeyId, entity_id: Annotated[str, Path(min_length=1, max_length=200)]) -> Response:
    """The full entity as parsed from its list (names, identifiers, dates, addresses, programmes, links,
    remarks and the source record's fields), with the list version it comes from."""
    state = ctx.state()
    found = state.matcher.get(entity_id)
    if found is None or found.list_id not in state.lists:
        raise NotFoundError(f"no entity {entity_id!r} in the served lists")
    return json_response({"entity": entity_to_dict(found), "list": list_info_to_dict(state.lists[found.list_id])})


@router.get(
    "/screenings/{screening_id}",
    response_model=ScreeningRecordResponse,
    responses={**_AUTH, 404: {"model": ErrorResponse, "description": "no audit record with this id"}},
    summary="The audit record of one screening",
)
async def screening(
    ctx: Ctx, key_id: KeyId, screening_id: Annotated[str, Path(min_length=1, max_length=100)]
) -> Response:
    """What was screened (a SHA-256 of the query; the query itself only with SANCTIONS_AUDIT_QUERIES), when,
    by which API key id, against which list versions, and the hits with their scores."""
    runtime = ctx.require_runtime()
    record = await run_in_threadpool(runtime.store.read_audit, screening_id)
    if record is None:
        raise NotFoundError(f"no screening {screening_id!r}")
    return json_response(record)


@router.post(
    "/sync",
    status_code=202,
    response_model=SyncResponse,
    responses={
        **_AUTH,
        400: {"model": ErrorResponse, "description": "body that cannot be read (not UTF-8)"},
        409: {"model": ErrorResponse, "description": "a sync is already running"},
        422: {"model": ErrorResponse, "description": "unknown list id"},
        503: {"model": ErrorResponse, "description": "this server cannot sync"},
    },
    summary="Start a sync of the lists in the background",
)
async def sync(ctx: Ctx, key_id: KeyId, body: Annotated[SyncRequest | None, Body()] = None) -> Response:
    """Pull the lists now (all configured, or `lists`); 202 at once, 409 while a sync runs. The new versions
    are served as soon as they are published (watch `GET /v1/lists`)."""
    runtime = ctx.require_runtime()
    runner = runtime.sync
    if runner is None:
        raise HTTPException(503, "this server has no sync worker")
    wanted = body.lists if body is not None and body.lists is not None else None
    if wanted is not None:
        unknown = [i for i in wanted if i not in runtime.list_ids]
        if unknown:
            raise QueryError(f"unknown list id(s): {', '.join(unknown)}")
    if not runner.trigger(list(dict.fromkeys(wanted)) if wanted is not None else None):
        raise HTTPException(409, "a sync is already running")
    return json_response({"status": "started", "lists": wanted or list(runtime.list_ids)}, 202)
