"""The review page's rendering: the Jinja2 environment over the packaged templates, the packaged static files,
and the security headers every response under /ui carries."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import __version__
from service.api.ui import views

UI_DIR = Path(__file__).resolve().parent
STATIC_DIR = UI_DIR / "static"
PREFIX = "/ui"
STATIC_PREFIX = f"{PREFIX}/static"

# No inline script or style can run or apply (the templates have none); forms post only to this origin; no
# framing (clickjacking); no <base> rewriting of relative links; no plugins.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
    (b"cross-origin-opener-policy", b"same-origin"),
)
# Pages show screened names and hits: personal data that no shared cache or back-button cache should keep.
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Pure ASGI middleware: the headers above on every response under /ui, whatever produced it (a page, a
    static file, a 404 or an error), and no-store on everything but the versioned static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        static = path.startswith(STATIC_PREFIX + "/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", ())}
                extra = [h for h in SECURITY_HEADERS if h[0] not in names]
                if not static and b"cache-control" not in names:
                    extra.append(NO_STORE)
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


@cache
def _static_version(name: str) -> str:
    """A short digest of a static file: part of its URL, so a new release is never served a stale copy."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"{STATIC_PREFIX}/{name}?v={_static_version(name)}"


def entity_url(entity_id: str) -> str:
    return f"{PREFIX}/entities/{quote(entity_id, safe=':')}"


def party_url(ref: str) -> str:
    return f"{PREFIX}/parties/{quote(ref, safe='')}"


FIELD_LABELS = {
    "name": "Name",
    "identifier": "Identifier",
    "birth_date": "Birth date",
    "country": "Country",
    "kind": "Type",
    "link": "Link",
}
DECISION_LABELS = {"false_positive": "False positive", "true_match": "True match", "escalated": "Escalated"}


def _label(value: object) -> str:
    """ "tail_number" -> "tail number": enum values as words."""
    return str(value or "").replace("_", " ")


def _relation(relation: str) -> str:
    """A link's relation as words, read from the hit's side: "operator" (its operator is ...), "operator of"
    (it operates ...), "linked to", "linked from" (the matcher marks reverse links with a trailing " of")."""
    base, reverse = (relation[:-3], True) if relation.endswith(" of") else (relation, False)
    words = base.replace("_", " ")
    if reverse:
        return "linked from" if base == "linked_to" else f"{words} of"
    return words


def _value(value: object) -> str:
    """A source-record field as text: lists joined, empty values as a dash."""
    if value is None or value in ("", [], {}):
        return "\u2014"
    if isinstance(value, list | tuple):
        return "; ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return str(value)


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "\u2212")  # a real minus sign reads better than a hyphen


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("service.api.ui", "templates"),
        autoescape=True,  # every value is escaped unless a template says otherwise (none does)
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails the test that renders it, not silently
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        static=static_url,
        entity_url=entity_url,
        party_url=party_url,
        align=views.align,
        field_labels=FIELD_LABELS,
        decision_labels=DECISION_LABELS,
        version=__version__,
    )
    env.filters.update(label=_label, signed=_signed, age=views.age, relation=_relation, value=_value)
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(context)
