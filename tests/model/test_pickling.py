"""The matcher cache's objects: pickled by their field values, loaded equal, and repeated values shared."""

import copy
import dataclasses
import itertools
import pickle
import pickletools

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


def _cached_objects() -> list[object]:
    e = _entity(1)
    objects: list[object] = [e, e.name, e.aliases[0], e.identifiers[0], e.birth_dates[0], e.addresses[0]]
    return [*objects, e.links[0], e.source, analyze("Поуя Эйр")]


def test_every_cached_class_loads_equal_and_of_its_own_class() -> None:
    for obj in _cached_objects():
        loaded = pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(loaded) is type(obj)
        assert loaded == obj
        fields = dataclasses.fields(obj)  # type: ignore[arg-type]
        assert [getattr(loaded, f.name) for f in fields] == [getattr(obj, f.name) for f in fields]
        assert not hasattr(loaded, "extend")  # the loading subclass's method: the public class has no mutator
        assert copy.copy(obj) is obj and copy.deepcopy(obj) == obj


def test_loading_leaves_no_tuple_per_object_in_the_unpicklers_memo() -> None:
    # The unpickler keeps every memoized object until the load ends: a tuple per object (the arguments of
    # `cls(*values)`, or dataclasses' state) became a freed hole among the objects that stay.
    def memoized_tuples(count: int) -> int:
        names = [Name(f"Name {n}", script="Latn", lang="en") for n in range(count)]
        ops = list(pickletools.genops(pickle.dumps(names, protocol=pickle.HIGHEST_PROTOCOL)))
        pairs = itertools.pairwise(op.name for op, _, _ in ops)
        return sum(op.startswith("TUPLE") and nxt == "MEMOIZE" for op, nxt in pairs)

    assert memoized_tuples(100) == memoized_tuples(10) > 0  # the enums' and the shared argument tuple, once


def test_the_loading_class_refuses_a_wrong_number_of_values() -> None:
    loading = type(pickle.loads(pickle.dumps(Name("x"))))  # the class the loaded object was turned into
    assert loading is Name
    reduced = Name("x").__reduce__()
    fresh = reduced[0](*reduced[1])
    with pytest.raises(TypeError):
        fresh.extend(["x"])


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
