"""POST /match/{dataset}: a yente client's request and the yente response shape, on the real lists."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.api.schemas import YenteMatchResponse
from tests.api.conftest import AUTH

# The request body as yente's documentation and its Python clients send it.
YENTE_REQUEST = {
    "queries": {
        "person": {
            "schema": "Person",
            "properties": {
                "name": ["Ayman al-Zawahiri"],
                "birthDate": ["1951-06-19"],
                "nationality": ["eg"],
            },
        },
        "ship": {"schema": "Vessel", "properties": {"name": "OLYMPIA", "imoNumber": ["1006960"]}},
        "company": {"schema": "Company", "properties": {"name": ["Brilliant Amazing Limited"], "jurisdiction": ["hk"]}},
    },
    "weights": {"name_literal": 0.8},
}


def _match(client: TestClient, dataset: str = "default", body: object = YENTE_REQUEST, **params: object) -> dict:
    r = client.post(f"/match/{dataset}", json=body, params=params, headers=AUTH)
    assert r.status_code == 200, r.text
    YenteMatchResponse.model_validate(r.json())
    assert r.headers["x-batch-size"] == str(len(r.json()["responses"]))
    return r.json()


def test_match_answers_in_yente_shape(client: TestClient) -> None:
    body = _match(client)
    assert set(body["responses"]) == {"person", "ship", "company"} and body["limit"] == 5
    person = body["responses"]["person"]
    assert person["status"] == 200 and person["total"]["relation"] == "eq"
    top = person["results"][0]
    assert top["id"] == "un_sc_sanctions:QDi.006" and top["schema"] == "Person"
    assert top["datasets"] == ["un_sc_sanctions"] and top["match"] is True
    assert top["caption"] and "1951-06-19" in top["properties"]["birthDate"]
    assert "eg" in top["properties"]["nationality"] and "sanction" in top["properties"]["topics"]
    assert top["explanations"] and set(top["features"]) == set(top["explanations"])
    assert all({"score", "detail", "query", "candidate"} <= set(e) for e in top["explanations"].values())
    assert person["query"] == {
        "id": None,
        "schema": "Person",
        "properties": YENTE_REQUEST["queries"]["person"]["properties"],
    }
    ship = body["responses"]["ship"]["results"][0]
    assert ship["id"] == "us_ofac_sdn:37445" and ship["schema"] == "Vessel"
    assert "1006960" in " ".join(ship["properties"]["imoNumber"])
    assert body["responses"]["company"]["results"] == [] or not body["responses"]["company"]["results"][0]["match"]


def test_match_dataset_filters_and_query_params(client: TestClient) -> None:
    sdn = _match(client, "us_ofac_sdn")
    sdn_results = [r for q in sdn["responses"].values() for r in q["results"]]
    assert sdn_results and all(r["datasets"] == ["us_ofac_sdn"] for r in sdn_results)
    # al-Zawahiri is on the SDN list too
    assert sdn["responses"]["person"]["results"][0]["id"].startswith("us_ofac_sdn:")
    strict = _match(client, threshold=1.0, limit=2)
    assert strict["limit"] == 2
    strict_results = [r for q in strict["responses"].values() for r in q["results"]]
    assert strict_results and all(r["match"] is (r["score"] >= 1.0) for r in strict_results)
    assert any(r["match"] for r in strict_results)  # the ship's IMO number is exact
    assert all(len(q["results"]) <= 2 for q in strict["responses"].values())
    no_people = _match(client, exclude_schema=["Person"])
    kept = [r for q in no_people["responses"].values() for r in q["results"]]
    assert kept and all(r["schema"] != "Person" for r in kept)
    high = _match(client, cutoff=0.99)
    above = [r for q in high["responses"].values() for r in q["results"]]
    assert above and all(r["score"] >= 0.99 for r in above)


def test_match_writes_audit_record(client: TestClient) -> None:
    body = _match(client)
    record = client.get(f"/v1/screenings/{body['screening_id']}", headers=AUTH).json()
    assert record["kind"] == "match" and [i["ref"] for i in record["items"]] == ["person", "ship", "company"]
    assert record["items"][0]["query"] is None


def test_match_unknown_dataset_is_404(client: TestClient) -> None:
    r = client.post("/match/no_such_dataset", json=YENTE_REQUEST, headers=AUTH)
    assert r.status_code == 404 and "unknown dataset" in r.json()["detail"]


def test_match_honours_weights_for_this_servers_features_and_reports_the_others(client: TestClient) -> None:
    wrong_date = {
        "queries": {"p": {"schema": "Person", "properties": {"name": ["Ayman al-Zawahiri"], "birthDate": ["1971"]}}}
    }
    plain = _match(client, body=wrong_date)
    lenient = _match(client, body={**wrong_date, "weights": {"birth_date_mismatch": 0.0, "name_literal": 0.8}})
    [p0] = [r for r in plain["responses"]["p"]["results"] if r["id"] == "un_sc_sanctions:QDi.006"]
    [p1] = [r for r in lenient["responses"]["p"]["results"] if r["id"] == "un_sc_sanctions:QDi.006"]
    assert p1["score"] > p0["score"]  # the contradicting birth date no longer costs
    assert lenient["ignored_weights"] == ["name_literal"] and plain["ignored_weights"] == []
    bad = client.post("/match/default", json={**wrong_date, "weights": {"birth_date_mismatch": 2.0}}, headers=AUTH)
    assert bad.status_code == 422 and "birth_date_mismatch" in bad.json()["detail"]
