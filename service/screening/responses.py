"""Outcomes of the use cases as the JSON bodies the API answers with (and `sanctions screen --json` prints).

The shapes are those of ../shared/CONTRACT.md; `service.api.schemas` describes them for the OpenAPI schema and
the tests hold the two together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from service.model import AlertState, Decision, Entity, Monitor
from service.model.codec import decision_to_dict
from service.screening.decisions import apply, latest
from service.screening.monitoring import Stored
from service.screening.usecases import Outcome, Screened, TextOutcome
from service.screening.wire import hit_to_dict, list_info_to_dict, query_to_dict


def hits_with_decisions(result: Screened) -> list[dict[str, Any]]:
    """A party's hits in the wire format; a hit with a standing decision carries it, and `suppressed` (true for a
    cleared false positive whose evidence has not changed)."""
    out = []
    for h in result.hits:
        d = hit_to_dict(h)
        applied = result.decisions.get(h.entity_id)
        if applied is not None:
            d["decision"] = applied.to_dict()
            d["suppressed"] = applied.suppressed
        out.append(d)
    return out


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
        "hits": hits_with_decisions(result),
    }


def batch_response(outcome: Outcome) -> dict[str, Any]:
    """POST /v1/screen/batch: each party's hits under its `ref`."""
    return {
        "screening_id": outcome.screening_id,
        "screened_at": outcome.screened_at,
        "threshold": outcome.threshold,
        "lists": [list_info_to_dict(li) for li in outcome.lists],
        "results": [{"ref": r.ref, "hits": hits_with_decisions(r)} for r in outcome.results],
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
        "limits": {"truncated": outcome.truncated, "screened_to": outcome.screened_to, "note": outcome.note or None},
    }


# --- monitoring -----------------------------------------------------------------------------------------------


def decision_response(d: Decision) -> dict[str, Any]:
    """A recorded decision (POST /v1/decisions, GET /v1/decisions): as stored, without the evidence snapshot and
    fingerprints kept for the monitoring worker."""
    stored = decision_to_dict(d)
    shown = {k: stored[k] for k in ("id", "ref", "entity_id", "decision", "reason", "reviewer", "decided_at")}
    return {**shown, "actor": d.actor or None}


def monitor_hits(
    m: Monitor, decisions: Sequence[Decision], entity: Callable[[str], Entity | None]
) -> list[dict[str, Any]]:
    """A monitor's matches as the API shows them: the hit, when it was first seen or changed, its alert, and the
    standing decision on it."""
    standing = latest(decisions)
    out = []
    for h in m.hits:
        d: dict[str, Any] = {**h.hit, "since": h.since, "alert": h.alert.value if h.alert else None}
        decision = standing.get(h.entity_id)
        if decision is not None:
            applied = apply(decision, h.hit, entity(h.entity_id))
            d["decision"] = applied.to_dict()
            d["suppressed"] = applied.suppressed
        out.append(d)
    return out


def monitor_response(
    m: Monitor,
    decisions: Sequence[Decision],
    entity: Callable[[str], Entity | None],
    *,
    created: bool | None = None,
    screening_id: str | None = None,
) -> dict[str, Any]:
    """GET/PUT /v1/monitors/{ref}."""
    return {
        "ref": m.ref,
        "created": created,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "screened_at": m.screened_at,
        "query": m.query,
        "lists": m.versions,
        "hits": monitor_hits(m, decisions, entity),
        "screening_id": screening_id,
    }


def monitor_summary(m: Monitor) -> dict[str, Any]:
    """One line of GET /v1/monitors."""
    return {
        "ref": m.ref,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "screened_at": m.screened_at,
        "matches": len(m.hits),
        "open_alerts": sum(1 for h in m.hits if h.alert is AlertState.OPEN),
    }


def monitor_batch_item(stored: Stored) -> dict[str, Any]:
    """One result of POST /v1/monitors/batch: the matches in brief."""
    m = stored.monitor
    return {
        "ref": m.ref,
        "created": stored.created,
        "matches": len(m.hits),
        "hits": [
            {
                "entity_id": h.entity_id,
                "list": h.list_id,
                "name": h.hit.get("name"),
                "score": round(h.score, 4),
                "alert": h.alert.value if h.alert else None,
            }
            for h in m.hits
        ],
    }
