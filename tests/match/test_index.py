"""The index built at a list change, from the serving index, is the index built from scratch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from service.match import index as index_module
from service.match.index import Index
from service.model import Entity, EntityKind, Name, Snapshot
from tests.conftest import read_fixture_files
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
    skeleton_calls, deletion_calls = list(skeleton_calls), list(deletion_calls)

    assert _tables(reused) == _tables(fresh)
    # the keys of the tokens the serving index had were read back, not computed: only the new words were analysed
    new_words = set(reused._key_number) - set(serving._key_number)
    assert {"zorbanex", "quillfeather", "elqwertyon"} <= new_words
    # (and the words without a key of two letters, which the tables cannot tell: "ra", "hua")
    recomputed = set(skeleton_calls) - new_words
    assert "khshqjy" not in skeleton_calls
    assert {"zorbanex", "quillfeather"} <= set(skeleton_calls)
    assert all(not [sk for sk in index_module.skeletons(t) if len(sk) >= 2] for t in recomputed)
    assert len(serving._key_number) > 5 * len(skeleton_calls)
    assert "khshqjy" in abjad_calls  # the one token whose script changed
    others = set(abjad_calls) - {"khshqjy"}
    assert all(not [sk for sk in index_module.abjad_skeletons(t) if len(sk) >= 2] for t in others)
    assert set(deletion_calls) <= new_words and "quillfeather" in deletion_calls


def test_tables_are_the_same_after_changes_in_both_directions(entities: list[Entity]) -> None:
    # a token written in Arabic in the serving index and in Latin letters after the change; names joined in one
    # index and split in the other ("qwertyonex" a word, then only a joined form)
    before = [*entities[:40], _entity(1, "خشقجي"), _entity(2, "Qwertyonex Ltd", "Qwerty Onex")]
    after = [*entities[20:], _entity(1, "KHSHQJY"), _entity(2, "Qwerty Onex")]
    for old, new in ((before, after), (after, before)):
        assert _tables(Index(new, Index(old))) == _tables(Index(new))


def test_a_build_with_the_serving_index_of_real_lists_is_the_same(real_snapshots: list[Snapshot]) -> None:
    entities = [e for s in real_snapshots for e in s.entities]
    serving = Index(entities)
    un = next(i for i, e in enumerate(entities) if e.list_id == "un_sc_sanctions")
    changed = [*entities[:un], *entities[un + 50 :], replace(entities[un], id="un_sc_sanctions:moved")]
    assert _tables(Index(changed, serving)) == _tables(Index(changed))


@pytest.fixture(scope="module")
def real_snapshots(mirror_dir: object) -> list[Snapshot]:
    from tests.match.conftest import load_real_snapshots

    return load_real_snapshots()
