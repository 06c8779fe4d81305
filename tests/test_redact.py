"""URLs in logs, messages and reports: no password, no query string (which may carry a token)."""

from __future__ import annotations

import pytest

from service.redact import redact_url


def test_redact_url_drops_query_and_password() -> None:
    url = "https://user:pw@webgate.ec.europa.eu/fsd/fsf/public/files/xml/content?token=dG9rZW4tMjAxNw"
    shown = redact_url(url)
    assert shown == "https://user:***@webgate.ec.europa.eu/fsd/fsf/public/files/xml/content?…"
    assert "dG9rZW4" not in shown and "pw" not in shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:pw@redis.internal:6380/2", "redis://user:***@redis.internal:6380/2"),
        ("rediss://:pw@h/0", "rediss://:***@h/0"),
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("http://a:secret@[::1]:8000/x", "http://a:***@[::1]:8000/x"),
        ("http://user@host/", "http://user@host/"),
    ],
)
def test_redact_url_hides_only_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redact_url_does_not_echo_what_it_cannot_parse() -> None:
    assert redact_url("http://host:99999/?key=secret") == "<invalid URL>"
