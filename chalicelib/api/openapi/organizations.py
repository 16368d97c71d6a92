"""The organization of the API key: `OrganizationObject` and what `PUT /organizations` accepts."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.customers import AddressInput, TaxObject
from chalicelib.api.openapi.shapes import (
    ROOT_OBJECT,
    Absent,
    CountryCode,
    CurrencyCode,
    Days,
    Email,
    Instant,
    JsonNumber,
    LongText,
    Model,
    Percentage,
    Text,
    TimezoneName,
    Url,
    envelope,
)


class OrganizationBillingConfiguration(Model):
    invoice_footer: str | None
    invoice_grace_period: int
    document_locale: str
    vat_rate: JsonNumber


class OrganizationObject(Model):
    lago_id: str
    name: str
    created_at: Instant
    updated_at: Instant
    webhook_url: str | None
    webhook_urls: list[str]
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    zipcode: str | None
    country: CountryCode | None
    email: str | None
    legal_name: str | None
    legal_number: str | None
    tax_identification_number: str | None
    default_currency: CurrencyCode
    timezone: TimezoneName
    net_payment_term: int
    document_numbering: Literal["per_customer"]
    document_number_prefix: str
    email_settings: list[str]
    finalize_zero_amount_invoice: bool
    vat_rate: JsonNumber
    billing_configuration: OrganizationBillingConfiguration
    taxes: list[TaxObject]


class OrganizationBillingConfigurationInput(Model):
    """The settings that have an organization-wide default are changed, never cleared."""

    invoice_grace_period: Days | Absent = None
    invoice_footer: LongText | None = None
    document_locale: Text | Absent = None
    vat_rate: Percentage | Absent = None


class OrganizationUpdateInputObject(AddressInput):
    """The fields sent change (those with an organization-wide default are never cleared); unknown fields are
    ignored."""

    model_config = ROOT_OBJECT
    webhook_url: Url | None = None
    default_currency: CurrencyCode | Absent = Field(default=None, description="ISO 4217 with a minor unit, any case.")
    vat_rate: Percentage | Absent = None
    timezone: TimezoneName | Absent = Field(default=None, description="One of the IANA names Lago accepts.")
    document_numbering: Literal["per_customer"] | Absent = None
    document_number_prefix: str | Absent = Field(default=None, min_length=1, max_length=10)
    net_payment_term: Days | Absent = None
    email: Email | None = None
    legal_name: Text | None = None
    legal_number: Text | None = None
    tax_identification_number: Text | None = None
    billing_configuration: OrganizationBillingConfigurationInput | None = None


Organization = envelope("Organization", "organization", OrganizationObject, "The API key's organization.")
OrganizationUpdateInput = envelope("OrganizationUpdateInput", "organization", OrganizationUpdateInputObject,
                                   "The organization's settings to change.")
