"""Review-page sessions and CSRF tokens: signed, stateless, the same on every replica and after a restart.

A session is a cookie `<who>.<expires>.<nonce>.<mac>`: `who` is the API key id the analyst logged in with (or
`anonymous` when the server runs without keys, or `login` for the key prompt itself), `expires` a Unix time,
`nonce` random, `mac` an HMAC-SHA256 over the rest. Nothing is stored server-side, so any replica checks any
cookie and a restart logs nobody out.

The HMAC key of a session is derived per API key: HMAC(SANCTIONS_UI_SECRET, "session" + the key). So
- a session dies with its key: remove a key from SANCTIONS_API_KEYS and its sessions stop verifying;
- adding a key, or restarting, leaves every other session alone;
- whoever holds key A can at most mint sessions for key A (which they could get by logging in);
  with SANCTIONS_UI_SECRET set (a random string, the same on every replica) not even that.
Changing SANCTIONS_UI_SECRET logs everyone out. The key prompt's own session (`login`) and the open mode's
(`anonymous`) are signed with a key derived from every API key together, so only the operator can mint them.

The CSRF token of a form is HMAC(session key, "csrf" + nonce): bound to the session, checked in constant time,
and never stored either. Cookies are SameSite=Strict, so a cross-site form post carries no session at all; the
token is the second fence (a cookie planted by a sibling subdomain, an old browser).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from service.api.auth import ANONYMOUS, key_id

LOGIN = "login"  # the session of the key prompt: carries only the login form's CSRF token
COOKIE = "sanctions_ui"  # the analyst's session
# The key prompt's own session lives in a cookie of its own: a link from another site (a ticket, an e-mail)
# arrives without the SameSite=Strict session, and the prompt it lands on must not overwrite that session.
LOGIN_COOKIE = "sanctions_ui_login"
_NONCE_BYTES = 18  # 144 random bits: a nonce never repeats and is never guessed
_WHO = re.compile(r"[0-9a-f]{12}|anonymous|login")
_EXPIRES = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_MAC = re.compile(r"[0-9a-f]{64}")
LOGIN_TTL_S = 30 * 60.0  # the key prompt stays valid for half an hour


@dataclass(frozen=True, slots=True)
class Session:
    who: str  # API key id, ANONYMOUS or LOGIN
    expires: int  # Unix seconds
    nonce: str
    cookie: str  # the signed value, as set in the browser
    fresh: bool = False  # minted for this response: the cookie must be set

    @property
    def authenticated(self) -> bool:
        return self.who != LOGIN


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("ascii"), hashlib.sha256).hexdigest()


class Signer:
    """Mints and checks session cookies and CSRF tokens for one deployment's keys and secret."""

    def __init__(
        self,
        api_keys: Iterable[str],
        secret: str | None,
        *,
        ttl_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        root = (secret or "").encode("utf-8")
        keys = [k for k in api_keys if k]
        self.keys_enabled = bool(keys)
        self.ttl_s = ttl_s
        self.clock = clock
        self._keys: dict[str, bytes] = {}
        for k in keys:
            self._keys[key_id(k)] = hmac.new(root, b"session\x00" + k.encode("utf-8"), hashlib.sha256).digest()
        digests = b"\x00".join(sorted(hashlib.sha256(k.encode("utf-8")).digest() for k in keys))
        shared = hmac.new(root, b"shared\x00" + digests, hashlib.sha256).digest()
        self._keys[LOGIN] = shared
        if not self.keys_enabled:
            self._keys[ANONYMOUS] = shared

    def _key(self, who: str) -> bytes | None:
        return self._keys.get(who)

    def mint(self, who: str, nonce: str | None = None) -> Session:
        """A new session for `who` (a key id of a configured key, ANONYMOUS without keys, or LOGIN)."""
        key = self._key(who)
        if key is None:
            raise ValueError(f"no session key for {who!r}")
        ttl = min(self.ttl_s, LOGIN_TTL_S) if who == LOGIN else self.ttl_s
        expires = int(self.clock() + ttl)
        nonce = nonce or secrets.token_urlsafe(_NONCE_BYTES)
        body = f"{who}.{expires}.{nonce}"
        return Session(who, expires, nonce, f"{body}.{_mac(key, body)}", fresh=True)

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie carries, or None when it is absent, malformed, forged, expired or its key gone."""
        if not cookie or len(cookie) > 256:
            return None
        parts = cookie.split(".")
        if len(parts) != 4:
            return None
        who, expires_s, nonce, mac = parts
        if not (
            _WHO.fullmatch(who) and _EXPIRES.fullmatch(expires_s) and _NONCE.fullmatch(nonce) and _MAC.fullmatch(mac)
        ):
            return None
        key = self._key(who)
        if key is None or not hmac.compare_digest(mac, _mac(key, f"{who}.{expires_s}.{nonce}")):
            return None
        expires = int(expires_s)
        if expires <= self.clock():
            return None
        return Session(who, expires, nonce, cookie)

    def csrf_token(self, session: Session) -> str:
        key = self._key(session.who)
        assert key is not None  # a Session comes from mint() or read(), which both had a key
        return _mac(key, f"csrf.{session.nonce}")[:40]

    def check_csrf(self, session: Session | None, token: str | None) -> bool:
        """True when `token` is the CSRF token of `session` (constant-time comparison)."""
        if session is None or not token:
            return False
        return hmac.compare_digest(self.csrf_token(session).encode("ascii"), token.encode("utf-8", "replace"))
