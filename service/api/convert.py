"""Wire <-> domain: request models to Query, Hits and entities to the plain dicts the responses carry.

The dicts follow the models in `api.schemas` field for field (tests validate responses against them); they are
built by hand because this is the hot path of every screening.
"""

from __future__ import annotations

from typing import Any

from service.api.schemas import PartyIn
from service.model import Comparison, EntityKind, Evidence, Hit, Query


def to_query(p: PartyIn) -> Query:
    return Query(
        name=p.name.strip() if p.name and p.name.strip() else None,
        kind=None if p.type == "any" else EntityKind(p.type),
        aliases=tuple(a for a in p.aliases if a.strip()),
        identifiers=tuple(i for i in p.identifiers if i.strip()),
        birth_date=p.birth_date,
        countries=tuple(p.countries),
    )


def party_dict(p: PartyIn) -> dict[str, Any]:
    """The party fields as screened: echoed in the response and hashed for the audit record."""
    return {
        "name": p.name,
        "type": p.type,
        "aliases": list(p.aliases),
        "identifiers": list(p.identifiers),
        "birth_date": p.birth_date,
        "countries": list(p.countries),
    }


def evidence_dict(e: Evidence) -> dict[str, Any]:
    return {
        "field": e.field,
        "query_value": e.query_value,
        "list_value": e.list_value,
        "method": e.method,
        "score": round(e.score, 4),
        "weight": round(e.weight, 4),
        "query_normalized": e.query_normalized,
        "list_normalized": e.list_normalized,
        "detail": e.detail,
    }


def hit_dict(h: Hit) -> dict[str, Any]:
    return {
        "entity_id": h.entity_id,
        "list": h.list_id,
        "list_version": h.list_version,
        "type": h.kind.value,
        "name": h.name,
        "score": round(min(1.0, max(0.0, h.score)), 4),
        "match": h.match,
        "programs": list(h.programs),
        "evidence": [evidence_dict(e) for e in h.evidence],
        "linked": [
            {"entity_id": lk.entity_id, "name": lk.name, "type": lk.kind.value, "relation": lk.relation}
            for lk in h.linked
        ],
    }


def comparison_dict(c: Comparison, threshold: float) -> dict[str, Any]:
    return {
        "score": round(min(1.0, max(0.0, c.score)), 4),
        "match": c.match,
        "threshold": threshold,
        "evidence": [evidence_dict(e) for e in c.evidence],
    }
