"""The review page in a real browser (Debian's chromium, driven by Playwright) against a real `sanctions serve`
process with API keys: log in, screen, read the evidence, open the entity, decide, paste an article, and the
page's keyboard, narrow-screen, contrast and CSP behaviour.

No test downloads a browser: Playwright is pointed at /usr/bin/chromium (scripts/ensure-chromium.sh installs it
from the distribution's packages). Screenshots go to SANCTIONS_UI_SCREENSHOTS when set (the README's come from
there), else to a temporary folder; they are taken to be looked at.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.api.conftest import API_LISTS, KEYS

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("SANCTIONS_CHROMIUM", "/usr/bin/chromium"))
# A quiet, self-contained browser: no network of its own (updates, sync, QUIC probes), no first-run UI.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # runs as root in CI containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PUTIN = "us_ofac_sdn:35096"
AIRCRAFT = "us_ofac_sdn:40185"  # Il-76 RA-78765
ARTICLE = (
    "Flight-tracking data show that an Ilyushin Il-76 registered RA-78765 landed in Minsk on Tuesday, "
    "weeks after the freighter was reported over the Caspian Sea.\n\n"
    "The aircraft's operator did not answer questions; the plane has been under US sanctions since 2022."
)
WIDE, NARROW = 1280, 390  # a laptop and a phone (iPhone 12 to 15 are 390 CSS pixels wide)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, synced_dir: Path) -> Iterator[tuple[str, Path]]:
    """A real `sanctions serve` with keys on a private copy of the synced lists: (base URL, its log file)."""
    root = tmp_path_factory.mktemp("ui-serve")
    data_dir = root / "data"
    shutil.copytree(
        synced_dir, data_dir, ignore=shutil.ignore_patterns("audit.sqlite3*", "monitoring.sqlite3*", "*.lock")
    )
    log_path = root / "serve.log"
    port = _free_port()
    env = {
        **os.environ,
        "SANCTIONS_DATA_DIR": str(data_dir),
        "SANCTIONS_LISTS": ",".join(API_LISTS),
        "SANCTIONS_API_KEYS": ",".join(KEYS),
        "SANCTIONS_SYNC_ON_START": "false",
        "SANCTIONS_LOG_JSON": "true",
        "SANCTIONS_LOG_LEVEL": "DEBUG",  # the strictest check that no screened name is logged
    }
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log_path.read_text()[-2000:]
            try:
                if httpx.get(f"{base}/readyz", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server not ready in time"
            time.sleep(0.2)
        yield base, log_path
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"no chromium at {CHROMIUM}: run scripts/ensure-chromium.sh (apt-get install chromium)"
        if os.environ.get("CI") or os.environ.get("SANCTIONS_REQUIRE_SHARED"):
            pytest.fail(reason + "; CI requires it")
        pytest.skip(reason)
    with sync_playwright() as p:
        # launch() starts the browser on a fresh temporary profile (user-data-dir), removed when it closes
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("SANCTIONS_UI_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("ui-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Tab:
    """One browser context (its own cookies) with a page, the console messages it logged and the server's URL."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.context = context
        self.base = base
        self.page: Page = context.new_page()
        self.console: list[str] = []
        context.on("console", lambda m: self.console.append(m.text))  # every page of the context, new tabs too

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def login(self, key: str = KEYS[0]) -> None:
        self.goto("/ui/")
        assert "/ui/login" in self.page.url
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(self.base + "/ui/")

    def screen(self, name: str, ref: str = "") -> None:
        self.page.get_by_label("Name", exact=True).fill(name)
        self.page.get_by_label("Party reference").first.fill(ref)
        self.page.get_by_role("button", name="Screen", exact=True).click()
        self.page.wait_for_selector("#results")

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]


@pytest.fixture
def tab(browser: Browser, server: tuple[str, Path]) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": WIDE, "height": 900})
    context.set_default_timeout(15_000)
    t = Tab(context, server[0])
    try:
        yield t
    finally:
        context.close()


def _scroll_width(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.outerHTML)"""

# WCAG 2.x contrast of every element holding text against the first opaque background behind it:
# 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). Returns the failures.
LOW_CONTRAST = """() => {
  const rgb = s => (s.match(/[0-9.]+/g) || []).map(Number);
  const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) return c.slice(0, 3); } return [255, 255, 255]; };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
    const r = el.getBoundingClientRect(); if (r.width <= 1 && r.height <= 1) continue;  // visually hidden text
    const fg = rgb(style.color).slice(0, 3), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < need) out.push(`${el.tagName}.${el.className} "${text}" ${ratio.toFixed(2)}`);
  }
  return out;
}"""


def _check_page(tab: Tab, what: str) -> None:
    """What every page must hold: labelled fields, AA contrast, no CSP violation, no horizontal scrolling."""
    page = tab.page
    assert page.evaluate(UNLABELLED_FIELDS) == [], what
    assert page.evaluate(LOW_CONTRAST) == [], what
    assert tab.csp_violations() == [], what
    viewport = page.viewport_size
    assert viewport is not None and _scroll_width(page) <= viewport["width"], what


def test_analyst_screens_reads_the_evidence_opens_the_entity_and_records_a_decision(
    tab: Tab, server: tuple[str, Path], shots: Path
) -> None:
    page = tab.page
    tab.login()
    tab.screen("Vladimir Putin", ref="cust-4711")
    hit = page.locator(f'[data-entity-id="{PUTIN}"]')
    assert hit.count() == 1 and hit.is_visible()
    assert page.locator("article.hit").first.get_attribute("data-entity-id") == PUTIN, "ranked first"
    # the alignment at a glance: both tokens matched
    tokens = [" ".join(t.split()) for t in hit.locator(".tokens .tok-match").all_inner_texts()]
    assert tokens == ["matched: = vladimir", "matched: = putin"], "what the eye and a screen reader get"
    evidence = hit.locator("details.evidence")
    assert evidence.locator(".evidence-list").is_hidden()
    evidence.locator("summary").click()
    rows = evidence.locator(".evidence-list > li")
    assert rows.count() >= 1 and rows.first.is_visible()
    assert "Name" in rows.first.inner_text() and "PUTIN, Vladimir" in rows.first.inner_text()
    _check_page(tab, "screen results")
    page.screenshot(path=str(shots / "screen-results.png"), full_page=True)

    # the entity opens in a new tab: the results (a POST, never cached) stay where they are
    with tab.context.expect_page() as opened:
        hit.get_by_role("link", name="PUTIN, Vladimir Vladimirovich").click()
    entity = opened.value
    entity.wait_for_load_state()
    assert entity.url == f"{tab.base}/ui/entities/{PUTIN}"
    assert entity.get_by_role("heading", level=1).inner_text() == "PUTIN, Vladimir Vladimirovich"
    names = entity.locator("table.names tbody tr")
    assert names.count() >= 2 and "aka" in names.nth(1).inner_text() and "strong" in names.nth(1).inner_text()
    for section in ("List version", "Names", "Source record", "Links"):
        assert entity.get_by_role("heading", name=section).is_visible(), section
    list_facts = entity.locator("#s-list + dl").inner_text()
    assert "sha256:" in list_facts and "ago" in list_facts
    tab.page = entity
    _check_page(tab, "entity page")
    entity.screenshot(path=str(shots / "entity.png"), full_page=True)
    entity.close()
    tab.page = page

    hit.locator("details.decide summary").click()
    form = hit.locator("form.decide-form")
    assert form.get_by_label("Party reference").input_value() == "cust-4711"
    form.get_by_label("False positive").check()
    form.get_by_label("Reason").fill("Our customer is a Vladimir Putin born 1987 in Tver, not the listed person.")
    form.get_by_label("Reviewer").fill("A. Analyst")
    form.get_by_role("button", name="Record decision").click()
    page.wait_for_url("**/ui/parties/cust-4711#decision-*")
    decision = page.locator(f'.decision-item[data-entity-id="{PUTIN}"]')
    assert "born 1987 in Tver" in decision.inner_text() and "False positive" in decision.inner_text()
    page.reload()
    decision = page.locator(f'.decision-item[data-entity-id="{PUTIN}"]')
    assert (
        decision.count() == 1 and "born 1987 in Tver" in decision.inner_text() and "standing" in decision.inner_text()
    )

    tab.goto("/ui/")
    tab.screen("Vladimir Putin", ref="cust-4711")
    note = page.locator(f'[data-entity-id="{PUTIN}"] .decision')
    assert "False positive" in note.inner_text() and "born 1987 in Tver" in note.inner_text()
    assert tab.csp_violations() == []
    # the screened name went through POST bodies only: not in the log, even at DEBUG
    log = server[1].read_text()
    assert '"route":"/ui/screen"' in log
    assert "Putin" not in log and "PUTIN" not in log and KEYS[0] not in log


def test_pasted_article_has_ra_78765_highlighted_with_its_hit(tab: Tab, shots: Path) -> None:
    page = tab.page
    tab.login()
    page.get_by_role("link", name="Text").click()
    page.get_by_label("Article or document").fill(ARTICLE)
    page.get_by_role("button", name="Find mentions").click()
    mark = page.locator("mark.mention", has_text="RA-78765")
    assert mark.count() == 1 and mark.is_visible()
    background = mark.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), "highlighted"
    assert page.locator(".article").inner_text().strip() == ARTICLE.strip(), "the text stays as pasted"
    mention_id = mark.get_attribute("data-mention")
    assert page.locator(f'#mention-{mention_id} [data-entity-id="{AIRCRAFT}"]').is_visible()
    _check_page(tab, "text page")
    page.screenshot(path=str(shots / "text.png"), full_page=True)


def test_a_post_without_the_session_or_with_a_wrong_csrf_token_is_refused(tab: Tab, browser: Browser) -> None:
    page = tab.page
    tab.login()
    page.locator("form.screen-form input[name=csrf]").evaluate("el => el.value = 'forged-token'")
    page.get_by_label("Name", exact=True).fill("Vladimir Putin")
    with page.expect_navigation():
        page.get_by_role("button", name="Screen", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Form refused"
    assert page.locator("article.hit").count() == 0
    # a browser without the session (another profile) posting the form with a valid-looking token
    stranger = browser.new_context()
    try:
        r = stranger.request.post(tab.base + "/ui/screen", form={"csrf": "0" * 40, "name": "Vladimir Putin"})
        assert r.status == 403 and "Form refused" in r.text()
    finally:
        stranger.close()


def test_a_link_from_another_site_keeps_the_session(tab: Tab) -> None:
    """SameSite=Strict holds the session back on a link from another site; the key prompt says so, keeps the
    session, and its "open the page" link (same-site) gets the analyst in without the key again."""
    page = tab.page
    tab.login()
    target = f"{tab.base}/ui/entities/{AIRCRAFT}"
    page.goto(f'data:text/html,<a href="{target}">ticket 4711: check this aircraft</a>')
    page.get_by_role("link", name="ticket 4711").click()
    page.wait_for_url(lambda url: url.startswith(f"{tab.base}/ui/login?next="))
    page.get_by_role("link", name="open the page").click()
    page.wait_for_url(target)
    assert page.get_by_role("heading", level=1).inner_text() == "RA-78765"


def test_the_csp_stops_injected_inline_script_and_style(tab: Tab) -> None:
    page = tab.page
    tab.login()
    ran = page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';
        document.body.appendChild(s); return window.injected === 1; }"""
    )
    assert ran is False
    color = page.evaluate(
        """() => { const h = document.querySelector('h1'); h.setAttribute('style', 'color: rgb(255, 0, 0)');
        return getComputedStyle(h).color; }"""
    )
    assert color != "rgb(255, 0, 0)"
    page.wait_for_timeout(200)
    assert len(tab.csp_violations()) >= 2, tab.console


def test_keyboard_only_screening(tab: Tab) -> None:
    page = tab.page
    tab.login()
    for _ in range(30):  # skip link, header links, then the form: Tab until the name field has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "name":
            break
    else:
        pytest.fail("Tab never reached the name field")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring not in ("none", ""), "the focused field shows a focus ring"
    page.keyboard.type("Vladimir Putin")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'[data-entity-id="{PUTIN}"]')
    # on from the results by keyboard: the first hit's name link, then its evidence
    page.locator(f'[data-entity-id="{PUTIN}"] summary').first.focus()
    page.keyboard.press("Enter")
    assert page.locator(f'[data-entity-id="{PUTIN}"] details.evidence').get_attribute("open") is not None


def test_a_phone_sized_viewport_shows_results_without_horizontal_scrolling(
    browser: Browser, server: tuple[str, Path], shots: Path
) -> None:
    watched = httpx.put(
        f"{server[0]}/v1/monitors/phone-queue-1",
        json={"name": "Kim Jong Un"},
        headers={"Authorization": f"Bearer {KEYS[1]}"},
        timeout=10.0,
    )
    assert watched.status_code in (200, 201), watched.text
    context = browser.new_context(viewport={"width": NARROW, "height": 844}, device_scale_factor=2)
    context.set_default_timeout(15_000)
    tab = Tab(context, server[0])
    try:
        page = tab.page
        tab.login()
        tab.screen("Vladimir Putin")
        hit = page.locator(f'[data-entity-id="{PUTIN}"]')
        hit.locator("details.evidence summary").click()
        hit.locator("details.decide summary").click()
        assert hit.is_visible()
        box: Any = hit.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= NARROW
        _check_page(tab, "results at 390 px")
        assert _scroll_width(page) <= NARROW
        page.screenshot(path=str(shots / "screen-results-390.png"), full_page=True)
        for path in (f"/ui/entities/{AIRCRAFT}", "/ui/lists", "/ui/queue", "/ui/parties/phone-queue-1"):
            tab.goto(path)
            _check_page(tab, path)
            assert _scroll_width(page) <= NARROW, path
            page.screenshot(path=str(shots / f"{path.split('/')[2]}-390.png"), full_page=True)
        tab.goto("/ui/queue")
        assert page.locator('[data-ref="phone-queue-1"]').is_visible(), "the monitor's open alert waits in the queue"
        tab.goto("/ui/text")
        page.get_by_label("Article or document").fill(ARTICLE)
        page.get_by_role("button", name="Find mentions").click()
        assert page.locator("mark.mention", has_text="RA-78765").is_visible()
        assert _scroll_width(page) <= NARROW
    finally:
        context.close()


def test_token_kinds_look_different_and_the_readme_screenshots(tab: Tab, shots: Path) -> None:
    """Matched, fuzzy and missing tokens differ in border style and colour, not in colour alone; the two README
    screenshots (docs/) are these, copied from SANCTIONS_UI_SCREENSHOTS."""
    page = tab.page
    tab.login()
    page.get_by_label("Birth date").fill("1951-06-19")
    tab.screen("Ayman Zawahry")
    first = page.locator("article.hit").first
    assert first.get_attribute("data-entity-id") in ("un_sc_sanctions:QDi.006", "us_ofac_sdn:2676")
    looks = {}
    for kind in ("match", "fuzzy", "list_only"):
        token = first.locator(f".tokens .tok-{kind}").first
        assert token.is_visible(), kind
        looks[kind] = token.evaluate(
            "el => { const s = getComputedStyle(el); return [s.borderTopStyle, s.backgroundColor, s.color]; }"
        )
    assert len({look[0] for look in looks.values()}) == 3, looks
    assert len({look[1] for look in looks.values()}) == 3, looks
    reasons = first.locator(".reasons .reason-birth_date")
    assert "1951" in reasons.inner_text(), "the birth date has its own row"
    first.locator("details.evidence summary").click()
    _check_page(tab, "readme results")
    page.screenshot(path=str(shots / "readme-screen-results.png"), full_page=True)

    tab.goto(f"/ui/entities/{AIRCRAFT}")
    ids = page.locator("#s-ids + table").inner_text()
    assert "RA-78765" in ids and "tail number" in ids
    assert page.locator('#s-links + ul a[href="/ui/entities/us_ofac_sdn:40181"]').is_visible(), "its operator"
    _check_page(tab, "readme entity")
    page.screenshot(path=str(shots / "readme-entity.png"), full_page=True)


def test_the_page_checks_catch_what_they_look_for(tab: Tab) -> None:
    """The label and contrast checks above can fail: a field without a label and pale text are found."""
    page = tab.page
    tab.login()
    assert page.evaluate(UNLABELLED_FIELDS) == [] and page.evaluate(LOW_CONTRAST) == []
    page.evaluate(
        """() => { const main = document.querySelector('main');
        const i = document.createElement('input'); i.name = 'stray'; main.appendChild(i);
        const p = document.createElement('p'); p.textContent = 'pale text'; p.style.color = '#c8c8c8';
        main.appendChild(p); }"""
    )
    assert len(page.evaluate(UNLABELLED_FIELDS)) == 1
    assert any("pale text" in found for found in page.evaluate(LOW_CONTRAST))
