"""`Authorization: Bearer <key>` to the organization that owns the key."""
from __future__ import annotations

from chalice.app import Request

from chalicelib.api.errors import unauthorized
from chalicelib.domain.api_keys import bearer_token, hash_api_key, key_matches
from chalicelib.domain.errors import NotFound
from chalicelib.domain.organizations import Organization
from chalicelib.store.repositories import repositories


def authenticate(authorization_header: str | None) -> Organization:
    api_key = bearer_token(authorization_header)
    if api_key is None:
        raise unauthorized()
    record = repositories().organizations.find_api_key(hash_api_key(api_key))
    if record is None or not key_matches(api_key, record):
        raise unauthorized()
    try:
        return repositories().organizations.get(record.organization_id)
    except NotFound:
        raise unauthorized() from None


def current_organization(request: Request) -> Organization:
    """The organization the middleware authenticated for this request."""
    return request.context["organization"]
