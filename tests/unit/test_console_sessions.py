"""A console session's cookie and CSRF token (chalicelib/domain/console_sessions.py): only the deployment's secret
makes a cookie that is read back, until its expiry; anything else a client sends is no session."""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from chalicelib.domain.console_sessions import (
    SESSION_LIFETIME,
    ConsoleSession,
    csrf_token,
    same_token,
    session_cookie_value,
    verified_session,
)

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
SESSION = ConsoleSession("org-1", "session-1", NOW + SESSION_LIFETIME)


def test_a_signed_cookie_is_read_back_until_it_expires():
    cookie = session_cookie_value("secret", SESSION)
    assert verified_session("secret", cookie, NOW) == SESSION
    assert verified_session("secret", cookie, SESSION.expires_at - timedelta(seconds=1)) == SESSION
    assert verified_session("secret", cookie, SESSION.expires_at) is None


def test_a_cookie_of_another_secret_or_changed_or_garbled_is_no_session():
    cookie = session_cookie_value("secret", SESSION)
    payload, signature = cookie.split(".")
    other_organization = base64.urlsafe_b64encode(b"org-2|session-1|1900000000").decode().rstrip("=")
    for sent in (session_cookie_value("other secret", SESSION), f"{other_organization}.{signature}", payload,
                 "", ".", "é.é", f"{payload}.{signature.upper()}"):
        assert verified_session("secret", sent, NOW) is None, sent


def test_a_well_signed_but_malformed_payload_is_no_session():
    for payload in ("bm90IGZpZWxkcw", "b3JnfHNlc3Npb258c29vbg", "!!"):  # "not fields", "org|session|soon"
        signature = hmac.new(b"secret", f"session|{payload}".encode(), hashlib.sha256).hexdigest()
        assert verified_session("secret", f"{payload}.{signature}", NOW) is None, payload


def test_each_session_has_its_own_csrf_token_and_any_text_is_compared():
    token = csrf_token("secret", SESSION)
    assert same_token(token, csrf_token("secret", SESSION))
    assert not same_token(token, csrf_token("secret", ConsoleSession("org-1", "session-2", SESSION.expires_at)))
    assert not same_token("é" * 64, token)
