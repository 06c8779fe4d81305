"""Screening routes on the real lists: hits with evidence and list versions, filters, batch, compare, text."""

from __future__ import annotations

import os
import uuid
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from service.api.schemas import BatchResponse, CompareResponse, ScreenResponse, TextResponse
from service.screening import usecases
from tests.api.conftest import AUTH
from tests.conftest import counted_forks, read_fixture_files


def _screen(client: TestClient, **body: object) -> dict:
    r = client.post("/v1/screen", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    ScreenResponse.model_validate(r.json())
    return r.json()


def test_screen_finds_listed_person_with_evidence_and_versions(client: TestClient) -> None:
    ready = client.get("/readyz").json()
    body = _screen(client, name="Ayman al-Zawahiri", type="person")
    top = body["hits"][0]
    assert top["entity_id"] == "un_sc_sanctions:QDi.006"
    assert top["match"] is True and top["score"] >= body["threshold"]
    # The evidence quotes a name as the UN file writes it.
    un_xml = read_fixture_files("un_sc_sanctions")["consolidated.xml"].decode("utf-8")
    names = [e for e in top["evidence"] if e["field"] == "name"]
    assert names and any(e["list_value"].upper().replace(" ", "") in un_xml.upper().replace(" ", "") for e in names)
    assert top["list_version"] == ready["lists"]["un_sc_sanctions"]
    assert {x["id"]: x["version"] for x in body["lists"]} == ready["lists"]
    assert uuid.UUID(body["screening_id"]).version == 4
    assert datetime.fromisoformat(body["screened_at"].replace("Z", "+00:00")).tzinfo is not None
    assert body["query"]["name"] == "Ayman al-Zawahiri"


def test_screen_hits_are_sorted_and_limited(client: TestClient) -> None:
    body = _screen(client, name="Mohammed", limit=3, threshold=0.5)
    scores = [h["score"] for h in body["hits"]]
    assert 0 < len(scores) <= 3 and scores == sorted(scores, reverse=True)


def test_screen_list_filter_restricts_hits_and_versions(client: TestClient) -> None:
    body = _screen(client, name="Ayman al-Zawahiri", lists=["us_ofac_sdn"])
    assert [x["id"] for x in body["lists"]] == ["us_ofac_sdn"]
    assert body["hits"] and all(h["list"] == "us_ofac_sdn" for h in body["hits"])


def test_screen_identifier_alone_finds_vessel_by_imo(client: TestClient) -> None:
    sdn = read_fixture_files("us_ofac_sdn")["sdn.csv"].decode("latin-1")
    assert "IMO 1006960" in sdn  # the yacht OLYMPIA, ent_num 37445
    body = _screen(client, identifiers=["IMO 1006960"])
    assert body["hits"][0]["entity_id"] == "us_ofac_sdn:37445"
    assert body["hits"][0]["type"] == "vessel"
    assert any(e["field"] == "identifier" for e in body["hits"][0]["evidence"])


def test_screen_kind_and_program_filters(client: TestClient) -> None:
    vessels = _screen(client, name="OLYMPIA", kinds=["vessel"], threshold=0.5)
    assert vessels["hits"] and all(h["type"] == "vessel" for h in vessels["hits"])
    aircraft = _screen(client, name="EP-GOM", programs=["SDGT"])
    assert "us_ofac_sdn:15431" in [h["entity_id"] for h in aircraft["hits"]]
    assert all("SDGT" in h["programs"] for h in aircraft["hits"])
    nothing = _screen(client, name="EP-GOM", programs=["NO-SUCH-PROGRAM"])
    assert nothing["hits"] == []


def test_screen_exclude_entity_ids_drops_cleared_false_positive(client: TestClient) -> None:
    first = _screen(client, name="Ayman al-Zawahiri")
    cleared = first["hits"][0]["entity_id"]
    again = _screen(client, name="Ayman al-Zawahiri", exclude_entity_ids=[cleared])
    assert cleared not in [h["entity_id"] for h in again["hits"]]


def test_screen_threshold_decides_match(client: TestClient) -> None:
    strict = _screen(client, name="Aiman Zawahri", threshold=1.0)
    assert strict["threshold"] == 1.0
    assert strict["hits"] and all(h["match"] is (h["score"] >= 1.0) for h in strict["hits"])


def test_screen_batch_answers_each_ref_in_order(client: TestClient) -> None:
    r = client.post(
        "/v1/screen/batch",
        headers=AUTH,
        json={
            "queries": [
                {"ref": "c1", "name": "Ayman al-Zawahiri"},
                {"ref": "c2", "identifiers": ["IMO 1006960"], "limit": 1},
                {"ref": "c3", "name": "Nicolas Maduro Moros", "lists": ["us_ofac_sdn"]},
            ],
            "limit": 5,
        },
    )
    assert r.status_code == 200, r.text
    body = BatchResponse.model_validate(r.json()).model_dump(by_alias=True)
    assert [x["ref"] for x in body["results"]] == ["c1", "c2", "c3"]
    assert body["results"][0]["hits"][0]["entity_id"] == "un_sc_sanctions:QDi.006"
    assert [h["entity_id"] for h in body["results"][1]["hits"]] == ["us_ofac_sdn:37445"]
    assert body["results"][2]["hits"][0]["entity_id"] == "us_ofac_sdn:22790"
    assert {x["id"] for x in body["lists"]} == {"un_sc_sanctions", "us_ofac_sdn", "eu_fsf"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_screen_batch_on_every_core_answers_as_on_one(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the app: a batch big enough for children (here any) gives the answers one process gives, and the
    audit record holds every party (tests/screening/test_batch_cores.py has the failures)."""
    names = ["Ayman al-Zawahiri", "Nicolas Maduro Moros", "Vladimir Putin", "Jane Smith", "Olympia", "Kim Jong Un"]
    body = {"queries": [{"ref": f"c{i}", "name": n} for i, n in enumerate(names * 4)], "limit": 5}
    forks = counted_forks(monkeypatch)
    monkeypatch.setattr(usecases, "processes_available", lambda: 2)

    def answers() -> list[tuple[str, list[object]]]:
        r = client.post("/v1/screen/batch", headers=AUTH, json=body)
        assert r.status_code == 200, r.text
        return [(x["ref"], x["hits"]) for x in r.json()["results"]]

    monkeypatch.setattr(usecases, "BATCH_CHILD_MIN_PARTIES", 10**9)
    one = answers()
    assert forks == []
    monkeypatch.setattr(usecases, "BATCH_CHILD_MIN_PARTIES", 1)
    assert answers() == one
    assert len(forks) == 1
    assert sum(bool(hits) for _, hits in one) >= 8


def test_compare_scores_pair_with_evidence(client: TestClient) -> None:
    same = client.post(
        "/v1/compare",
        headers=AUTH,
        json={
            "query": {"name": "Nicolas Maduro Moros", "birth_date": "1962-11-23"},
            "candidate": {"name": "MADURO MOROS, Nicolas", "birth_date": "1962-11-23"},
        },
    )
    assert same.status_code == 200, same.text
    CompareResponse.model_validate(same.json())
    other = client.post(
        "/v1/compare",
        headers=AUTH,
        json={"query": {"name": "Nicolas Maduro Moros"}, "candidate": {"name": "Jane Smith"}},
    ).json()
    assert same.json()["match"] is True and same.json()["evidence"]
    assert other["match"] is False and other["score"] < same.json()["score"]


def test_screen_text_finds_listed_mentions_with_spans(client: TestClient) -> None:
    text = (
        "Cargo manifest, 3 May. The Ilyushin registered EP-GOM landed at 14:05. "
        "Among the passengers listed: Nicolas Maduro Moros. The weather in Paris was mild."
    )
    r = client.post("/v1/screen/text", headers=AUTH, json={"text": text})
    assert r.status_code == 200, r.text
    body = TextResponse.model_validate(r.json()).model_dump(by_alias=True)
    for m in body["mentions"]:
        assert text[m["start"] : m["end"]] == m["text"]
    found = {h["entity_id"] for m in body["mentions"] for h in m["hits"] if h["match"]}
    assert {"us_ofac_sdn:15431", "us_ofac_sdn:22790"} <= found
    # Ordinary words and a place name raise nothing.
    assert not [m for m in body["mentions"] if m["text"] in ("Paris", "Cargo", "weather")]


def test_screen_text_ordinary_prose_has_no_match(client: TestClient) -> None:
    text = "The quarterly report was approved by the board in London on Tuesday after a short discussion."
    r = client.post("/v1/screen/text", headers=AUTH, json={"text": text})
    assert r.status_code == 200, r.text
    assert [h for m in r.json()["mentions"] for h in m["hits"] if h["match"]] == []
