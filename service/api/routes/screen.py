"""Screening routes: one party, a batch, a pairwise comparison, and free text (documents)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from service.api.audit import audit_hits, audit_item
from service.api.convert import comparison_dict, hit_dict, party_dict, to_query
from service.api.deps import (
    AppContext,
    Ctx,
    KeyId,
    PayloadTooLarge,
    json_response,
    list_versions,
    new_screening,
    select_lists,
)
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
from service.match.text import find_mentions
from service.model import EntityKind, Hit

router = APIRouter(prefix="/v1", tags=["screening"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "body that cannot be read (not UTF-8)"},
    401: {"model": ErrorResponse, "description": "missing or invalid API key"},
    413: {"model": ErrorResponse, "description": "body, batch or text over its cap"},
    422: {"model": ErrorResponse, "description": "invalid request (unknown field, wrong type, nothing to screen)"},
    503: {"model": ErrorResponse, "description": "no list loaded yet"},
}


def count_screening(ctx: AppContext, kind: str, queries: int, hits: list[Hit]) -> None:
    m = ctx.metrics
    m.screenings.labels(kind).inc()
    m.queries.labels(kind).inc(queries)
    for h in hits:
        m.hits.labels(h.list_id).inc()
        if h.match:
            m.matches.labels(h.list_id).inc()


@router.post("/screen", response_model=ScreenResponse, responses=ERRORS, summary="Screen one party")
async def screen(body: ScreenRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Screen a person, organisation, vessel or aircraft by name and/or identifiers.

    Every hit carries its evidence (which field matched which listed value, how, and how much it weighed);
    `match` is true from `threshold` up. The response names the list versions screened against and a
    `screening_id` whose audit record `GET /v1/screenings/{id}` returns.
    """
    loaded = ctx.loaded()
    lists = select_lists(ctx, loaded, body.lists)
    threshold = ctx.threshold(body.threshold)
    # Inline on the event loop: one screening is about a millisecond of CPU, less than a hop to the thread pool
    # costs, and the GIL would serialise it anyway. Batches and texts, which take longer, go to the pool.
    hits = loaded.matcher.screen(
        to_query(body),
        threshold=threshold,
        limit=body.limit,
        lists=lists if body.lists is not None else None,
        kinds=[EntityKind(k) for k in body.kinds] if body.kinds is not None else None,
        programs=body.programs,
        exclude_ids=body.exclude_entity_ids,
    )
    query = party_dict(body)
    record = new_screening("screen", key_id, threshold, loaded, lists)
    screening_id, at = record["screening_id"], record["screened_at"]
    record["items"].append(audit_item(query, audit_hits(hits), keep_query=ctx.settings.audit_queries))
    await ctx.require_audit().write(record)
    count_screening(ctx, "screen", 1, hits)
    return json_response(
        {
            "screening_id": screening_id,
            "screened_at": at,
            "threshold": threshold,
            "query": query,
            "lists": list_versions(loaded, lists),
            "hits": [hit_dict(h) for h in hits],
        }
    )


@router.post("/screen/batch", response_model=BatchResponse, responses=ERRORS, summary="Screen many parties")
async def screen_batch(body: BatchRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Screen up to `SANCTIONS_MAX_BATCH` (1,000) parties in one request, each with your `ref`.

    Top-level `threshold`, `limit` and filters apply to every query that does not set its own. One audit record
    covers the batch, with one item (query hash and hits) per `ref`.
    """
    cap = ctx.settings.max_batch
    if len(body.queries) > cap:
        raise PayloadTooLarge(f"batch of {len(body.queries)} queries is over the limit of {cap}")
    loaded = ctx.loaded()
    default_threshold = ctx.threshold(body.threshold)
    plans = []
    used: set[str] = set()
    for q in body.queries:
        requested = q.lists if q.lists is not None else body.lists
        lists = select_lists(ctx, loaded, requested)
        used.update(lists)
        plans.append((q, lists, requested is not None))

    def run() -> list[tuple[list[Hit], float]]:
        out = []
        for q, lists, filtered in plans:
            threshold = q.threshold if q.threshold is not None else default_threshold
            kinds = q.kinds if q.kinds is not None else body.kinds
            programs = q.programs if q.programs is not None else body.programs
            hits = loaded.matcher.screen(
                to_query(q),
                threshold=threshold,
                limit=q.limit if q.limit is not None else body.limit,
                lists=lists if filtered else None,
                kinds=[EntityKind(k) for k in kinds] if kinds is not None else None,
                programs=programs,
                exclude_ids=[*body.exclude_entity_ids, *q.exclude_entity_ids],
            )
            out.append((hits, threshold))
        return out

    # A batch can take seconds of CPU: off the event loop, so health checks and small requests keep answering.
    results = await run_in_threadpool(run)
    used_lists = sorted(used)
    record = new_screening("batch", key_id, default_threshold, loaded, used_lists)
    screening_id, at = record["screening_id"], record["screened_at"]
    keep = ctx.settings.audit_queries
    all_hits: list[Hit] = []
    items = []
    for (q, _, _), (hits, _) in zip(plans, results, strict=True):
        query = {"ref": q.ref, **party_dict(q)}
        record["items"].append(audit_item(query, audit_hits(hits), keep_query=keep, ref=q.ref))
        items.append({"ref": q.ref, "hits": [hit_dict(h) for h in hits]})
        all_hits.extend(hits)
    await ctx.require_audit().write(record)
    count_screening(ctx, "batch", len(plans), all_hits)
    return json_response(
        {
            "screening_id": screening_id,
            "screened_at": at,
            "threshold": default_threshold,
            "lists": list_versions(loaded, used_lists),
            "results": items,
        }
    )


@router.post("/compare", response_model=CompareResponse, responses=ERRORS, summary="Score two parties")
async def compare(body: CompareRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Compare two parties directly (no list involved) with the same scorer and evidence as a screening."""
    loaded = ctx.loaded()
    threshold = ctx.threshold(body.threshold)
    result = loaded.matcher.compare(to_query(body.query), to_query(body.candidate), threshold=threshold)
    return json_response(comparison_dict(result, threshold))


@router.post("/screen/text", response_model=TextResponse, responses=ERRORS, summary="Screen a document")
async def screen_text(body: TextRequest, ctx: Ctx, key_id: KeyId) -> Response:
    """Find every mention of a listed person, company, aircraft registration or vessel IMO number in free text.

    Each mention has its character span (`start`, `end`: offsets into `text`) and its hits with evidence.
    The text is capped at `SANCTIONS_MAX_TEXT_CHARS` characters (413 above).
    """
    cap = ctx.settings.max_text_chars
    if len(body.text) > cap:
        raise PayloadTooLarge(f"text of {len(body.text)} characters is over the limit of {cap}")
    loaded = ctx.loaded()
    lists = select_lists(ctx, loaded, body.lists)
    threshold = ctx.threshold(body.threshold)
    mentions = await run_in_threadpool(
        find_mentions, loaded.matcher, body.text, threshold=threshold, lists=lists if body.lists is not None else None
    )
    record = new_screening("text", key_id, threshold, loaded, lists)
    screening_id, at = record["screening_id"], record["screened_at"]
    hits: list[dict[str, Any]] = []
    all_hits: list[Hit] = []
    for m in mentions:
        hits.extend(audit_hits(m.hits, span=(m.start, m.end)))
        all_hits.extend(m.hits)
    query = {"text": body.text, "lists": body.lists}
    record["items"].append(audit_item(query, hits, keep_query=ctx.settings.audit_queries))
    await ctx.require_audit().write(record)
    count_screening(ctx, "text", 1, all_hits)
    return json_response(
        {
            "screening_id": screening_id,
            "screened_at": at,
            "threshold": threshold,
            "lists": list_versions(loaded, lists),
            "mentions": [
                {"text": m.text, "start": m.start, "end": m.end, "kind": m.kind, "hits": [hit_dict(h) for h in m.hits]}
                for m in mentions
            ],
        }
    )
