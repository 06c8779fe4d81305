"""Monitors, decisions and the alert queue over HTTP, on the app with its lifespan and real synced lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.schemas import AlertsResponse, MonitorListResponse, MonitorResponse, ScreenResponse
from tests.api.conftest import AUTH, make_settings, wait_ready

PUTIN = "us_ofac_sdn:35096"


@pytest.fixture
def app(un_only_dir: Path) -> Iterator[TestClient]:
    """A private app (monitors are state) over the UN list, and OFAC SDN for Putin."""
    settings = make_settings(un_only_dir, lists=["un_sc_sanctions", "us_ofac_sdn"])
    with TestClient(create_app(settings)) as c:
        wait_ready(c)
        yield c


def put(c: TestClient, ref: str, body: dict[str, Any]) -> Any:
    return c.put(f"/v1/monitors/{ref}", json=body, headers=AUTH)


def test_put_creates_then_replaces_a_monitor_with_its_current_hits(app: TestClient) -> None:
    first = put(app, "cust-1", {"name": "Vladimir Putin", "type": "person"})
    assert first.status_code == 201, first.text
    body = MonitorResponse.model_validate(first.json()).model_dump(by_alias=True)
    assert body["created"] is True and body["screening_id"]
    hit = next(h for h in body["hits"] if h["entity_id"] == PUTIN)
    assert hit["match"] is True and hit["alert"] == "open" and hit["since"] == body["created_at"]
    again = put(app, "cust-1", {"name": "Vladimir Putin", "type": "person", "threshold": 0.9})
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["created_at"] == body["created_at"] and again.json()["query"]["threshold"] == 0.9
    audit = app.get(f"/v1/screenings/{body['screening_id']}", headers=AUTH).json()
    assert audit["kind"] == "monitor" and audit["items"][0]["ref"] == "cust-1"


def test_get_list_delete(app: TestClient) -> None:
    for ref in ("b", "a", "c"):
        assert put(app, ref, {"name": "Nobody In Particular"}).status_code == 201
    page = app.get("/v1/monitors?limit=2", headers=AUTH).json()
    MonitorListResponse.model_validate(page)
    assert [m["ref"] for m in page["monitors"]] == ["a", "b"] and page["total"] == 3
    rest = app.get(f"/v1/monitors?limit=2&cursor={page['next_cursor']}", headers=AUTH).json()
    assert [m["ref"] for m in rest["monitors"]] == ["c"] and rest["next_cursor"] is None
    assert app.get("/v1/monitors/a", headers=AUTH).json()["ref"] == "a"
    assert app.delete("/v1/monitors/a", headers=AUTH).status_code == 204
    assert app.get("/v1/monitors/a", headers=AUTH).status_code == 404
    assert app.delete("/v1/monitors/a", headers=AUTH).status_code == 404


def test_a_false_positive_decision_settles_the_alert_and_suppresses_the_hit_on_screen(app: TestClient) -> None:
    put(app, "cust-2", {"name": "Vladimir Putin"})
    queue = app.get("/v1/alerts", headers=AUTH).json()
    AlertsResponse.model_validate(queue)
    assert ("cust-2", PUTIN) in {(a["ref"], a["entity_id"]) for a in queue["alerts"]}
    decided = app.post(
        "/v1/decisions",
        json={
            "ref": "cust-2",
            "entity_id": PUTIN,
            "decision": "false_positive",
            "reason": "a namesake",
            "reviewer": "ana",
        },
        headers=AUTH,
    )
    assert decided.status_code == 201, decided.text
    assert decided.json()["decision"] == "false_positive" and decided.json()["actor"]
    assert ("cust-2", PUTIN) not in {
        (a["ref"], a["entity_id"]) for a in app.get("/v1/alerts", headers=AUTH).json()["alerts"]
    }
    monitor = app.get("/v1/monitors/cust-2", headers=AUTH).json()
    hit = next(h for h in monitor["hits"] if h["entity_id"] == PUTIN)
    assert hit["alert"] is None and hit["suppressed"] is True and hit["decision"]["reviewer"] == "ana"
    screened = app.post("/v1/screen", json={"name": "Vladimir Putin", "ref": "cust-2"}, headers=AUTH).json()
    ScreenResponse.model_validate(screened)
    on_screen = next(h for h in screened["hits"] if h["entity_id"] == PUTIN)
    assert on_screen["suppressed"] is True and on_screen["decision"]["decision"] == "false_positive"
    plain = app.post("/v1/screen", json={"name": "Vladimir Putin"}, headers=AUTH).json()
    assert all("decision" not in h for h in plain["hits"]) and plain["hits"]
    listed = app.get("/v1/decisions?ref=cust-2", headers=AUTH).json()["decisions"]
    assert [d["reason"] for d in listed] == ["a namesake"]


def test_batch_creates_many_and_bad_input_is_refused_with_a_reason(app: TestClient) -> None:
    records = [{"ref": f"r{i}", "name": name} for i, name in enumerate(["Vladimir Putin", "Jane Q Public"])]
    r = app.post("/v1/monitors/batch", json={"records": records}, headers=AUTH)
    assert r.status_code == 200, r.text
    results = {x["ref"]: x for x in r.json()["results"]}
    assert results["r0"]["created"] and any(h["entity_id"] == PUTIN for h in results["r0"]["hits"])
    assert results["r1"]["matches"] == 0
    twice = [records[0], {**records[0], "name": "Nobody In Particular"}]
    dup = app.post("/v1/monitors/batch", json={"records": twice}, headers=AUTH)
    assert dup.status_code == 200 and [r["ref"] for r in dup.json()["results"]] == ["r0"]
    assert app.get("/v1/monitors/r0", headers=AUTH).json()["query"]["name"] == "Nobody In Particular"  # the last
    too_many = [{"ref": f"x{i}", "name": "N"} for i in range(10_001)]
    assert app.post("/v1/monitors/batch", json={"records": too_many}, headers=AUTH).status_code == 413
    no_name = put(app, "x", {"type": "person"})
    assert no_name.status_code == 422
    unknown = app.post(
        "/v1/decisions",
        json={"ref": "r0", "entity_id": "us_ofac_sdn:0", "decision": "true_match", "reason": "x", "reviewer": "y"},
        headers=AUTH,
    )
    assert unknown.status_code == 404
    bad_kind = app.post(
        "/v1/decisions",
        json={"ref": "r0", "entity_id": PUTIN, "decision": "maybe", "reason": "x", "reviewer": "y"},
        headers=AUTH,
    )
    assert bad_kind.status_code == 422
    assert app.put("/v1/monitors/r9", json={"name": "x"}).status_code == 401


def test_a_cursor_of_digits_that_are_no_number_starts_at_the_beginning(app: TestClient) -> None:
    """A cursor of "²", a digit to str.isdigit but no number to int, reads as none: not a 500 (schemathesis)."""
    put(app, "cust-cursor", {"name": "Aeroflot"})
    first = app.get("/v1/decisions", headers=AUTH)
    odd = app.get("/v1/decisions?cursor=%C2%B2", headers=AUTH)
    assert first.status_code == odd.status_code == 200
    assert odd.json() == first.json()
