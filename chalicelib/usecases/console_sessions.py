"""The console's sessions: sign in with an API key, find the signed-in organization of a request, sign out; and the
CSRF token of a session's forms. "Now" is the request's time, which the handler passes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.console_sessions import (
    SESSION_LIFETIME,
    ConsoleSession,
    csrf_token,
    new_session_secret,
    session_cookie_value,
    verified_session,
)
from chalicelib.domain.errors import NotFound
from chalicelib.domain.organizations import Organization
from chalicelib.usecases.ports import ConsoleSessionStore, IdSource, OrganizationStore


@dataclass(frozen=True)
class SignedIn:
    """A request's live session, the organization it is for, and the CSRF token its forms carry."""

    session: ConsoleSession
    organization: Organization
    csrf_token: str


@dataclass(frozen=True)
class ConsoleSessions:
    sessions: ConsoleSessionStore
    organizations: OrganizationStore
    authenticate: Callable[[str], Organization | None]
    ids: IdSource

    def _secret(self) -> str:
        return self.sessions.session_secret(new_session_secret())

    def sign_in(self, api_key: str, now: datetime) -> str | None:
        """The cookie value of a new session for the organization owning `api_key`; None for a wrong key."""
        organization = self.authenticate(api_key)
        if organization is None:
            return None
        session = ConsoleSession(organization.id, self.ids.new_id(), now + SESSION_LIFETIME)
        self.sessions.add_session(session)
        return session_cookie_value(self._secret(), session)

    def signed_in(self, cookie_value: str, now: datetime) -> SignedIn | None:
        """The session a cookie carries while it is signed, unexpired at `now`, not signed out, and its organization
        still exists; else None."""
        secret = self._secret()
        session = verified_session(secret, cookie_value, now)
        if session is None or not self.sessions.session_exists(session):
            return None
        try:
            organization = self.organizations.get(session.organization_id)
        except NotFound:
            return None
        return SignedIn(session, organization, csrf_token(secret, session))

    def sign_out(self, signed_in: SignedIn) -> None:
        self.sessions.delete_session(signed_in.session)
