"""Bad input on every route: keys, unknown fields, wrong types, nothing to screen, too long, too big, over caps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.api.conftest import AUTH, KEYS, make_settings, wait_ready

NAME_501 = "A" * 501

# (method, path, a valid body or None) for every keyed route.
ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/screen", {"name": "Ayman al-Zawahiri"}),
    ("POST", "/v1/screen/batch", {"queries": [{"ref": "a", "name": "Ayman al-Zawahiri"}]}),
    ("POST", "/v1/compare", {"query": {"name": "a b"}, "candidate": {"name": "a c"}}),
    ("POST", "/v1/screen/text", {"text": "Nothing to see here."}),
    ("POST", "/match/default", {"queries": {"q": {"schema": "Person", "properties": {"name": ["Ayman al-Zawahiri"]}}}}),
    ("GET", "/v1/lists", None),
    ("GET", "/v1/entities/un_sc_sanctions:QDi.006", None),
    ("GET", "/v1/screenings/00000000-0000-4000-8000-000000000000", None),
    ("POST", "/v1/sync", None),
]

# (path, body, expected status, a fragment the JSON detail must contain)
BAD_BODIES: list[tuple[str, Any, int, str]] = [
    # unknown fields
    ("/v1/screen", {"name": "x", "nmae": "y"}, 422, "extra_forbidden"),
    ("/v1/screen/batch", {"queries": [{"ref": "a", "name": "x", "foo": 1}]}, 422, "extra_forbidden"),
    ("/v1/screen/batch", {"queries": [{"ref": "a", "name": "x"}], "foo": 1}, 422, "extra_forbidden"),
    ("/v1/compare", {"query": {"name": "x"}, "candidate": {"name": "y"}, "foo": 1}, 422, "extra_forbidden"),
    ("/v1/screen/text", {"text": "x", "foo": 1}, 422, "extra_forbidden"),
    ("/match/default", {"queries": {"q": {"schema": "Person", "properties": {}, "foo": 1}}}, 422, "extra_forbidden"),
    ("/v1/sync", {"lists": ["un_sc_sanctions"], "foo": 1}, 422, "extra_forbidden"),
    # wrong types, never coerced
    ("/v1/screen", {"name": "x", "limit": "10"}, 422, "int_type"),
    ("/v1/screen", {"name": 5}, 422, "string_type"),
    ("/v1/screen", {"name": "x", "threshold": "0.8"}, 422, "float_type"),
    ("/v1/screen", {"name": "x", "identifiers": "RA-78765"}, 422, "list_type"),
    ("/v1/screen", {"name": "x", "type": "ship"}, 422, "literal_error"),
    ("/v1/screen", {"name": "x", "birth_date": "23/11/1962"}, 422, "string_pattern_mismatch"),
    ("/v1/screen", {"name": "x", "limit": 101}, 422, "less_than_equal"),
    ("/v1/screen", {"name": "x", "threshold": 1.5}, 422, "less_than_equal"),
    ("/v1/screen/batch", {"queries": {"ref": "a"}}, 422, "list_type"),
    ("/v1/compare", {"query": "x", "candidate": {"name": "y"}}, 422, "model_attributes_type"),
    ("/v1/screen/text", {"text": 5}, 422, "string_type"),
    ("/match/default", {"queries": {"q": {"schema": "Person", "properties": {"name": [5]}}}}, 422, "string_type"),
    ("/v1/sync", {"lists": "un_sc_sanctions"}, 422, "list_type"),
    # nothing to screen
    ("/v1/screen", {}, 422, "name or identifiers is required"),
    ("/v1/screen", {"name": "   ", "identifiers": []}, 422, "name or identifiers is required"),
    ("/v1/screen/batch", {"queries": [{"ref": "a"}]}, 422, "name or identifiers is required"),
    ("/v1/screen/batch", {"queries": []}, 422, "too_short"),
    ("/v1/compare", {"query": {}, "candidate": {"name": "y"}}, 422, "name or identifiers is required"),
    ("/v1/screen/text", {"text": ""}, 422, "string_too_short"),
    ("/match/default", {"queries": {"q": {"schema": "Person", "properties": {"gender": ["male"]}}}}, 422, "a name"),
    # too long
    ("/v1/screen", {"name": NAME_501}, 422, "string_too_long"),
    ("/v1/screen", {"name": "x", "aliases": [NAME_501]}, 422, "string_too_long"),
    ("/v1/compare", {"query": {"name": NAME_501}, "candidate": {"name": "y"}}, 422, "string_too_long"),
    ("/match/default", {"queries": {"q": {"schema": "Person", "properties": {"name": [NAME_501]}}}}, 422, "too_long"),
    # unknown lists, schemas and duplicate refs
    ("/v1/screen", {"name": "x", "lists": ["no_such_list"]}, 422, "unknown list id"),
    ("/v1/screen", {"name": "x", "lists": ["Bad-Id"]}, 422, "string_pattern_mismatch"),
    (
        "/match/default",
        {"queries": {"q": {"schema": "Mars", "properties": {"name": ["x"]}}}},
        422,
        "literal_error",
    ),
    ("/v1/sync", {"lists": ["no_such_list"]}, 422, "unknown list id"),
]


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory, synced_dir: Path) -> Iterator[TestClient]:
    """An app with small caps, so each cap is reached with a small request."""
    import shutil

    data_dir = tmp_path_factory.mktemp("capped")
    shutil.copytree(synced_dir, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("audit.sqlite3*"))
    settings = make_settings(data_dir, lists=["un_sc_sanctions"], max_batch=2, max_text_chars=100, max_body_bytes=4096)
    with TestClient(create_app(settings, sync=lambda lists: {})) as c:
        wait_ready(c)
        yield c


def _call(c: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return c.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_keyed_route_needs_a_valid_key(capped: TestClient, method: str, path: str, body: Any) -> None:
    none = _call(capped, method, path, body, {})
    assert none.status_code == 401 and "API key is required" in none.json()["detail"]
    assert none.headers["www-authenticate"].startswith("Bearer")
    for bad in ({"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}, {"Authorization": f"Basic {KEYS[0]}"}):
        r = _call(capped, method, path, body, bad)
        assert r.status_code == 401, (bad, r.text)
        assert KEYS[0] not in r.text
    good = _call(capped, method, path, body, {"X-API-Key": KEYS[1]})
    assert good.status_code in (200, 202, 404), good.text
    assert _call(capped, method, path, body, AUTH).status_code in (200, 202, 404, 409)


def test_open_routes_need_no_key(capped: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        assert capped.get(path).status_code == 200, path


@pytest.mark.parametrize(("path", "body", "status", "fragment"), BAD_BODIES)
def test_bad_bodies_are_rejected_with_reason(
    capped: TestClient, path: str, body: Any, status: int, fragment: str
) -> None:
    r = capped.post(path, json=body, headers=AUTH)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert fragment in r.text
    # Validation errors name the field, never echo the submitted value back.
    assert NAME_501 not in r.text


def test_malformed_json_and_non_finite_numbers_are_422(capped: TestClient) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    broken = capped.post("/v1/screen", content=b'{"name": "x",', headers=headers)
    assert broken.status_code == 422 and "json_invalid" in broken.text
    nan = capped.post("/v1/screen", content=b'{"name": "x", "threshold": NaN}', headers=headers)
    assert nan.status_code == 422


def test_body_over_cap_is_413_declared_or_streamed(capped: TestClient) -> None:
    big = {"name": "x", "aliases": ["y" * 400] * 20}  # about 8 KB, over the 4 KB cap
    declared = capped.post("/v1/screen", json=big, headers=AUTH)
    assert declared.status_code == 413 and "4096 bytes" in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "x", "aliases": ['
        for _ in range(20):
            yield b'"' + b"y" * 400 + b'",'
        yield b'"z"]}'

    streamed = capped.post("/v1/screen", content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["detail"]


def test_batch_and_text_over_cap_are_413(capped: TestClient) -> None:
    queries = [{"ref": str(i), "name": "x"} for i in range(3)]
    batch = capped.post("/v1/screen/batch", json={"queries": queries}, headers=AUTH)
    assert batch.status_code == 413 and "limit of 2" in batch.json()["detail"]
    yente = {"queries": {str(i): {"schema": "Person", "properties": {"name": ["x"]}} for i in range(3)}}
    assert capped.post("/match/default", json=yente, headers=AUTH).status_code == 413
    text = capped.post("/v1/screen/text", json={"text": "word " * 30}, headers=AUTH)
    assert text.status_code == 413 and "limit of 100" in text.json()["detail"]


def test_path_parameters_are_capped(capped: TestClient) -> None:
    assert capped.get("/v1/entities/" + "x" * 201, headers=AUTH).status_code == 422
    assert capped.get("/v1/screenings/" + "x" * 101, headers=AUTH).status_code == 422
    assert capped.post("/match/no_such_list", json=ROUTES[4][2], headers=AUTH).status_code == 404


def test_unknown_route_and_method_are_json(capped: TestClient) -> None:
    missing = capped.get("/v2/nothing")
    assert missing.status_code == 404 and missing.json()["detail"]
    wrong = capped.get("/v1/screen", headers=AUTH)
    assert wrong.status_code == 405 and wrong.json()["detail"]
