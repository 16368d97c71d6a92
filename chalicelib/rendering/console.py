"""The console's view models: what its pages show of a record, in words, from what a use case returns."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.customers import Customer
from chalicelib.domain.organizations import Organization

# The customer's fields the Overview shows when they are set, with their labels (the form's labels).
CUSTOMER_FIELD_LABELS = (
    ("external_id", "External ID"), ("name", "Name"), ("firstname", "First name"), ("lastname", "Last name"),
    ("account_type", "Account type"), ("customer_type", "Customer type"), ("email", "Email"),
    ("address_line1", "Address line 1"), ("address_line2", "Address line 2"), ("city", "City"), ("state", "State"),
    ("zipcode", "Zipcode"), ("country", "Country"), ("legal_name", "Legal name"), ("legal_number", "Legal number"),
    ("tax_identification_number", "Tax identification number"), ("logo_url", "Logo URL"), ("phone", "Phone"),
    ("url", "URL"), ("net_payment_term", "Net payment term (days)"),
    ("invoice_grace_period", "Invoice grace period (days)"),
    ("test_clock_id", "Test clock"),
)


@dataclass(frozen=True)
class CustomerOverview:
    fields: list[tuple[str, str]]  # (label, value) of each field set
    slug: str
    currency: str
    timezone: str
    timezone_source: str
    tax_rate: str
    tax_rate_source: str


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def customer_overview(customer: Customer, organization: Organization) -> CustomerOverview:
    """The Overview tab: every field set, then what applies to the customer and whose setting it is."""
    fields = [(label, str(getattr(customer, name))) for name, label in CUSTOMER_FIELD_LABELS
              if getattr(customer, name) is not None]
    return CustomerOverview(
        fields=fields, slug=customer.slug,
        currency=customer.currency or "Not set (taken from its first subscription's plan)",
        timezone=customer.applicable_timezone(organization.timezone),
        timezone_source="the customer's own" if customer.timezone else "the organization's",
        tax_rate=_percent(customer.applicable_vat_rate(organization.vat_rate)),
        tax_rate_source="the customer's own" if customer.vat_rate is not None else "the organization's")
