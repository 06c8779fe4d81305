"""Matchers over real list records, built once per test session.

`real_matcher` holds the whole lists of ../shared/mirror: tests of matching quality (no false alarm among
tens of thousands of real names) need it. `excerpt_matcher` holds the real excerpts of tests/fixtures/mirror
(a few dozen records per list, among them every entity these tests name): enough for tests that find a given
listed party, and it runs on a fresh clone.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from service.match.matcher import Matcher
from service.model import Snapshot
from service.settings import DEFAULT_LISTS_DIR
from service.sources import get_parser
from service.sources.manifest import load_manifests
from tests.conftest import read_fixture_files, read_mirror_files


def _snapshots(read: Callable[[str], dict[str, bytes]]) -> list[Snapshot]:
    snapshots = []
    for list_id, manifest in load_manifests(DEFAULT_LISTS_DIR).items():
        parse = get_parser(manifest.format)
        entities = tuple(parse(read(list_id), list_id=list_id))
        snapshots.append(Snapshot(list_id=list_id, version=f"test-{list_id}", entities=entities))
    return snapshots


def load_real_snapshots() -> list[Snapshot]:
    return _snapshots(read_mirror_files)


@pytest.fixture(scope="session")
def real_matcher(mirror_dir: object) -> Matcher:
    return Matcher.build(load_real_snapshots())


@pytest.fixture(scope="session")
def excerpt_matcher() -> Matcher:
    return Matcher.build(_snapshots(read_fixture_files))
