"""The real excerpts in tests/fixtures/mirror: one per default list, each a valid input for its parser, recorded in
MIRROR.json and tests/fixtures/README.md, small, and a fresh cut of the whole files in ../shared."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from service.model.codec import entity_from_dict, entity_to_dict
from service.settings import DEFAULT_LISTS_DIR
from service.sources import ParseReport, get_parser
from service.sources.manifest import load_manifests
from tests.conftest import FIXTURE_MIRROR, FIXTURES, ROOT, read_fixture_files

MANIFESTS = load_manifests(DEFAULT_LISTS_DIR)  # the default lists
INDEX = json.loads((FIXTURE_MIRROR / "MIRROR.json").read_text())
# The bound for the whole fixtures tree ("well under 1 MB"); a whole list file would break it.
MAX_FIXTURES_BYTES = 1_000_000
# "A few dozen records per list": fewer would not exercise a parser, far more would be a whole list.
MIN_RECORDS, MAX_RECORDS = 5, 100


@pytest.mark.parametrize("list_id", sorted(MANIFESTS))
def test_excerpt_holds_the_manifest_resources_as_recorded(list_id: str) -> None:
    manifest = MANIFESTS[list_id]
    files = read_fixture_files(list_id)
    required = {r.name for r in manifest.resources if r.required}
    assert required <= set(files) <= {r.name for r in manifest.resources}
    recorded = {f["file"]: (f["bytes"], f["sha256"]) for f in INDEX["lists"][list_id]}
    assert recorded == {name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in files.items()}


@pytest.mark.parametrize("list_id", sorted(MANIFESTS))
def test_excerpt_parses_deterministically_with_unique_ids_that_round_trip(list_id: str) -> None:
    parse = get_parser(MANIFESTS[list_id].format)
    files = read_fixture_files(list_id)
    report = ParseReport()
    entities = list(parse(files, report, list_id=list_id))
    assert MIN_RECORDS <= len(entities) <= MAX_RECORDS
    ids = [e.id for e in entities]
    assert len(set(ids)) == len(ids) and all(i.startswith(f"{list_id}:") for i in ids)
    assert list(parse(files, ParseReport(), list_id=list_id)) == entities
    for e in entities:
        assert entity_from_dict(orjson.loads(orjson.dumps(entity_to_dict(e)))) == e


def test_fixtures_tree_is_small_and_documented() -> None:
    total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    assert total < MAX_FIXTURES_BYTES
    readme = (FIXTURES / "README.md").read_text()
    for list_id, files in INDEX["lists"].items():
        for f in files:
            assert f"mirror/{list_id}/{f['file']}" in readme and f["source"] in readme, f
            assert f["source_sha256"] in readme, f


def test_excerpts_are_a_fresh_cut_of_the_whole_lists(lists_dir: Path) -> None:
    """scripts/make_fixtures.py --check: the committed excerpts are what the cutter makes of ../shared today."""
    env = {**os.environ, "SANCTIONS_SHARED_DIR": str(lists_dir.parent)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_fixtures.py"), "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
