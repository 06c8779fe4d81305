"""`sanctions screen`: one screening from the shell against the synced lists, as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_MIRROR, sync_into

SDN_ROWS = (FIXTURE_MIRROR / "us_ofac_sdn" / "sdn.csv").read_bytes().count(b"\r\n")  # the excerpt's records


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, fixture_mirror: Path) -> Path:
    d = tmp_path_factory.mktemp("screen-data")
    sync_into(d, fixture_mirror, ["us_ofac_sdn"])
    return d


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANCTIONS_DATA_DIR": str(data_dir), "SANCTIONS_LISTS": ""}
    return subprocess.run(
        [sys.executable, "-m", "service", "screen", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_screen_json_prints_the_screen_response_body(data_dir: Path) -> None:
    out = _run(data_dir, "--identifier", "EP-GOM", "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert {"screening_id", "screened_at", "query", "threshold", "lists", "hits"} <= body.keys()
    assert body["lists"][0]["id"] == "us_ofac_sdn" and body["lists"][0]["entities"] == SDN_ROWS
    hit = body["hits"][0]
    assert hit["entity_id"] == "us_ofac_sdn:15431" and hit["match"] is True
    assert hit["evidence"][0]["method"] == "exact_identifier"
    assert any(link["relation"] == "operator" for link in hit["linked"])


def test_cli_screen_table_names_the_match(data_dir: Path) -> None:
    out = _run(data_dir, "Nicolas Maduro", "--type", "person", "--birth-date", "1962-11-23")
    assert out.returncode == 0, out.stderr
    assert "MATCH" in out.stdout and "MADURO" in out.stdout


def test_cli_screen_without_name_or_identifier_is_usage_error(data_dir: Path) -> None:
    out = _run(data_dir)
    assert out.returncode == 2
    assert "NAME" in out.stderr


def test_cli_screen_without_synced_lists_fails_loudly(tmp_path: Path) -> None:
    out = _run(tmp_path, "Nicolas Maduro")
    assert out.returncode == 2
    assert "sanctions sync" in out.stderr
