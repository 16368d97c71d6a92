"""The billing settings an organization sets for all its customers and a customer may set for itself (the
customer's own value, when set, overrides the organization's), as clients send them."""
from __future__ import annotations

from chalicelib.domain.validation import Days, Percentage, RequestObject, Timezone


class BillingSettings(RequestObject):
    timezone: Timezone | None = None
    net_payment_term: Days | None = None
    vat_rate: Percentage | None = None


class BillingConfigurationInput(RequestObject):
    """Lago's `billing_configuration` object: the settings both an organization and a customer keep there."""

    invoice_grace_period: Days | None = None
    vat_rate: Percentage | None = None
