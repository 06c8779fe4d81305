"""The state of a one-shot command: the store's last good snapshots, with warnings a user must see."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.model import ListStatus, SyncState
from service.screening.local import NoListsError, load_local
from service.store.embedded import EmbeddedStore
from tests.screening.conftest import sample_snapshots


def _store_with_samples(data_dir: Path, fetched_at: str) -> EmbeddedStore:
    store = EmbeddedStore(data_dir)
    for snap in sample_snapshots():
        status = ListStatus(
            snap.list_id, snap.version, fetched_at=fetched_at, checked_at=fetched_at, status=SyncState.OK
        )
        store.publish(snap, {}, status, None)
    return store


def test_load_local_serves_every_synced_list_and_warns_when_out_of_date(tmp_path: Path) -> None:
    store = _store_with_samples(tmp_path, "2026-11-01T00:00:00Z")
    fresh = load_local(store, where="here", now=datetime(2026, 11, 3, tzinfo=UTC))
    assert sorted(fresh.state.lists) == ["un_sc_sanctions", "us_ofac_sdn"] and fresh.warnings == ()
    old = load_local(store, ["us_ofac_sdn"], where="here", now=datetime(2026, 12, 1, tzinfo=UTC))
    assert list(old.state.lists) == ["us_ofac_sdn"]
    assert len(old.warnings) == 1 and "last confirmed current on 2026-11-01 (30 days ago)" in old.warnings[0]
    store.close()


def test_load_local_refuses_a_configured_list_never_synced_and_an_empty_store(tmp_path: Path) -> None:
    store = _store_with_samples(tmp_path / "a", "2026-11-01T00:00:00Z")
    with pytest.raises(NoListsError, match="eu_fsf configured"):
        load_local(store, ["us_ofac_sdn", "eu_fsf"], where="here")
    with pytest.raises(NoListsError, match="no lists available in the data dir x"):
        load_local(EmbeddedStore(tmp_path / "b"), where="data dir x")
