"""OpenSanctions yente compatibility: FollowTheMoney examples -> Query, entities and hits -> yente results.

Supported query schemas: Person, Organization, Company, PublicBody, LegalEntity, Thing, Vessel, Airplane.
Properties used: name (first = name, others = aliases), alias, weakAlias, previousName, firstName, middleName,
secondName, fatherName, lastName (joined when no name), birthDate/incorporationDate (ISO prefix),
nationality, citizenship, country, jurisdiction, mainCountry, flag (countries), and the identifier properties in
`IDENTIFIER_PROPS`. Other property names are accepted and ignored, as yente does; the `query` echoed in the
response shows what was used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from service.api.schemas import (
    FTM_DATE_PATTERN,
    FTM_IDENTIFIERS,
    FTM_NAME_PARTS,
    FTM_PROPERTY_PATTERN,
    YenteExampleIn,
)
from service.errors import NotFoundError, QueryError
from service.model import Entity, EntityKind, Hit, IdentifierType, ListInfo, NameQuality, NameType, Query
from service.screening.usecases import Outcome
from service.screening.wire import list_info_to_dict

SCHEMA_KINDS: dict[str, EntityKind | None] = {
    "Person": EntityKind.PERSON,
    "Organization": EntityKind.ORGANIZATION,
    "Company": EntityKind.ORGANIZATION,
    "PublicBody": EntityKind.ORGANIZATION,
    "LegalEntity": None,
    "Thing": None,
    "Vessel": EntityKind.VESSEL,
    "Airplane": EntityKind.AIRCRAFT,
}

KIND_SCHEMAS = {
    EntityKind.PERSON: "Person",
    EntityKind.ORGANIZATION: "Organization",
    EntityKind.VESSEL: "Vessel",
    EntityKind.AIRCRAFT: "Airplane",
    EntityKind.UNKNOWN: "LegalEntity",
}

NAME_PROPS = ("name",)
ALIAS_PROPS = ("alias", "weakAlias", "previousName", "abbreviation")
NAME_PART_PROPS = FTM_NAME_PARTS
DATE_PROPS = ("birthDate", "incorporationDate")
COUNTRY_PROPS = ("nationality", "citizenship", "country", "jurisdiction", "mainCountry", "flag")
IDENTIFIER_PROPS = FTM_IDENTIFIERS
USED_PROPS = frozenset(NAME_PROPS + ALIAS_PROPS + NAME_PART_PROPS + DATE_PROPS + COUNTRY_PROPS + IDENTIFIER_PROPS)

# Our identifier types as FtM properties, for results.
IDENTIFIER_FTM: dict[IdentifierType, str] = {
    IdentifierType.TAIL_NUMBER: "registrationNumber",
    IdentifierType.AIRCRAFT_MSN: "serialNumber",
    IdentifierType.IMO: "imoNumber",
    IdentifierType.IMO_COMPANY: "registrationNumber",
    IdentifierType.MMSI: "mmsi",
    IdentifierType.CALL_SIGN: "callSign",
    IdentifierType.PASSPORT: "passportNumber",
    IdentifierType.NATIONAL_ID: "idNumber",
    IdentifierType.TAX_ID: "taxNumber",
    IdentifierType.REGISTRATION: "registrationNumber",
    IdentifierType.SWIFT_BIC: "swiftBic",
    IdentifierType.CRYPTO: "idNumber",
    IdentifierType.OTHER: "idNumber",
}

_PROP_NAME = re.compile(FTM_PROPERTY_PATTERN)
_ISO_PREFIX = re.compile(FTM_DATE_PATTERN)


def _values(raw: str | list[str]) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    return [v.strip() for v in items if v.strip()]


def example_to_query(example: YenteExampleIn) -> tuple[Query, dict[str, list[str]]]:
    """The Query for a yente example, and the properties it used (echoed back as the response's `query`)."""
    if example.schema_ not in SCHEMA_KINDS:
        raise QueryError(f"unsupported schema {example.schema_!r}; supported: {', '.join(SCHEMA_KINDS)}")
    props: dict[str, list[str]] = {}
    for key, raw in example.properties.items():
        if not _PROP_NAME.fullmatch(key):
            raise QueryError(f"invalid property name {key[:80]!r}")
        if key in DATE_PROPS:
            # Checked as sent, like the OpenAPI schema says: every value an ISO date or prefix.
            for value in [raw] if isinstance(raw, str) else raw:
                if not _ISO_PREFIX.match(value):
                    raise QueryError(f"{key} {value[:40]!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
        values = _values(raw)
        if key in USED_PROPS and values:
            props[key] = values
    names = list(props.get("name", []))
    if not names:
        parts = [p for key in NAME_PART_PROPS for p in props.get(key, [])[:1]]
        if parts:
            names = [" ".join(parts)]
    aliases = names[1:] + [a for key in ALIAS_PROPS for a in props.get(key, [])]
    identifiers = [i for key in IDENTIFIER_PROPS for i in props.get(key, [])]
    birth_date = None
    for key in DATE_PROPS:
        for value in props.get(key, []):
            m = _ISO_PREFIX.match(value)
            if m is not None:
                birth_date = birth_date or m.group(0)
    if not names and not identifiers:
        raise QueryError("a query needs a name (or name parts) or an identifier property")
    query = Query(
        name=names[0] if names else None,
        kind=SCHEMA_KINDS[example.schema_],
        aliases=tuple(aliases[:50]),
        identifiers=tuple(identifiers[:50]),
        birth_date=birth_date,
        countries=tuple(c for key in COUNTRY_PROPS for c in props.get(key, []))[:20],
    )
    return query, props


def entity_properties(e: Entity) -> dict[str, list[str]]:
    props: dict[str, list[str]] = {}

    def add(key: str, value: str | None) -> None:
        if value and value not in props.setdefault(key, []):
            props[key].append(value)

    add("name", e.name.full)
    for a in e.aliases:
        if a.type == NameType.FKA:
            add("previousName", a.full)
        elif a.quality != NameQuality.STRONG:
            add("weakAlias", a.full)
        else:
            add("alias", a.full)
    for d in e.birth_dates:
        add("incorporationDate" if e.kind == EntityKind.ORGANIZATION else "birthDate", d.start)
    for p in e.birth_places:
        add("birthPlace", p)
    for c in e.nationalities:
        add("nationality", c.lower() if len(c) == 2 else c)
    for c in e.citizenships:
        add("citizenship", c.lower() if len(c) == 2 else c)
    for c in e.countries:
        add("country", c.lower() if len(c) == 2 else c)
    for i in e.identifiers:
        add(IDENTIFIER_FTM.get(i.type, "idNumber"), i.value)
    for addr in e.addresses:
        add("address", addr.full or ", ".join(x for x in (addr.street, addr.city, addr.region, addr.country) if x))
    add("gender", e.gender)
    for t in e.titles:
        add("title", t)
    for p in e.positions:
        add("position", p)
    for r in e.remarks:
        add("notes", r)
    for prog in e.programs:
        add("program", prog)
    add("topics", "sanction")
    return {k: v for k, v in props.items() if v}


def hit_to_result(hit: Hit, entity: Entity | None, *, fetched_at: str | None) -> dict[str, Any]:
    explanations: dict[str, dict[str, Any]] = {}
    for ev in hit.evidence:
        key = f"{ev.field}_{ev.method}"
        n = 2
        while key in explanations:
            key = f"{ev.field}_{ev.method}_{n}"
            n += 1
        explanations[key] = {
            "score": round(ev.score, 4),
            "detail": ev.detail,
            "query": ev.query_value,
            "candidate": ev.list_value,
        }
    listed_on = entity.listed_on if entity is not None else None
    return {
        "id": hit.entity_id,
        "caption": hit.name,
        "schema": KIND_SCHEMAS.get(hit.kind, "LegalEntity"),
        "properties": entity_properties(entity) if entity is not None else {"name": [hit.name]},
        "datasets": [hit.list_id],
        "referents": [],
        "target": True,
        "first_seen": f"{listed_on}T00:00:00" if listed_on and len(listed_on) == 10 else None,
        "last_seen": fetched_at,
        "last_change": None,
        "score": round(min(1.0, max(0.0, hit.score)), 4),
        "match": hit.match,
        "features": {k: v["score"] for k, v in explanations.items()},
        "explanations": explanations,
    }


def query_echo(example: YenteExampleIn, used: Mapping[str, list[str]]) -> dict[str, Any]:
    return {"id": example.id, "schema": example.schema_, "properties": dict(used)}


def dataset_lists(
    dataset: str,
    served: Sequence[str],
    loaded: Mapping[str, ListInfo],
    include: Sequence[str],
    exclude: Sequence[str],
) -> list[str]:
    """The list ids a yente `dataset` path parameter (a list id or `default`) and its include/exclude filters
    name; 404 for a dataset this server does not serve or has not loaded."""
    if dataset == "default":
        lists = sorted(loaded)
    elif dataset in served:
        if dataset not in loaded:
            raise NotFoundError(f"dataset {dataset!r} has no snapshot loaded yet")
        lists = [dataset]
    else:
        raise NotFoundError(f"unknown dataset {dataset!r}; served: default, {', '.join(sorted(loaded))}")
    if include:
        lists = [i for i in lists if i in set(include)]
    return [i for i in lists if i not in set(exclude)]


def kinds_excluding(schemas: Sequence[str]) -> list[EntityKind] | None:
    """The entity kinds left when yente's `exclude_schema` drops some (None: no filter)."""
    if not schemas:
        return None
    unknown = [s for s in schemas if s not in SCHEMA_KINDS]
    if unknown:
        raise QueryError(f"unsupported schema(s) in exclude_schema: {', '.join(unknown)}")
    dropped = set(schemas)
    return [k for k, schema in KIND_SCHEMAS.items() if schema not in dropped]


def match_response(
    outcome: Outcome,
    examples: Mapping[str, YenteExampleIn],
    parsed: Mapping[str, tuple[Query, Mapping[str, list[str]]]],
    limit: int,
) -> dict[str, Any]:
    """yente's response shape, plus this server's `screening_id` and `lists`."""
    state = outcome.state
    responses: dict[str, Any] = {}
    for r in outcome.results:
        name = r.ref or ""
        responses[name] = {
            "status": 200,
            "results": [
                hit_to_result(h, state.matcher.get(h.entity_id), fetched_at=state.lists[h.list_id].fetched_at)
                for h in r.hits
            ],
            "total": {"value": len(r.hits), "relation": "eq"},
            "query": query_echo(examples[name], parsed[name][1]),
        }
    return {
        "responses": responses,
        "limit": limit,
        "screening_id": outcome.screening_id,
        "lists": [list_info_to_dict(li) for li in outcome.lists],
    }
