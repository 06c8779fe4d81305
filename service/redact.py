"""What may appear in logs, error messages and reports: URLs without their secrets.

One helper for the sync worker (list URLs whose query may carry a token), the Redis store (a password in the URL)
and the CI hook's remote client (user:password in --url).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact_url(url: object) -> str:
    """`url` without its password and query string: `https://user:***@host/path?…`; a URL that cannot be parsed
    is not echoed at all."""
    text = str(url)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host + (f":{port}" if port else "")
    if parts.username is not None or parts.password is not None:
        user = parts.username or ""
        netloc = f"{user}:***@{netloc}" if parts.password is not None else f"{user}@{netloc}"
    query = "…" if parts.query else ""
    shown = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return f"{shown}?{query}" if query else shown
