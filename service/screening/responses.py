"""Outcomes of the use cases as the JSON bodies the API answers with (and `sanctions screen --json` prints).

The shapes are those of ../shared/CONTRACT.md; `service.api.schemas` describes them for the OpenAPI schema and
the tests hold the two together.
"""

from __future__ import annotations

from typing import Any

from service.screening.usecases import Outcome, TextOutcome
from service.screening.wire import hit_to_dict, list_info_to_dict, query_to_dict


def screen_response(outcome: Outcome) -> dict[str, Any]:
    """POST /v1/screen: one party's hits."""
    (result,) = outcome.results
    query = query_to_dict(result.query)
    if result.ref is not None:
        query["ref"] = result.ref
    return {
        "screening_id": outcome.screening_id,
        "screened_at": outcome.screened_at,
        "threshold": outcome.threshold,
        "query": query,
        "lists": [list_info_to_dict(li) for li in outcome.lists],
        "hits": [hit_to_dict(h) for h in result.hits],
    }


def batch_response(outcome: Outcome) -> dict[str, Any]:
    """POST /v1/screen/batch: each party's hits under its `ref`."""
    return {
        "screening_id": outcome.screening_id,
        "screened_at": outcome.screened_at,
        "threshold": outcome.threshold,
        "lists": [list_info_to_dict(li) for li in outcome.lists],
        "results": [{"ref": r.ref, "hits": [hit_to_dict(h) for h in r.hits]} for r in outcome.results],
    }


def text_response(outcome: TextOutcome) -> dict[str, Any]:
    """POST /v1/screen/text: the mentions with their spans and hits."""
    return {
        "screening_id": outcome.screening_id,
        "screened_at": outcome.screened_at,
        "threshold": outcome.threshold,
        "lists": [list_info_to_dict(li) for li in outcome.lists],
        "mentions": [
            {"text": m.text, "start": m.start, "end": m.end, "kind": m.kind, "hits": [hit_to_dict(h) for h in m.hits]}
            for m in outcome.mentions
        ],
    }
