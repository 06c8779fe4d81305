"""The server's collector policy: a frozen matcher replaced by a published change is freed, not kept for life."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from service.api.heap import freeze_heap, refreeze_heap
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
    """Load, publish a change, load it; whether the first state's index is gone after a full collection."""
    assert runtime.reload() and runtime.state is not None
    first = weakref.ref(runtime.state.matcher.index)
    un = next(s for s in sample_snapshots() if s.list_id == "un_sc_sanctions")
    _publish(store, replace(un, version=f"{runtime.state.lists['un_sc_sanctions'].version}+1"))
    assert runtime.reload() and runtime.state.matcher.index is not first()
    gc.collect()  # a frozen object survives even this
    return first() is None


def test_a_replaced_matcher_is_freed_when_the_server_refreezes(store: EmbeddedStore) -> None:
    manifests = load_manifests(Settings().lists_dir, LISTS)
    runtime = Runtime(store, manifests, after_build=freeze_heap, after_swap=refreeze_heap)
    assert _replaced_index_is_freed(store, runtime)
    assert gc.get_freeze_count() > 0  # and the new one is frozen


def test_a_frozen_matcher_outlives_its_replacement_without_the_refreeze(store: EmbeddedStore) -> None:
    """The control: the policy of freezing alone (as the server had it) kept every replaced matcher."""
    manifests = load_manifests(Settings().lists_dir, LISTS)
    runtime = Runtime(store, manifests, after_build=freeze_heap)
    assert not _replaced_index_is_freed(store, runtime)
