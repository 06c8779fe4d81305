"""The server's collector policy: a frozen matcher replaced by a published change is freed, not kept for life, and
freed by reference counting (a serving state holds no reference cycle), with no full collection."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from service.api.heap import freeze_heap, release_heap
from service.model import ListStatus, Snapshot, SyncState
from service.screening.runtime import Runtime
from service.settings import Settings
from service.sources.manifest import load_manifests
from service.store.embedded import EmbeddedStore
from tests.screening.conftest import sample_snapshots

LISTS = ["us_ofac_sdn", "un_sc_sanctions"]


def _publish(store: EmbeddedStore, snap: Snapshot) -> None:
    store.publish(snap, {}, ListStatus(snap.list_id, snap.version, status=SyncState.OK), None)


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    s = EmbeddedStore(tmp_path / "data")
    for snap in sample_snapshots():
        if snap.list_id in LISTS:
            _publish(s, snap)
    return s


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def _replaced_index_is_freed(store: EmbeddedStore, runtime: Runtime) -> bool:
    """Load, publish a change, load it; whether the first state's index is gone once the reload returns, with the
    collector off (so that nothing but reference counting can have freed it)."""
    assert runtime.reload() and runtime.state is not None
    first = weakref.ref(runtime.state.matcher.index)
    un = next(s for s in sample_snapshots() if s.list_id == "un_sc_sanctions")
    _publish(store, replace(un, version=f"{runtime.state.lists['un_sc_sanctions'].version}+1"))
    gc.disable()
    try:
        assert runtime.reload() and runtime.state.matcher.index is not first()
        return first() is None
    finally:
        gc.enable()


def test_a_replaced_matcher_is_freed_without_a_collection(store: EmbeddedStore) -> None:
    manifests = load_manifests(Settings().lists_dir, LISTS)
    runtime = Runtime(store, manifests, after_build=freeze_heap, after_swap=release_heap)
    assert _replaced_index_is_freed(store, runtime)
    assert gc.get_freeze_count() > 0  # and the new one is frozen


def test_a_replaced_matcher_in_a_reference_cycle_outlives_its_replacement(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: an index that refers to itself (as the index and its token comparer once did) is kept frozen
    after a change, for the life of the process."""
    from service.match.index import Index

    original = Index.__init__

    def with_a_cycle(self: Index, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        self.itself = self  # type: ignore[attr-defined]

    monkeypatch.setattr(Index, "__init__", with_a_cycle)
    manifests = load_manifests(Settings().lists_dir, LISTS)
    runtime = Runtime(store, manifests, after_build=freeze_heap, after_swap=release_heap)
    assert not _replaced_index_is_freed(store, runtime)
