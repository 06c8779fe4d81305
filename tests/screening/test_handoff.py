"""A state handed from a builder child to the process that forked it (service.screening.handoff): the same state as
the cache entry holds, sharing the parent's entities, names and analyses; refused when written against another
state or by another process, or unreadable."""

from __future__ import annotations

import os
import pickle
import weakref
from dataclasses import replace
from pathlib import Path

import pytest
import structlog

from service.match import text
from service.model import Entity, EntityKind, ListStatus, Name, Query, Snapshot, SyncState
from service.screening import handoff
from service.screening.runtime import ServingState, build_handed_over, build_state, data_dir_cache
from service.store.embedded import EmbeddedStore
from tests.screening.conftest import sample_snapshots

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")


@pytest.fixture(scope="module")
def serving() -> ServingState:
    return build_state(sample_snapshots(), "g1", views=(text.TEXT_VIEW,))


def _changed(serving: ServingState) -> ServingState:
    """A list change as a builder child builds it: the unchanged list's entities are the serving state's own
    objects (the store hands them back), the changed list has one more entity, the analyses are reused."""
    by_list: dict[str, list[Entity]] = {}
    for e in serving.matcher.index.entities:
        by_list.setdefault(e.list_id, []).append(e)
    name = Name("Zorbanex Quillfeather")
    added = Entity(id="un_sc_sanctions:TEST.1", list_id="un_sc_sanctions", kind=EntityKind.PERSON, name=name)
    snapshots: list[Snapshot] = []
    for s in sample_snapshots():
        if s.list_id == "un_sc_sanctions":
            snapshots.append(replace(s, version="un-v2", entities=(*s.entities, added)))
        else:
            snapshots.append(replace(s, entities=tuple(by_list[s.list_id])))
    return build_state(snapshots, "g2", serving, views=(text.TEXT_VIEW,))


def _written_by_a_child(path: Path, state: ServingState, previous: ServingState) -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the builder child
        code = 1
        try:
            handoff.write(path, state, previous)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_handoff_is_the_state_built_sharing_what_the_parent_holds(serving: ServingState, tmp_path: Path) -> None:
    new = _changed(serving)
    path = tmp_path / ".handoff"
    _written_by_a_child(path, new, serving)
    whole = len(pickle.dumps(new, protocol=pickle.HIGHEST_PROTOCOL))
    assert 0 < path.stat().st_size < whole  # references instead of the shared objects
    got = handoff.read(path, handoff.hold(serving), ServingState)
    assert got is not None and not path.exists()
    # the same state as the entry's (its strings are shared differently: a token of a reused analysis and the same
    # token as the new index's key are one object in the child, two here)
    assert (got.generation, got.lists) == (new.generation, new.lists)
    a, b = got.matcher.index, new.matcher.index
    assert a.entities == b.entities and list(a.names.norm) == list(b.names.norm)
    assert (a._key_number, a.by_skeleton, a.by_deletion, a.ids) == (b._key_number, b.by_skeleton, b.by_deletion, b.ids)
    assert (a._flat == b._flat).all() and list(a._idf) == list(b._idf)
    assert got.matcher.views["text"] == new.matcher.views["text"]
    queries = [Query(name=n.name.full) for n in b.names]
    assert len(queries) > 10
    for q in queries:
        assert [(h.entity_id, h.score) for h in got.matcher.screen(q)] == [
            (h.entity_id, h.score) for h in new.matcher.screen(q)
        ]
    # the serving state's objects, not copies of them: the entities of the list that did not change (the changed
    # one was decoded again), and every reused name analysis
    before = {e.id: e for e in serving.matcher.index.entities}
    kept = [e for e in got.matcher.index.entities if e.list_id == "us_ofac_sdn"]
    assert len(kept) > 5
    assert all(e is before[e.id] for e in kept)
    norms = {id(n) for n in serving.matcher.index.names.norm}
    assert sum(id(n) in norms for n in got.matcher.index.names.norm) == len(serving.matcher.index.names.norm)
    assert got.matcher.get("un_sc_sanctions:TEST.1") is not None


def test_a_handoff_gives_the_columns_as_runs_and_the_key_tables_as_changes(
    serving: ServingState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = _changed(serving)
    path = tmp_path / ".handoff"
    _written_by_a_child(path, new, serving)
    rejoined: dict[int, list[tuple[int, int]]] = {}  # by column: (runs, objects written out) of each list
    patched: dict[int, tuple[int, int]] = {}  # by table: (keys changed, keys removed)
    real_rejoined, real_patched = handoff._rejoined, handoff._patched

    def rejoin(column: int, spans: list[int], literals: list[object]) -> list[object]:
        rejoined.setdefault(column, []).append((len(spans) // 2, len(literals)))
        return real_rejoined(column, spans, literals)

    def patch(which: int, changed: dict[str, object], removed: list[str]) -> dict[str, object]:
        patched[which] = (len(changed), len(removed))
        return real_patched(which, changed, removed)

    monkeypatch.setattr(handoff, "_rejoined", rejoin)
    monkeypatch.setattr(handoff, "_patched", patch)
    got = handoff.read(path, handoff.hold(serving), ServingState)
    assert got is not None
    a, b = got.matcher.index, new.matcher.index
    assert a.entities == b.entities and a.names.name == b.names.name and a.names.norm == b.names.norm
    assert (a.by_skeleton, a.by_unarticled, a.by_deletion) == (b.by_skeleton, b.by_unarticled, b.by_deletion)
    # the unchanged list's entities and names, and every analysis but the new name's, are runs of the serving
    # index's columns; the changed list, decoded again, is written out
    un = [e for e in b.entities if e.list_id == "un_sc_sanctions"]
    un_names = [n for n, ei in zip(b.names.name, b.names.entity, strict=True) if b.entities[ei] in un]
    assert len(un) >= 3 and len(b.entities) > 2 * len(un)
    assert [n for _, n in rejoined[0]] == [len(un)] and [n for _, n in rejoined[1]] == [len(un_names)]
    # the analyses: the index's (the new name's written out) and the text view's, which has every name of an entity
    # (a name the index holds once, spelt otherwise, brings an analysis the serving index does not hold)
    view_norms = got.matcher.views["text"].norms  # type: ignore[attr-defined]
    assert len(rejoined[2]) == 2 and min(n for _, n in rejoined[2]) == 1 and len(view_norms) > len(a.names.norm)
    assert all(runs <= 12 for runs, _ in (*rejoined[0], *rejoined[1], *rejoined[2]))
    # a few keys changed (the new name's), none removed
    assert sorted(patched) == [0, 1, 2] and all(0 <= n < 30 and not gone for n, gone in patched.values())
    assert sum(n for n, _ in patched.values()) > 0


def test_a_handoff_for_another_state_or_process_is_refused(serving: ServingState, tmp_path: Path) -> None:
    new = _changed(serving)
    path = tmp_path / ".handoff"
    _written_by_a_child(path, new, serving)
    with structlog.testing.capture_logs() as logs:
        assert (
            handoff.read(path, handoff.hold(new), ServingState) is None
        )  # held: another state than the one it refers to
    assert not path.exists()
    handoff.write(path, new, serving)  # by this process: not a child's, for its parent
    with structlog.testing.capture_logs() as more:
        assert handoff.read(path, handoff.hold(serving), ServingState) is None
    assert [e["event"] for e in [*logs, *more]] == ["matcher.handoff_refused"] * 2


def test_an_unreadable_or_missing_handoff_is_refused_and_gone(serving: ServingState, tmp_path: Path) -> None:
    new = _changed(serving)
    path = tmp_path / ".handoff"
    _written_by_a_child(path, new, serving)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut short
    with structlog.testing.capture_logs() as logs:
        assert handoff.read(path, handoff.hold(serving), ServingState) is None
    assert not path.exists()
    assert [e["event"] for e in logs] == ["matcher.handoff_refused"]
    assert (
        handoff.read(path, handoff.hold(serving), ServingState) is None
    )  # none there: nothing to refuse, nothing logged
    with pytest.raises(pickle.UnpicklingError):
        handoff._held(0, 0)  # a reference outside a read resolves to nothing


def test_a_handed_over_change_frees_the_serving_state_before_it_is_read(tmp_path: Path) -> None:
    """runtime.build_handed_over keeps of the serving state only what the handoff refers to when it calls `release`:
    the supervisor drops its state there, and the new one is read into the memory the old one leaves."""
    store = EmbeddedStore(tmp_path / "data")
    for snap in sample_snapshots():
        store.publish(snap, {}, ListStatus(snap.list_id, snap.version, status=SyncState.OK), None)
    ids = [s.list_id for s in sample_snapshots()]
    cache = data_dir_cache(tmp_path / "data")
    holder: list[ServingState | None] = [build_state(sample_snapshots(), store.generation() or "")]
    alive: list[bool] = []
    un = next(s for s in sample_snapshots() if s.list_id == "un_sc_sanctions")
    store.publish(replace(un, version="un-v2"), {}, ListStatus(un.list_id, "un-v2", status=SyncState.OK), None)
    matcher = weakref.ref(holder[0].matcher)  # type: ignore[union-attr]

    def release() -> None:
        holder[0] = None  # as Supervisor._drop_state
        alive.append(matcher() is not None)

    built, state = build_handed_over(store, ids, cache, holder[0], store.generation() or "", release=release, reap=True)
    assert built and state is not None and state.lists["un_sc_sanctions"].version == "un-v2"
    assert alive == [False]
    assert [h.entity_id for h in state.matcher.screen(Query(name="Nicolas Maduro"))]
