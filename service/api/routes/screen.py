"""Screening routes: one party, a batch, a pairwise comparison, and free text (documents). Adapters over
`service.screening.usecases`: validate, call the use case, store its audit record, answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from service.api.convert import to_filters, to_options, to_party, to_query
from service.api.deps import Ctx, KeyId, json_response
from service.api.schemas import (
    BatchRequest,
    BatchResponse,
    CompareRequest,
    CompareResponse,
    ErrorResponse,
    ScreenRequest,
    ScreenResponse,
    TextRequest,
    TextResponse,
)
from service.screening.responses import batch_response, screen_response, text_response
from service.screening.usecases import Options
from service.screening.wire import comparison_to_dict

router = APIRouter(prefix="/v1", tags=["screening"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "body that cannot be read (not UTF-8)"},
    401: {"model": ErrorResponse, "description": "missing or invalid API key"},
    413: {"model": ErrorResponse, "description": "body, batch or text over its cap"},
    422: {"model": ErrorResponse, "description": "invalid request (unknown field, wrong type, nothing to screen)"},
    503: {"model": ErrorResponse, "description": "no list loaded yet, or the audit record cannot be stored"},
}


@router.post("/screen", response_model=ScreenResponse, responses=ERRORS, summary="Screen one party")
async def screen(body: ScreenRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Screen a person, organisation, vessel or aircraft by name and/or identifiers.

    Every hit carries its evidence (which field matched which listed value, how, and how much it weighed);
    `match` is true from `threshold` up. The response names the list versions screened against and a
    `screening_id` whose audit record `GET /v1/screenings/{id}` returns.
    """
    # Inline on the event loop: one screening is about a millisecond of CPU, less than a hop to the thread pool
    # costs, and the GIL would serialise it anyway. Batches and texts, which take longer, go to the pool.
    outcome = ctx.require_screener().screen(to_query(body), to_options(body), actor=key_id, ref=body.ref)
    await ctx.record("screen", outcome)
    return json_response(screen_response(outcome))


@router.post("/screen/batch", response_model=BatchResponse, responses=ERRORS, summary="Screen many parties")
async def screen_batch(body: BatchRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Screen up to `SANCTIONS_MAX_BATCH` (1,000) parties in one request, each with your `ref`.

    Top-level `threshold`, `limit` and filters apply to every query that does not set its own. One audit record
    covers the batch, with one item (query hash and hits) per `ref`.
    """
    defaults = Options(threshold=body.threshold, limit=body.limit, filters=to_filters(body))
    parties = [to_party(q) for q in body.queries]
    # A batch can take seconds of CPU: off the event loop, so health checks and small requests keep answering.
    outcome = await run_in_threadpool(ctx.require_screener().batch, parties, defaults, actor=key_id)
    await ctx.record("batch", outcome, len(parties))
    return json_response(batch_response(outcome))


@router.post("/compare", response_model=CompareResponse, responses=ERRORS, summary="Score two parties")
async def compare(body: CompareRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Compare two parties directly (no list involved) with the same scorer and evidence as a screening."""
    screener = ctx.require_screener()
    result, threshold = screener.compare(to_query(body.query), to_query(body.candidate), threshold=body.threshold)
    return json_response(comparison_to_dict(result, threshold))


@router.post("/screen/text", response_model=TextResponse, responses=ERRORS, summary="Screen a document")
async def screen_text(body: TextRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Find every mention of a listed person, company, aircraft registration or vessel IMO number in free text.

    Each mention has its character span (`start`, `end`: offsets into `text`) and its hits with evidence.
    The text is capped at `SANCTIONS_MAX_TEXT_CHARS` characters (413 above).
    """
    screener = ctx.require_screener()
    outcome = await run_in_threadpool(
        screener.text, body.text, threshold=body.threshold, lists=body.lists, actor=key_id
    )
    await ctx.record("text", outcome)
    return json_response(text_response(outcome))
