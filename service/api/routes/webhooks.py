"""Webhooks: register a receiver of monitoring events, list, delete, replay dead letters, inspect deliveries.
Adapters over `service.notify.webhooks`; the delivery worker (service.notify.worker) does the sending."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from service.api.deps import Ctx, KeyId, json_response
from service.api.schemas import (
    DeliveriesResponse,
    ErrorResponse,
    ReplayRequest,
    ReplayResponse,
    WebhookCreatedResponse,
    WebhookRequest,
    WebhooksResponse,
)
from service.model import DeliveryState
from service.notify import webhooks as uc

router = APIRouter(prefix="/v1", tags=["webhooks"])

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "missing or invalid API key"},
    503: {"model": ErrorResponse, "description": "the store cannot be read or written"},
}
_UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "no such webhook"}}
_INVALID: dict[int | str, dict[str, Any]] = {422: {"model": ErrorResponse, "description": "invalid request"}}
_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "body that cannot be read (not UTF-8)"},
    **_INVALID,
}
WebhookId = Annotated[str, Path(min_length=1, max_length=100)]


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookCreatedResponse,
    responses={**_AUTH, **_BODY},
    summary="Register a webhook",
)
async def create(body: WebhookRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Monitoring events of the chosen types are POSTed to `url` from now on (not the ones before), signed with
    the `secret` in this answer (shown only here): `Sanctions-Signature: t=<unix seconds>,v1=<hex
    HMAC-SHA256(secret, "<t>.<raw body>")>`. Delivery is at least once: de-duplicate on `Sanctions-Event-Id`.
    Failed deliveries are retried with backoff for SANCTIONS_WEBHOOK_RETRY_HOURS (24), then dead-lettered."""
    store = ctx.require_runtime().store
    webhook = await run_in_threadpool(uc.create_webhook, store, body.url, body.events)
    return json_response(uc.webhook_to_dict(webhook, with_secret=True), 201)


@router.get("/webhooks", response_model=WebhooksResponse, responses=_AUTH, summary="List webhooks")
async def list_all(ctx: Ctx, key_id: KeyId) -> Response:
    """Every webhook with its deliveries counted by state (without secrets)."""
    store = ctx.require_runtime().store
    found = await run_in_threadpool(uc.list_webhooks, store)
    return json_response({"webhooks": [uc.webhook_to_dict(w, counts) for w, counts in found]})


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    response_class=Response,
    responses={**_AUTH, **_UNKNOWN},
    summary="Delete a webhook",
)
async def delete(webhook_id: WebhookId, ctx: Ctx, key_id: KeyId) -> Response:
    """Deletes it with its deliveries: nothing more is sent to it, pending deliveries included."""
    store = ctx.require_runtime().store
    await run_in_threadpool(uc.delete_webhook, store, webhook_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/replay",
    response_model=ReplayResponse,
    responses={**_AUTH, **_UNKNOWN, **_BODY},
    summary="Send dead-lettered (or chosen) events again",
)
async def replay(
    webhook_id: WebhookId, ctx: Ctx, key_id: KeyId, body: Annotated[ReplayRequest | None, Body()] = None
) -> Response:
    """Queue its dead-lettered deliveries again, with a fresh retry window; or, with `event_ids`, those events
    whatever their state (delivered ones are sent again). Answers how many were queued; ids this webhook never
    received are not counted."""
    store = ctx.require_runtime().store
    event_ids = body.event_ids if body is not None else None
    queued = await run_in_threadpool(uc.replay, store, webhook_id, event_ids)
    if ctx.notifier is not None and queued:
        ctx.notifier.wake()
    return json_response({"queued": queued})


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeliveriesResponse,
    responses={**_AUTH, **_UNKNOWN, **_INVALID},
    summary="A webhook's deliveries, newest first",
)
async def deliveries(
    webhook_id: WebhookId,
    ctx: Ctx,
    key_id: KeyId,
    state: Annotated[DeliveryState | None, Query(description="only deliveries in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=uc.MAX_DELIVERIES_PAGE)] = 100,
) -> Response:
    """What was sent, what waits for a retry (with the last error: a status code or an error class, never the
    receiver's answer) and what is dead-lettered; event bodies are not shown (they carry personal data)."""
    store = ctx.require_runtime().store
    found = await run_in_threadpool(uc.list_deliveries, store, webhook_id, state, limit)
    return json_response({"webhook_id": webhook_id, "deliveries": [uc.delivery_to_dict(d) for d in found]})
