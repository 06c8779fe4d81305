"""API fixtures: a data folder synced from the real excerpts (tests/fixtures/mirror) by the real sync worker, and apps
run with their lifespan.

Syncing and building the matcher take seconds, so one data folder and one keyed app serve the whole session;
tests that need other settings build their own (smaller) app on a copy of that folder or an empty one.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.settings import Settings
from tests.conftest import FIXTURE_MIRROR, sync_into

# UN (people and organisations with rich aliases), OFAC SDN (adds vessels and aircraft), EU (a small excerpt).
API_LISTS = ["un_sc_sanctions", "us_ofac_sdn", "eu_fsf"]
KEYS = ["test-key-alpha", "test-key-bravo"]
AUTH = {"Authorization": f"Bearer {KEYS[0]}"}
_UN_XML = (FIXTURE_MIRROR / "un_sc_sanctions" / "consolidated.xml").read_bytes()
UN_RECORDS = _UN_XML.count(b"<INDIVIDUAL>") + _UN_XML.count(b"<ENTITY>")  # counted without our parser


@pytest.fixture(scope="session")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, fixture_mirror: Path) -> Path:
    data_dir = tmp_path_factory.mktemp("api-data")
    sync_into(data_dir, fixture_mirror, API_LISTS)
    return data_dir


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "lists": API_LISTS,
        "sync_on_start": False,
        "api_keys": KEYS,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


def wait_ready(client: TestClient, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        r = client.get("/readyz")
        if r.status_code == 200:
            body: dict[str, Any] = r.json()
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready after {timeout_s}s: {r.text}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def client(synced_dir: Path) -> Iterator[TestClient]:
    """The keyed app on the synced lists; read-only tests share it (audit records accumulate harmlessly)."""
    with TestClient(create_app(make_settings(synced_dir))) as c:
        wait_ready(c)
        yield c


@pytest.fixture
def un_only_dir(tmp_path: Path, synced_dir: Path) -> Path:
    """A private copy of the synced folder; apps on it serve only the UN list (fast to build)."""
    target = tmp_path / "data"
    shutil.copytree(
        synced_dir, target, ignore=shutil.ignore_patterns("audit.sqlite3*", "monitoring.sqlite3*", "*.lock")
    )
    return target
