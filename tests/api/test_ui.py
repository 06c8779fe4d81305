"""The review page (/ui) over HTTP, on the app with its lifespan and real synced lists: the key prompt, sessions,
CSRF, security headers, and each page calling the same use cases (and storing the same audit records) as /v1.
The browser drives it in test_ui_browser.py."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from service.api.app import create_app
from service.api.auth import key_id
from service.api.ui.session import COOKIE, LOGIN_COOKIE
from tests.api.conftest import AUTH, KEYS, make_settings, wait_ready

PUTIN = "us_ofac_sdn:35096"
AIRCRAFT = "us_ofac_sdn:40185"  # RA-78765, an Il-76 whose operator is us_ofac_sdn:40181
OPERATOR = "us_ofac_sdn:40181"
CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)


@pytest.fixture(scope="module")
def ui_dir(tmp_path_factory: pytest.TempPathFactory, synced_dir: Path) -> Path:
    """A private copy of the synced lists: decisions and monitors written here stay here."""
    target = tmp_path_factory.mktemp("ui") / "data"
    shutil.copytree(
        synced_dir, target, ignore=shutil.ignore_patterns("audit.sqlite3*", "monitoring.sqlite3*", "*.lock")
    )
    return target


@pytest.fixture(scope="module")
def app(ui_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(ui_dir)), follow_redirects=False) as c:
        wait_ready(c)
        yield c


@pytest.fixture
def ui(app: TestClient) -> Iterator[TestClient]:
    """The keyed app with no cookie: each test starts logged out."""
    app.cookies.clear()
    yield app
    app.cookies.clear()


def csrf_of(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found[1]


def login(c: TestClient, key: str = KEYS[0]) -> str:
    """Log in through the key prompt; the CSRF token of the screen form."""
    prompt = c.get("/ui/login")
    assert prompt.status_code == 200
    done = c.post("/ui/login", data={"csrf": csrf_of(prompt), "key": key, "next": "/ui/"})
    assert done.status_code == 303 and done.headers["location"] == "/ui/", done.text
    form = c.get("/ui/")
    assert form.status_code == 200
    return csrf_of(form)


def entity_ids(page: Response) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'<article class="hit[^"]*" data-entity-id="([^"]+)"', page.text)]


def test_pages_ask_for_the_key_first_and_come_back_after_it(ui: TestClient) -> None:
    r = ui.get(f"/ui/entities/{AIRCRAFT}")
    assert r.status_code == 303 and r.headers["location"] == f"/ui/login?next=/ui/entities/{AIRCRAFT}"
    prompt = ui.get(r.headers["location"])
    assert prompt.status_code == 200 and 'name="key"' in prompt.text and 'type="password"' in prompt.text
    wrong = ui.post("/ui/login", data={"csrf": csrf_of(prompt), "key": "not-a-key", "next": f"/ui/entities/{AIRCRAFT}"})
    assert (
        wrong.status_code == 401
        and "not valid" in wrong.text
        and f"{COOKIE}=" not in wrong.headers.get("set-cookie", "")
    )
    ok = ui.post("/ui/login", data={"csrf": csrf_of(prompt), "key": KEYS[1], "next": f"/ui/entities/{AIRCRAFT}"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/ui/entities/{AIRCRAFT}"
    cookie = ok.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/ui" in cookie and "Secure" not in cookie
    assert ui.get(f"/ui/entities/{AIRCRAFT}").status_code == 200
    assert ui.get("/ui/login").status_code == 303, "logged in: the prompt sends you on"


def test_a_link_from_another_site_does_not_end_the_session(ui: TestClient) -> None:
    """A cross-site link arrives without the SameSite=Strict session: the key prompt it lands on sets only its own
    cookie, so the session is still there for the next same-site request."""
    login(ui)
    session = ui.cookies.get(COOKIE)
    ui.cookies.delete(COOKIE)  # what the browser holds back on a cross-site navigation
    landed = ui.get("/ui/")
    assert landed.status_code == 303 and landed.headers["location"].startswith("/ui/login")
    prompt = ui.get(landed.headers["location"])
    assert prompt.status_code == 200 and f"{LOGIN_COOKIE}=" in prompt.headers["set-cookie"]
    assert f"{COOKIE}=" not in prompt.headers["set-cookie"].replace(f"{LOGIN_COOKIE}=", "")
    ui.cookies.set(COOKIE, session or "", path="/ui")
    assert ui.get("/ui/").status_code == 200


def test_the_key_prompt_session_cannot_post_forms(ui: TestClient) -> None:
    prompt = ui.get("/ui/login")
    r = ui.post("/ui/screen", data={"csrf": csrf_of(prompt), "name": "Vladimir Putin"})
    assert r.status_code == 403
    ui.cookies.set(COOKIE, ui.cookies.get(LOGIN_COOKIE) or "", path="/ui")
    r = ui.post("/ui/screen", data={"csrf": csrf_of(prompt), "name": "Vladimir Putin"})
    assert r.status_code == 403, "a key prompt's session in the session cookie is still no login"


def test_login_never_redirects_off_the_page(ui: TestClient) -> None:
    prompt = ui.get("/ui/login")
    for target in ("https://evil.example/", "//evil.example/ui/", "/v1/lists", "/ui\\..\\x"):
        ui.cookies.clear()
        prompt = ui.get("/ui/login")
        r = ui.post("/ui/login", data={"csrf": csrf_of(prompt), "key": KEYS[0], "next": target})
        assert r.status_code == 303 and r.headers["location"] == "/ui/", target


def test_the_cookie_is_secure_behind_a_tls_proxy(ui: TestClient) -> None:
    tls = {"X-Forwarded-Proto": "https"}
    prompt = ui.get("/ui/login", headers=tls)
    assert "Secure" in prompt.headers["set-cookie"]
    # a client keeps a Secure cookie away from plain HTTP (as it should): this one is handed over as the proxy would
    ui.cookies.clear()
    pre_login = prompt.headers["set-cookie"].split(";")[0]
    r = ui.post("/ui/login", data={"csrf": csrf_of(prompt), "key": KEYS[0]}, headers={**tls, "Cookie": pre_login})
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_every_ui_response_carries_the_security_headers(ui: TestClient) -> None:
    login(ui)
    responses = {
        "page": ui.get("/ui/lists"),
        "login redirect": TestClient(ui.app).get("/ui/", follow_redirects=False),
        "missing page": ui.get("/ui/no-such-page"),
        "missing entity": ui.get("/ui/entities/us_ofac_sdn:0"),
        "static": ui.get("/ui/static/ui.css"),
    }
    for what, r in responses.items():
        csp = r.headers.get("content-security-policy", "")
        assert all(d in csp for d in CSP_DIRECTIVES), (what, csp)
        assert r.headers["x-content-type-options"] == "nosniff", what
        assert r.headers["referrer-policy"] == "no-referrer", what
        assert r.headers["x-request-id"], what
    assert responses["page"].headers["cache-control"] == "no-store"
    assert (
        responses["missing entity"].status_code == 404
        and "text/html" in responses["missing entity"].headers["content-type"]
    )
    assert responses["static"].status_code == 200 and "no-store" not in responses["static"].headers.get(
        "cache-control", ""
    )
    api = ui.get("/v1/lists", headers=AUTH)
    assert "content-security-policy" not in api.headers, "the JSON API is left as it was"


def test_pages_have_no_inline_script_or_style(ui: TestClient) -> None:
    csrf = login(ui)
    pages = [
        ui.get("/ui/"),
        ui.post("/ui/screen", data={"csrf": csrf, "name": "Vladimir Putin"}),
        ui.get(f"/ui/entities/{PUTIN}"),
        ui.post("/ui/text", data={"csrf": csrf, "text": "The Il-76 RA-78765 landed."}),
        ui.get("/ui/lists"),
        ui.get("/ui/queue"),
        ui.get("/ui/parties/nobody"),
    ]
    for page in pages:
        assert page.status_code == 200, page.text[:300]
        assert "<script" not in page.text and " style=" not in page.text and "<style" not in page.text
        assert re.search(r"\son[a-z]+=", page.text) is None, "no inline event handlers"


def test_a_post_without_the_session_or_with_a_wrong_token_is_refused(ui: TestClient) -> None:
    csrf = login(ui)
    before = ui.get("/v1/decisions?ref=csrf-party", headers=AUTH).json()["decisions"]
    decision = {"ref": "csrf-party", "entity_id": PUTIN, "decision": "true_match", "reason": "r", "reviewer": "x"}
    wrong = ui.post("/ui/decisions", data={**decision, "csrf": csrf[:-1] + ("0" if csrf[-1] != "0" else "1")})
    assert wrong.status_code == 403 and "Form refused" in wrong.text and "text/html" in wrong.headers["content-type"]
    missing = ui.post("/ui/decisions", data=decision)
    assert missing.status_code == 403
    cross_site = ui.post("/ui/decisions", data={**decision, "csrf": csrf}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    session = ui.cookies.get(COOKIE)
    ui.cookies.clear()
    no_session = ui.post("/ui/decisions", data={**decision, "csrf": csrf})
    assert no_session.status_code == 403
    screen = ui.post("/ui/screen", data={"csrf": csrf, "name": "Vladimir Putin"})
    assert screen.status_code == 403 and "PUTIN" not in screen.text
    ui.cookies.set(COOKIE, session or "", path="/ui")
    assert ui.get("/v1/decisions?ref=csrf-party", headers=AUTH).json()["decisions"] == before == []
    ok = ui.post("/ui/decisions", data={**decision, "csrf": csrf})
    assert ok.status_code == 303, "the same post with the session and its token goes through"


def test_screening_shows_ranked_hits_with_evidence_and_stores_the_audit_record(ui: TestClient) -> None:
    csrf = login(ui)
    page = ui.post("/ui/screen", data={"csrf": csrf, "name": "Vladimir Putin", "type": "person", "birth_date": "1952"})
    assert page.status_code == 200
    ids = entity_ids(page)
    assert ids and ids[0] == PUTIN
    scores = [float(s) for s in re.findall(r'<span class="score-num">([0-9.]+)</span>', page.text)]
    assert len(scores) == len(ids) and scores == sorted(scores, reverse=True)
    assert "RUSSIA-EO14024" in page.text
    assert 'class="tok tok-match"' in page.text and "birth date" in page.text.lower()
    assert 'name="name" value="Vladimir Putin"' in page.text, "the form keeps what was typed"
    screening_id = re.search(r"Screening <code>([0-9a-f-]+)</code>", page.text)
    assert screening_id
    record = ui.get(f"/v1/screenings/{screening_id[1]}", headers=AUTH)
    assert record.status_code == 200, "the page answered only once the audit record was stored"
    body = record.json()
    assert body["kind"] == "screen" and body["items"][0]["hits"][0]["entity_id"] == PUTIN
    assert body["api_key_id"] == key_id(KEYS[0]), "recorded under the key the analyst logged in with"


def test_an_aircraft_hit_links_its_operator_and_the_entity_page_shows_everything(ui: TestClient) -> None:
    csrf = login(ui)
    page = ui.post("/ui/screen", data={"csrf": csrf, "identifiers": "RA-78765", "type": "aircraft"})
    assert entity_ids(page)[0] == AIRCRAFT
    assert f'href="/ui/entities/{OPERATOR}"' in page.text
    entity = ui.get(f"/ui/entities/{AIRCRAFT}")
    text = entity.text
    assert entity.status_code == 200 and f'data-entity-id="{AIRCRAFT}"' in text
    for expected in ("RA-78765", "tail number", "Source record", "Version", "Fetched", "sha256:", "strong"):
        assert expected in text, expected
    assert f'href="/ui/entities/{OPERATOR}"' in text
    operator = ui.get(f"/ui/entities/{OPERATOR}")
    assert f'href="/ui/entities/{AIRCRAFT}"' in operator.text, "the operator's page lists the aircraft it operates"


def test_the_screen_form_explains_what_to_fix(ui: TestClient) -> None:
    csrf = login(ui)
    bad_date = ui.post("/ui/screen", data={"csrf": csrf, "name": "Vladimir Putin", "birth_date": "07.10.1952"})
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.text and 'aria-invalid="true"' in bad_date.text
    assert not entity_ids(bad_date)
    nothing = ui.post("/ui/screen", data={"csrf": csrf, "name": "   "})
    assert nothing.status_code == 422 and "Enter a name or an identifier" in nothing.text
    threshold = ui.post("/ui/screen", data={"csrf": csrf, "name": "x", "threshold": "high"})
    assert threshold.status_code == 422 and "number from 0 to 1" in threshold.text
    unknown_list = ui.post("/ui/screen", data={"csrf": csrf, "name": "x", "lists": "no_such_list"})
    assert unknown_list.status_code == 422


def test_text_highlights_mentions_in_place_with_their_hits(ui: TestClient) -> None:
    csrf = login(ui)
    article = "Tracking data show the Ilyushin Il-76 RA-78765 left Minsk <b>on Tuesday</b>."
    page = ui.post("/ui/text", data={"csrf": csrf, "text": article})
    assert page.status_code == 200
    assert re.search(r'<mark class="mention[^"]*" data-mention="1">RA-78765</mark>', page.text)
    assert "&lt;b&gt;on Tuesday&lt;/b&gt;" in page.text, "the pasted text is escaped, never rendered as HTML"
    assert AIRCRAFT in entity_ids(page)


def test_lists_page_shows_version_age_count_sync_outcome_and_last_diff(ui: TestClient) -> None:
    login(ui)
    page = ui.get("/ui/lists")
    lists = ui.get("/v1/lists", headers=AUTH).json()["lists"]
    assert lists
    for record in lists:
        card = page.text.split(f'data-list-id="{record["id"]}"')[1].split("</section>")[0]
        assert html.escape(record["version"]) in card and f"{record['entities']:,}" in card
        assert record["status"] in card and "fetched" in card and " ago" in card
        assert f"+{record['entities']} added" in card, "the first sync added every entity"


def test_queue_lists_open_alerts_and_a_decision_settles_them(ui: TestClient) -> None:
    csrf = login(ui)
    assert ui.put("/v1/monitors/queue-1", json={"name": "Vladimir Putin"}, headers=AUTH).status_code == 201
    queue = ui.get("/ui/queue")
    assert 'data-ref="queue-1"' in queue.text and f'data-entity-id="{PUTIN}"' in queue.text
    party = ui.get("/ui/parties/queue-1")
    assert PUTIN in entity_ids(party) and "Open alert" in party.text
    r = ui.post(
        "/ui/decisions",
        data={
            "csrf": csrf,
            "ref": "queue-1",
            "entity_id": PUTIN,
            "decision": "escalated",
            "reason": "same name, needs a second look",
            "reviewer": "Analyst One",
        },
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/parties/queue-1#decision-")
    assert 'data-ref="queue-1"' not in ui.get("/ui/queue").text
    assert 'data-ref="queue-1"' in ui.get("/ui/queue?state=escalated").text
    shown = ui.get("/ui/parties/queue-1").text
    assert "same name, needs a second look" in shown and "Analyst One" in shown and "standing" in shown
    assert "<title>Party queue-1 · Sanctions screening</title>" in shown  # the page's title, not its markup
    assert shown.count('id="s-decisions"') == 1
    recorded = ui.get("/v1/decisions?ref=queue-1", headers=AUTH).json()["decisions"]
    assert [(d["decision"], d["actor"]) for d in recorded] == [("escalated", key_id(KEYS[0]))]


def test_a_decision_needs_a_reason_and_records_nothing_without_one(ui: TestClient) -> None:
    csrf = login(ui)
    r = ui.post(
        "/ui/decisions",
        data={"csrf": csrf, "ref": "no-reason", "entity_id": PUTIN, "decision": "false_positive", "reviewer": "A"},
    )
    assert r.status_code == 422 and "Give the reason" in r.text and 'value="A"' in r.text
    assert ui.get("/v1/decisions?ref=no-reason", headers=AUTH).json()["decisions"] == []
    unknown = ui.post(
        "/ui/decisions",
        data={
            "csrf": csrf,
            "ref": "x",
            "entity_id": "us_ofac_sdn:0",
            "decision": "true_match",
            "reason": "r",
            "reviewer": "A",
        },
    )
    assert unknown.status_code == 404 and "text/html" in unknown.headers["content-type"]


def test_a_screen_with_a_ref_shows_the_standing_decision_on_its_hit(ui: TestClient) -> None:
    csrf = login(ui)
    decided = ui.post(
        "/ui/decisions",
        data={
            "csrf": csrf,
            "ref": "cust-77",
            "entity_id": PUTIN,
            "decision": "false_positive",
            "reason": "our customer is a Vladimir Putin born 1990 in Tver",
            "reviewer": "Analyst Two",
        },
    )
    assert decided.status_code == 303
    page = ui.post("/ui/screen", data={"csrf": csrf, "name": "Vladimir Putin", "ref": "cust-77"})
    card = page.text.split(f'data-entity-id="{PUTIN}"')[1].split("</article>")[0]
    assert "decision-false_positive" in card and "born 1990 in Tver" in card and "(cleared)" in card
    assert 'name="ref" value="cust-77"' in card, "the decision form is filled with the party's ref"


def test_logout_ends_the_session_in_the_browser(ui: TestClient) -> None:
    csrf = login(ui)
    r = ui.post("/ui/logout", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"
    assert f'{COOKIE}=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    assert ui.get("/ui/").status_code == 303


def test_an_overlong_path_is_an_error_page_not_a_crash(ui: TestClient) -> None:
    login(ui)
    r = ui.get("/ui/entities/" + "x" * 300)
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]


@pytest.fixture
def un_app(un_only_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(un_only_dir, api_keys=[])), follow_redirects=False) as c:
        wait_ready(c)
        yield c


def test_without_keys_the_page_is_open_and_forms_still_need_their_token(un_app: TestClient) -> None:
    form = un_app.get("/ui/")
    assert form.status_code == 200 and 'name="name"' in form.text and "Log out" not in form.text
    assert "HttpOnly" in form.headers["set-cookie"], "an anonymous session carries the CSRF token"
    page = un_app.post("/ui/screen", data={"csrf": csrf_of(form), "name": "Ayman al-Zawahiri"})
    assert page.status_code == 200 and "un_sc_sanctions:QDi.006" in entity_ids(page)
    assert un_app.post("/ui/screen", data={"csrf": "forged", "name": "x"}).status_code == 403
    un_app.cookies.clear()
    assert un_app.post("/ui/screen", data={"csrf": csrf_of(form), "name": "x"}).status_code == 403
    assert un_app.get("/ui/login").status_code == 303


def test_a_session_works_on_every_replica_and_ends_when_its_key_is_removed(un_only_dir: Path) -> None:
    keys = {"api_keys": KEYS, "lists": ["un_sc_sanctions"], "ui_secret": "shared-by-the-replicas"}
    with TestClient(create_app(make_settings(un_only_dir, **keys)), follow_redirects=False) as first:
        wait_ready(first)
        csrf = login(first, KEYS[1])
        cookie = first.cookies.get(COOKIE)
    with TestClient(create_app(make_settings(un_only_dir, **keys)), follow_redirects=False) as replica:
        wait_ready(replica)
        replica.cookies.set(COOKIE, cookie or "", path="/ui")
        assert replica.get("/ui/").status_code == 200
        assert replica.post("/ui/screen", data={"csrf": csrf, "name": "Ayman al-Zawahiri"}).status_code == 200
    fewer = {**keys, "api_keys": [KEYS[0]]}
    with TestClient(create_app(make_settings(un_only_dir, **fewer)), follow_redirects=False) as revoked:
        wait_ready(revoked)
        revoked.cookies.set(COOKIE, cookie or "", path="/ui")
        assert revoked.get("/ui/").status_code == 303
        assert revoked.post("/ui/screen", data={"csrf": csrf, "name": "x"}).status_code == 403


def test_the_page_can_be_turned_off(un_only_dir: Path) -> None:
    with TestClient(create_app(make_settings(un_only_dir, ui=False, lists=["un_sc_sanctions"]))) as c:
        assert c.get("/ui/").status_code == 404
