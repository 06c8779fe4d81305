"""The declared feature table: its shape, caller weights, and how signals combine."""

import pytest

from service.errors import QueryError
from service.match import features
from service.match.features import (
    DEFAULT_WEIGHT_VECTOR,
    FEATURE_NAMES,
    FEATURES,
    NO_SIGNAL,
    Candidate,
    Signal,
    assess,
    combine,
    describe,
    resolve_weights,
)
from service.match.index import IndexedName
from service.match.matcher import Matcher, prepare
from service.model import EntityKind, Query


def test_every_feature_is_named_weighed_and_explained() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURES)
    for f in FEATURES:
        assert f.meaning and len(f.meaning) > 40, f.name  # the docstring is the reviewer's explanation
        assert -1.0 <= f.weight <= 1.0
    assert [row["name"] for row in describe()] == list(FEATURE_NAMES)
    bases = [f for f in FEATURES if not f.qualifier]
    assert {f.name for f in bases} >= {"name_match", "weak_alias_match", "identifier_match"}
    assert all(f.weight > 0 for f in bases)


def test_resolve_weights_overrides_by_name() -> None:
    w = resolve_weights({"weak_alias_match": 1.0, "birth_date_mismatch": 0})
    assert w[FEATURE_NAMES.index("weak_alias_match")] == 1.0
    assert w[FEATURE_NAMES.index("birth_date_mismatch")] == 0.0
    assert w[FEATURE_NAMES.index("name_match")] == 1.0
    assert resolve_weights(None) == DEFAULT_WEIGHT_VECTOR


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"name_matchh": 0.5}, "unknown feature 'name_matchh'"),
        ({"name_match": 2.0}, "from -1 to 1"),
        ({"name_match": float("nan")}, "from -1 to 1"),
        ({"name_match": "high"}, "from -1 to 1"),
        ({"name_match": True}, "from -1 to 1"),
    ],
)
def test_resolve_weights_refuses_unknown_names_and_bad_values(weights: dict[str, object], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        resolve_weights(weights)  # type: ignore[arg-type]


def _signals(**values: float) -> tuple[Signal, ...]:
    return tuple(Signal(values[f.name]) if f.name in values else NO_SIGNAL for f in FEATURES)


def test_combine_takes_the_best_base_and_adds_qualifiers() -> None:
    assert combine(_signals(name_match=0.9, weak_alias_match=1.0)) == 0.9  # 1.0 x 0.78 < 0.9
    assert combine(_signals(name_match=0.9, birth_date_mismatch=1.0)) == pytest.approx(0.75)
    assert combine(_signals(name_match=0.9, birth_date_match=1.0, country_match=1.0)) == pytest.approx(0.97)
    assert combine(_signals(name_match=1.0, birth_date_match=1.0)) == 1.0  # within 0..1
    assert combine(_signals(birth_date_match=1.0, country_match=1.0)) == 0.0  # no base, no score
    assert combine(_signals(name_match=0.5, kind_mismatch=1.0)) == pytest.approx(0.2)


@pytest.mark.parametrize(
    "query",
    [
        Query(name="Korea Mirae Shipping", identifiers=("IMO 9339325",), countries=("North Korea",)),
        Query(name="Ocean Maritime Management", birth_date="1962-11-23", kind=EntityKind.ORGANIZATION),
        Query(name="Abu Saleh", kind=EntityKind.PERSON),  # a weak alias
    ],
)
def test_identifier_features_say_nothing_without_an_identifier_in_common(
    excerpt_matcher: Matcher, query: Query
) -> None:
    """`assess` leaves the identifier features unread for a candidate without an identifier in common with the query
    (`_NAME_BASES`): each of them says nothing then, so the score and signals are those of every feature read."""
    index = excerpt_matcher.index
    prepared = prepare(query, index)
    names_of: dict[int, list[IndexedName]] = {}
    for number in range(len(index.names)):
        names_of.setdefault(index.names.entity[number], []).append(index.names[number])
    compared = 0
    for number, names in names_of.items():
        candidate = Candidate(index.entities[number], names, id_matches=(), countries=("KP",))
        every = tuple(f.func(prepared, candidate, excerpt_matcher.context) for f in FEATURES)
        for k, f in enumerate(FEATURES):
            if f.func in features._ID_BASES:
                assert every[k] is NO_SIGNAL, (f.name, index.entities[number].id)
        assert assess(prepared, candidate, excerpt_matcher.context) == (combine(every), every)
        compared += combine(every) > 0.5
    assert compared, "no candidate near the query: the comparison says nothing"
    assert len(features._NAME_BASES) == sum(not f.qualifier for f in FEATURES) - len(features._ID_BASES)
