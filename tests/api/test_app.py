"""The app with its lifespan: readiness, the matcher swap on publish, metrics, offline docs, JSON errors, CORS."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.errors import ERROR_STATUS, status_for
from service.errors import HostileInputError, LockedError, NotFoundError, ServiceError
from tests.api.conftest import AUTH, UN_RECORDS, make_settings, wait_ready
from tests.conftest import sync_into


def test_readyz_is_503_with_reason_until_a_list_is_published(tmp_path: Path, fixture_mirror: Path) -> None:
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, lists=["un_sc_sanctions", "eu_fsf"])
    with TestClient(create_app(settings, reload_poll_s=0.05)) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        # 503 throughout; "no list loaded yet" until the runtime's first look at the store, then what to do about it
        deadline = time.monotonic() + 30
        while True:
            r = c.get("/readyz")
            assert r.status_code == 503, r.text
            if "sanctions sync" in r.json()["reason"]:
                break
            assert r.json()["reason"] == "no list loaded yet" and time.monotonic() < deadline, r.text
            time.sleep(0.02)
        screen = c.post("/v1/screen", json={"name": "Ayman al-Zawahiri"}, headers=AUTH)
        assert screen.status_code == 503 and screen.json()["detail"]
        # A sync publishing into the store while the app runs: the poller swaps the new matcher in.
        sync_into(data_dir, fixture_mirror, ["eu_fsf"])
        ready = wait_ready(c)
        assert list(ready["lists"]) == ["eu_fsf"] and ready["entities"] == 5
        sync_into(data_dir, fixture_mirror, ["un_sc_sanctions"])
        both = {"eu_fsf", "un_sc_sanctions"}
        deadline = time.monotonic() + 30
        while set(c.get("/readyz").json()["lists"]) != both:
            assert time.monotonic() < deadline, c.get("/readyz").json()
            time.sleep(0.05)
        hit = c.post("/v1/screen", json={"name": "Ayman al-Zawahiri"}, headers=AUTH).json()["hits"][0]
        assert hit["entity_id"] == "un_sc_sanctions:QDi.006"


def test_sync_on_start_serves_after_background_sync(tmp_path: Path, fixture_mirror: Path) -> None:
    settings = make_settings(tmp_path / "data", lists=["eu_fsf"], mirror=str(fixture_mirror), sync_on_start=True)
    with TestClient(create_app(settings, reload_poll_s=0.1)) as c:
        assert wait_ready(c)["entities"] == 5


def test_metrics_expose_latency_screenings_hits_and_list_gauges(client: TestClient) -> None:
    client.post("/v1/screen", json={"name": "Ayman al-Zawahiri"}, headers=AUTH)
    text = client.get("/metrics").text
    assert re.search(r'sanctions_http_request_duration_seconds_bucket\{.*route="/v1/screen"', text)
    assert re.search(r'sanctions_screenings_total\{kind="screen"\} [1-9]', text)
    assert re.search(r'sanctions_hits_total\{list="un_sc_sanctions"\} [1-9]', text)
    assert re.search(r'sanctions_matches_total\{list="un_sc_sanctions"\} [1-9]', text)
    assert f'sanctions_list_entities{{list="un_sc_sanctions"}} {UN_RECORDS}.0' in text
    assert re.search(r'sanctions_list_age_seconds\{list="us_ofac_sdn"\} \d', text)
    assert "sanctions_sync_outcomes_total" in text


def test_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "cdn" not in page.text.lower()
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url
    schema = client.get("/openapi.json").json()
    assert {"/v1/screen", "/v1/screen/batch", "/v1/compare", "/v1/screen/text", "/match/{dataset}"} <= set(
        schema["paths"]
    )


def test_error_table_maps_domain_errors() -> None:
    assert status_for(NotFoundError("x")) == 404
    assert status_for(LockedError("x")) == 409
    assert status_for(HostileInputError("x")) == 502  # via ParseError
    assert ERROR_STATUS[ServiceError] == 500


def test_unexpected_error_is_json_500_without_traceback(un_only_dir: Path) -> None:
    settings = make_settings(un_only_dir, lists=["un_sc_sanctions"])
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        wait_ready(c)
        runtime = c.app.state.ctx.runtime  # type: ignore[attr-defined]

        class BrokenMatcher(type(runtime.state.matcher)):  # type: ignore[misc]
            def screen(self, *args: object, **kwargs: object) -> None:
                raise RuntimeError("secret internals /etc/passwd")

        # Fault injection: a bug inside the matcher, which the real matcher cannot be made to have.
        runtime.state.matcher.__class__ = BrokenMatcher
        r = c.post("/v1/screen", json={"name": "anyone"}, headers=AUTH)
    assert r.status_code == 500
    body = r.json()
    assert body["detail"] == "internal error" and re.fullmatch(r"[0-9a-f]{16}", body["error_id"])
    assert "Traceback" not in r.text and "passwd" not in r.text


def test_cors_off_by_default_and_on_when_configured(un_only_dir: Path, client: TestClient) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/v1/screen", headers=preflight).headers
    settings = make_settings(un_only_dir, lists=["un_sc_sanctions"], cors_origins=["https://app.example"])
    with TestClient(create_app(settings)) as c:
        r = c.options("/v1/screen", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://app.example"


def test_every_response_carries_a_request_id_even_errors(client: TestClient) -> None:
    ok = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    refused = client.post("/v1/screen", json={"name": "x"})  # no key: 401 from the route's dependency
    too_big = client.post("/v1/screen", content=b"{" + b" " * (3 * 1024 * 1024), headers=AUTH)  # 413 before routing
    assert ok.headers["x-request-id"] == "abc-123"
    assert refused.status_code == 401 and re.fullmatch(r"[0-9a-f]{32}", refused.headers["x-request-id"])
    assert too_big.status_code == 413 and re.fullmatch(r"[0-9a-f]{32}", too_big.headers["x-request-id"])
    assert refused.headers["x-request-id"] != too_big.headers["x-request-id"]


def test_a_published_change_frees_the_matcher_it_replaces(tmp_path: Path, fixture_mirror: Path) -> None:
    """The server freezes each matcher for the garbage collector; the one a change replaces must still be freed
    (a frozen object in a reference cycle never is: while matchers had one, every change kept its predecessor)."""
    import gc
    import weakref

    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, lists=["un_sc_sanctions", "eu_fsf"])
    sync_into(data_dir, fixture_mirror, ["eu_fsf"])
    try:
        with TestClient(create_app(settings, reload_poll_s=0.05)) as c:
            assert wait_ready(c)["entities"] == 5
            runtime = c.app.state.ctx.runtime  # type: ignore[attr-defined]
            first = weakref.ref(runtime.state.matcher.index)
            sync_into(data_dir, fixture_mirror, ["un_sc_sanctions"])
            deadline = time.monotonic() + 30
            while "un_sc_sanctions" not in c.get("/readyz").json()["lists"]:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            deadline = time.monotonic() + 30  # the text view is built after the swap, then the old state collected
            while first() is not None and time.monotonic() < deadline:
                time.sleep(0.05)
            gc.collect()
            assert first() is None
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
