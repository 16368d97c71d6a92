"""Lago's `hmac` webhook signature: base64(HMAC-SHA256(organization's hmac_key, exact body bytes))."""
from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_ALGORITHM = "hmac"


def signature(body: bytes, hmac_key: str) -> str:
    return base64.b64encode(hmac.new(hmac_key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def delivery_headers(body: bytes, hmac_key: str, webhook_id: str) -> dict[str, str]:
    """The headers of every attempt; `X-Lago-Unique-Key` is the webhook's id, the same on each retry."""
    return {"Content-Type": "application/json", "X-Lago-Signature": signature(body, hmac_key),
            "X-Lago-Signature-Algorithm": SIGNATURE_ALGORITHM, "X-Lago-Unique-Key": webhook_id}
