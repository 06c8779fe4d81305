"""Which monitors a changed listed entity can affect: found through the matcher's kinds of keys, filtered by how
much of a monitored name the entity covers."""

from __future__ import annotations

from service.model import Entity, EntityKind, Identifier, IdentifierType, Monitor, MonitorHit, Name
from service.screening.monitor_index import MonitorIndex


def monitor(ref: str, name: str, *, identifiers: tuple[str, ...] = (), held: tuple[str, ...] = ()) -> Monitor:
    hits = tuple(MonitorHit(e, "x", 0.9, "fp", {}, "2026-12-01T00:00:00Z") for e in held)
    query = {"name": name, "type": "any", "aliases": [], "identifiers": list(identifiers)}
    return Monitor(ref, query, "t", "t", "t", {}, hits)


def person(entity_id: str, *names: str, identifiers: tuple[Identifier, ...] = ()) -> Entity:
    return Entity(
        id=entity_id,
        list_id="x",
        kind=EntityKind.PERSON,
        name=Name(names[0]),
        aliases=tuple(Name(n) for n in names[1:]),
        identifiers=identifiers,
    )


RARE = {"kovalenko": 9.0, "shevchenko": 9.0, "bohdan": 3.0, "ivan": 2.0}


def weight(token: str) -> float:
    return RARE.get(token, 6.0)


def test_spelling_variants_reach_the_monitor() -> None:
    index = MonitorIndex()
    for m in [
        monitor("exact", "Bohdan Kovalenko"),
        monitor("typo", "Bohdan Kovalenkko"),  # one letter more
        monitor("subst", "Bohdan Kowalenko"),  # one letter substituted
        monitor("other", "Ivan Shevchenko"),
    ]:
        index.add(m)
    found = index.candidates(person("x:1", "KOVALENKO, Bohdan"), weight)
    assert found == {"exact", "typo", "subst"}


def test_a_shared_common_given_name_alone_is_no_candidate() -> None:
    index = MonitorIndex()
    index.add(monitor("same-given", "Bohdan Shevchenko"))
    index.add(monitor("same-family", "Ivan Kovalenko"))
    found = index.candidates(person("x:1", "KOVALENKO, Bohdan"), weight)
    # "bohdan" is 3 of 12 of the first monitor's weight; "kovalenko" 9 of 11 of the second's
    assert found == {"same-family"}


def test_identifiers_and_held_hits_always_count() -> None:
    index = MonitorIndex()
    index.add(monitor("ship", "Some Vessel", identifiers=("IMO 9339325",)))
    index.add(monitor("holder", "Unrelated Name", held=("x:7",)))
    vessel = person("x:7", "LIBERTY", identifiers=(Identifier(IdentifierType.IMO, "9339325"),))
    assert index.candidates(vessel, weight) == {"ship", "holder"}
    assert index.holders("x:7") == {"holder"}


def test_replacing_and_removing_monitors_updates_every_key() -> None:
    index = MonitorIndex()
    index.add(monitor("m", "Bohdan Kovalenko", held=("x:1",)))
    index.add(monitor("m", "Ivan Shevchenko"))  # replaced: the old name and hit are gone
    assert index.candidates(person("x:1", "KOVALENKO, Bohdan"), weight) == set()
    assert index.candidates(person("x:2", "SHEVCHENKO, Ivan"), weight) == {"m"}
    index.apply([], ["m"], seq=5)
    assert index.candidates(person("x:2", "SHEVCHENKO, Ivan"), weight) == set()
    assert len(index) == 0 and index.seq == 5
