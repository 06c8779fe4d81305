"""Plain-dict form of entities and statuses, for snapshots on disk, in Redis and on the wire.

`entity_to_dict` / `entity_from_dict` round-trip exactly; empty fields are left out to keep snapshots small.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from sys import intern
from typing import Any

from service.model.entity import (
    Address,
    DateSpec,
    Entity,
    EntityKind,
    Identifier,
    IdentifierType,
    Link,
    Name,
    NameQuality,
    NameType,
    SourceRecord,
)
from service.model.monitoring import AlertState, Decision, DecisionKind, Event, EventType, Monitor, MonitorHit
from service.model.packed import packed
from service.model.status import ListStatus, SnapshotDiff, SyncState


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, (), [], {}, "")}


def name_to_dict(n: Name) -> dict[str, Any]:
    d = _compact(
        {
            "full": n.full,
            "given": n.given,
            "middle": n.middle,
            "family": n.family,
            "patronymic": n.patronymic,
            "lang": n.lang,
        }
    )
    d["type"] = n.type.value
    d["quality"] = n.quality.value
    d["script"] = n.script
    return d


def _i(value: Any) -> Any:
    """`value` interned when it is a string (None and other values as they are)."""
    return intern(value) if type(value) is str else value


def _strings(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(map(_i, values))


def name_from_dict(d: Mapping[str, Any]) -> Name:
    return Name(
        full=d["full"],
        type=NameType(d.get("type", "primary")),
        quality=NameQuality(d.get("quality", "strong")),
        given=_i(d.get("given")),
        middle=_i(d.get("middle")),
        family=_i(d.get("family")),
        patronymic=_i(d.get("patronymic")),
        script=_i(d.get("script", "Latn")),
        lang=_i(d.get("lang")),
    )


def entity_to_dict(e: Entity) -> dict[str, Any]:
    return _compact(
        {
            "id": e.id,
            "list_id": e.list_id,
            "kind": e.kind.value,
            "name": name_to_dict(e.name),
            "aliases": [name_to_dict(a) for a in e.aliases],
            "identifiers": [
                _compact(
                    {
                        "type": i.type.value,
                        "value": i.value,
                        "country": i.country,
                        "label": i.label,
                        "note": i.note,
                    }
                )
                for i in e.identifiers
            ],
            "birth_dates": [
                _compact({"start": b.start, "end": b.end, "circa": b.circa or None, "raw": b.raw})
                for b in e.birth_dates
            ],
            "birth_places": list(e.birth_places),
            "nationalities": list(e.nationalities),
            "citizenships": list(e.citizenships),
            "addresses": [
                _compact(
                    {
                        "full": a.full,
                        "street": a.street,
                        "city": a.city,
                        "region": a.region,
                        "postal_code": a.postal_code,
                        "country": a.country,
                    }
                )
                for a in e.addresses
            ],
            "countries": list(e.countries),
            "gender": e.gender,
            "titles": list(e.titles),
            "positions": list(e.positions),
            "programs": list(e.programs),
            "listed_on": e.listed_on,
            "remarks": list(e.remarks),
            "links": [
                _compact({"relation": lk.relation, "name": lk.name, "target_id": lk.target_id}) for lk in e.links
            ],
            "properties": dict(e.properties),
            "source": _compact(
                {
                    "list_id": e.source.list_id,
                    "upstream_id": e.source.upstream_id,
                    "version": e.source.version,
                    "fields": dict(e.source.fields),
                }
            )
            if e.source
            else None,
        }
    )


def entity_from_dict(d: Mapping[str, Any]) -> Entity:
    """The entity of `d`. Values that many entities repeat (list ids, scripts, programmes, countries, labels, source
    field values, parts of names) are interned, so that each is one string in memory rather than one per entity:
    on the real lists 400,000 strings hold 225,000 values. A full name or an id is left as it is: it is rarely
    repeated, and interning costs a table entry. The source record's fields and the properties, which only showing
    the entity reads, are kept packed (service.model.packed)."""
    src = d.get("source")
    return Entity(
        id=d["id"],
        list_id=intern(d["list_id"]),
        kind=EntityKind(d["kind"]),
        name=name_from_dict(d["name"]),
        aliases=tuple(name_from_dict(a) for a in d.get("aliases", ())),
        identifiers=tuple(
            Identifier(
                type=IdentifierType(i["type"]),
                value=i["value"],
                country=_i(i.get("country")),
                label=_i(i.get("label")),
                note=_i(i.get("note")),
            )
            for i in d.get("identifiers", ())
        ),
        birth_dates=tuple(
            DateSpec(start=_i(b["start"]), end=_i(b.get("end")), circa=bool(b.get("circa")), raw=_i(b.get("raw")))
            for b in d.get("birth_dates", ())
        ),
        birth_places=_strings(d.get("birth_places", ())),
        nationalities=_strings(d.get("nationalities", ())),
        citizenships=_strings(d.get("citizenships", ())),
        addresses=tuple(
            Address(
                full=_i(a.get("full")),
                street=_i(a.get("street")),
                city=_i(a.get("city")),
                region=_i(a.get("region")),
                postal_code=_i(a.get("postal_code")),
                country=_i(a.get("country")),
            )
            for a in d.get("addresses", ())
        ),
        countries=_strings(d.get("countries", ())),
        gender=_i(d.get("gender")),
        titles=_strings(d.get("titles", ())),
        positions=_strings(d.get("positions", ())),
        programs=_strings(d.get("programs", ())),
        listed_on=_i(d.get("listed_on")),
        remarks=_strings(d.get("remarks", ())),
        links=tuple(
            Link(relation=intern(lk["relation"]), name=_i(lk["name"]), target_id=_i(lk.get("target_id")))
            for lk in d.get("links", ())
        ),
        properties=packed(d.get("properties", {})),
        source=SourceRecord(
            list_id=intern(src["list_id"]),
            upstream_id=src["upstream_id"],
            version=_i(src.get("version", "")),
            fields=packed(src.get("fields", {})),
        )
        if src
        else None,
    )


def status_to_dict(s: ListStatus) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "version": s.version,
        "published_at": s.published_at,
        "fetched_at": s.fetched_at,
        "checked_at": s.checked_at,
        "entities": s.entities,
        "status": s.status.value,
        "error": s.error,
    }


def status_from_dict(d: Mapping[str, Any]) -> ListStatus:
    return ListStatus(
        id=d["id"],
        title=d.get("title"),
        version=d.get("version"),
        published_at=d.get("published_at"),
        fetched_at=d.get("fetched_at"),
        checked_at=d.get("checked_at"),
        entities=int(d.get("entities", 0)),
        status=SyncState(d.get("status", "never")),
        error=d.get("error"),
    )


def diff_to_dict(diff: SnapshotDiff) -> dict[str, Any]:
    return {
        "list_id": diff.list_id,
        "old_version": diff.old_version,
        "new_version": diff.new_version,
        "added": list(diff.added),
        "removed": list(diff.removed),
        "changed": list(diff.changed),
    }


def diff_from_dict(d: Mapping[str, Any]) -> SnapshotDiff:
    return SnapshotDiff(
        list_id=d["list_id"],
        old_version=d.get("old_version"),
        new_version=d["new_version"],
        added=tuple(d.get("added", ())),
        removed=tuple(d.get("removed", ())),
        changed=tuple(d.get("changed", ())),
    )


# --- monitoring ----------------------------------------------------------------------------------------------------


def monitor_hit_to_dict(h: MonitorHit) -> dict[str, Any]:
    return {
        "entity_id": h.entity_id,
        "list_id": h.list_id,
        "score": h.score,
        "fingerprint": h.fingerprint,
        "hit": h.hit,
        "since": h.since,
        "alert": h.alert.value if h.alert else None,
    }


def monitor_hit_from_dict(d: Mapping[str, Any]) -> MonitorHit:
    alert = d.get("alert")
    return MonitorHit(
        entity_id=d["entity_id"],
        list_id=d["list_id"],
        score=float(d["score"]),
        fingerprint=d.get("fingerprint", ""),
        hit=dict(d.get("hit") or {}),
        since=d["since"],
        alert=AlertState(alert) if alert else None,
    )


def monitor_to_dict(m: Monitor) -> dict[str, Any]:
    return {
        "ref": m.ref,
        "query": m.query,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "screened_at": m.screened_at,
        "versions": m.versions,
        "hits": [monitor_hit_to_dict(h) for h in m.hits],
        "seq": m.seq,
    }


def monitor_from_dict(d: Mapping[str, Any]) -> Monitor:
    return Monitor(
        ref=d["ref"],
        query=dict(d["query"]),
        created_at=d["created_at"],
        updated_at=d["updated_at"],
        screened_at=d["screened_at"],
        versions=dict(d.get("versions") or {}),
        hits=tuple(monitor_hit_from_dict(h) for h in d.get("hits", ())),
        seq=int(d.get("seq", 0)),
    )


def decision_to_dict(d: Decision) -> dict[str, Any]:
    return {
        "id": d.id,
        "ref": d.ref,
        "entity_id": d.entity_id,
        "decision": d.decision.value,
        "reason": d.reason,
        "reviewer": d.reviewer,
        "decided_at": d.decided_at,
        "actor": d.actor,
        "fingerprint": d.fingerprint,
        "hit": d.hit,
        "entity_fingerprint": d.entity_fingerprint,
    }


def decision_from_dict(d: Mapping[str, Any]) -> Decision:
    return Decision(
        id=d["id"],
        ref=d["ref"],
        entity_id=d["entity_id"],
        decision=DecisionKind(d["decision"]),
        reason=d.get("reason", ""),
        reviewer=d.get("reviewer", ""),
        decided_at=d["decided_at"],
        actor=d.get("actor", ""),
        fingerprint=d.get("fingerprint", ""),
        hit=dict(d.get("hit") or {}),
        entity_fingerprint=d.get("entity_fingerprint", ""),
    )


def event_to_dict(e: Event) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type.value,
        "created_at": e.created_at,
        "ref": e.ref,
        "entity_id": e.entity_id,
        "body": e.body,
        "seq": e.seq,
    }


def event_from_dict(d: Mapping[str, Any], seq: int | None = None) -> Event:
    return Event(
        id=d["id"],
        type=EventType(d["type"]),
        created_at=d["created_at"],
        ref=d["ref"],
        entity_id=d["entity_id"],
        body=dict(d["body"]),
        seq=int(d.get("seq", 0)) if seq is None else seq,
    )
