"""The admin verbs on organizations and their API keys (the CLI's, never exposed over HTTP)."""
from __future__ import annotations

import uuid
from typing import Protocol

from chalicelib.domain.api_keys import ApiKeyRecord, generate_api_key, hash_api_key
from chalicelib.domain.clock import utc_now
from chalicelib.domain.errors import HasActiveSubscriptions, NotFound, ValidationFailed
from chalicelib.domain.organizations import Organization, OrganizationUpdate, default_document_number_prefix
from chalicelib.domain.webhooks import new_hmac_key


class OrganizationStore(Protocol):
    def create(self, organization: Organization, hmac_key: str) -> None: ...
    def get(self, organization_id: str) -> Organization: ...
    def hmac_key(self, organization_id: str, new_key: str) -> str: ...
    def replace_hmac_key(self, organization_id: str, new_key: str) -> None: ...
    def add_api_key(self, record: ApiKeyRecord) -> None: ...
    def find_api_key(self, key_hash: str) -> ApiKeyRecord | None: ...
    def list_api_keys(self, organization_id: str) -> list[ApiKeyRecord]: ...
    def revoke_api_key(self, record: ApiKeyRecord) -> None: ...
    def update(self, organization_id: str, changes: dict) -> Organization: ...
    def update_while_unsubscribed(self, organization_id: str, changes: dict) -> Organization: ...


def issue_api_key(store: OrganizationStore, organization_id: str, api_key: str | None = None) -> str:
    """Register a key (a fresh one unless given) for the organization; returns the key, shown only now."""
    api_key = api_key or generate_api_key()
    store.add_api_key(ApiKeyRecord(key_id=str(uuid.uuid4()), key_hash=hash_api_key(api_key),
                                   organization_id=organization_id, created_at=utc_now()))
    return api_key


def create_organization(store: OrganizationStore, name: str, api_key: str | None = None) -> tuple[Organization, str]:
    if api_key is not None and store.find_api_key(hash_api_key(api_key)) is not None:
        raise ValidationFailed.single("api_key", "value_already_exist")  # checked before anything is written
    now = utc_now()
    organization_id = str(uuid.uuid4())
    organization = Organization(id=organization_id, name=name, created_at=now, updated_at=now,
                                document_number_prefix=default_document_number_prefix(name, organization_id))
    store.create(organization, new_hmac_key())
    return organization, issue_api_key(store, organization_id, api_key)


def rotate_api_key(store: OrganizationStore, organization_id: str) -> str:
    """A new key for the organization; every older key stops working at once."""
    store.get(organization_id)
    previous = store.list_api_keys(organization_id)
    api_key = issue_api_key(store, organization_id)
    for record in previous:
        store.revoke_api_key(record)
    return api_key


def revoke_api_key(store: OrganizationStore, organization_id: str, key_id: str) -> None:
    for record in store.list_api_keys(organization_id):
        if record.key_id == key_id:
            store.revoke_api_key(record)
            return
    raise NotFound("api_key")


def webhook_key(store: OrganizationStore, organization_id: str) -> str:
    """The key that signs the organization's webhooks; one is created for an organization that has none."""
    return store.hmac_key(organization_id, new_hmac_key())


def rotate_webhook_key(store: OrganizationStore, organization_id: str) -> str:
    """A new signing key, used from the next delivery attempt on (receivers must switch to it)."""
    key = new_hmac_key()
    store.replace_hmac_key(organization_id, key)
    return key


def update_organization(store: OrganizationStore, organization: Organization, payload: dict) -> Organization:
    """`PUT /organizations`: the fields sent. A new timezone is refused while the organization has an active
    subscription: usage is aggregated per billing period, cut in the timezone in force when each event was applied,
    and a new one would cut the periods elsewhere (docs/api-coverage.md, "Organization")."""
    changes = OrganizationUpdate.parse(payload).changes()
    if changes.get("timezone", organization.timezone) == organization.timezone:
        return store.update(organization.id, changes)
    try:
        return store.update_while_unsubscribed(organization.id, changes)
    except HasActiveSubscriptions:
        raise ValidationFailed.single("timezone", "organization_has_active_subscription") from None
