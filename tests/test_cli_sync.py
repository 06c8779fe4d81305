"""`sanctions sync` and `sanctions lists` as a user runs them: real processes on a mirror folder of real excerpts
(tests/fixtures/mirror; the whole lists' figures are checked by tests/sync/test_worker.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Records in each excerpt (base references for Australia), as tests/fixtures/README.md counts them.
EXPECTED = {
    "au_dfat_sanctions": 39,
    "ca_dfatd_sema_sanctions": 41,
    "eu_fsf": 5,
    "gb_fcdo_sanctions": 5,
    "un_sc_sanctions": 38,
    "us_ofac_cons": 27,
    "us_ofac_sdn": 75,
}


def sanctions(*args: str, data_dir: Path, mirror: Path, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_")}
    env.update({"SANCTIONS_MIRROR": str(mirror), "SANCTIONS_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)})
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


@pytest.fixture(scope="module")
def synced(
    fixture_mirror: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    return data_dir, sanctions("sync", data_dir=data_dir, mirror=fixture_mirror)


@pytest.mark.slow
def test_cli_sync_every_list_from_mirror_folder(synced: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, proc = synced
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for list_id, count in EXPECTED.items():
        row = next(line for line in proc.stdout.splitlines() if f" {list_id} " in line)
        assert " ok " in row and f"{count:,}" in row, row
    # Not a terminal: plain progress lines, no bar drawing codes.
    assert "[7/7] us_ofac_sdn: done" in proc.stderr
    assert "\x1b[" not in proc.stderr


@pytest.mark.slow
def test_cli_lists_json_shows_every_list(
    synced: tuple[Path, subprocess.CompletedProcess[str]], fixture_mirror: Path
) -> None:
    data_dir, _ = synced
    proc = sanctions("lists", "--json", data_dir=data_dir, mirror=fixture_mirror)
    assert proc.returncode == 0, proc.stderr
    records = {r["id"]: r for r in json.loads(proc.stdout)["lists"]}
    assert set(records) == set(EXPECTED)
    for list_id, count in EXPECTED.items():
        r = records[list_id]
        assert set(r) >= {"id", "version", "published_at", "fetched_at", "entities", "status", "error"}
        assert (r["status"], r["entities"], r["error"]) == ("ok", count, None), r
        assert r["version"] and r["fetched_at"]
    assert records["un_sc_sanctions"]["version"].startswith("2026-02-27")
    assert records["us_ofac_sdn"]["version"].startswith("sha256:") and records["us_ofac_sdn"]["published_at"] is None


@pytest.mark.slow
def test_cli_sync_again_is_unchanged(
    synced: tuple[Path, subprocess.CompletedProcess[str]], fixture_mirror: Path
) -> None:
    data_dir, _ = synced
    proc = sanctions("sync", "--json", data_dir=data_dir, mirror=fixture_mirror)
    assert proc.returncode == 0, proc.stderr
    results = {r["id"]: r for r in json.loads(proc.stdout)["lists"]}
    assert {r["status"] for r in results.values()} == {"unchanged"}
    assert {i: r["entities"] for i, r in results.items()} == EXPECTED


def test_cli_sync_failed_list_exits_1_and_keeps_others(tmp_path: Path, fixture_mirror: Path) -> None:
    partial = tmp_path / "mirror"
    shutil.copytree(fixture_mirror / "us_ofac_cons", partial / "us_ofac_cons")
    (partial / "un_sc_sanctions").mkdir()  # the UN file is missing from this mirror
    proc = sanctions(
        "sync", "--list", "us_ofac_cons", "--list", "un_sc_sanctions", "--json", data_dir=tmp_path / "d", mirror=partial
    )
    assert proc.returncode == 1, proc.stderr
    results = {r["id"]: r for r in json.loads(proc.stdout)["lists"]}
    assert results["us_ofac_cons"]["status"] == "ok" and results["us_ofac_cons"]["entities"] == EXPECTED["us_ofac_cons"]
    un = results["un_sc_sanctions"]
    assert un["status"] == "failed" and un["version"] is None
    assert un["error"].startswith("fetch: ") and "consolidated.xml: not found in the mirror folder" in un["error"]


def test_cli_sync_unknown_list_is_usage_error(tmp_path: Path, fixture_mirror: Path) -> None:
    proc = sanctions("sync", "--list", "no_such_list", data_dir=tmp_path / "d", mirror=fixture_mirror)
    assert proc.returncode == 2
    assert "unknown list id(s): no_such_list" in proc.stderr
    assert not (tmp_path / "d").exists()  # refused before touching anything


def test_cli_sync_missing_mirror_folder_is_usage_error(tmp_path: Path) -> None:
    proc = sanctions("sync", data_dir=tmp_path / "d", mirror=tmp_path / "nowhere")
    assert proc.returncode == 2
    assert "SANCTIONS_MIRROR folder" in proc.stderr and "does not exist" in proc.stderr


def test_cli_lists_before_any_sync_says_never(tmp_path: Path, fixture_mirror: Path) -> None:
    proc = sanctions("lists", "--json", data_dir=tmp_path / "d", mirror=fixture_mirror)
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)["lists"]
    assert {r["id"] for r in records} == set(EXPECTED)
    assert {(r["status"], r["entities"], r["version"]) for r in records} == {("never", 0, None)}
