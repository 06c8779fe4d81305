"""Validated request models -> the use cases' domain values (responses go the other way in service.screening)."""

from __future__ import annotations

from collections.abc import Sequence

from service.api.schemas import BatchItemIn, FiltersIn, MonitorRequest, PartyIn, ScreenRequest
from service.model import EntityKind, Query
from service.screening.monitoring import MonitorSpec
from service.screening.usecases import Filters, Options, Party
from service.screening.wire import make_query


def to_query(p: PartyIn) -> Query:
    return make_query(
        name=p.name,
        type=p.type,
        aliases=p.aliases,
        identifiers=p.identifiers,
        birth_date=p.birth_date,
        countries=p.countries,
    )


def _kinds(kinds: Sequence[str] | None) -> tuple[EntityKind, ...] | None:
    return tuple(EntityKind(k) for k in kinds) if kinds is not None else None


def _tuple(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values is not None else None


def to_filters(f: FiltersIn) -> Filters:
    return Filters(
        lists=_tuple(f.lists),
        kinds=_kinds(f.kinds),
        programs=_tuple(f.programs),
        exclude_ids=tuple(f.exclude_entity_ids),
    )


def to_options(body: ScreenRequest) -> Options:
    return Options(threshold=body.threshold, limit=body.limit, filters=to_filters(body))


def to_party(item: BatchItemIn) -> Party:
    return Party(
        query=to_query(item),
        ref=item.ref,
        threshold=item.threshold,
        limit=item.limit,
        lists=_tuple(item.lists),
        kinds=_kinds(item.kinds),
        programs=_tuple(item.programs),
        exclude_ids=tuple(item.exclude_entity_ids),
    )


def to_monitor_spec(body: MonitorRequest) -> MonitorSpec:
    return MonitorSpec(
        query=to_query(body),
        threshold=body.threshold,
        lists=_tuple(body.lists),
        kinds=_kinds(body.kinds),
        programs=_tuple(body.programs),
    )
