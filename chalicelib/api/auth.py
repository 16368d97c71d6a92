"""`Authorization: Bearer <key>` to the organization that owns the key."""
from __future__ import annotations

from chalice.app import Request

from chalicelib.api.errors import unauthorized
from chalicelib.control_plane import organization_use_cases
from chalicelib.domain.api_keys import bearer_token
from chalicelib.domain.organizations import Organization


def authenticate(authorization_header: str | None) -> Organization:
    api_key = bearer_token(authorization_header)
    if api_key is None:
        raise unauthorized()
    organization = organization_use_cases().authenticate(api_key)
    if organization is None:
        raise unauthorized()
    return organization


def current_organization(request: Request) -> Organization:
    """The organization the middleware authenticated for this request."""
    return request.context["organization"]
