"""The signature on every webhook delivery, as receivers verify it (the README shows a ten-line verifier).

`Sanctions-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`: the timestamp is signed
with the body, so a receiver that refuses old timestamps also refuses a captured delivery sent again later. The
scheme is Stripe's, which receivers' frameworks already know how to check.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Sanctions-Signature"
EVENT_ID_HEADER = "Sanctions-Event-Id"  # the idempotency key: receivers de-duplicate on it
EVENT_TYPE_HEADER = "Sanctions-Event-Type"
ATTEMPT_HEADER = "Sanctions-Delivery-Attempt"  # 1 for the first attempt: tells a receiver this is a retry


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
