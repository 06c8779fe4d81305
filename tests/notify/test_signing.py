"""The signature header against a vector computed outside Python (openssl dgst -sha256 -hmac)."""

from __future__ import annotations

from service.notify.signing import signature

# printf '%s' '1800000000.{"id":"ev_1","type":"monitor.hit.new"}' | openssl dgst -sha256 -hmac 'f2c451dc067dd8d1'
OPENSSL_VECTOR = "1ebf376e0ef6f0f59334918aa5cedf4c5723ade6e1bed63d1b02a76e18ab0268"


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"ev_1","type":"monitor.hit.new"}'
    assert signature("f2c451dc067dd8d1", body, 1_800_000_000) == f"t=1800000000,v1={OPENSSL_VECTOR}"
    assert signature("f2c451dc067dd8d1", body + b" ", 1_800_000_000) != f"t=1800000000,v1={OPENSSL_VECTOR}"
    assert signature("f2c451dc067dd8d1", body, 1_800_000_001).split(",v1=")[1] != OPENSSL_VECTOR
