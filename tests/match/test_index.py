"""The index built at a list change, from the serving index, and the index whose key tables a forked child made,
are the index built from scratch in one process."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import numpy as np
import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from service.match import analysis
from service.match import index as index_module
from service.match.index import Index
from service.match.score import token_weights
from service.model import Entity, EntityKind, Name, Snapshot
from tests.conftest import forks_as_a_builder_child, read_fixture_files
from tests.match.conftest import _snapshots


def _entity(n: int, *names: str) -> Entity:
    first, *rest = names
    return Entity(
        id=f"test:{n}",
        list_id="test",
        kind=EntityKind.ORGANIZATION,
        name=Name(first),
        aliases=tuple(Name(a) for a in rest),
    )


@pytest.fixture(scope="module")
def entities() -> list[Entity]:
    return [e for s in _snapshots(read_fixture_files) for e in s.entities]


def _tables(ix: Index) -> tuple[object, ...]:
    return ix.by_skeleton, ix.by_deletion, ix.by_unarticled


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Calls of index.<name> (skeletons, abjad_skeletons, deletions), by token."""
    calls: list[str] = []
    real: Callable[[str], object] = getattr(index_module, name)

    def counted(token: str) -> object:
        calls.append(token)
        return real(token)

    monkeypatch.setattr(index_module, name, counted)
    return calls


def test_a_change_reuses_the_serving_index_keys_and_builds_the_same_tables(
    entities: list[Entity], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the serving index knows "khshqjy" as a Latin word; the change writes it in Arabic (an abjad token, with other
    # keys), delists a few entities and adds one with new words, a joined form and an article
    serving = Index([*entities, _entity(1, "KHSHQJY Holdings")])
    changed = [
        *entities[5:],
        _entity(1, "KHSHQJY Holdings"),
        _entity(2, "خشقجي", "Zorbanex Quillfeather Trading", "Elqwertyon", "Qwerty Onex"),
    ]
    fresh = Index(changed)
    assert fresh.by_skeleton["hskk"] == "khshqjy" and "hskk" not in serving.by_skeleton  # read as Arabic now
    skeleton_calls = _counting(monkeypatch, "skeletons")
    abjad_calls = _counting(monkeypatch, "abjad_skeletons")
    deletion_calls = _counting(monkeypatch, "deletions")
    reused = Index(changed, serving)
    skeleton_calls, abjad_calls, deletion_calls = list(skeleton_calls), list(abjad_calls), list(deletion_calls)

    assert _tables(reused) == _tables(fresh)
    # the serving index's tables were copied: keys were computed only for the tokens that came, went, are keyed
    # otherwise (khshqjy, in another script now) or moved in key order (words the delisted entities had first)
    came = set(reused._key_number) - set(serving._key_number)
    delisted = set(Index(entities[:5])._key_number)
    redone = came | delisted | {"khshqjy"}
    assert {"zorbanex", "quillfeather", "elqwertyon"} <= came and delisted - set(reused._key_number)
    assert {"zorbanex", "quillfeather", "khshqjy"} <= set(skeleton_calls) <= redone
    assert len(serving._key_number) > 5 * len(skeleton_calls)
    assert "khshqjy" in abjad_calls and set(abjad_calls) <= redone
    assert "quillfeather" in deletion_calls and set(deletion_calls) <= redone


def test_tables_are_the_same_after_changes_in_both_directions(entities: list[Entity]) -> None:
    # a token written in Arabic in the serving index and in Latin letters after the change; names joined in one
    # index and split in the other ("qwertyonex" a word, then only a joined form)
    before = [*entities[:40], _entity(1, "خشقجي"), _entity(2, "Qwertyonex Ltd", "Qwerty Onex")]
    after = [*entities[20:], _entity(1, "KHSHQJY"), _entity(2, "Qwerty Onex")]
    for old, new in ((before, after), (after, before)):
        assert _tables(Index(new, Index(old))) == _tables(Index(new))


def test_a_build_with_the_serving_index_of_real_lists_is_the_same(
    real_snapshots: list[Snapshot], monkeypatch: pytest.MonkeyPatch
) -> None:
    entities = [e for s in real_snapshots for e in s.entities]
    serving = Index(entities)
    un = next(i for i, e in enumerate(entities) if e.list_id == "un_sc_sanctions")
    changed = [*entities[:un], *entities[un + 50 :], replace(entities[un], id="un_sc_sanctions:moved")]
    # and the first list: thirty entities delisted, thirty of the last list's names designated at its head (their
    # words, first met far down before, come first now)
    first = [*(replace(e, id=f"{e.id}.new", list_id=entities[0].list_id) for e in entities[-30:]), *entities[30:]]
    whole = _made_whole(monkeypatch)
    for change in (changed, first):
        updated = Index(change, serving)
        assert whole == []  # the serving index's tables, updated
        assert _tables(updated) == _tables(Index(change))
        whole.clear()


def _made_whole(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Builds that made every key table (`key_tables`) rather than updating the serving index's, by token count."""
    whole: list[int] = []
    real = index_module.key_tables

    def counted(tokens: list[str], *args: object) -> object:
        whole.append(len(tokens))
        return real(tokens, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(index_module, "key_tables", counted)
    return whole


def test_a_change_that_moves_tokens_updates_the_tables_to_those_made_whole(
    entities: list[Entity], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a key's tokens are in the order the names first have them: an entity moved to the front brings its words
    # forward, ahead of words the entities before it had first; removing one sends its words back
    serving = Index(entities)
    tokens = list(serving._key_number)
    late = next(i for i in range(len(entities) - 1, 0, -1) if len(entities[i].all_names()) > 2)
    changed = [entities[late], *entities[1:late], *entities[late + 1 :]]
    moved_forward = set(Index([entities[late]])._key_number)
    assert any(tokens.index(t) > 50 for t in moved_forward)  # words the change brings to the front
    whole = _made_whole(monkeypatch)
    updated = Index(changed, serving)
    assert whole == []  # updated, not made whole
    assert list(updated._key_number) != [t for t in tokens if t in updated._key_number]  # the order changed
    assert _tables(updated) == _tables(Index(changed))
    assert whole == [len(updated._key_number)]  # the fresh build's, made whole


def test_changes_at_random_update_the_tables_to_those_made_whole(
    entities: list[Entity], monkeypatch: pytest.MonkeyPatch
) -> None:
    # removals, insertions anywhere, names written in another script or joined, words that become joined forms
    import random

    rng = random.Random(11)
    serving = Index(entities)
    whole = _made_whole(monkeypatch)
    extra = ["خشقجي", "Qwertyonex Ltd", "Qwerty Onex", "Al Zorbanex", "Elzorbanex", "KHSHQJY", "Naeem Sheikh"]
    for trial in range(12):
        changed = list(entities)
        for _ in range(rng.randint(0, 4)):
            changed.pop(rng.randrange(len(changed)))
        for j in range(rng.randint(0, 4)):
            names = rng.sample(extra, rng.randint(1, 3)) if rng.random() < 0.5 else [rng.choice(entities).name.full]
            changed.insert(rng.randrange(len(changed) + 1), _entity(1000 * trial + j, *names))
        updated, fresh = Index(changed, serving), Index(changed)
        assert _tables(updated) == _tables(fresh), trial
        serving = updated  # the next change is made against this one, as a server's are
    # every fresh build made its tables whole; every change updated them (none changed a quarter of the tokens)
    assert len(whole) == 12


def test_a_change_of_most_tokens_makes_the_tables_whole(
    entities: list[Entity], monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = Index(entities[:10])
    whole = _made_whole(monkeypatch)
    changed = Index(entities, serving)
    assert whole == [len(changed._key_number)]
    assert _tables(changed) == _tables(Index(entities))


def test_the_names_weights_are_those_of_each_name_on_its_own(entities: list[Entity]) -> None:
    # weighed all at once (numpy's products, Python's sums): the same floats as a name at a time, shared
    ix = Index(entities)
    idf = ix.idf
    retrieval = index_module._RETRIEVAL_CLASS_WEIGHT
    assert len(ix.names) > 100
    assert list(ix.names.weights) == [token_weights(n, idf) for n in ix.names.norm]
    assert ix._name_weight.tolist() == [
        max(1e-9, sum(idf(t) * retrieval[c] for t, c in zip(n.tokens, n.classes, strict=True))) for n in ix.names.norm
    ]
    floats = [w for row in ix.names.weights for w in row]
    assert len({id(w) for w in floats}) == len(set(floats)) < len(floats) / 4  # equal weights: one float
    assert len({id(row) for row in ix.names.weights}) == len(set(ix.names.weights))  # equal rows: one tuple
    assert Index([])._name_weight.tolist() == [] and Index([]).names.weights == []


def test_out_of_order_finds_the_fewest_tokens_that_moved() -> None:
    out_of_order = index_module._out_of_order
    assert out_of_order([0, 1, 2, 3], ["a", "b", "c", "d"]) == []
    assert out_of_order([0, 4, 1, 2, 3], ["a", "e", "b", "c", "d"]) == ["e"]  # one moved back
    assert out_of_order([3, 0, 1, 2], ["d", "a", "b", "c"]) == ["d"]  # one moved forward
    assert out_of_order([1, 0, 3, 2], ["b", "a", "d", "c"]) in (["b", "d"], ["a", "c"], ["b", "c"], ["a", "d"])
    assert len(out_of_order([4, 3, 2, 1, 0], list("edcba"))) == 4
    assert out_of_order([], []) == []


@pytest.fixture(scope="module")
def real_snapshots(mirror_dir: object) -> list[Snapshot]:
    from tests.match.conftest import load_real_snapshots

    return load_real_snapshots()


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The children forked (counted, not faked), with a key child worth it for any index."""
    return forks_as_a_builder_child(monkeypatch, index_module, "KEYS_CHILD_MIN_NAMES")


def _pickled(ix: Index) -> bytes:
    return pickle.dumps(ix, protocol=pickle.HIGHEST_PROTOCOL)


def _built_here(entities: list[Entity], monkeypatch: pytest.MonkeyPatch) -> bytes:
    with monkeypatch.context() as m:
        m.setattr(index_module, "KEYS_CHILD_MIN_NAMES", 10**9)
        return _pickled(Index(entities))


@pytest.mark.parametrize("beside", [False, True], ids=["forked before the walk", "forked after it, given its tokens"])
def test_key_tables_from_a_child_are_those_built_here(
    entities: list[Entity], forks: list[int], monkeypatch: pytest.MonkeyPatch, beside: bool
) -> None:
    """With no other child beside the build, the key child is forked before the walk over the names and walks them
    itself; with one beside it (a view's), it is forked after the walk and given the tokens. The same tables
    either way."""
    here = _built_here(entities, monkeypatch)
    assert forks == []
    children: list[str] = []  # what each child forked here computes
    fork = index_module.in_child

    def recorded(work: partial[object], what: str) -> object:
        children.append(work.func.__name__)
        return fork(work, what)

    monkeypatch.setattr(index_module, "in_child", recorded)
    ix = Index(entities, beside=beside)
    assert len(forks) == 1
    assert children == ["_numbered_key_tables" if beside else "_key_tables_of"]
    # the same tables, sharing this process's token objects (the index's keys) as tables built here do: pickled,
    # the same bytes
    assert len(ix.by_skeleton) > 500 and len(ix.by_deletion) > 2000
    assert _pickled(ix) == here
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)  # reaped


def test_no_key_child_at_a_change_with_another_thread_or_few_tokens(
    entities: list[Entity], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = Index(entities)
    assert len(forks) == 1
    Index(entities[3:], serving)  # the serving index's keys are read back: nothing to compute
    assert len(forks) == 1
    monkeypatch.setattr(analysis, "_alone", lambda: threading.active_count() == 1)
    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()
    try:
        Index(entities)
    finally:
        done.set()
        other.join()
    assert len(forks) == 1
    monkeypatch.setattr(index_module, "KEYS_CHILD_MIN_NAMES", 10**9)
    Index(entities)
    assert len(forks) == 1


def test_a_key_child_that_dies_or_sends_the_wrong_thing_costs_time_not_the_index(
    entities: list[Entity], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _built_here(entities, monkeypatch)
    parent = os.getpid()

    def dies_in_a_child(*args: object) -> object:
        assert os.getpid() != parent  # (only a key child computes the tables this way)
        os._exit(3)

    def sends_a_stranger(*args: object) -> object:
        return ({"ab": "not-a-token"}, {}, {})

    def sends_a_negative_number(*args: object) -> object:
        return ({"ab": -1}, {}, {})  # (read as a position in a list, the index's last key)

    def sends_a_number_past_the_keys(*args: object) -> object:
        return ({"ab": (0, 10**9)}, {}, {})

    for wrong, logged in (
        (dies_in_a_child, "status"),
        (sends_a_stranger, "sent"),
        (sends_a_negative_number, "sent"),
        (sends_a_number_past_the_keys, "sent"),
    ):
        monkeypatch.setattr(index_module, "_key_tables_of", wrong)
        with structlog.testing.capture_logs() as logs:
            ix = Index(entities)
        assert _pickled(ix) == expected
        failed = [e for e in logs if e["event"] == "analysis.child_failed"]
        assert [e["work"] for e in failed] == ["key tables"] and logged in failed[0]
    assert len(forks) == 4


@pytest.mark.parametrize("failing", ["comparable", "learn_variants"], ids=["in the walk", "after the walk"])
def test_a_build_that_fails_leaves_no_key_child_behind(
    entities: list[Entity], forks: list[int], monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """The key child is forked before the walk over the names: a build failing in the walk (an identifier that
    cannot be read), or after it, kills and reaps it."""

    def fails(*args: object) -> None:
        raise MemoryError(f"{failing} failed")

    monkeypatch.setattr(index_module, failing, fails)
    with pytest.raises(MemoryError):
        Index(entities)
    assert len(forks) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)  # killed and reaped


@given(st.lists(st.integers(min_value=0, max_value=60), max_size=80))
def test_distinct_is_numpys_unique(values: list[int]) -> None:
    """The candidates' distinct names are those `np.unique` gives, in its order and type."""
    array = np.array(values, dtype=np.int64)
    expected = np.unique(array)
    got = index_module._distinct(array.copy())
    assert got.dtype == expected.dtype
    assert got.tolist() == expected.tolist()
