"""API keys: random secrets shown once, stored only as their SHA-256 hash."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from pydantic import BaseModel


class ApiKeyRecord(BaseModel):
    key_id: str
    key_hash: str
    organization_id: str
    created_at: datetime


def generate_api_key() -> str:
    return secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    # The keys are 256-bit random secrets, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def key_matches(api_key: str, record: ApiKeyRecord) -> bool:
    """Constant-time comparison of a presented key with a stored record."""
    return hmac.compare_digest(hash_api_key(api_key), record.key_hash)


def bearer_token(authorization_header: str | None) -> str | None:
    """The key of `Authorization: Bearer <key>`; as Lago, the second space-separated token."""
    if not authorization_header:
        return None
    parts = authorization_header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]
