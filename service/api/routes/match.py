"""POST /match/{dataset}: the OpenSanctions yente matching API, so clients written for yente can switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from service.api.deps import Ctx, KeyId, json_response
from service.api.routes.screen import ERRORS
from service.api.schemas import (
    LIST_ID_PATTERN,
    ErrorResponse,
    FtmSchema,
    YenteMatchRequest,
    YenteMatchResponse,
)
from service.api.yente import dataset_lists, example_to_query, kinds_excluding, match_response, query_echo
from service.errors import QueryError
from service.screening.limits import MAX_LIMIT
from service.screening.usecases import Outcome

router = APIRouter(tags=["yente compatibility"])

YENTE_DEFAULT_LIMIT = 5  # yente's MATCH_PAGE default
_SCALAR_PARAMS = ("limit", "threshold", "cutoff", "algorithm", "changed_since")


class YenteMatchParams(BaseModel):
    """yente's query parameters of /match (those this server does not use are accepted and ignored)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(YENTE_DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    cutoff: float = Field(0.0, ge=0.0, le=1.0, description="drop results scoring below this")
    algorithm: str = Field("best", max_length=64, description="accepted; this server has one matcher")
    include_dataset: list[str] = Field(default_factory=list, max_length=100)
    exclude_dataset: list[str] = Field(default_factory=list, max_length=100)
    exclude_schema: list[FtmSchema] = Field(default_factory=list, max_length=10)
    exclude_entity_ids: list[str] = Field(default_factory=list, max_length=1000)
    topics: list[str] = Field(default_factory=list, max_length=20, description="accepted; ignored")
    changed_since: str = Field("", max_length=40, description="accepted; ignored")


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
    params: Annotated[YenteMatchParams, Query()],
) -> Response:
    """Match entities given as FollowTheMoney examples, in yente's request and response shapes.

    Request: `{"queries": {"q1": {"schema": "Person", "properties": {"name": ["..."], "birthDate": ["1952"],
    "nationality": ["ru"], "idNumber": ["..."]}}}}`. `weights` override this server's scoring features by name
    (see the README's scoring table: `name_match`, `birth_date_mismatch`, ...); other names, such as yente's own,
    are listed back in `ignored_weights`. `config` is accepted and ignored.
    Response: `{"responses": {"q1": {"status": 200, "results": [{"id", "caption", "schema", "properties",
    "datasets", "score", "match", "features", "explanations", ...}], "total": {"value", "relation"},
    "query": {...}}}, "limit": N}` plus this server's `screening_id` and `lists`.

    `dataset` is a list id (e.g. `us_ofac_sdn`) or `default` for every served list; `include_dataset` /
    `exclude_dataset` narrow it, `exclude_schema` drops result types, `threshold` sets `match`, `cutoff` drops
    low scores. `algorithm`, `topics`, `changed_since` and `config` are accepted and ignored. Supported
    schemas: Person, Organization, Company, PublicBody, LegalEntity, Thing, Vessel, Airplane.
    """
    repeated = [name for name in _SCALAR_PARAMS if len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise QueryError(f"query parameter(s) given more than once: {', '.join(repeated)}")
    screener = ctx.require_screener()
    parsed = {name: example_to_query(example) for name, example in body.queries.items()}
    # yente's own feature names mean nothing here: weights for this server's features are honoured, the rest
    # reported back as ignored (a client written for yente keeps working)
    weights = {k: v for k, v in body.weights.items() if k in screener.feature_names}

    def run() -> Outcome:
        return screener.match(
            {name: query for name, (query, _) in parsed.items()},
            lists=lambda state: dataset_lists(
                dataset, screener.source.list_ids, state.lists, params.include_dataset, params.exclude_dataset
            ),
            kinds=kinds_excluding(params.exclude_schema),
            limit=params.limit,
            threshold=params.threshold,
            cutoff=params.cutoff,
            exclude_ids=params.exclude_entity_ids,
            actor=key_id,
            echo=lambda name: query_echo(body.queries[name], parsed[name][1]),
            weights=weights,
        )

    outcome = await run_in_threadpool(run) if len(parsed) > 1 else run()
    await ctx.record("match", outcome, len(parsed))
    response = match_response(outcome, body.queries, parsed, params.limit)
    response["ignored_weights"] = sorted(set(body.weights) - set(weights))
    return json_response(response, headers={"x-batch-size": str(len(parsed))})
