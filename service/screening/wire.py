"""The one wire format: queries, hits, evidence, comparisons, mentions and list versions as plain JSON values.

The server's responses, `sanctions screen --json` and the CI hook's remote client all read and write these
shapes (documented in ../shared/CONTRACT.md and, as pydantic models, in `service.api.schemas`). Dicts are built by
hand because this is the hot path of every screening.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from service.model import Comparison, EntityKind, Evidence, Hit, LinkedEntity, ListInfo, Query
from service.screening.limits import (
    MAX_ALIASES,
    MAX_COUNTRIES,
    MAX_COUNTRY_CHARS,
    MAX_IDENTIFIER_CHARS,
    MAX_IDENTIFIERS,
    MAX_NAME_CHARS,
)

KINDS = ("person", "organization", "vessel", "aircraft", "any")


def _score(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


# --- queries ------------------------------------------------------------------------------------------------------


def make_query(
    *,
    name: str | None,
    type: str = "any",
    aliases: Sequence[str] = (),
    identifiers: Sequence[str] = (),
    birth_date: str | None = None,
    countries: Sequence[str] = (),
) -> Query:
    """A Query from the party fields as sent (`type` "any" = no kind); blank names and values are dropped."""
    return Query(
        name=name.strip() if name and name.strip() else None,
        kind=None if type == "any" else EntityKind(type),
        aliases=tuple(a for a in aliases if a.strip()),
        identifiers=tuple(i for i in identifiers if i.strip()),
        birth_date=birth_date,
        countries=tuple(countries),
    )


def query_to_dict(q: Query) -> dict[str, Any]:
    """The party fields as screened: echoed in responses, hashed into the audit record, stored with a monitor."""
    return {
        "name": q.name,
        "type": q.kind.value if q.kind else "any",
        "aliases": list(q.aliases),
        "identifiers": list(q.identifiers),
        "birth_date": q.birth_date,
        "countries": list(q.countries),
    }


def query_from_dict(d: Mapping[str, Any]) -> Query:
    """The inverse of `query_to_dict` (for values this service wrote itself, e.g. a stored monitor)."""
    return make_query(
        name=d.get("name"),
        type=str(d.get("type") or "any"),
        aliases=[str(a) for a in d.get("aliases") or ()],
        identifiers=[str(i) for i in d.get("identifiers") or ()],
        birth_date=d.get("birth_date"),
        countries=[str(c) for c in d.get("countries") or ()],
    )


def query_to_wire(q: Query, ref: str | None = None) -> dict[str, Any] | None:
    """A Query as a request item, clipped to the server's caps (service.screening.limits), so that one oversized
    cell does not turn a whole batch into a 422; None when nothing screenable is left."""
    name = (q.name or "")[:MAX_NAME_CHARS] or None
    identifiers = [i for i in q.identifiers if len(i) <= MAX_IDENTIFIER_CHARS][:MAX_IDENTIFIERS]
    if not (name and name.strip()) and not identifiers:
        return None
    item: dict[str, Any] = {"type": q.kind.value if q.kind else "any"}
    if ref is not None:
        item["ref"] = ref
    if name:
        item["name"] = name
    if identifiers:
        item["identifiers"] = identifiers
    if q.aliases:
        item["aliases"] = [a[:MAX_NAME_CHARS] for a in q.aliases][:MAX_ALIASES]
    if q.birth_date:
        item["birth_date"] = q.birth_date
    if q.countries:
        item["countries"] = [c[:MAX_COUNTRY_CHARS] for c in q.countries][:MAX_COUNTRIES]
    return item


# --- hits ---------------------------------------------------------------------------------------------------------


def evidence_to_dict(e: Evidence) -> dict[str, Any]:
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


def evidence_from_dict(d: Mapping[str, Any]) -> Evidence:
    return Evidence(
        field=str(d["field"]),
        query_value=str(d["query_value"]),
        list_value=str(d["list_value"]),
        method=str(d["method"]),
        score=float(d["score"]),
        weight=float(d.get("weight", 0.0)),
        query_normalized=d.get("query_normalized"),
        list_normalized=d.get("list_normalized"),
        detail=d.get("detail"),
    )


def _kind(value: object) -> EntityKind:
    try:
        return EntityKind(str(value))
    except ValueError:
        return EntityKind.UNKNOWN


def hit_to_dict(h: Hit) -> dict[str, Any]:
    return {
        "entity_id": h.entity_id,
        "list": h.list_id,
        "list_version": h.list_version,
        "type": h.kind.value,
        "name": h.name,
        "score": _score(h.score),
        "match": h.match,
        "programs": list(h.programs),
        "evidence": [evidence_to_dict(e) for e in h.evidence],
        "linked": [
            {"entity_id": lk.entity_id, "name": lk.name, "type": lk.kind.value, "relation": lk.relation}
            for lk in h.linked
        ],
    }


def hit_from_dict(d: Mapping[str, Any]) -> Hit:
    """A hit as the server sent it (unknown extra fields, such as a decision, are ignored)."""
    return Hit(
        entity_id=str(d["entity_id"]),
        list_id=str(d["list"]),
        kind=_kind(d.get("type")),
        name=str(d["name"]),
        score=float(d["score"]),
        match=bool(d["match"]),
        programs=tuple(str(p) for p in d.get("programs", ())),
        evidence=tuple(evidence_from_dict(e) for e in d.get("evidence", ())),
        linked=tuple(
            LinkedEntity(str(lk["entity_id"]), str(lk["name"]), _kind(lk.get("type")), str(lk["relation"]))
            for lk in d.get("linked", ())
        ),
        list_version=str(d.get("list_version") or ""),
    )


def comparison_to_dict(c: Comparison, threshold: float) -> dict[str, Any]:
    return {
        "score": _score(c.score),
        "match": c.match,
        "threshold": threshold,
        "evidence": [evidence_to_dict(e) for e in c.evidence],
    }


# --- list versions ------------------------------------------------------------------------------------------------


def list_info_to_dict(info: ListInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "version": info.version,
        "published_at": info.published_at,
        "fetched_at": info.fetched_at,
        "entities": info.entities,
    }


def list_info_from_dict(d: Mapping[str, Any]) -> ListInfo:
    entities = d.get("entities")
    return ListInfo(
        id=str(d["id"]),
        version=d.get("version"),
        published_at=d.get("published_at"),
        fetched_at=d.get("fetched_at"),
        entities=int(entities) if entities is not None else None,
        title=d.get("title"),
        status=d.get("status"),
    )
