"""Lists, entities, audit records and on-demand sync, on the real lists."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.auth import key_id
from service.api.schemas import EntityResponse, ListsResponse, ScreeningRecordResponse
from service.screening.audit import canonical_sha256
from tests.api.conftest import AUTH, KEYS, make_settings, wait_ready
from tests.conftest import read_fixture_files


def _un_record_count() -> int:
    xml = read_fixture_files("un_sc_sanctions")["consolidated.xml"]
    return xml.count(b"<INDIVIDUAL>") + xml.count(b"<ENTITY>")


def test_lists_report_status_and_serving_version(client: TestClient) -> None:
    r = client.get("/v1/lists", headers=AUTH)
    assert r.status_code == 200, r.text
    ListsResponse.model_validate(r.json())
    by_id = {x["id"]: x for x in r.json()["lists"]}
    assert set(by_id) == {"un_sc_sanctions", "us_ofac_sdn", "eu_fsf"}
    un = by_id["un_sc_sanctions"]
    assert un["status"] == "ok" and un["entities"] == _un_record_count() == 38
    assert un["serving_version"] == un["version"]
    assert un["title"] and un["age_s"] is not None and un["age_s"] >= 0


def test_entity_returns_parsed_entity_with_source_and_version(client: TestClient) -> None:
    r = client.get("/v1/entities/un_sc_sanctions:QDi.006", headers=AUTH)
    assert r.status_code == 200, r.text
    body = EntityResponse.model_validate(r.json()).model_dump(by_alias=True)
    entity = body["entity"]
    assert entity["id"] == "un_sc_sanctions:QDi.006" and entity["kind"] == "person"
    assert "ZAWAHIRI" in entity["name"]["full"].upper()
    assert entity["listed_on"] == "2001-01-25"  # <LISTED_ON> in the file
    assert entity["source"]["upstream_id"] == "QDi.006"
    assert body["list"]["id"] == "un_sc_sanctions"
    assert body["list"]["version"] == client.get("/readyz").json()["lists"]["un_sc_sanctions"]


def test_entity_unknown_is_404(client: TestClient) -> None:
    r = client.get("/v1/entities/un_sc_sanctions:NOPE.999", headers=AUTH)
    assert r.status_code == 404 and "NOPE.999" in r.json()["detail"]


def test_screening_record_has_hash_not_query_by_default(client: TestClient) -> None:
    screened = client.post("/v1/screen", json={"name": "Ayman al-Zawahiri"}, headers=AUTH).json()
    r = client.get(f"/v1/screenings/{screened['screening_id']}", headers=AUTH)
    assert r.status_code == 200, r.text
    record = ScreeningRecordResponse.model_validate(r.json()).model_dump()
    assert record["kind"] == "screen" and record["screened_at"] == screened["screened_at"]
    assert record["api_key_id"] == key_id(KEYS[0])
    assert record["lists"] == {x["id"]: x["version"] for x in screened["lists"]}
    (item,) = record["items"]
    assert item["query"] is None
    assert item["query_sha256"] == canonical_sha256(screened["query"])
    assert [h["entity_id"] for h in item["hits"]] == [h["entity_id"] for h in screened["hits"]]
    assert KEYS[0] not in r.text and "Zawahiri" not in r.text


def test_screening_record_keeps_query_when_enabled(un_only_dir: Path) -> None:
    settings = make_settings(un_only_dir, lists=["un_sc_sanctions"], audit_queries=True, api_keys=[])
    with TestClient(create_app(settings)) as c:
        wait_ready(c)
        batch = c.post(
            "/v1/screen/batch",
            json={"queries": [{"ref": "a", "name": "Ayman al-Zawahiri"}, {"ref": "b", "name": "x y"}]},
        ).json()
        record = c.get(f"/v1/screenings/{batch['screening_id']}").json()
    assert record["kind"] == "batch" and record["api_key_id"] == "anonymous"
    assert [i["ref"] for i in record["items"]] == ["a", "b"]
    assert record["items"][0]["query"]["name"] == "Ayman al-Zawahiri"
    assert record["items"][0]["query_sha256"] == canonical_sha256(record["items"][0]["query"])


def test_screening_unknown_is_404(client: TestClient) -> None:
    r = client.get("/v1/screenings/00000000-0000-4000-8000-000000000000", headers=AUTH)
    assert r.status_code == 404 and r.json()["detail"]


def test_sync_runs_real_worker_and_serves_result(tmp_path: Path, fixture_mirror: Path) -> None:
    settings = make_settings(tmp_path / "data", lists=["eu_fsf"], mirror=str(fixture_mirror), api_keys=[])
    with TestClient(create_app(settings, reload_poll_s=0.1)) as c:
        assert c.get("/readyz").status_code == 503
        r = c.post("/v1/sync")
        assert r.status_code == 202 and r.json() == {"status": "started", "lists": ["eu_fsf"]}
        ready = wait_ready(c)
        assert ready["entities"] == 5  # the EU excerpt's five sanctionEntity elements
        # The poller may load the published list before the sync thread has counted its outcome: wait for it.
        deadline = time.monotonic() + 30
        while 'sanctions_sync_outcomes_total{list="eu_fsf",status="ok"} 1.0' not in c.get("/metrics").text:
            assert time.monotonic() < deadline, "the sync outcome was never counted"
            time.sleep(0.05)


def test_sync_is_409_while_one_runs(tmp_path: Path) -> None:
    release = threading.Event()
    calls: list[list[str] | None] = []

    def slow_sync(lists: list[str] | None) -> Mapping[str, str]:
        # Stands in for a long download: the real worker cannot be held mid-sync on demand.
        calls.append(lists)
        release.wait(10)
        return {"un_sc_sanctions": "unchanged"}

    settings = make_settings(tmp_path / "data", lists=["un_sc_sanctions", "eu_fsf"], api_keys=[])
    with TestClient(create_app(settings, sync=slow_sync)) as c:
        assert c.post("/v1/sync", json={"lists": ["eu_fsf"]}).status_code == 202
        second = c.post("/v1/sync")
        assert second.status_code == 409 and "already running" in second.json()["detail"]
        release.set()
        deadline = time.monotonic() + 5
        while c.post("/v1/sync").status_code != 202:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        bad = c.post("/v1/sync", json={"lists": ["nope"]})
        assert bad.status_code == 422 and "nope" in bad.json()["detail"]
    assert calls[0] == ["eu_fsf"]
