"""Fixtures for the sync tests: a real HTTP mirror server on 127.0.0.1 serving the real excerpts in
tests/fixtures/mirror, a store, and a fetcher with short timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import DEFAULT_LISTS_DIR
from service.sources.manifest import ListManifest, load_manifests
from service.store.embedded import EmbeddedStore
from service.sync.fetch import Fetcher
from tests.sync.mirror_server import MirrorServer

# Short enough that a hang costs the suite well under a second, long enough for a loaded 2-core machine to
# serve a 4 MB file (a whole list) from the loopback server.
TEST_TIMEOUT_S = 2.0


@pytest.fixture
def mirror_server(fixture_mirror: Path) -> Iterator[MirrorServer]:
    server = MirrorServer(fixture_mirror)
    yield server
    server.close()


@pytest.fixture
def fetcher(mirror_server: MirrorServer) -> Iterator[Fetcher]:
    with Fetcher(mirror=mirror_server.url, timeout_s=TEST_TIMEOUT_S, retries=2, backoff_s=0.01) as f:
        yield f


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(tmp_path / "data")
    yield s
    s.close()


@pytest.fixture(scope="session")
def manifests() -> dict[str, ListManifest]:
    """Every manifest in lists/, including the opt-in ones."""
    every = sorted(p.stem for p in DEFAULT_LISTS_DIR.glob("*.toml"))
    return load_manifests(DEFAULT_LISTS_DIR, every)
