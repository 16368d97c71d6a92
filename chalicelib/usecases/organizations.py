"""The verbs on organizations: the admin ones on an organization and its API keys (the CLI's, never exposed over
HTTP), its webhook signing key, and `PUT /organizations`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.api_keys import ApiKeyRecord, generate_api_key, hash_api_key, key_matches
from chalicelib.domain.errors import HasActiveSubscriptions, NotFound, ValidationFailed
from chalicelib.domain.organizations import Organization, OrganizationUpdate, default_document_number_prefix
from chalicelib.domain.webhooks import new_hmac_key
from chalicelib.setup_cache import SetupCache
from chalicelib.usecases.ports import Clock, IdSource, OrganizationStore


@dataclass(frozen=True)
class OrganizationUseCases:
    organizations: OrganizationStore
    clock: Clock
    ids: IdSource
    setup: SetupCache = field(default_factory=SetupCache)

    def issue_api_key(self, organization_id: str, api_key: str | None = None) -> str:
        """Register a key (a fresh one unless given) for the organization; returns the key, shown only now."""
        api_key = api_key or generate_api_key()
        self.organizations.add_api_key(ApiKeyRecord(key_id=self.ids.new_id(), key_hash=hash_api_key(api_key),
                                                     organization_id=organization_id, created_at=self.clock.now()))
        return api_key

    def create(self, name: str, api_key: str | None = None) -> tuple[Organization, str]:
        """A new organization and its API key (`api_key` if given, refused if another organization has it)."""
        if api_key is not None and self.organizations.find_api_key(hash_api_key(api_key)) is not None:
            raise ValidationFailed.single("api_key", "value_already_exist")  # checked before anything is written
        now = self.clock.now()
        organization_id = self.ids.new_id()
        organization = Organization(id=organization_id, name=name, created_at=now, updated_at=now,
                                    document_number_prefix=default_document_number_prefix(name, organization_id))
        self.organizations.create(organization, new_hmac_key())
        return organization, self.issue_api_key(organization_id, api_key)

    def authenticate(self, api_key: str) -> Organization | None:
        """The organization owning `api_key`; None for a key no organization has, or whose organization is gone.
        The organization item is read on every call (its setup version says whether the key's record the container
        holds is still the stored one): one read in a warm container, two on a key's first use."""
        key_hash = hash_api_key(api_key)
        owner = self.setup.key_owner(key_hash)
        organization = self._organization(owner) if owner is not None else None
        if organization is not None:
            record = self.setup.at(organization.id, organization.setup_version).read(
                "api_key", key_hash, lambda: self.organizations.find_api_key(key_hash))
            if record is not None and record.organization_id == organization.id:
                return organization if key_matches(api_key, record) else None
        record = self.organizations.find_api_key(key_hash)
        if record is None or not key_matches(api_key, record):
            return None
        # Only a hint: the record is kept at the version read BEFORE it, by the key's next use.
        self.setup.remember_key_owner(key_hash, record.organization_id)
        return self._organization(record.organization_id)

    def _organization(self, organization_id: str) -> Organization | None:
        try:
            return self.organizations.get(organization_id)
        except NotFound:
            return None

    def rotate_api_key(self, organization_id: str) -> str:
        """A new key for the organization; every older key stops working at once."""
        self.organizations.get(organization_id)
        previous = self.organizations.list_api_keys(organization_id)
        api_key = self.issue_api_key(organization_id)
        for record in previous:
            self.organizations.revoke_api_key(record)
        return api_key

    def api_keys(self, organization_id: str) -> list[ApiKeyRecord]:
        """The organization's live keys (their ids and creation times; never a key itself)."""
        return self.organizations.list_api_keys(organization_id)

    def revoke_api_key(self, organization_id: str, key_id: str) -> None:
        for record in self.organizations.list_api_keys(organization_id):
            if record.key_id == key_id:
                self.organizations.revoke_api_key(record)
                return
        raise NotFound("api_key")

    def webhook_key(self, organization_id: str) -> str:
        """The key that signs the organization's webhooks; one is created for an organization that has none."""
        return self.organizations.hmac_key(organization_id, new_hmac_key())

    def rotate_webhook_key(self, organization_id: str) -> str:
        """A new signing key, used from the next delivery attempt on (receivers must switch to it)."""
        key = new_hmac_key()
        self.organizations.replace_hmac_key(organization_id, key)
        return key

    def update(self, organization: Organization, payload: dict[str, Any]) -> Organization:
        """`PUT /organizations`: the fields sent. A new timezone is refused while the organization has an active
        subscription: usage is aggregated per billing period, cut in the timezone in force when each event was
        applied, and a new one would cut the periods elsewhere (docs/api-coverage.md, "Organization")."""
        changes = OrganizationUpdate.parse(payload).changes()
        if changes.get("timezone", organization.timezone) == organization.timezone:
            return self.organizations.update(organization.id, changes)
        try:
            return self.organizations.update_while_unsubscribed(organization.id, changes)
        except HasActiveSubscriptions:
            raise ValidationFailed.single("timezone", "organization_has_active_subscription") from None
