"""`sanctions monitor` and `sanctions decisions export` as real processes on a synced data folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from service.model import DecisionKind
from service.screening.local import load_local
from service.screening.monitoring import Monitoring
from service.screening.usecases import FixedState, Screener
from service.store.embedded import EmbeddedStore
from tests.conftest import sync_into

PUTIN = "us_ofac_sdn:35096"


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, fixture_mirror: Path) -> Path:
    d = tmp_path_factory.mktemp("monitor-data")
    sync_into(d, fixture_mirror, ["us_ofac_sdn"])
    return d


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANCTIONS_DATA_DIR": str(data_dir), "SANCTIONS_LISTS": ""}
    return subprocess.run(
        [sys.executable, "-m", "service", *args], capture_output=True, text=True, env=env, timeout=180
    )


def test_monitor_add_list_and_export_a_decision_as_an_allowlist(synced: Path, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,name,type\nC-1,Vladimir Putin,person\nC-2,Jane Q Public,person\n")
    added = _run(synced, "monitor", "add", str(customers), "--field", "id=customer_id", "--json")
    assert added.returncode == 0, added.stderr
    results = {r["ref"]: r for r in json.loads(added.stdout)["results"]}
    assert results["C-1"]["created"] and PUTIN in {h["entity_id"] for h in results["C-1"]["hits"]}
    assert results["C-2"]["matches"] == 0

    listed = _run(synced, "monitor", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [m["ref"] for m in json.loads(listed.stdout)["monitors"]] == ["C-1", "C-2"]
    alerts = json.loads(_run(synced, "monitor", "list", "--alerts", "--json").stdout)["alerts"]
    assert {"ref": "C-1", "entity_id": PUTIN} in [{k: a[k] for k in ("ref", "entity_id")} for a in alerts]

    # A reviewer clears the hit (through the same use case the API calls), then the export turns it into an
    # allowlist that `sanctions check` honours.
    store = EmbeddedStore(synced)
    local = load_local(store, where="test")
    monitoring = Monitoring(store, Screener(FixedState(local.state), threshold=0.8))
    monitoring.decide("C-1", PUTIN, DecisionKind.FALSE_POSITIVE, "different person (DOB)", "ana", actor="test")
    store.close()
    allowlist = tmp_path / "allow.yaml"
    exported = _run(synced, "decisions", "export", "--output", str(allowlist), "--valid-days", "30")
    assert exported.returncode == 0, exported.stderr
    (entry,) = yaml.safe_load(allowlist.read_text())["entries"]
    assert entry["entity_id"] == PUTIN and entry["record"] == "C-1" and entry["reviewer"] == "ana"
    checked = _run(synced, "check", str(customers), "--field", "id=customer_id", "--allowlist", str(allowlist))
    assert checked.returncode == 0, checked.stdout + checked.stderr  # the only match is cleared
    unchecked = _run(synced, "check", str(customers), "--field", "id=customer_id")
    assert unchecked.returncode == 1


def test_monitor_add_refuses_records_without_a_key(synced: Path, tmp_path: Path) -> None:
    nokey = tmp_path / "nokey.csv"
    nokey.write_text("name\nVladimir Putin\n")
    out = _run(synced, "monitor", "add", str(nokey))
    assert out.returncode == 2 and "--field id=COLUMN" in out.stderr


def test_monitor_run_does_one_cycle(synced: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text("- id: C-9\n  name: Nicolas Maduro\n")
    assert _run(synced, "monitor", "add", str(one)).returncode == 0
    out = _run(synced, "monitor", "run")
    assert out.returncode == 0, out.stderr
    # The first cycle has no processed versions to start from: it screens every monitor once, raising nothing.
    found = re.search(r"(\d+) monitor\(s\) screened again \(all", out.stdout)
    assert found and int(found.group(1)) >= 1 and ", 0 event(s)" in out.stdout, out.stdout
    second = _run(synced, "monitor", "run")
    assert "0 monitor(s) screened again, 0 event(s)" in second.stdout, second.stdout
