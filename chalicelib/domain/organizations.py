"""The organization (a tenant): its billing defaults, and what `PUT /organizations` may change."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, StrictStr

from chalicelib.domain.billing_settings import BillingConfigurationInput, BillingSettings
from chalicelib.domain.contact import LegalIdentity
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.validation import (
    Changes,
    CurrencyCode,
    LongText,
    Text,
    Url,
    parse_model,
)


class Organization(LegalIdentity):
    """A tenant: its postal and legal identity as its update set them, and its billing defaults."""

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    default_currency: str = "USD"
    vat_rate: Decimal = Decimal(0)
    timezone: str = "UTC"
    webhook_url: str | None = None
    document_numbering: Literal["per_customer"] = "per_customer"
    document_number_prefix: str
    net_payment_term: int = 0
    invoice_grace_period: int = 0
    invoice_footer: str | None = None
    document_locale: str = "en"
    # Moved by every change of what the setup cache holds (chalicelib/setup_cache.py): readers compare it.
    setup_version: int = 0


def default_document_number_prefix(name: str, organization_id: str) -> str:
    """`LAG-1A2B`: the first 3 letters or digits of the name, upper-cased, and the last 4 characters of the id."""
    letters = "".join(character for character in name if character.isalnum())[:3].upper() or "ORG"
    return f"{letters}-{organization_id[-4:].upper()}"


# Fields that have an organization-wide default: changed, never cleared.
NEVER_CLEARED = ("default_currency", "vat_rate", "timezone", "document_numbering", "document_number_prefix",
                 "net_payment_term", "invoice_grace_period", "document_locale")


class OrganizationBillingConfigurationInput(BillingConfigurationInput):
    """The organization's `billing_configuration`: its settings that have a default are changed, never cleared."""

    invoice_footer: LongText | None = None
    document_locale: Text | None = None


class OrganizationUpdate(BillingSettings, LegalIdentity):
    """The body of `PUT /api/v1/organizations` (Lago's fields, plus `vat_rate`)."""

    webhook_url: Url | None = None
    default_currency: CurrencyCode | None = None
    document_numbering: Literal["per_customer"] | None = None
    document_number_prefix: StrictStr | None = Field(default=None, min_length=1, max_length=10)
    billing_configuration: OrganizationBillingConfigurationInput | None = None

    @classmethod
    def parse(cls, payload: object) -> "OrganizationUpdate":
        return parse_model(cls, payload)

    def changes(self) -> Changes:
        """The organization's attributes this update sets: only the fields the client sent."""
        changes = {name: getattr(self, name) for name in self.model_fields_set
                   if name not in ("billing_configuration", "vat_rate")}
        billing = self.billing_configuration
        if billing is not None:
            changes.update({name: getattr(billing, name) for name in billing.model_fields_set})
        if "vat_rate" in self.model_fields_set:
            changes["vat_rate"] = self.vat_rate
        if "document_number_prefix" in changes and changes["document_number_prefix"] is not None:
            changes["document_number_prefix"] = changes["document_number_prefix"].upper()
        for name in NEVER_CLEARED:
            if name in changes and changes[name] is None:
                raise ValidationFailed.single(name, "value_is_mandatory")
        return changes
