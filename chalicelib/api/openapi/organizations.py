"""The organization of the API key: `OrganizationObject` and what `PUT /organizations` accepts."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.customers import TaxObject
from chalicelib.api.openapi.shapes import Instant, JsonNumber, Model, Percentage, envelope


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
    country: str | None
    email: str | None
    legal_name: str | None
    legal_number: str | None
    tax_identification_number: str | None
    default_currency: str
    timezone: str
    net_payment_term: int
    document_numbering: Literal["per_customer"]
    document_number_prefix: str
    email_settings: list[str]
    finalize_zero_amount_invoice: bool
    vat_rate: JsonNumber
    billing_configuration: OrganizationBillingConfiguration
    taxes: list[TaxObject]


class OrganizationBillingConfigurationInput(Model):
    invoice_grace_period: int | None = Field(default=None, ge=0, le=365)
    invoice_footer: str | None = None
    document_locale: str | None = None
    vat_rate: Percentage | None = None


class OrganizationUpdateInputObject(Model):
    """The fields sent change; unknown fields are ignored."""

    webhook_url: str | None = None
    default_currency: str | None = Field(default=None, description="ISO 4217.")
    vat_rate: Percentage | None = None
    timezone: str | None = None
    document_numbering: Literal["per_customer"] | None = None
    document_number_prefix: str | None = Field(default=None, min_length=1, max_length=10)
    net_payment_term: int | None = None
    email: str | None = None
    legal_name: str | None = None
    legal_number: str | None = None
    tax_identification_number: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    zipcode: str | None = None
    country: str | None = None
    billing_configuration: OrganizationBillingConfigurationInput | None = None


Organization = envelope("Organization", "organization", OrganizationObject, "The API key's organization.")
OrganizationUpdateInput = envelope("OrganizationUpdateInput", "organization", OrganizationUpdateInputObject,
                                   "The organization's settings to change.")
