"""A Matcher over the real list files of ../shared/mirror, built once per test session."""

from __future__ import annotations

import pytest

from service.match.matcher import Matcher
from service.model import Snapshot
from service.settings import DEFAULT_LISTS_DIR
from service.sources import get_parser
from service.sources.manifest import load_manifests
from tests.conftest import read_mirror_files


def load_real_snapshots() -> list[Snapshot]:
    snapshots = []
    for list_id, manifest in load_manifests(DEFAULT_LISTS_DIR).items():
        parse = get_parser(manifest.format)
        entities = tuple(parse(read_mirror_files(list_id), list_id=list_id))
        snapshots.append(Snapshot(list_id=list_id, version=f"test-{list_id}", entities=entities))
    return snapshots


@pytest.fixture(scope="session")
def real_matcher(mirror_dir: object) -> Matcher:
    return Matcher.build(load_real_snapshots())
