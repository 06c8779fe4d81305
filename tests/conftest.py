"""Shared fixtures: the real excerpts committed under tests/fixtures/mirror, where the whole list files are
(../shared), and the rule that CI never skips for their absence."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SANCTIONS_SHARED_DIR", ROOT.parent / "shared"))
LISTS = SHARED / "lists"
MIRROR = SHARED / "mirror"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Small real excerpts of every default list, laid out like ../shared/mirror (tests/fixtures/README.md).
FIXTURE_MIRROR = FIXTURES / "mirror"
FIXTURE_LISTS = FIXTURES / "lists"


def _need(path: Path) -> Path:
    if not path.exists():
        reason = f"real list files not found at {path} (set SANCTIONS_SHARED_DIR)"
        if os.environ.get("CI") or os.environ.get("SANCTIONS_REQUIRE_SHARED"):
            pytest.fail(reason + "; CI requires them")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def lists_dir() -> Path:
    """../shared/lists: real copies of the official list files (see its MANIFEST.md)."""
    return _need(LISTS)


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """../shared/mirror: the same files laid out as a SANCTIONS_MIRROR folder (<list id>/<file>)."""
    return _need(MIRROR)


@pytest.fixture(scope="session")
def fixture_mirror() -> Path:
    """tests/fixtures/mirror: real excerpts (a few dozen records per list) as a SANCTIONS_MIRROR folder."""
    return FIXTURE_MIRROR


def read_fixture_files(list_id: str) -> dict[str, bytes]:
    """The excerpt files of `list_id` (file name -> bytes), as the sync worker would fetch them."""
    folder = FIXTURE_MIRROR / list_id
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def fixture_file_record(list_id: str, name: str) -> dict[str, Any]:
    """What tests/fixtures/mirror/MIRROR.json says of an excerpt file: bytes, sha256 and the whole file it came from."""
    index = json.loads((FIXTURE_MIRROR / "MIRROR.json").read_text())
    record: dict[str, Any] = next(f for f in index["lists"][list_id] if f["file"] == name)
    return record


def read_list_file(relative: str) -> bytes:
    """Bytes of a file under ../shared/lists, skipping (or failing under CI) when absent."""
    return _need(LISTS / relative).read_bytes()


def read_mirror_files(list_id: str) -> dict[str, bytes]:
    folder = _need(MIRROR / list_id)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def sync_into(data_dir: Path, mirror: Path, lists: list[str]) -> None:
    """Sync `lists` from a mirror folder into an embedded store at `data_dir` with the real worker; all must succeed."""
    from service.settings import Settings
    from service.sources.manifest import load_manifests
    from service.store.embedded import EmbeddedStore
    from service.sync.fetch import Fetcher
    from service.sync.worker import run_once

    manifests = load_manifests(Settings().lists_dir, lists)
    store = EmbeddedStore(data_dir)
    try:
        with Fetcher(mirror=str(mirror)) as fetcher:
            results = run_once(list(manifests.values()), store, fetcher)
        assert results is not None
        failed = {r.list_id: r.status.error for r in results if not r.is_current}
        assert not failed, f"sync of the mirror failed: {failed}"
    finally:
        store.close()


def counted_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children this process forks from now on, for the rest of the test: os.fork itself runs
    (the tests of work spread over forked children see real children), it is only counted."""
    made: list[int] = []
    fork = os.fork

    def counted() -> int:
        pid = fork()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted)
    return made


def forks_as_a_builder_child(monkeypatch: pytest.MonkeyPatch, module: object, threshold: str) -> list[int]:
    """`counted_forks`, with `module`'s work worth a child at any size (its `threshold` constant set to 1), two
    cores, and this process taken for one thread, as a server's builder child is (tests/match/test_analysis.py says
    why): for the tests of what a build does in forked children (the text view, the index's key tables)."""
    from service.match import analysis

    made = counted_forks(monkeypatch)
    monkeypatch.setattr(module, threshold, 1)
    monkeypatch.setattr(module, "processes_available", lambda: 2)
    monkeypatch.setattr(analysis, "_alone", lambda: True)
    return made
