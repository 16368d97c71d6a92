"""Lago's hmac signature, checked against RFC 4231's HMAC-SHA256 test vector (case 2), base64-encoded as Lago
sends it, and the headers every attempt carries."""
from __future__ import annotations

import base64

from chalicelib.webhooks.signing import delivery_headers, signature

# RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
RFC_4231_CASE_2_HEX = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_signature_is_base64_of_hmac_sha256_of_the_body():
    expected = base64.b64encode(bytes.fromhex(RFC_4231_CASE_2_HEX)).decode()
    assert signature(b"what do ya want for nothing?", "Jefe") == expected


def test_any_change_of_body_or_key_changes_the_signature():
    body = b'{"webhook_type":"customer.created"}'
    assert signature(body, "key") != signature(body + b" ", "key")
    assert signature(body, "key") != signature(body, "key2")


def test_headers_carry_the_signature_the_algorithm_and_the_unique_key():
    body = b'{"a":1}'
    assert delivery_headers(body, "secret", "webhook-1") == {
        "Content-Type": "application/json", "X-Lago-Signature": signature(body, "secret"),
        "X-Lago-Signature-Algorithm": "hmac", "X-Lago-Unique-Key": "webhook-1"}
