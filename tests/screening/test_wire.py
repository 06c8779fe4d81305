"""The one wire format: what the server writes, the remote client reads back unchanged."""

from __future__ import annotations

from service.model import EntityKind, ListInfo, Query
from service.screening.limits import MAX_ALIASES, MAX_IDENTIFIER_CHARS, MAX_NAME_CHARS
from service.screening.runtime import ServingState
from service.screening.wire import (
    hit_from_dict,
    hit_to_dict,
    list_info_from_dict,
    list_info_to_dict,
    make_query,
    query_from_dict,
    query_to_dict,
    query_to_wire,
)


def test_hits_round_trip_through_the_wire(sample_state: ServingState) -> None:
    hits = sample_state.matcher.screen(Query(name="EP-GOM"), threshold=0.8)
    assert hits and hits[0].evidence and hits[0].linked, "the aircraft hit names its operator"
    for hit in hits:
        back = hit_from_dict(hit_to_dict(hit))
        assert hit_to_dict(back) == hit_to_dict(hit)
        assert back.entity_id == hit.entity_id and back.kind == hit.kind and back.list_version == hit.list_version


def test_query_round_trips_and_blank_values_are_dropped() -> None:
    q = make_query(name="  Jane Doe ", type="person", aliases=["", "J. Doe"], identifiers=[" ", "X1"], countries=["GB"])
    assert q == Query(
        name="Jane Doe", kind=EntityKind.PERSON, aliases=("J. Doe",), identifiers=("X1",), countries=("GB",)
    )
    assert query_from_dict(query_to_dict(q)) == q
    assert query_to_dict(make_query(name="x"))["type"] == "any"


def test_query_to_wire_clips_to_the_server_caps_and_skips_what_has_nothing_to_screen() -> None:
    q = Query(
        name="N" * (MAX_NAME_CHARS + 10),
        aliases=tuple(f"alias {i}" for i in range(MAX_ALIASES + 5)),
        identifiers=("I" * (MAX_IDENTIFIER_CHARS + 1), "RA-78765"),
    )
    item = query_to_wire(q, ref="7")
    assert item is not None
    assert item["ref"] == "7" and len(item["name"]) == MAX_NAME_CHARS
    assert item["identifiers"] == ["RA-78765"] and len(item["aliases"]) == MAX_ALIASES
    assert query_to_wire(Query(identifiers=("I" * (MAX_IDENTIFIER_CHARS + 1),))) is None


def test_list_versions_round_trip() -> None:
    info = ListInfo("us_ofac_sdn", "v1", "2026-01-01", "2026-01-02T00:00:00Z", 12)
    assert list_info_from_dict(list_info_to_dict(info)) == info
