"""The declared feature table: its shape, caller weights, and how signals combine."""

import pytest

from service.errors import QueryError
from service.match.features import (
    DEFAULT_WEIGHT_VECTOR,
    FEATURE_NAMES,
    FEATURES,
    NO_SIGNAL,
    Signal,
    combine,
    describe,
    resolve_weights,
)


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
