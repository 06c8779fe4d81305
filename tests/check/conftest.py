"""CI-hook fixtures: one data folder synced once from the real excerpts (tests/fixtures/mirror), one matcher on it,
and a CLI runner.

The lists are OFAC SDN (vessels by IMO, aircraft by tail number, companies, SWIFT codes) and the UN SC list
(people with birth dates); the hand-written counterparty files in tests/fixtures/check name real parties on them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from service.check.local import LocalScreener
from tests.conftest import FIXTURES, ROOT, sync_into

CHECK_LISTS = ["us_ofac_sdn", "un_sc_sanctions"]
CHECK_FIXTURES = FIXTURES / "check"
SARIF_SCHEMA = FIXTURES / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="session")
def check_data_dir(tmp_path_factory: pytest.TempPathFactory, fixture_mirror: Path) -> Path:
    data_dir = tmp_path_factory.mktemp("check-data")
    sync_into(data_dir, fixture_mirror, CHECK_LISTS)
    return data_dir


@pytest.fixture(scope="session")
def screener(check_data_dir: Path) -> LocalScreener:
    """One matcher over the synced lists for in-process tests (building it takes seconds)."""
    return LocalScreener(check_data_dir)


def run_cli(
    *args: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None, timeout_s: float = 180.0
) -> subprocess.CompletedProcess[str]:
    """`python -m service check ARGS` as CI runs it; SANCTIONS_* variables of the caller do not leak in."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_") and k != "GITHUB_ACTIONS"}
    clean.update(env or {})
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "service", "check", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
