"""Webhook use cases for the API (and any other adapter): create, list, delete, replay, inspect deliveries.

A new webhook starts at the current end of the event log: it receives what happens from now on, not the history
(a receiver that wants the past replays chosen events). Its secret is shown once, in the answer to its creation.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from service.errors import NotFoundError, QueryError
from service.model import Delivery, DeliveryState, EventType, Webhook
from service.redact import redact_url
from service.store.base import Store

MAX_URL_CHARS = 2048  # what browsers and most proxies accept; longer is a mistake, not a receiver
SECRET_BYTES = 32  # 256 bits, the HMAC-SHA256 key size
MAX_REPLAY_EVENTS = 1000  # event ids per replay request
MAX_DELIVERIES_PAGE = 1000
# An absolute http(s) URL: optional user:password@, a host name or IPv4 address, an optional port (0-65535), then
# any printable ASCII (percent-encode the rest). The API schema carries the same pattern, so that what the OpenAPI
# document promises and what is accepted agree exactly. IPv6 literals are not accepted: name the host.
_PORT = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = f"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?[A-Za-z0-9._-]+(:{_PORT})?([/?#][!-~]*)?$"
_URL = re.compile(URL_PATTERN)


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO UTC with milliseconds, as the rest of the API writes times."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_url(url: str) -> str:
    """`url` when it is an absolute http(s) URL with a host (URL_PATTERN), else QueryError (the API's 422)."""
    if len(url) > MAX_URL_CHARS:
        raise QueryError(f"url is longer than {MAX_URL_CHARS} characters")
    if not _URL.fullmatch(url):
        raise QueryError(
            "url must be an absolute http:// or https:// URL with a host name, in printable ASCII (no spaces)"
        )
    return url


def check_events(events: Sequence[str]) -> tuple[EventType, ...]:
    known = {e.value: e for e in EventType}
    unknown = [e for e in events if e not in known]
    if unknown:
        raise QueryError(f"unknown event type(s): {', '.join(unknown)}; known: {', '.join(known)}")
    if not events:
        raise QueryError("events must name at least one event type")
    return tuple(known[e] for e in dict.fromkeys(events))


def create_webhook(store: Store, url: str, events: Sequence[str], *, now: float | None = None) -> Webhook:
    """A new webhook with a fresh id and secret; it receives the events appended from now on."""
    webhook = Webhook(
        id="wh_" + secrets.token_hex(12),
        url=check_url(url),
        events=check_events(events),
        secret=secrets.token_hex(SECRET_BYTES),
        created_at=iso(now if now is not None else time.time()) or "",
    )
    store.webhooks.add_webhook(webhook, cursor=store.monitoring.last_event_seq())
    return webhook


def list_webhooks(store: Store) -> list[tuple[Webhook, dict[DeliveryState, int]]]:
    hooks = store.webhooks
    return [(w, hooks.counts(w.id)) for w in hooks.list_webhooks()]


def delete_webhook(store: Store, webhook_id: str) -> None:
    """Delete it and its deliveries (pending ones are not sent); NotFoundError when unknown."""
    if not store.webhooks.delete_webhook(webhook_id):
        raise NotFoundError(f"no webhook {webhook_id!r}")


def replay(store: Store, webhook_id: str, event_ids: Sequence[str] | None = None, *, now: float | None = None) -> int:
    """Queue again its dead deliveries (`event_ids` None), or these events whatever their state (delivered ones
    are sent again). Returns how many were queued; NotFoundError when the webhook is unknown."""
    if event_ids is not None and len(event_ids) > MAX_REPLAY_EVENTS:
        raise QueryError(f"at most {MAX_REPLAY_EVENTS} event ids per replay")
    if store.webhooks.get_webhook(webhook_id) is None:
        raise NotFoundError(f"no webhook {webhook_id!r}")
    return store.webhooks.requeue(webhook_id, event_ids, now=now if now is not None else time.time())


def list_deliveries(
    store: Store, webhook_id: str, state: DeliveryState | None = None, limit: int = 100
) -> list[Delivery]:
    """Its deliveries, newest event first; NotFoundError when the webhook is unknown."""
    if store.webhooks.get_webhook(webhook_id) is None:
        raise NotFoundError(f"no webhook {webhook_id!r}")
    return store.webhooks.deliveries(webhook_id, state=state, limit=max(1, min(limit, MAX_DELIVERIES_PAGE)))


# --- wire format -------------------------------------------------------------------------------------------------


def webhook_to_dict(
    webhook: Webhook, counts: dict[DeliveryState, int] | None = None, *, with_secret: bool = False
) -> dict[str, Any]:
    """`with_secret`: the answer to its creation, the only one that shows the secret, and the URL whole; elsewhere
    the URL loses its password and query string, which may carry the receiver's own token."""
    out: dict[str, Any] = {
        "id": webhook.id,
        "url": webhook.url if with_secret else redact_url(webhook.url),
        "events": [e.value for e in webhook.events],
        "created_at": webhook.created_at,
    }
    if with_secret:
        out["secret"] = webhook.secret
    if counts is not None:
        out["deliveries"] = {s.value: counts.get(s, 0) for s in DeliveryState}
    return out


def delivery_to_dict(d: Delivery) -> dict[str, Any]:
    """What an operator needs to see what failed; not the body (it is the event, with personal data)."""
    return {
        "event_id": d.event_id,
        "type": d.event_type.value,
        "state": d.state.value,
        "attempts": d.attempts,
        "queued_at": iso(d.queued_at),
        "next_attempt_at": iso(d.next_attempt_at) if d.state is DeliveryState.PENDING else None,
        "last_attempt_at": iso(d.last_attempt_at),
        "delivered_at": iso(d.delivered_at),
        "last_error": d.last_error or None,
    }
