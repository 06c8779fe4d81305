"""Review-page sessions and CSRF tokens: what verifies, what does not, and what survives a restart or a replica."""

from __future__ import annotations

import pytest

from service.api.auth import ANONYMOUS, key_id
from service.api.ui.session import LOGIN, LOGIN_TTL_S, Signer

A, B = "key-alpha-0123456789", "key-bravo-9876543210"
TTL = 3600.0


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_session_round_trips_and_its_csrf_token_checks() -> None:
    signer = Signer([A, B], None, ttl_s=TTL)
    s = signer.mint(key_id(B))
    read = signer.read(s.cookie)
    assert read is not None and read.who == key_id(B) and read.authenticated and not read.fresh
    assert signer.check_csrf(read, signer.csrf_token(s))
    other = signer.mint(key_id(B))
    assert not signer.check_csrf(read, signer.csrf_token(other)), "a token belongs to its session"
    assert not signer.check_csrf(read, "")
    assert not signer.check_csrf(None, signer.csrf_token(s))


def test_another_replica_or_a_restart_with_the_same_settings_reads_the_session() -> None:
    cookie = Signer([A, B], "ui-secret", ttl_s=TTL).mint(key_id(A)).cookie
    replica = Signer([B, A], "ui-secret", ttl_s=TTL)
    assert replica.read(cookie) is not None
    assert Signer([A, B, "key-charlie-555"], "ui-secret", ttl_s=TTL).read(cookie) is not None, "adding a key"


def test_removing_the_key_or_changing_the_secret_ends_its_sessions() -> None:
    cookie = Signer([A, B], "ui-secret", ttl_s=TTL).mint(key_id(A)).cookie
    assert Signer([B], "ui-secret", ttl_s=TTL).read(cookie) is None
    assert Signer([A, B], "another-secret", ttl_s=TTL).read(cookie) is None
    assert Signer([A, B], None, ttl_s=TTL).read(cookie) is None


def test_a_session_expires() -> None:
    clock = Clock()
    signer = Signer([A], None, ttl_s=TTL, clock=clock)
    cookie = signer.mint(key_id(A)).cookie
    clock.now += TTL - 1
    assert signer.read(cookie) is not None
    clock.now += 2
    assert signer.read(cookie) is None
    login = signer.mint(LOGIN)
    assert login.expires == int(clock.now + min(TTL, LOGIN_TTL_S)) and not login.authenticated


def test_a_holder_of_one_key_cannot_mint_a_session_for_another() -> None:
    """Without SANCTIONS_UI_SECRET a session's key is derived from its API key alone: whoever holds key A can
    sign as A (as logging in would give them) but not as B."""
    as_a = Signer([A], None, ttl_s=TTL).mint(key_id(A))
    _, expires, nonce, mac = as_a.cookie.split(".")
    forged = f"{key_id(B)}.{expires}.{nonce}.{mac}"
    assert Signer([A, B], None, ttl_s=TTL).read(forged) is None
    assert Signer([A, B], None, ttl_s=TTL).read(as_a.cookie) is not None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # the MAC
        lambda c: c.replace(".", ".9", 1),  # the expiry
        lambda c: "anonymous" + c[c.index(".") :],  # who
        lambda c: c + ".extra",
        lambda c: c.replace(".", "\n.", 1),
        lambda c: "é" * 20,
        lambda c: "x" * 5000,
        lambda c: "",
    ],
)
def test_a_tampered_or_malformed_cookie_reads_as_no_session(tamper: object) -> None:
    signer = Signer([A], None, ttl_s=TTL)
    cookie = signer.mint(key_id(A)).cookie
    assert callable(tamper)
    assert signer.read(tamper(cookie)) is None


def test_anonymous_sessions_exist_only_without_keys() -> None:
    open_signer = Signer([], None, ttl_s=TTL)
    anonymous = open_signer.mint(ANONYMOUS)
    assert open_signer.read(anonymous.cookie) is not None and anonymous.authenticated
    keyed = Signer([A], None, ttl_s=TTL)
    assert keyed.read(anonymous.cookie) is None
    with pytest.raises(ValueError, match="no session key"):
        keyed.mint(ANONYMOUS)
    login = keyed.mint(LOGIN)
    assert keyed.read(login.cookie) is not None and not login.authenticated
