"""The matcher cache's objects: pickled by their field values, loaded equal, and repeated values shared."""

import dataclasses
import pickle

import orjson
import pytest

from service.match.index import Index
from service.model import (
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
from service.model.codec import entity_from_dict, entity_to_dict
from service.model.pickling import pickled_by_fields
from service.normalize.names import analyze


def _entity(n: int) -> Entity:
    return Entity(
        id=f"us_ofac_sdn:{n}",
        list_id="us_ofac_sdn",
        kind=EntityKind.AIRCRAFT,
        name=Name(f"EP-GO{n}"),
        aliases=(Name("Поуя Эйр", type=NameType.AKA, quality=NameQuality.WEAK, script="Cyrl"),),
        identifiers=(Identifier(IdentifierType.TAIL_NUMBER, f"EP-GO{n}", country="IR", label="Tail Number"),),
        birth_dates=(DateSpec("1960", end="1965", circa=True, raw="circa 1960-1965"),),
        addresses=(Address(city="Tehran", country="IR"),),
        programs=("IRAN-EO13846", "SDGT"),
        links=(Link("operator", "YAS AIR", target_id="us_ofac_sdn:1"),),
        properties={"model": "IL76-TD"},
        source=SourceRecord("us_ofac_sdn", str(n), version="2026-12-01", fields={"Remarks": "x", "Type": "aircraft"}),
    )


def test_every_cached_class_loads_equal_by_its_field_values() -> None:
    e = _entity(1)
    objects: list[object] = [e, e.name, e.aliases[0], e.identifiers[0], e.birth_dates[0], e.addresses[0]]
    objects += [e.links[0], e.source, analyze("Поуя Эйр")]
    for obj in objects:
        reduced: tuple[type, tuple[object, ...]] = obj.__reduce__()  # type: ignore[assignment]
        cls, values = reduced
        assert cls is type(obj)
        assert values == tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))  # type: ignore[arg-type]
        assert pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)) == obj


def test_the_decorator_refuses_a_class_whose_init_does_more() -> None:
    @dataclasses.dataclass(frozen=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            assert self.value >= 0

    @dataclasses.dataclass(frozen=True)
    class Derived:
        value: int
        double: int = dataclasses.field(init=False, default=0)

    for cls in (Checked, Derived):
        with pytest.raises(TypeError):
            pickled_by_fields(cls)


def test_decoded_entities_share_the_values_they_repeat() -> None:
    # through bytes, as a snapshot is read: decoding makes new strings, which interning folds back into one
    a, b = (entity_from_dict(orjson.loads(orjson.dumps(entity_to_dict(_entity(n))))) for n in (1, 2))
    assert a != b
    assert a.list_id is b.list_id and a.source is not None and b.source is not None
    assert a.programs[0] is b.programs[0] and a.programs is not b.programs
    assert a.identifiers[0].label is b.identifiers[0].label
    assert a.addresses[0].city is b.addresses[0].city
    assert a.source.version is b.source.version
    assert a.aliases[0].script is b.aliases[0].script


def test_names_share_tokens_class_patterns_and_weights() -> None:
    # "".join makes a new string each time, so equal tokens are one object only if analysis interns them
    x, y = analyze("".join(["Mohammad", " Reza"])), analyze("".join(["Mohammad", " Ali"]))
    assert x.tokens[0] is y.tokens[0] and x.classes is y.classes
    assert x.tokens[1] != y.tokens[1] and x.text is not y.text
    entities = [
        Entity(id=f"t:{n}", list_id="t", kind=EntityKind.PERSON, name=Name(f"Mohammad {given}"))
        for n, given in enumerate(["Reza", "Ali", "Reza Karimi", "Ali Karimi"])
    ]
    index = Index(entities)
    weights = [n.weights for n in index.names]
    assert len(weights) == 4 and weights[0] == weights[1]
    assert weights[0] is weights[1]  # one tuple for equal rows (the lists repeat few weight patterns)
    assert weights[2][0] is weights[3][0]  # and one float for equal weights
