"""The customer: `CustomerObjectExtended` as chalicelib/rendering/resources.py writes it, and what create and update
accept (docs/api-coverage.md, Customers)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.shapes import (
    COUNTRY_TEXT,
    CURRENCY_TEXT,
    TIMEZONE_TEXT,
    CountryCode,
    CurrencyCode,
    Instant,
    JsonNumber,
    Model,
    TimezoneName,
    envelope,
    paginated,
    request_object,
)
from chalicelib.domain.customers import AccountType, CustomerInput, CustomerType


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
    country: CountryCode | None


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
    account_type: AccountType
    name: str
    firstname: str | None
    lastname: str | None
    customer_type: CustomerType | None
    email: str | None
    phone: str | None
    url: str | None
    logo_url: str | None
    legal_name: str | None
    legal_number: str | None
    tax_identification_number: str | None
    currency: CurrencyCode | None
    timezone: TimezoneName | None
    applicable_timezone: TimezoneName
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


Customer = envelope("Customer", "customer", CustomerObjectExtended, "One customer.")
CustomersPaginated = paginated("CustomersPaginated", "customers", CustomerObjectExtended)
_DESCRIPTIONS = {"country": COUNTRY_TEXT, "currency": f"{CURRENCY_TEXT} Fixed while the customer has a subscription.",
                 "timezone": TIMEZONE_TEXT}
CustomerInputObject = request_object(
    "CustomerInputObject", CustomerInput, "Creates the customer, or updates the one with this `external_id` (then "
    "`name` may be left out).", required=("external_id", "name"),
    descriptions={**_DESCRIPTIONS, "test_clock_id": "Not Lago's: the clock the customer lives on, never changed."})
CustomerUpdateInputObject = request_object(
    "CustomerUpdateInputObject", CustomerInput, "The fields sent change; an explicit null clears one. Unknown fields "
    "are ignored.", never_null=("external_id", "name"),
    descriptions={**_DESCRIPTIONS, "name": "Changed, never cleared.",
                  "test_clock_id": "Not Lago's: only the one the customer was created on."})
CustomerCreateInput = envelope("CustomerCreateInput", "customer", CustomerInputObject,
                               "Create or update by external_id.")
CustomerUpdateInput = envelope("CustomerUpdateInput", "customer", CustomerUpdateInputObject,
                               "Not Lago's: update the fields sent, `external_id` included.")
