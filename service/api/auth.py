"""API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>`, checked in constant time against every key.

Keys never reach a log or an audit record; a key is known there by its id, the first 12 hex digits of its
SHA-256, which an operator can compute from the key they issued (`printf %s KEY | sha256sum`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

ANONYMOUS = "anonymous"  # the key id recorded when the server runs without keys


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


class KeyRing:
    def __init__(self, keys: Iterable[str]) -> None:
        # Digests of equal length: compare_digest then takes the same time whatever the presented key's length.
        self._keys = [(hashlib.sha256(k.encode("utf-8")).digest(), key_id(k)) for k in keys if k]

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def identify(self, presented: str | None) -> str | None:
        """The key id of `presented`, or None when it matches no key. Without keys every caller is anonymous."""
        if not self._keys:
            return ANONYMOUS
        if not presented:
            return None
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        found: str | None = None
        for candidate, kid in self._keys:
            # No early exit: the time taken does not tell which key (or whether any) matched.
            if hmac.compare_digest(candidate, digest):
                found = kid
        return found


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a request carries: the Bearer token first, else the X-API-Key header."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    if x_api_key:
        return x_api_key.strip()
    return None
