"""The customer: its billing fields, how a request creates or changes it, and its slug."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import ValidationError

from chalicelib.domain.billing_settings import BillingConfigurationInput, BillingSettings
from chalicelib.domain.contact import LegalIdentity, PostalAddress
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.validation import (
    Changes,
    CurrencyCode,
    Days,
    RequiredText,
    Text,
    Url,
    raise_validation_failed,
)

AccountType = Literal["customer", "partner"]
CustomerType = Literal["company", "individual"]


class CustomerFields(BillingSettings, LegalIdentity):
    """Every field a client may set on a customer (all optional: an update sends only what changes)."""

    name: Text | None = None
    firstname: Text | None = None
    lastname: Text | None = None
    account_type: AccountType | None = None
    customer_type: CustomerType | None = None
    phone: Text | None = None
    url: Url | None = None
    logo_url: Url | None = None
    currency: CurrencyCode | None = None
    invoice_grace_period: Days | None = None
    shipping_address: PostalAddress | None = None


# Fields a client sends in `billing_configuration` (Lago's place for them) or, as this seed allows, at the top level.
BILLING_CONFIGURATION_FIELDS = ("vat_rate", "invoice_grace_period")


class Customer(CustomerFields):
    """A stored customer. `id` is its lago_id; records elsewhere refer to it, never to its external_id."""

    id: str
    organization_id: str
    external_id: str
    name: str
    sequential_id: int
    slug: str
    created_at: datetime
    updated_at: datetime
    version: int = 1
    active_subscriptions_count: int = 0
    test_clock_id: str | None = None  # set at creation, never changed: "now" for it is that clock's (test_clocks.py)

    def matches(self, text: str) -> bool:
        """Whether a search for `text` finds the customer: in its name or its external id, whatever the case."""
        wanted = text.casefold()
        return wanted in self.external_id.casefold() or wanted in self.name.casefold()

    def applicable_timezone(self, organization_timezone: str) -> str:
        return self.timezone or organization_timezone or "UTC"

    def applicable_vat_rate(self, organization_vat_rate: Decimal) -> Decimal:
        """The customer's own rate (0 included) overrides the organization's."""
        return self.vat_rate if self.vat_rate is not None else organization_vat_rate

    def applicable_invoice_grace_period(self, organization_grace_period: int) -> int:
        """Days an invoice stays a draft: the customer's own (0 included) overrides the organization's (Lago)."""
        return self.invoice_grace_period if self.invoice_grace_period is not None else organization_grace_period


class CustomerInput(CustomerFields):
    """The `customer` object of `POST /customers` and `PUT /customers/{external_id}`."""

    external_id: RequiredText | None = None
    billing_configuration: BillingConfigurationInput | None = None
    test_clock_id: RequiredText | None = None  # only at creation (`clock_of_update`)

    @classmethod
    def parse(cls, payload: object, *, external_id_required: bool) -> "CustomerInput":
        try:
            parsed = cls.model_validate(payload)
        except ValidationError as error:
            raise_validation_failed(error)
        if external_id_required and parsed.external_id is None:
            raise ValidationFailed.single("external_id", "value_is_mandatory")
        return parsed

    def changes(self) -> Changes:
        """The customer's attributes this request sets: exactly the fields it sent (null clears)."""
        changes = {name: getattr(self, name) for name in self.model_fields_set
                   if name in CustomerFields.model_fields and name not in BILLING_CONFIGURATION_FIELDS}
        billing = self.billing_configuration
        for name in BILLING_CONFIGURATION_FIELDS:
            if name in self.model_fields_set:
                changes[name] = getattr(self, name)
            elif billing is not None and name in billing.model_fields_set:
                changes[name] = getattr(billing, name)
        return changes


def customer_slug(document_number_prefix: str, sequential_id: int) -> str:
    """`LAG-1234-001`: the organization's prefix and the customer's 3-digit sequence in it."""
    return f"{document_number_prefix}-{sequential_id:03d}"


def new_customer_changes(changes: Changes) -> Changes:
    """Check what creating a customer needs: a non-blank name (Lago's clients make it optional; this seed does not)."""
    name = changes.get("name")
    if name is None or not name.strip():
        raise ValidationFailed.single("name", "value_is_mandatory")
    return changes


def clock_of_update(customer: Customer, request: CustomerInput) -> str | None:
    """A customer stays on the clock it was created on (or off clocks): an update may repeat it, never change it."""
    if "test_clock_id" in request.model_fields_set and request.test_clock_id != customer.test_clock_id:
        raise ValidationFailed.single("test_clock_id", "value_cannot_change")
    return customer.test_clock_id


def updated_customer(customer: Customer, changes: Changes, now: datetime) -> Customer:
    """The customer with `changes` applied; a name can be changed but never cleared, the currency not while
    the customer has an active or pending subscription."""
    if "name" in changes and (changes["name"] is None or not changes["name"].strip()):
        raise ValidationFailed.single("name", "value_is_mandatory")
    if "currency" in changes and changes["currency"] != customer.currency and customer.active_subscriptions_count:
        # Its subscriptions' plans are in the current currency (set by the first of them).
        raise ValidationFailed.single("currency", "currencies_does_not_match")
    return customer.model_copy(update={**changes, "updated_at": now, "version": customer.version + 1})
