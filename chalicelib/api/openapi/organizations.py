"""The organization of the API key: `OrganizationObject` and what `PUT /organizations` accepts."""
from __future__ import annotations

from typing import Literal

from chalicelib.api.openapi.customers import Address, TaxObject
from chalicelib.api.openapi.shapes import (
    COUNTRY_TEXT,
    CURRENCY_TEXT,
    TIMEZONE_TEXT,
    CurrencyCode,
    Instant,
    JsonNumber,
    Model,
    TimezoneName,
    envelope,
    request_object,
)
from chalicelib.domain.organizations import NEVER_CLEARED, OrganizationUpdate


class OrganizationBillingConfiguration(Model):
    invoice_footer: str | None
    invoice_grace_period: int
    document_locale: str
    vat_rate: JsonNumber


class OrganizationObject(Address):
    lago_id: str
    name: str
    created_at: Instant
    updated_at: Instant
    webhook_url: str | None
    webhook_urls: list[str]
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


Organization = envelope("Organization", "organization", OrganizationObject, "The API key's organization.")
OrganizationUpdateInputObject = request_object(
    "OrganizationUpdateInputObject", OrganizationUpdate, "The fields sent change (those with an organization-wide "
    "default are never cleared); unknown fields are ignored.",
    never_null=[name for name in NEVER_CLEARED if name in OrganizationUpdate.model_fields],
    descriptions={"country": COUNTRY_TEXT, "default_currency": CURRENCY_TEXT, "timezone": TIMEZONE_TEXT})
OrganizationUpdateInput = envelope("OrganizationUpdateInput", "organization", OrganizationUpdateInputObject,
                                   "The organization's settings to change.")
