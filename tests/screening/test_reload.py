"""A one-worker server's reload loop (Runtime): it polls the store four times a second, so a store generation whose
load failed is not tried again at every poll, a new one is tried at once, and a failure that repeats poll after
poll (the store down) is logged once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import structlog

from service.errors import StoreError
from service.model import ListStatus, Snapshot, SyncState
from service.screening import runtime as runtime_module
from service.screening.runtime import RELOAD_POLL_S, Runtime
from service.settings import Settings
from service.sources.manifest import load_manifests
from service.store.embedded import EmbeddedStore
from tests.screening.conftest import sample_snapshots

IDS = ["us_ofac_sdn", "un_sc_sanctions"]


def _publish(store: EmbeddedStore, snap: Snapshot) -> None:
    store.publish(snap, {}, ListStatus(snap.list_id, snap.version, status=SyncState.OK), None)


def _un(version: str) -> Snapshot:
    return replace(next(s for s in sample_snapshots() if s.list_id == "un_sc_sanctions"), version=version)


@pytest.fixture
def serving(tmp_path: Path) -> Runtime:
    store = EmbeddedStore(tmp_path / "data")
    for snap in sample_snapshots():
        _publish(store, snap)
    runtime = Runtime(store, load_manifests(Settings().lists_dir, IDS))  # no matcher cache: built here
    assert runtime.reload() and runtime.state is not None
    return runtime


def _version(runtime: Runtime) -> str | None:
    assert runtime.state is not None
    return runtime.state.lists["un_sc_sanctions"].version


def test_the_store_is_polled_as_often_as_the_supervisor_polls_it() -> None:
    from service.api.supervisor import POLL_S

    assert RELOAD_POLL_S == POLL_S


def test_a_generation_that_fails_to_load_is_not_tried_at_every_poll(
    serving: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, calls = runtime_module.load_state, []

    def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise RuntimeError("injected: the snapshot cannot be built")

    monkeypatch.setattr(runtime_module, "load_state", broken)
    _publish(serving.store, _un("un-v2"))  # type: ignore[arg-type]
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            serving._reload_safely()
    assert len(calls) == 1  # tried once, not at each of the three polls
    assert [e["event"] for e in logs] == ["matcher.load_crashed"]
    assert _version(serving) == "un-v1" and serving.last_error is not None  # the old lists keep serving
    serving.failed.retry_s = 0.0  # the wait is over: tried again
    serving._reload_safely()
    assert len(calls) == 2
    serving.failed.retry_s = 3600.0
    monkeypatch.setattr(runtime_module, "load_state", real)
    serving._reload_safely()
    assert len(calls) == 2 and _version(serving) == "un-v1"  # the same generation: still waiting
    _publish(serving.store, _un("un-v3"))  # type: ignore[arg-type]
    serving._reload_safely()  # a new generation is tried at once
    assert _version(serving) == "un-v3" and serving.last_error is None


def test_a_store_that_cannot_be_read_is_logged_once_per_outage(
    serving: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, real = serving.store, serving.store.generation

    def down() -> str | None:
        raise StoreError("injected: the store cannot be read")

    with structlog.testing.capture_logs() as logs:
        for outage in range(2):
            monkeypatch.setattr(store, "generation", down)
            for _ in range(3):
                serving._reload_safely()
            assert serving.store_error is not None and _version(serving) == "un-v1"
            monkeypatch.setattr(store, "generation", real)
            serving._reload_safely()  # back: nothing new to load
            assert serving.store_error is None, outage
    assert [e["event"] for e in logs] == ["matcher.load_failed"] * 2  # one per outage, not one per poll
