"""A console session as its cookie carries it: the organization, the session's id and its expiry, signed with the
deployment's secret (HMAC-SHA256), never an API key; and the CSRF token its forms carry, derived from it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SESSION_LIFETIME = timedelta(hours=12)
_FIELD_SEPARATOR = "|"


@dataclass(frozen=True)
class ConsoleSession:
    organization_id: str
    session_id: str
    expires_at: datetime

    def is_live(self, now: datetime) -> bool:
        return now < self.expires_at


def new_session_secret() -> str:
    """A fresh deployment secret: 32 random bytes, hex."""
    return secrets.token_hex(32)


def _signature(secret: str, purpose: str, message: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}{_FIELD_SEPARATOR}{message}".encode(), hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison that takes any text a client sends."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _payload(session: ConsoleSession) -> str:
    fields = (session.organization_id, session.session_id, str(int(session.expires_at.timestamp())))
    return base64.urlsafe_b64encode(_FIELD_SEPARATOR.join(fields).encode()).decode().rstrip("=")


def session_cookie_value(secret: str, session: ConsoleSession) -> str:
    """`<payload>.<signature>`: the session's fields (base64url) and their HMAC."""
    payload = _payload(session)
    return f"{payload}.{_signature(secret, 'session', payload)}"


def verified_session(secret: str, cookie_value: str, now: datetime) -> ConsoleSession | None:
    """The session a cookie carries if its signature is the secret's and it has not expired at `now`; else None."""
    payload, _, signature = cookie_value.partition(".")
    if not _same(signature, _signature(secret, "session", payload)):
        return None
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        organization_id, session_id, expires_at = decoded.split(_FIELD_SEPARATOR)
        session = ConsoleSession(organization_id, session_id, datetime.fromtimestamp(int(expires_at), UTC))
    except ValueError:
        return None
    return session if session.is_live(now) else None


def csrf_token(secret: str, session: ConsoleSession) -> str:
    """The token every state-changing form of this session carries."""
    return _signature(secret, "csrf", session.session_id)


def same_token(given: str, expected: str) -> bool:
    """Whether a token a client sent is the expected one (a constant-time comparison of any text)."""
    return _same(given, expected)
