"""The customer: `CustomerObjectExtended` as chalicelib/api/serialize.py writes it, and what create and update
accept (docs/api-coverage.md, Customers)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.shapes import Instant, JsonNumber, Model, Percentage, envelope, paginated


class TaxObject(Model):
    """The VAT rate that applies, as a Lago tax (derived: one per organization and rate)."""

    lago_id: str
    name: str
    code: str
    description: str | None
    rate: JsonNumber
    applied_to_organization: bool
    created_at: Instant


class Address(Model):
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    zipcode: str | None
    country: str | None


class CustomerBillingConfiguration(Model):
    invoice_grace_period: int | None
    payment_provider: str | None
    payment_provider_code: str | None
    provider_customer_id: str | None
    document_locale: str | None
    vat_rate: JsonNumber | None


class CustomerObjectExtended(Address):
    lago_id: str
    sequential_id: int
    slug: str
    external_id: str
    test_clock_id: str | None = Field(description="Not Lago's: the test clock the customer lives on.")
    billing_entity_code: str | None
    account_type: Literal["customer", "partner"]
    name: str
    firstname: str | None
    lastname: str | None
    customer_type: Literal["company", "individual"] | None
    email: str | None
    phone: str | None
    url: str | None
    logo_url: str | None
    legal_name: str | None
    legal_number: str | None
    tax_identification_number: str | None
    currency: str | None
    timezone: str | None
    applicable_timezone: str
    net_payment_term: int | None
    finalize_zero_amount_invoice: Literal["inherit", "skip", "finalize"]
    skip_invoice_custom_sections: bool
    vat_rate: JsonNumber | None
    billing_configuration: CustomerBillingConfiguration
    shipping_address: Address
    metadata: list[dict]
    integration_customers: list[dict]
    taxes: list[TaxObject]
    applicable_invoice_custom_sections: list[dict]
    error_details: list[dict]
    created_at: Instant
    updated_at: Instant


class AddressInput(Model):
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    zipcode: str | None = None
    country: str | None = Field(default=None, description="ISO 3166 alpha-2, any case.")


class CustomerBillingConfigurationInput(Model):
    invoice_grace_period: int | None = Field(default=None, ge=0, le=365)
    vat_rate: Percentage | None = None


class CustomerUpdateInputObject(AddressInput):
    """The fields sent change; an explicit null clears one. Unknown fields are ignored."""

    external_id: str | None = Field(default=None, max_length=255)
    name: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    account_type: Literal["customer", "partner"] | None = None
    customer_type: Literal["company", "individual"] | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    logo_url: str | None = None
    legal_name: str | None = None
    legal_number: str | None = None
    tax_identification_number: str | None = None
    currency: str | None = Field(default=None, description="ISO 4217.")
    timezone: str | None = Field(default=None, description="One of the IANA names Lago accepts.")
    net_payment_term: int | None = None
    vat_rate: Percentage | None = None
    invoice_grace_period: int | None = Field(default=None, ge=0, le=365)
    billing_configuration: CustomerBillingConfigurationInput | None = None
    shipping_address: AddressInput | None = None


class CustomerInputObject(CustomerUpdateInputObject):
    """Creates the customer, or updates the one with this `external_id`."""

    external_id: str = Field(max_length=255)
    test_clock_id: str | None = Field(default=None, description="Not Lago's: only at creation.")


Customer = envelope("Customer", "customer", CustomerObjectExtended, "One customer.")
CustomersPaginated = paginated("CustomersPaginated", "customers", CustomerObjectExtended)
CustomerCreateInput = envelope("CustomerCreateInput", "customer", CustomerInputObject,
                               "Create or update by external_id.")
CustomerUpdateInput = envelope("CustomerUpdateInput", "customer", CustomerUpdateInputObject,
                               "Not Lago's: update the fields sent, `external_id` included.")
