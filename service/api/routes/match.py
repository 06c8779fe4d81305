"""POST /match/{dataset}: the OpenSanctions yente matching API, so clients written for yente can switch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from service.api.audit import audit_hits, audit_item
from service.api.deps import Ctx, KeyId, PayloadTooLarge, json_response, list_versions, new_screening
from service.api.routes.screen import ERRORS, count_screening
from service.api.schemas import (
    LIST_ID_PATTERN,
    MAX_LIMIT,
    ErrorResponse,
    FtmSchema,
    YenteMatchRequest,
    YenteMatchResponse,
)
from service.api.yente import KIND_SCHEMAS, SCHEMA_KINDS, example_to_query, hit_to_result, query_echo
from service.errors import NotFoundError, QueryError
from service.model import EntityKind, Hit

router = APIRouter(tags=["yente compatibility"])

YENTE_DEFAULT_LIMIT = 5  # yente's MATCH_PAGE default
_SCALAR_PARAMS = ("limit", "threshold", "cutoff", "algorithm", "changed_since")


@router.post(
    "/match/{dataset}",
    response_model=YenteMatchResponse,
    responses={**ERRORS, 404: {"model": ErrorResponse, "description": "unknown dataset"}},
    summary="Query-by-example matching, yente-compatible",
)
async def match(
    *,
    request: Request,
    body: YenteMatchRequest,
    ctx: Ctx,
    key_id: KeyId,
    dataset: Annotated[str, Path(description="a list id, or `default` for every served list", pattern=LIST_ID_PATTERN)],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = YENTE_DEFAULT_LIMIT,
    threshold: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    cutoff: Annotated[float, Query(ge=0.0, le=1.0, description="drop results scoring below this")] = 0.0,
    algorithm: Annotated[str, Query(max_length=64, description="accepted; this server has one matcher")] = "best",
    include_dataset: Annotated[list[str], Query(max_length=100, default_factory=list)],
    exclude_dataset: Annotated[list[str], Query(max_length=100, default_factory=list)],
    exclude_schema: Annotated[list[FtmSchema], Query(max_length=10, default_factory=list)],
    exclude_entity_ids: Annotated[list[str], Query(max_length=1000, default_factory=list)],
    topics: Annotated[list[str], Query(max_length=20, description="accepted; ignored", default_factory=list)],
    changed_since: Annotated[str, Query(max_length=40, description="accepted; ignored")] = "",
) -> Response:
    """Match entities given as FollowTheMoney examples, in yente's request and response shapes.

    Request: `{"queries": {"q1": {"schema": "Person", "properties": {"name": ["..."], "birthDate": ["1952"],
    "nationality": ["ru"], "idNumber": ["..."]}}}}` (`weights` and `config` are accepted and ignored).
    Response: `{"responses": {"q1": {"status": 200, "results": [{"id", "caption", "schema", "properties",
    "datasets", "score", "match", "features", "explanations", ...}], "total": {"value", "relation"},
    "query": {...}}}, "limit": N}` plus this server's `screening_id` and `lists`.

    `dataset` is a list id (e.g. `us_ofac_sdn`) or `default` for every served list; `include_dataset` /
    `exclude_dataset` narrow it, `exclude_schema` drops result types, `threshold` sets `match`, `cutoff` drops
    low scores. `algorithm`, `topics`, `changed_since`, `weights` and `config` are accepted and ignored. Supported
    schemas: Person, Organization, Company, PublicBody, LegalEntity, Thing, Vessel, Airplane.
    """
    repeated = [name for name in _SCALAR_PARAMS if len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise QueryError(f"query parameter(s) given more than once: {', '.join(repeated)}")
    loaded = ctx.loaded()
    runtime = ctx.require_runtime()
    if dataset == "default":
        lists = sorted(loaded.lists)
    elif dataset in runtime.list_ids:
        if dataset not in loaded.lists:
            raise NotFoundError(f"dataset {dataset!r} has no snapshot loaded yet")
        lists = [dataset]
    else:
        raise NotFoundError(f"unknown dataset {dataset!r}; served: default, {', '.join(sorted(loaded.lists))}")
    if include_dataset:
        lists = [i for i in lists if i in set(include_dataset)]
    if exclude_dataset:
        lists = [i for i in lists if i not in set(exclude_dataset)]
    kinds: list[EntityKind] | None = None
    if exclude_schema:
        unknown = [s for s in exclude_schema if s not in SCHEMA_KINDS]
        if unknown:
            raise QueryError(f"unsupported schema(s) in exclude_schema: {', '.join(unknown)}")
        dropped = set(exclude_schema)
        kinds = [k for k, schema in KIND_SCHEMAS.items() if schema not in dropped]
    cap = ctx.settings.max_batch
    if len(body.queries) > cap:
        raise PayloadTooLarge(f"batch of {len(body.queries)} queries is over the limit of {cap}")
    effective = ctx.threshold(threshold)
    parsed = {name: example_to_query(example) for name, example in body.queries.items()}

    def run() -> dict[str, list[Hit]]:
        out: dict[str, list[Hit]] = {}
        for name, (query, _) in parsed.items():
            hits = (
                loaded.matcher.screen(
                    query,
                    threshold=effective,
                    limit=limit,
                    lists=lists,
                    kinds=kinds,
                    exclude_ids=exclude_entity_ids or (),
                )
                if lists
                else []
            )
            out[name] = [h for h in hits if h.score >= cutoff]
        return out

    results = await run_in_threadpool(run) if len(parsed) > 1 else run()
    record = new_screening("match", key_id, effective, loaded, lists)
    screening_id = record["screening_id"]
    responses: dict[str, Any] = {}
    all_hits: list[Hit] = []
    for name, example in body.queries.items():
        hits = results[name]
        all_hits.extend(hits)
        echo = query_echo(example, parsed[name][1])
        record["items"].append(audit_item(echo, audit_hits(hits), keep_query=ctx.settings.audit_queries, ref=name))
        responses[name] = {
            "status": 200,
            "results": [
                hit_to_result(h, loaded.matcher.get(h.entity_id), fetched_at=loaded.lists[h.list_id].fetched_at)
                for h in hits
            ],
            "total": {"value": len(hits), "relation": "eq"},
            "query": echo,
        }
    await ctx.require_audit().write(record)
    count_screening(ctx, "match", len(parsed), all_hits)
    return json_response(
        {"responses": responses, "limit": limit, "screening_id": screening_id, "lists": list_versions(loaded, lists)},
        headers={"x-batch-size": str(len(responses))},
    )
